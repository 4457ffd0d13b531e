package locust

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestStatsConservation records from many goroutines while another one
// ticks, snapshots and takes deltas, then checks that every sample is
// counted exactly once, in the rows, in the histograms and in the sum of
// the deltas.
func TestStatsConservation(t *testing.T) {
	const goroutines, perG = 64, 3000
	names := []string{"/a", "/b", "/c", "/d", "/e"}
	errA, errB := errors.New("a"), errors.New("b")
	st := NewStats("")

	type want struct{ req, fail, bytes int64 }
	wants := make(map[statsRowKey]*want)
	var wantTotal want
	for g := range goroutines {
		for i := range perG {
			k := statsRowKey{"GET", names[(g+i)%len(names)]}
			if wants[k] == nil {
				wants[k] = &want{}
			}
			w := wants[k]
			w.req++
			w.bytes += int64(i % 100)
			wantTotal.req++
			wantTotal.bytes += int64(i % 100)
			if i%7 == 0 {
				w.fail++
				wantTotal.fail++
			}
		}
	}

	var deltas []*Snapshot
	var done atomic.Bool
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for i := 0; !done.Load(); i++ {
			switch i % 3 {
			case 0:
				st.Tick(goroutines)
			case 1:
				_ = st.Snapshot()
			case 2:
				deltas = append(deltas, st.Delta())
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				s := Sample{Type: "GET", Name: names[(g+i)%len(names)], Duration: time.Duration(i+1) * 37 * time.Microsecond, Size: int64(i % 100)}
				if i%7 == 0 {
					s.Err = errA
					if g%2 == 0 {
						s.Err = errB
					}
				}
				st.Record(s)
			}
		})
	}
	wg.Wait()
	done.Store(true)
	<-readerDone
	deltas = append(deltas, st.Delta())
	snap := st.Snapshot()

	check := func(what string, e *EntryStats, w want) {
		t.Helper()
		if e.Requests != w.req || e.Failures != w.fail || e.ContentBytes != w.bytes || e.hist.TotalCount() != w.req {
			t.Errorf("%s %s: requests %d, failures %d, bytes %d, histogram %d; want %d, %d, %d, %d",
				what, e.Name, e.Requests, e.Failures, e.ContentBytes, e.hist.TotalCount(), w.req, w.fail, w.bytes, w.req)
		}
	}
	if len(snap.Entries) != len(names) {
		t.Fatalf("%d rows, want %d", len(snap.Entries), len(names))
	}
	for _, e := range snap.Entries {
		check("snapshot", e, *wants[statsRowKey{e.Type, e.Name}])
	}
	check("snapshot", snap.Total, wantTotal)
	var fails int64
	for _, f := range snap.Failures {
		fails += f.Occurrences
	}
	if fails != wantTotal.fail || len(snap.Failures) != 2*len(names) {
		t.Errorf("%d failures in %d groups, want %d in %d", fails, len(snap.Failures), wantTotal.fail, 2*len(names))
	}

	if len(deltas) < 2 {
		t.Logf("only %d deltas were taken during recording", len(deltas))
	}
	var sum *Snapshot
	for _, d := range deltas {
		sum = sum.Merge(d)
	}
	for _, e := range sum.Entries {
		check("sum of deltas", e, *wants[statsRowKey{e.Type, e.Name}])
	}
	check("sum of deltas", sum.Total, wantTotal)
	for i, e := range snap.Entries {
		for _, q := range Percentiles {
			if g, w := sum.Entries[i].Percentile(q), e.Percentile(q); g != w {
				t.Errorf("sum of deltas %s: p%v = %v, want %v", e.Name, q*100, g, w)
			}
		}
	}
	if fmt.Sprint(len(sum.Failures)) != fmt.Sprint(len(snap.Failures)) {
		t.Errorf("sum of deltas: %d failure groups, want %d", len(sum.Failures), len(snap.Failures))
	}
	for i := range sum.Failures {
		if sum.Failures[i].Occurrences != snap.Failures[i].Occurrences || sum.Failures[i].Error != snap.Failures[i].Error {
			t.Errorf("sum of deltas: failure %+v, want %+v", sum.Failures[i], snap.Failures[i])
		}
	}
}

// TestStatsRequestHook checks that the request hook fires after the
// sample is recorded, and only when it has listeners.
func TestStatsRequestHook(t *testing.T) {
	st := NewStats("")
	st.Record(Sample{Type: "GET", Name: "/", Duration: time.Millisecond}) // no hook set
	st.requestHook = &Hook[Sample]{}
	st.Record(Sample{Type: "GET", Name: "/", Duration: time.Millisecond}) // no listener
	var seen []int64
	remove := st.requestHook.Add(func(s Sample) {
		seen = append(seen, st.Snapshot().Total.Requests)
	})
	st.Record(Sample{Type: "GET", Name: "/", Duration: time.Millisecond})
	remove()
	st.Record(Sample{Type: "GET", Name: "/", Duration: time.Millisecond})
	if fmt.Sprint(seen) != "[3]" {
		t.Errorf("listener saw request counts %v, want [3]", seen)
	}
}

// TestStatsShardsBounded checks that recording from many goroutines
// does not create more shards than GOMAXPROCS.
func TestStatsShardsBounded(t *testing.T) {
	st := NewStats("")
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			for range 10 {
				st.Record(Sample{Type: "GET", Name: "/", Duration: time.Millisecond})
			}
		})
	}
	wg.Wait()
	if n, limit := len(st.rec.all()), max(runtime.GOMAXPROCS(0), 1); n > limit {
		t.Errorf("%d shards, want at most %d", n, limit)
	}
	if got := st.Snapshot().Total.Requests; got != 10000 {
		t.Errorf("%d requests, want 10000", got)
	}
}

// BenchmarkStatsMemory50Entries reports the heap held by stats with 50
// rows after 1e6 samples recorded from GOMAXPROCS goroutines, 10 ticks
// and a snapshot, per Stats whatever b.N, with the number of shards used.
func BenchmarkStatsMemory50Entries(b *testing.B) {
	var held uint64
	var shards int
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st := NewStats("")
		procs := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for p := range procs {
			wg.Go(func() {
				for i := p; i < 1e6; i += procs {
					st.Record(Sample{Type: "GET", Name: statsBenchNames[(i/procs)%50], Duration: time.Duration(1+(i*7919)%5000) * 37 * time.Microsecond})
				}
			})
		}
		wg.Wait()
		for range 10 {
			st.Tick(100)
		}
		snap := st.Snapshot()
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		shards = len(st.rec.all())
		runtime.KeepAlive(st)
		runtime.KeepAlive(snap)
	}
	b.ReportMetric(float64(held), "heap-B/stats")
	b.ReportMetric(float64(shards), "shards")
	b.ReportMetric(0, "ns/op")
}

var statsBenchNames = func() (out []string) {
	for i := range 50 {
		out = append(out, fmt.Sprintf("/api/item/%d", i))
	}
	return out
}()

// TestStatsIdleShardEntries checks that shard entries of rows no longer
// recorded are dropped, without losing their counts.
func TestStatsIdleShardEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := NewStats("")
		st.Record(Sample{Type: "GET", Name: "/old", Duration: time.Millisecond})
		st.Tick(1)
		entries := func() (n int) {
			for _, sh := range st.rec.all() {
				sh.mu.Lock()
				if sh.entries[statsRowKey{"GET", "/old"}] != nil {
					n++
				}
				sh.mu.Unlock()
			}
			return n
		}
		for range 3 {
			time.Sleep(30 * time.Second)
			st.Record(Sample{Type: "GET", Name: "/new", Duration: time.Millisecond})
			st.Tick(1)
		}
		if n := entries(); n != 0 {
			t.Errorf("%d shard entries for /old after it idled 90 s, want 0", n)
		}
		st.Record(Sample{Type: "GET", Name: "/old", Duration: time.Millisecond})
		snap := st.Snapshot()
		if snap.Total.Requests != 5 || snap.Entries[1].Name != "/old" || snap.Entries[1].Requests != 2 {
			t.Errorf("after eviction: total %d, rows %+v", snap.Total.Requests, snap.Entries)
		}
	})
}
