package locust_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// simTarget is a simulated target for tests whose subject is the
// schedule, not the network: run inside a synctest bubble, every call
// waits the latency on the fake clock (and, while a stall is on, until
// the stall ends), so rates and percentiles are exact whatever the load
// of the machine. It counts the calls it receives.
type simTarget struct {
	latency time.Duration
	hits    atomic.Int64
	mu      sync.Mutex
	stall   chan struct{} // closed when the current stall ends; nil without one
}

func newSimTarget(latency time.Duration) *simTarget { return &simTarget{latency: latency} }

// serve is one call: it records a sample named "/" of type GET.
func (s *simTarget) serve(ctx context.Context) error {
	return locust.Measure(ctx, "GET", "/", func(ctx context.Context) error {
		s.hits.Add(1)
		s.mu.Lock()
		stall := s.stall
		s.mu.Unlock()
		if stall != nil {
			select {
			case <-stall:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if s.latency > 0 {
			select {
			case <-time.After(s.latency):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// stallFor makes every call wait until d from now, starting after delay.
func (s *simTarget) stallFor(delay, d time.Duration) {
	time.AfterFunc(delay, func() {
		ch := make(chan struct{})
		s.mu.Lock()
		s.stall = ch
		s.mu.Unlock()
		time.AfterFunc(d, func() {
			s.mu.Lock()
			s.stall = nil
			s.mu.Unlock()
			close(ch)
		})
	})
}

type getter struct{ target *simTarget }

func (g *getter) get(ctx context.Context) error { return g.target.serve(ctx) }

func getterClass(target *simTarget) *locust.Class[*getter] {
	return &locust.Class[*getter]{
		Name:  "getter",
		New:   func() *getter { return &getter{target: target} },
		Tasks: []locust.Task[*getter]{{Name: "get", Weight: 1, Fn: (*getter).get}},
	}
}

// At 200 arrivals/s for 10 s the target sees 2000 requests (within 1 %)
// whether it answers in 1 ms or in 500 ms: the open model does not slow
// down with the target.
func TestArrivalRateHoldsWhateverTheLatency(t *testing.T) {
	t.Parallel()
	for _, latency := range []time.Duration{time.Millisecond, 500 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { arrivalRateHolds(t, latency) })
		})
	}
}

func arrivalRateHolds(t *testing.T, latency time.Duration) {
	srv := newSimTarget(latency)
	res, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{getterClass(srv)},
		Arrival: &locust.Arrival{Rate: 200},
		RunTime: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.hits.Load()
	if got < 1980 || got > 2020 {
		t.Errorf("target counted %d requests in 10 s at 200/s, want 2000 ± 1%%", got)
	}
	sch := res.Stats.Schedule
	if sch == nil || sch.Dropped != 0 {
		t.Fatalf("schedule stats %+v: want some, none dropped", sch)
	}
	if sch.Scheduled < 1980 || sch.Scheduled > 2020 {
		t.Errorf("scheduled %d arrivals, want 2000 ± 1%%", sch.Scheduled)
	}
	// The generator's lag on a real clock is a measurement of
	// the machine (BenchmarkArrivalScheduler measures it).
	t.Logf("latency %v: %d requests, lag p99 %v", latency, got, sch.Lag.Percentile(0.99))
}

// A 2 s stall of the target shows in the arrival-mode p99, in the request
// rows and in the iterations' response time from their scheduled start;
// with a small pool, the arrivals that find no free user are dropped and
// counted.
func TestArrivalStallShowsInP99AndDrops(t *testing.T) {
	t.Parallel()
	t.Run("pool large enough", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, stallShowsInP99)
	})
	t.Run("pool maximum reached", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, stallDropsArrivals)
	})
}

func stallShowsInP99(t *testing.T) {
	srv := newSimTarget(time.Millisecond)
	srv.stallFor(time.Second, 2*time.Second)
	res, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{getterClass(srv)},
		Arrival: &locust.Arrival{Rate: 200},
		RunTime: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	p99 := res.Stats.Total.Percentile(0.99)
	if p99 < 1500*time.Millisecond {
		t.Errorf("request p99 %v: the 2 s stall is hidden", p99)
	}
	if rt := res.Stats.Schedule.ResponseTime.Percentile(0.99); rt < 1500*time.Millisecond {
		t.Errorf("iteration response time p99 %v: the 2 s stall is hidden", rt)
	}
	if d := res.Stats.Schedule.Dropped; d != 0 {
		t.Errorf("%d dropped with a pool of up to 2000 users", d)
	}
}

func stallDropsArrivals(t *testing.T) {
	srv := newSimTarget(time.Millisecond)
	srv.stallFor(time.Second, 2*time.Second)
	res, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{getterClass(srv)},
		Arrival: &locust.Arrival{Rate: 200, PreAllocated: 10, MaxUsers: 50},
		RunTime: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	sch := res.Stats.Schedule
	// During the stall 50 users are stuck; of about 400 arrivals
	// about 350 find nobody.
	if sch.Dropped < 250 || sch.Dropped > 420 {
		t.Errorf("dropped %d arrivals, want about 350", sch.Dropped)
	}
	if started := res.Stats.Schedule.Lag.Count; started+sch.Dropped != sch.Scheduled {
		t.Errorf("started %d + dropped %d != scheduled %d: an arrival vanished", started, sch.Dropped, sch.Scheduled)
	}
}

// Coordinated omission: in the closed model with 5 paced users (40/s
// each), the same 2 s stall yields a low request p99, since each user
// sends one slow request and then simply sends fewer; the schedule lag
// exposes the stall and counts the starts that never happened.
func TestClosedModelHidesStallScheduleLagExposesIt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, closedModelHidesStall)
}

func closedModelHidesStall(t *testing.T) {
	srv := newSimTarget(time.Millisecond)
	srv.stallFor(2*time.Second, 2*time.Second)
	paced := getterClass(srv)
	paced.Name, paced.Wait = "paced", locust.ConstantThroughput(40)
	res, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{paced},
		Users:   5, SpawnRate: 1000, RunTime: 6 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	p99 := res.Stats.Total.Percentile(0.99)
	if p99 > 500*time.Millisecond {
		t.Errorf("closed-model request p99 %v: expected the stall to be hidden (coordinated omission)", p99)
	}
	sch := res.Stats.Schedule
	if sch == nil {
		t.Fatal("no schedule stats for paced users")
	}
	if lag := sch.Lag.Percentile(0.99); lag < 1500*time.Millisecond {
		t.Errorf("schedule lag p99 %v: the stall is not exposed", lag)
	}
	if sch.Missed < 300 {
		t.Errorf("missed %d paced starts, want about 5 users × 2 s × 40/s = 400", sch.Missed)
	}
	t.Logf("closed: request p99 %v, max %v; schedule lag p99 %v, missed %d", p99, res.Stats.Total.Max, sch.Lag.Percentile(0.99), sch.Missed)
}
