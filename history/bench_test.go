package history

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchRun is a run with rows rows (each with a histogram of spread
// samples) and an hour of one-second points.
func benchRun(b *testing.B, id string, rows int) *Run {
	r := testRun(b, id, t0, 3600)
	r.Rows = nil
	vals := make([]int64, 2000)
	for i := range vals {
		vals[i] = int64(500 + i*i%200000)
	}
	hist := testHist(b, vals...)
	for i := range rows {
		r.Rows = append(r.Rows, Row{Type: "GET", Name: fmt.Sprintf("/item/%d", i), Requests: 2000, TotalTime: time.Second,
			Min: time.Millisecond, Max: time.Second, Hist: hist})
	}
	return r
}

// BenchmarkSaveRun saves a finished run with 100 rows and a 1-hour time
// series into a fresh SQLite store (the issue asks for under 1 s).
func BenchmarkSaveRun(b *testing.B) {
	ctx := context.Background()
	s := openT(b, filepath.Join(b.TempDir(), "h.db"))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.Save(ctx, benchRun(b, fmt.Sprint(i), 100)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList10000 lists 10,000 runs (the issue asks for under 100 ms).
func BenchmarkList10000(b *testing.B) {
	ctx := context.Background()
	s := openT(b, filepath.Join(b.TempDir(), "h.db"))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, started_ns, ended_ns, updated_ns, host, users, requests,
			failures, p95_ns, rps, labels, profile) VALUES (?, ?, ?, ?, 'http://h', 10, 1000, 3, 5000000, 12.5,
			'commit=abc&env=staging', '')`, fmt.Sprintf("r%05d", i), t0.Add(time.Duration(i)*time.Minute).UnixNano(),
			t0.Add(time.Duration(i)*time.Minute+time.Second).UnixNano(), t0.UnixNano())
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		list, err := s.List(ctx, Filter{})
		if err != nil || len(list) != 10000 {
			b.Fatal(len(list), err)
		}
	}
}
