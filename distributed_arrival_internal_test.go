package locust

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// distopenSchedStats records schedule statistics of every kind: arrivals
// (some dropped), lags, response and service times, paced misses.
func distopenSchedStats() *Stats {
	s := NewStats("w1")
	s.Record(Sample{Type: "GET", Name: "/", Duration: 3 * time.Millisecond})
	for i := range 500 {
		s.sched.arrival(i%50 == 0)
		s.sched.started(int64(i), time.Duration(i%97)*time.Microsecond)
		s.sched.finished(int64(i), time.Duration(1000+i*13)*time.Microsecond, time.Duration(900+i*11)*time.Microsecond)
	}
	s.sched.paced(3, 250*time.Millisecond, 100*time.Millisecond)
	return s
}

func TestSnapshotWireScheduleExact(t *testing.T) {
	d := distopenSchedStats().Delta()
	if d.Schedule == nil || d.Schedule.Scheduled != 500 || d.Schedule.Dropped != 10 || d.Schedule.Missed != 2 {
		t.Fatalf("delta schedule %+v", d.Schedule)
	}
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Snapshot
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	g, w := got.Schedule, d.Schedule
	if g == nil || g.Scheduled != w.Scheduled || g.Dropped != w.Dropped || g.Missed != w.Missed {
		t.Fatalf("schedule counters: got %+v, want %+v", g, w)
	}
	for _, p := range []struct {
		name string
		g, w *Timing
	}{{"lag", &g.Lag, &w.Lag}, {"response", &g.ResponseTime, &w.ResponseTime}, {"service", &g.ServiceTime, &w.ServiceTime}} {
		if p.g.Count != p.w.Count || p.g.Total != p.w.Total || p.g.Min != p.w.Min || p.g.Max != p.w.Max {
			t.Errorf("%s: got %+v, want %+v", p.name, *p.g, *p.w)
		}
		ge, _ := p.g.hist.Encode()
		we, _ := p.w.hist.Encode()
		if !bytes.Equal(ge, we) {
			t.Errorf("%s: histogram differs after the round trip", p.name)
		}
		for _, q := range []float64{0, 0.5, 0.95, 0.99, 1} {
			if p.g.Percentile(q) != p.w.Percentile(q) {
				t.Errorf("%s p%v: got %v, want %v", p.name, q, p.g.Percentile(q), p.w.Percentile(q))
			}
		}
	}
	// A master adding the decoded delta sees the same schedule.
	m := NewStats("master")
	m.Add(&got)
	if ms := m.Snapshot().Schedule; ms.Dropped != 10 || ms.ResponseTime.Percentile(0.99) != w.ResponseTime.Percentile(0.99) {
		t.Errorf("merged schedule %+v", ms)
	}
	// Truncations anywhere in the schedule section are errors.
	for cut := len(b) - 1; cut > len(b)-40; cut-- {
		var s Snapshot
		if err := s.UnmarshalBinary(b[:cut]); err == nil {
			t.Fatalf("a snapshot cut at %d of %d bytes decoded", cut, len(b))
		}
	}
}

// TestWriteScheduleFuzzSeed writes the fuzz seed of a snapshot with a
// schedule (testdata/fuzz/FuzzSnapshotUnmarshal) when
// GOLOCUST_WRITE_FUZZ_SEED is set.
func TestWriteScheduleFuzzSeed(t *testing.T) {
	if os.Getenv("GOLOCUST_WRITE_FUZZ_SEED") == "" {
		t.Skip("set GOLOCUST_WRITE_FUZZ_SEED=1 to rewrite the seed")
	}
	b, err := distopenSchedStats().Delta().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSnapshotUnmarshal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
	if err := os.WriteFile(filepath.Join(dir, "schedule"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
