package locust_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// BenchmarkThrottleUnset is the cost of the request-rate ceiling's check
// on every request when --max-rps is not set.
func BenchmarkThrottleUnset(b *testing.B) {
	st := locust.NewStats("b")
	ctx, cancel := context.WithCancel(locust.ContextWithStats(context.Background(), st))
	defer cancel()
	for b.Loop() {
		_ = locust.Throttle(ctx)
	}
}

type noop struct{}

func (noop) run(ctx context.Context) error {
	locust.Record(ctx, locust.Sample{Type: "noop", Name: "noop", Duration: time.Microsecond})
	return nil
}

// BenchmarkArrivalScheduler runs arrival-rate tests of 1 s with a no-op
// task at a high rate and reports the achieved iterations per second,
// the drops and the generator's lag: the open model's own ceiling.
func BenchmarkArrivalScheduler(b *testing.B) {
	for _, rate := range []float64{10_000, 50_000, 100_000} {
		b.Run(fmt.Sprintf("%g/s", rate), func(b *testing.B) {
			var iters, dropped int64
			var lag99 time.Duration
			var el time.Duration
			for b.Loop() {
				cls := &locust.Class[noop]{Name: "noop", New: func() noop { return noop{} },
					Tasks: []locust.Task[noop]{{Name: "noop", Weight: 1, Fn: noop.run}}}
				start := time.Now()
				res, err := locust.RunTest(context.Background(), locust.Config{
					Classes: []locust.UserClass{cls}, RunTime: time.Second,
					Arrival: &locust.Arrival{Rate: rate, PreAllocated: 200, MaxUsers: 2000},
				})
				if err != nil {
					b.Fatal(err)
				}
				el += time.Since(start)
				iters += res.Stats.Schedule.Lag.Count
				dropped += res.Stats.Schedule.Dropped
				lag99 = max(lag99, res.Stats.Schedule.Lag.Percentile(0.99))
			}
			b.ReportMetric(float64(iters)/el.Seconds(), "iters/s")
			b.ReportMetric(float64(dropped)/float64(b.N), "dropped/run")
			b.ReportMetric(float64(lag99.Microseconds()), "lag-p99-µs")
		})
	}
}
