package locust_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// statsBenchSamples are 50 rows with a spread of durations, reused by the
// benchmarks so that they measure recording, not building samples.
func statsBenchSamples(failed bool) []locust.Sample {
	out := make([]locust.Sample, 1024)
	err := errors.New("503 Service Unavailable")
	for i := range out {
		out[i] = locust.Sample{Type: "GET", Name: fmt.Sprintf("/api/item/%d", i%50),
			Duration: time.Duration(1+(i*7919)%5000) * 37 * time.Microsecond, Size: int64(i % 4096)}
		if failed {
			out[i].Err = err
		}
	}
	return out
}

// BenchmarkRecordParallel records from GOMAXPROCS goroutines into 50 rows.
func BenchmarkRecordParallel(b *testing.B) {
	for _, failed := range []bool{false, true} {
		b.Run(fmt.Sprintf("failures=%v", failed), func(b *testing.B) {
			st := locust.NewStats("")
			samples := statsBenchSamples(failed)
			var seed atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := seed.Add(7919)
				for pb.Next() {
					st.Record(samples[i%uint64(len(samples))])
					i++
				}
			})
			b.StopTimer()
			if got := st.Snapshot().Total.Requests; got != int64(b.N) {
				b.Fatalf("%d requests recorded, want %d", got, b.N)
			}
		})
	}
}

// BenchmarkRecord10kGoroutines records from 10,000 goroutines sharing
// b.N, as 10,000 users would: the cost per sample should stay flat.
func BenchmarkRecord10kGoroutines(b *testing.B) {
	const goroutines = 10000
	st := locust.NewStats("")
	samples := statsBenchSamples(false)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		n := b.N / goroutines
		if g < b.N%goroutines {
			n++
		}
		wg.Go(func() {
			<-start
			for i := range n {
				st.Record(samples[(g+i)%len(samples)])
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	close(start)
	wg.Wait()
	b.StopTimer()
	if got := st.Snapshot().Total.Requests; got != int64(b.N) {
		b.Fatalf("%d requests recorded, want %d", got, b.N)
	}
}

// statsBenchFilled returns stats with 50 rows and n samples recorded
// from GOMAXPROCS goroutines (so every shard holds every row).
func statsBenchFilled(n int) *locust.Stats {
	st := locust.NewStats("")
	samples := statsBenchSamples(false)
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			for i := p; i < n; i += procs {
				st.Record(samples[(i/procs)%len(samples)])
			}
		})
	}
	wg.Wait()
	return st
}

// BenchmarkSnapshot50Entries measures a snapshot of 50 filled rows
// right after 1,000 new samples (so that shards are drained too), and a
// tick.
func BenchmarkSnapshot50Entries(b *testing.B) {
	samples := statsBenchSamples(false)
	b.Run("Snapshot", func(b *testing.B) {
		st := statsBenchFilled(1e6)
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			for i := range 1000 {
				st.Record(samples[i%len(samples)])
			}
			b.StartTimer()
			_ = st.Snapshot()
		}
	})
	b.Run("Tick", func(b *testing.B) {
		st := statsBenchFilled(1e6)
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			for i := range 1000 {
				st.Record(samples[i%len(samples)])
			}
			b.StartTimer()
			st.Tick(100)
		}
	})
}

// BenchmarkStats10kRows records from 1,000 goroutines into 10,000
// distinct rows (as unnamed URLs with ids would make), draining once a
// "second" (every 20,000 samples), and reports the heap that the
// statistics keep per row: it must stay bounded (about 1-2 KB a row),
// not grow to a dense histogram per row.
func BenchmarkStats10kRows(b *testing.B) {
	const (
		goroutines = 1000
		rows       = 10000
		perTick    = 20000
	)
	names := make([]string, rows)
	for i := range names {
		names[i] = fmt.Sprintf("/items/%d", i)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	st := locust.NewStats("")
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	for done := 0; done < b.N; done += perTick {
		n := min(perTick, b.N-done)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < n; i += goroutines {
					k := next.Add(1)
					st.Record(locust.Sample{Type: "GET", Name: names[k%rows], Duration: time.Duration(100+k%5000) * time.Microsecond})
				}
			}()
		}
		wg.Wait()
		_ = st.Snapshot()
	}
	b.StopTimer()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	snap := st.Snapshot()
	if got := snap.Total.Requests; got != int64(b.N) {
		b.Fatalf("%d requests recorded, want %d", got, b.N)
	}
	if len(snap.Entries) > 0 {
		b.ReportMetric(float64(after.HeapInuse-min(before.HeapInuse, after.HeapInuse))/float64(len(snap.Entries)), "heap-B/row")
	}
	runtime.KeepAlive(st)
}
