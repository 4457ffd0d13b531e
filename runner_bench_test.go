package locust_test

import (
	"context"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/golocust/locust"
)

type empty struct{}

var quiet = slog.New(slog.DiscardHandler)

func emptyTask(*empty, context.Context) error { return nil }

// BenchmarkScheduler measures the task loop itself: pick a task, run an
// empty one, no wait. One op is one task run.
func BenchmarkScheduler(b *testing.B) {
	for _, users := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(map[bool]string{true: "1user", false: "GOMAXPROCSusers"}[users == 1], func(b *testing.B) {
			class := &locust.Class[*empty]{
				Name: "E",
				New:  func() *empty { return &empty{} },
				Tasks: []locust.Task[*empty]{
					{Name: "a", Weight: 3, Fn: emptyTask},
					{Name: "b", Weight: 1, Fn: emptyTask},
				},
			}
			b.ReportAllocs()
			b.ResetTimer()
			res, err := locust.RunTest(context.Background(), locust.Config{
				Classes: []locust.UserClass{class}, Users: users, SpawnRate: 1e6, Iterations: int64(b.N),
				Logger: quiet,
			})
			b.StopTimer()
			if err != nil || res.Reason != "iteration limit" {
				b.Fatal(err, res)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/float64(min(users, runtime.GOMAXPROCS(0))), "runs/s/core")
		})
	}
}

// BenchmarkIdleUsers measures the memory of users whose task does nothing
// but wait: goroutine, user value and scheduler state. It starts 100,000
// users per op and reports bytes per user.
func BenchmarkIdleUsers(b *testing.B) {
	const n = 100_000
	class := &locust.Class[*empty]{
		Name:  "Idle",
		New:   func() *empty { return &empty{} },
		Wait:  locust.Between(time.Hour, 2*time.Hour),
		Tasks: []locust.Task[*empty]{{Name: "a", Weight: 1, Fn: emptyTask}},
	}
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := locust.NewLocalRunner(locust.Config{Classes: []locust.UserClass{class}, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Start(n, n); err != nil {
			b.Fatal(err)
		}
		for r.UserCount() < n || r.State() != locust.StateRunning {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // let every user reach its wait
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := (after.HeapInuse + after.StackInuse) - (before.HeapInuse + before.StackInuse)
		b.ReportMetric(float64(used)/n, "bytes/user")
		if err := r.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
