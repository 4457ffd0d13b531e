package locust_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// statsEntry returns the row (typ, name) of snap, failing the test if it
// is missing.
func statsEntry(t *testing.T, snap *locust.Snapshot, typ, name string) *locust.EntryStats {
	t.Helper()
	for _, e := range snap.Entries {
		if e.Type == typ && e.Name == name {
			return e
		}
	}
	t.Fatalf("no row %s %s in snapshot", typ, name)
	return nil
}

// statsSameEntry compares everything two processes' merges must agree on.
func statsSameEntry(t *testing.T, what string, got, want *locust.EntryStats) {
	t.Helper()
	if got.Type != want.Type || got.Name != want.Name {
		t.Fatalf("%s: row %q %q, want %q %q", what, got.Type, got.Name, want.Type, want.Name)
	}
	if got.Aborted != want.Aborted {
		t.Errorf("%s %s: got %d aborted, want %d", what, got.Name, got.Aborted, want.Aborted)
	}
	if got.Requests != want.Requests || got.Failures != want.Failures || got.TotalTime != want.TotalTime ||
		got.Min != want.Min || got.Max != want.Max || got.ContentBytes != want.ContentBytes || got.Mean() != want.Mean() {
		t.Errorf("%s %s: got req=%d fail=%d total=%v min=%v max=%v bytes=%d mean=%v, want req=%d fail=%d total=%v min=%v max=%v bytes=%d mean=%v",
			what, got.Name, got.Requests, got.Failures, got.TotalTime, got.Min, got.Max, got.ContentBytes, got.Mean(),
			want.Requests, want.Failures, want.TotalTime, want.Min, want.Max, want.ContentBytes, want.Mean())
	}
	for _, q := range append([]float64{0, 0.1, 0.25}, locust.Percentiles...) {
		if g, w := got.Percentile(q), want.Percentile(q); g != w {
			t.Errorf("%s %s: percentile %v = %v, want %v", what, got.Name, q, g, w)
		}
	}
}

func statsSameSnapshot(t *testing.T, what string, got, want *locust.Snapshot) {
	t.Helper()
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("%s: %d rows, want %d", what, len(got.Entries), len(want.Entries))
	}
	for i := range got.Entries {
		statsSameEntry(t, what, got.Entries[i], want.Entries[i])
	}
	statsSameEntry(t, what+" total", got.Total, want.Total)
	if len(got.Failures) != len(want.Failures) {
		t.Fatalf("%s: %d failure groups, want %d", what, len(got.Failures), len(want.Failures))
	}
	for i := range got.Failures {
		g, w := got.Failures[i], want.Failures[i]
		if g.Type != w.Type || g.Name != w.Name || g.Error != w.Error || g.Occurrences != w.Occurrences {
			t.Errorf("%s: failure %d = %+v, want %+v", what, i, g, w)
		}
	}
}

// statsSamples is a deterministic mix of rows, durations (ns precision,
// heavy tail), sizes and failures.
func statsSamples(n int) []locust.Sample {
	r := rand.New(rand.NewPCG(7, 11))
	names := []string{"/", "/items", "/items/[id]", "/login"}
	errs := []error{errors.New("500 Internal Server Error"), errors.New("connection refused")}
	out := make([]locust.Sample, n)
	for i := range out {
		d := time.Duration(math.Exp(r.NormFloat64()*1.2 + math.Log(float64(20*time.Millisecond))))
		s := locust.Sample{Type: "GET", Name: names[r.IntN(len(names))], Duration: d, Size: int64(r.IntN(5000))}
		if s.Name == "/login" {
			s.Type = "POST"
		}
		if r.IntN(10) == 0 {
			s.Err = errs[r.IntN(len(errs))]
		}
		out[i] = s
	}
	return out
}

func TestStatsMergeExact(t *testing.T) {
	samples := statsSamples(30000)
	all := locust.NewStats("")
	workers := []*locust.Stats{locust.NewStats("w1"), locust.NewStats("w2"), locust.NewStats("w3")}
	master := locust.NewStats("master")
	r := rand.New(rand.NewPCG(1, 2))
	for i, s := range samples {
		all.Record(s)
		workers[r.IntN(len(workers))].Record(s)
		if i%7000 == 0 { // deltas at arbitrary points, as a worker's ticks
			for _, w := range workers {
				master.Add(w.Delta())
			}
		}
	}
	var merged *locust.Snapshot
	for _, w := range workers {
		master.Add(w.Delta())
		merged = merged.Merge(w.Snapshot())
	}
	want := all.Snapshot()
	statsSameSnapshot(t, "master of deltas", master.Snapshot(), want)
	statsSameSnapshot(t, "Snapshot.Merge", merged, want)
}

func TestStatsPercentilesUniform(t *testing.T) {
	st := locust.NewStats("")
	// 1..1000 ms, in shuffled order.
	for _, i := range rand.New(rand.NewPCG(3, 4)).Perm(1000) {
		st.Record(locust.Sample{Type: "GET", Name: "/", Duration: time.Duration(i+1) * time.Millisecond, Size: 10})
	}
	e := st.Snapshot().Total
	if e.Requests != 1000 || e.Min != time.Millisecond || e.Max != time.Second || e.Mean() != 500500*time.Microsecond {
		t.Fatalf("requests=%d min=%v max=%v mean=%v", e.Requests, e.Min, e.Max, e.Mean())
	}
	if e.AvgContentSize() != 10 || e.FailRatio() != 0 {
		t.Errorf("avg size %v, fail ratio %v", e.AvgContentSize(), e.FailRatio())
	}
	for _, q := range locust.Percentiles {
		want := time.Duration(math.Ceil(q*1000)) * time.Millisecond
		got := e.Percentile(q)
		if diff := math.Abs(float64(got-want)) / float64(want); diff > 0.001 {
			t.Errorf("percentile %v = %v, want %v within 0.1%%", q, got, want)
		}
	}
	if e.Percentile(1) != time.Second || e.Percentile(2) != time.Second {
		t.Errorf("percentile 1 = %v and 2 = %v, want the exact max 1s", e.Percentile(1), e.Percentile(2))
	}
	if e.Percentile(-1) != e.Percentile(0) || e.Percentile(math.NaN()) != e.Percentile(0) || e.Percentile(0) != time.Millisecond {
		t.Errorf("percentile -1, NaN, 0 = %v, %v, %v, want 1ms", e.Percentile(-1), e.Percentile(math.NaN()), e.Percentile(0))
	}
	if e.Median() != e.Percentile(0.5) {
		t.Errorf("median %v != p50 %v", e.Median(), e.Percentile(0.5))
	}
	var nilEntry *locust.EntryStats
	if nilEntry.Percentile(0.5) != 0 || nilEntry.Mean() != 0 || nilEntry.FailRatio() != 0 || nilEntry.CurrentPercentile(1) != 0 {
		t.Error("nil entry: want zero values")
	}
}

func TestStatsClamping(t *testing.T) {
	st := locust.NewStats("")
	for _, d := range []time.Duration{-5 * time.Millisecond, 0, 500 * time.Nanosecond, 2 * time.Hour} {
		st.Record(locust.Sample{Type: "GET", Name: "/", Duration: d})
	}
	e := st.Snapshot().Total
	if e.Requests != 4 || e.Min != 0 || e.Max != 2*time.Hour || e.TotalTime != 2*time.Hour+500*time.Nanosecond {
		t.Fatalf("requests=%d min=%v max=%v total=%v; want 4, 0, 2h, 2h0.5µs", e.Requests, e.Min, e.Max, e.TotalTime)
	}
	if p := e.Percentile(0.5); p != time.Microsecond {
		t.Errorf("p50 = %v, want 1µs (short samples clamped up)", p)
	}
	if p := e.Percentile(1); p < time.Hour || p > time.Hour+time.Hour/500 {
		t.Errorf("p100 = %v, want about 1h (long samples clamped down)", p)
	}
}

func TestStatsFailuresAndExceptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := locust.NewStats("w1")
		t0 := time.Now()
		boom, refused := errors.New("boom"), errors.New("refused")
		st.Record(locust.Sample{Type: "GET", Name: "/a", Duration: time.Millisecond, Err: boom})
		time.Sleep(5 * time.Second)
		st.Record(locust.Sample{Type: "GET", Name: "/a", Duration: time.Millisecond, Err: boom})
		st.Record(locust.Sample{Type: "GET", Name: "/a", Duration: time.Millisecond, Err: refused})
		st.Record(locust.Sample{Type: "POST", Name: "/a", Duration: time.Millisecond, Err: boom})
		st.Record(locust.Sample{Type: "GET", Name: "/a", Duration: time.Millisecond})
		st.RecordException("oops", "at task1")
		st.RecordException("other", "at task2")
		st.RecordException("other", "at task2")

		snap := st.Snapshot()
		get := statsEntry(t, snap, "GET", "/a")
		if get.Requests != 4 || get.Failures != 3 || get.FailRatio() != 0.75 {
			t.Errorf("GET /a: %d requests, %d failures; want 4, 3", get.Requests, get.Failures)
		}
		want := []locust.FailureStats{
			{Type: "GET", Name: "/a", Error: "boom", Occurrences: 2, FirstSeen: t0, LastSeen: t0.Add(5 * time.Second)},
			{Type: "GET", Name: "/a", Error: "refused", Occurrences: 1, FirstSeen: t0.Add(5 * time.Second), LastSeen: t0.Add(5 * time.Second)},
			{Type: "POST", Name: "/a", Error: "boom", Occurrences: 1, FirstSeen: t0.Add(5 * time.Second), LastSeen: t0.Add(5 * time.Second)},
		}
		if len(snap.Failures) != len(want) {
			t.Fatalf("failures = %+v, want %+v", snap.Failures, want)
		}
		for i := range want {
			g, w := snap.Failures[i], want[i]
			if g.Type != w.Type || g.Name != w.Name || g.Error != w.Error || g.Occurrences != w.Occurrences ||
				!g.FirstSeen.Equal(w.FirstSeen) || !g.LastSeen.Equal(w.LastSeen) {
				t.Errorf("failure %d = %+v, want %+v", i, g, w)
			}
		}
		if len(snap.Exceptions) != 2 || snap.Exceptions[0].Message != "other" || snap.Exceptions[0].Count != 2 ||
			snap.Exceptions[1].Count != 1 || fmt.Sprint(snap.Exceptions[0].Nodes) != "[w1]" {
			t.Errorf("exceptions = %+v", snap.Exceptions)
		}

		// Merging with another node's snapshot unites nodes and widens
		// the seen times.
		o := locust.NewStats("w2")
		time.Sleep(time.Second)
		o.Record(locust.Sample{Type: "GET", Name: "/a", Duration: time.Millisecond, Err: boom})
		o.RecordException("oops", "at task1")
		m := snap.Merge(o.Snapshot())
		if f := m.Failures[0]; f.Error != "boom" || f.Occurrences != 3 || !f.FirstSeen.Equal(t0) || !f.LastSeen.Equal(t0.Add(6*time.Second)) {
			t.Errorf("merged failure = %+v", f)
		}
		if x := m.Exceptions; len(x) != 2 || x[0].Count != 2 || x[1].Count != 2 || fmt.Sprint(x[0].Nodes, x[1].Nodes) != "[w1 w2] [w1]" {
			t.Errorf("merged exceptions = %+v", x)
		}
		if !m.Start.Equal(snap.Start) || !m.Time.Equal(t0.Add(6*time.Second)) {
			t.Errorf("merged period %v..%v", m.Start, m.Time)
		}
		if len(snap.Exceptions[1].Nodes) != 1 {
			t.Error("Merge changed its receiver's exception nodes")
		}
	})
}

func TestStatsReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := locust.NewStats("")
		st.Record(locust.Sample{Type: "GET", Name: "/a", Duration: time.Millisecond, Err: errors.New("x")})
		st.RecordException("oops", "tb")
		time.Sleep(time.Second)
		st.Tick(3)
		st.Reset()
		now := time.Now()
		time.Sleep(2 * time.Second)
		st.Record(locust.Sample{Type: "GET", Name: "/b", Duration: 3 * time.Millisecond})
		snap := st.Snapshot()
		if !snap.Start.Equal(now) || len(snap.History) != 0 || len(snap.Failures) != 0 || len(snap.Exceptions) != 0 {
			t.Fatalf("after reset: start %v (want %v), %d history points, %d failures, %d exceptions",
				snap.Start, now, len(snap.History), len(snap.Failures), len(snap.Exceptions))
		}
		// Rows are kept, zeroed, as in Locust.
		if a := statsEntry(t, snap, "GET", "/a"); a.Requests != 0 || a.Failures != 0 || a.Percentile(0.5) != 0 || a.Max != 0 {
			t.Errorf("row /a after reset: %+v", a)
		}
		if tot := snap.Total; tot.Requests != 1 || tot.Min != 3*time.Millisecond || tot.TotalRPS != 0.5 {
			t.Errorf("total after reset: %d requests, min %v, %v rps; want 1, 3ms, 0.5", tot.Requests, tot.Min, tot.TotalRPS)
		}
		// The first delta after a reset holds only what came after it.
		if d := st.Delta(); d.Total.Requests != 1 || len(d.Entries) != 1 || d.Entries[0].Name != "/b" {
			t.Errorf("delta after reset: %d requests, %d rows", d.Total.Requests, len(d.Entries))
		}
	})
}

func TestStatsCurrentWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := locust.NewStats("")
		// 15 s at 100 samples/s of 10 ms, then 10 s at 50/s of 200 ms.
		for i := range 25 {
			n, d := 100, 10*time.Millisecond
			if i >= 15 {
				n, d = 50, 200*time.Millisecond
			}
			for range n {
				st.Record(locust.Sample{Type: "GET", Name: "/", Duration: d})
			}
			time.Sleep(time.Second)
			st.Tick(i + 1)
		}
		snap := st.Snapshot()
		e := statsEntry(t, snap, "GET", "/")
		// The window holds the 9 closed ticks 16..24 (the open one is
		// empty) over 9 s.
		if e.CurrentRPS != 50 || snap.Total.CurrentRPS != 50 || e.CurrentFailPerSec != 0 {
			t.Errorf("current rps = %v (total %v), want 50", e.CurrentRPS, snap.Total.CurrentRPS)
		}
		if p := e.CurrentPercentile(0.5); p < 200*time.Millisecond || p > 201*time.Millisecond {
			t.Errorf("current p50 = %v, want 200ms", p)
		}
		if p := e.Percentile(0.5); p < 10*time.Millisecond || p > 10*time.Millisecond+10*time.Microsecond {
			t.Errorf("p50 = %v, want 10ms", p)
		}
		if e.Requests != 2000 || e.TotalRPS != 80 {
			t.Errorf("requests %d, total rps %v; want 2000, 80", e.Requests, e.TotalRPS)
		}
		if len(snap.History) != 25 {
			t.Fatalf("%d history points, want 25", len(snap.History))
		}
		h5, h25 := snap.History[4], snap.History[24]
		if h5.Users != 5 || h5.Requests != 500 || h5.CurrentRPS != 100 || h5.P50 < 10*time.Millisecond || h5.P50 > 10010*time.Microsecond {
			t.Errorf("history at 5 s: %+v", h5)
		}
		if h25.Requests != 2000 || h25.CurrentRPS != 50 || h25.P95 < 200*time.Millisecond || h25.AvgTime != e.Mean() {
			t.Errorf("history at 25 s: %+v", h25)
		}
		// Ten idle ticks empty the window.
		for range 10 {
			time.Sleep(time.Second)
			st.Tick(0)
		}
		e = st.Snapshot().Total
		if e.CurrentRPS != 0 || e.CurrentPercentile(0.5) != 0 || e.Requests != 2000 {
			t.Errorf("after idle ticks: current rps %v, current p50 %v, requests %d", e.CurrentRPS, e.CurrentPercentile(0.5), e.Requests)
		}
	})
}

func TestStatsSnapshotImmutable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := locust.NewStats("")
		st.Record(locust.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, Err: errors.New("x")})
		st.RecordException("e", "tb")
		time.Sleep(time.Second)
		st.Tick(1)
		snap := st.Snapshot()
		p99, cur := snap.Total.Percentile(0.99), snap.Total.CurrentPercentile(0.99)
		for range 100 {
			st.Record(locust.Sample{Type: "GET", Name: "/", Duration: time.Second, Err: errors.New("x")})
		}
		st.RecordException("e", "tb")
		time.Sleep(time.Second)
		st.Tick(2)
		_ = st.Snapshot()
		if snap.Total.Requests != 1 || snap.Total.Percentile(0.99) != p99 || snap.Total.CurrentPercentile(0.99) != cur ||
			snap.Failures[0].Occurrences != 1 || snap.Exceptions[0].Count != 1 || len(snap.History) != 1 {
			t.Errorf("an old snapshot changed: %+v", snap.Total)
		}
	})
}

func TestStatsDeltaAndAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := locust.NewStats("w1")
		w.Record(locust.Sample{Type: "GET", Name: "/", Duration: time.Millisecond})
		w.RecordException("e", "tb")
		time.Sleep(time.Second)
		d1 := w.Delta()
		if d1.Total.Requests != 1 || len(d1.Exceptions) != 1 || d1.Time.Sub(d1.Start) != time.Second {
			t.Fatalf("first delta: %d requests, %d exceptions, %v", d1.Total.Requests, len(d1.Exceptions), d1.Time.Sub(d1.Start))
		}
		if d := w.Delta(); d.Total.Requests != 0 || len(d.Entries) != 0 || len(d.Exceptions) != 0 || len(d.Failures) != 0 {
			t.Errorf("empty delta: %d requests, %d rows", d.Total.Requests, len(d.Entries))
		}
		w.Record(locust.Sample{Type: "GET", Name: "/", Duration: 3 * time.Millisecond, Err: errors.New("x")})
		w.RecordException("e", "tb")
		d3 := w.Delta()
		if d3.Total.Requests != 1 || d3.Total.Failures != 1 || d3.Total.Min != 3*time.Millisecond || len(d3.Failures) != 1 || d3.Exceptions[0].Count != 1 {
			t.Errorf("third delta: %+v", d3.Total)
		}
		m := locust.NewStats("master")
		m.Add(d1)
		m.Add(nil)
		m.Add(d3)
		got := m.Snapshot()
		statsSameSnapshot(t, "master", got, w.Snapshot())
		if got.Exceptions[0].Count != 2 || fmt.Sprint(got.Exceptions[0].Nodes) != "[w1]" {
			t.Errorf("master exceptions: %+v", got.Exceptions)
		}
	})
}
