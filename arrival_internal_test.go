package locust

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust/internal/proc"
)

func TestArrivalPlanAt(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	for _, tc := range []struct {
		name string
		a    Arrival
		n    float64
		want time.Duration
		ok   bool
	}{
		{"constant first at once", Arrival{Rate: 200}, 0, 0, true},
		{"constant", Arrival{Rate: 200}, 1, ms(5), true},
		{"constant far", Arrival{Rate: 200}, 2000, 10 * time.Second, true},
		// Ramp 0 -> 100/s over 10 s: integral 5·t², so arrival n at sqrt(n/5).
		{"ramp up", Arrival{Stages: []RateStage{{10 * time.Second, 100}}}, 20, 2 * time.Second, true},
		{"ramp up end", Arrival{Stages: []RateStage{{10 * time.Second, 100}}}, 500, 10 * time.Second, true},
		{"after the last stage", Arrival{Stages: []RateStage{{10 * time.Second, 100}}}, 501, 0, false},
		// Ramp 100 -> 0 over 10 s: integral 100t - 5t², arrival 375 at t=5.
		{"ramp down", Arrival{Rate: 100, Stages: []RateStage{{10 * time.Second, 0}}}, 375, 5 * time.Second, true},
		// Hold 10/s for 2 s (20 arrivals), then ramp to 30/s over 2 s (40).
		{"hold then ramp", Arrival{Rate: 10, Stages: []RateStage{{2 * time.Second, 10}, {2 * time.Second, 30}}}, 20, 2 * time.Second, true},
		{"hold then ramp inside", Arrival{Rate: 10, Stages: []RateStage{{2 * time.Second, 10}, {2 * time.Second, 30}}}, 35, 3 * time.Second, true},
		{"zero-rate stage is skipped", Arrival{Stages: []RateStage{{time.Second, 0}, {time.Second, 0}, {2 * time.Second, 20}}}, 5, 3 * time.Second, true},
	} {
		got, ok := newArrivalPlan(tc.a).at(tc.n)
		if ok != tc.ok || (ok && (got-tc.want).Abs() > time.Microsecond) {
			t.Errorf("%s: at(%v) = %v, %v; want %v, %v", tc.name, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

// The arrivals of a ramp up are increasing and their count up to any time
// is the integral of the rate (within one).
func TestArrivalPlanMonotonic(t *testing.T) {
	a := Arrival{Rate: 50, Stages: []RateStage{{3 * time.Second, 500}, {2 * time.Second, 500}, {3 * time.Second, 0}}}
	p := newArrivalPlan(a)
	var prev time.Duration
	n := 0
	for ; ; n++ {
		at, ok := p.at(float64(n))
		if !ok {
			break
		}
		if at < prev {
			t.Fatalf("arrival %d at %v before arrival %d at %v", n, at, n-1, prev)
		}
		prev = at
	}
	want := (50+500)/2*3 + 500*2 + 500/2*3 // 825 + 1000 + 750
	if n != want+1 {
		t.Errorf("%d arrivals, want %d (and the one at t=0)", n, want+1)
	}
}

func TestArrivalSplitExact(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		a := Arrival{Rate: 33.3, Stages: []RateStage{{2 * time.Second, 333.3}, {time.Second, 0}}, PreAllocated: 10, MaxUsers: 100}
		parts, err := a.Split(n)
		if err != nil {
			t.Fatal(err)
		}
		whole := newArrivalPlan(a)
		pre, mx := 0, 0
		seen := map[time.Duration]int{}
		total := 0
		for _, p := range parts {
			pre += p.PreAllocated
			mx += p.MaxUsers
			plan := newArrivalPlan(p)
			for k := 0; ; k++ {
				at, ok := plan.at(float64(p.Part.Index + k*p.Part.Of))
				if !ok {
					break
				}
				seen[at]++
				total++
			}
		}
		wantTotal := 0
		for ; ; wantTotal++ {
			at, ok := whole.at(float64(wantTotal))
			if !ok {
				break
			}
			seen[at]--
		}
		if total != wantTotal {
			t.Errorf("%d runners: %d arrivals in total, want %d", n, total, wantTotal)
		}
		for at, c := range seen {
			if c != 0 {
				t.Errorf("%d runners: arrival at %v counted %+d times", n, at, c)
			}
		}
		if max(n, 10) != pre || max(n, 100) != mx {
			t.Errorf("%d runners: pools sum to %d/%d, want 10/100", n, pre, mx)
		}
	}
	if _, err := (Arrival{Rate: 1}).Split(0); err == nil {
		t.Error("Split(0) accepted")
	}
}

func TestSplitCountAndRate(t *testing.T) {
	for _, tc := range []struct {
		total, n int
		want     []int
	}{{10, 3, []int{4, 3, 3}}, {2, 3, []int{1, 1, 0}}, {0, 2, []int{0, 0}}, {9, 1, []int{9}}} {
		got := splitCount(tc.total, tc.n)
		if len(got) != len(tc.want) {
			t.Fatalf("splitCount(%d, %d) = %v", tc.total, tc.n, got)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("splitCount(%d, %d) = %v, want %v", tc.total, tc.n, got, tc.want)
			}
		}
	}
	r := SplitRate(1000, 3)
	if s := r[0] + r[1] + r[2]; math.Abs(s-1000) > 1e-9 {
		t.Errorf("SplitRate(1000, 3) sums to %v", s)
	}
	if SplitRate(1, 0) != nil || splitCount(1, 0) != nil {
		t.Error("n = 0 accepted")
	}
}

func TestParseRateAndStages(t *testing.T) {
	for in, want := range map[string]float64{"1000/s": 1000, "60/m": 1, "3600/h": 1, "5/100ms": 50, "250": 250, "0.5": 0.5, " 10 / s ": 10} {
		if got, err := parseRate(in); err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "-1/s", "10/parsec", "10/0s", "NaN"} {
		if _, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) accepted", in)
		}
	}
	st, err := ParseStages("30s:100/s, 2m:1000/s,30s:0")
	if err != nil || len(st) != 3 || st[1] != (RateStage{2 * time.Minute, 1000}) || st[2].Target != 0 {
		t.Errorf("ParseStages = %v, %v", st, err)
	}
	for _, in := range []string{"", "30s", "0s:10/s", "30s:fast", "soon:10/s", "30s:10/s,"} {
		if _, err := ParseStages(in); err == nil {
			t.Errorf("ParseStages(%q) accepted", in)
		}
	}
}

func TestArrivalValidate(t *testing.T) {
	for _, a := range []Arrival{
		{Rate: -1}, {Rate: math.Inf(1)}, {}, {Stages: []RateStage{{0, 10}}}, {Rate: 1, Stages: []RateStage{{time.Second, -2}}},
		{Rate: 1, PreAllocated: 5, MaxUsers: 2}, {Rate: 1, MaxUsers: -1}, {Rate: 1, Part: ArrivalPart{Index: 2, Of: 2}},
	} {
		if err := a.validate(); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
	if pre, mx := (Arrival{Rate: 1000}).poolSizes(); pre != 100 || mx != 10000 {
		t.Errorf("default pool for 1000/s: %d, %d", pre, mx)
	}
	if pre, mx := (Arrival{Rate: 1}).poolSizes(); pre != 1 || mx != 100 {
		t.Errorf("default pool for 1/s: %d, %d", pre, mx)
	}
}

type sleeper struct{ d time.Duration }

func (s *sleeper) work(ctx context.Context) error {
	return Measure(ctx, "sleep", "work", func(ctx context.Context) error {
		time.Sleep(s.d)
		return nil
	})
}

// On a fake clock: 100 arrivals/s for 2 s of 150 ms iterations need 15
// users; a pool capped at 10 drops a third, and started + dropped is
// exactly the schedule.
func TestArrivalPoolGrowsAndDrops(t *testing.T) {
	for _, tc := range []struct {
		maxUsers        int
		wantMinDropped  int64
		wantMaxDropped  int64
		wantMaxPoolSize int
	}{{100, 0, 0, 16}, {10, 60, 75, 10}} {
		synctest.Test(t, func(t *testing.T) {
			cls := &Class[*sleeper]{Name: "s", New: func() *sleeper { return &sleeper{150 * time.Millisecond} },
				Tasks: []Task[*sleeper]{{Name: "work", Weight: 1, Fn: (*sleeper).work}}}
			r, err := NewLocalRunner(Config{Classes: []UserClass{cls}, RunTime: 2 * time.Second, StopTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.StartArrival(Arrival{Rate: 100, PreAllocated: 2, MaxUsers: tc.maxUsers}); err != nil {
				t.Fatal(err)
			}
			peak := 0
			var mu sync.Mutex
			go func() {
				for range 19 {
					time.Sleep(100 * time.Millisecond)
					mu.Lock()
					peak = max(peak, r.UserCount())
					mu.Unlock()
				}
			}()
			_ = r.Wait(context.Background())
			s := r.Snapshot()
			sch := s.Schedule
			// The arrival due exactly at the run time limit may or may not
			// come first.
			if sch.Scheduled != 200 && sch.Scheduled != 201 {
				t.Errorf("max %d: scheduled %d, want 200", tc.maxUsers, sch.Scheduled)
			}
			if sch.Dropped < tc.wantMinDropped || sch.Dropped > tc.wantMaxDropped {
				t.Errorf("max %d: dropped %d, want %d..%d", tc.maxUsers, sch.Dropped, tc.wantMinDropped, tc.wantMaxDropped)
			}
			if sch.Lag.Count+sch.Dropped != sch.Scheduled {
				t.Errorf("max %d: started %d + dropped %d != %d", tc.maxUsers, sch.Lag.Count, sch.Dropped, sch.Scheduled)
			}
			if sch.Lag.Max != 0 {
				t.Errorf("max %d: lag %v on a fake clock", tc.maxUsers, sch.Lag.Max)
			}
			if got := sch.ServiceTime.Percentile(0.5); got != 150*time.Millisecond {
				t.Errorf("service time %v", got)
			}
			mu.Lock()
			defer mu.Unlock()
			if peak > tc.wantMaxPoolSize {
				t.Errorf("max %d: pool grew to %d", tc.maxUsers, peak)
			}
		})
	}
}

func TestRateLimiterSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newRateLimiter(100)
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var times []time.Duration
		start := time.Now()
		for range 8 {
			wg.Go(func() {
				for range 25 {
					if err := l.wait(ctx); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					times = append(times, time.Since(start))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		// 200 events at 100/s: the last at 1.99 s, never two in one slot.
		if last := time.Since(start); last != 1990*time.Millisecond {
			t.Errorf("200 events took %v, want 1.99 s", last)
		}
		per := map[time.Duration]int{}
		for _, d := range times {
			per[d]++
		}
		for d, n := range per {
			if n > 1 {
				t.Errorf("%d events at %v", n, d)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		for l.reserve() == 0 {
		}
		if err := l.wait(cctx); err == nil {
			t.Error("wait with a cancelled context succeeded")
		}
	})
}

func TestScheduleStatsDeltaAddMerge(t *testing.T) {
	worker := NewStats("w")
	worker.sched.arrival(false)
	worker.sched.arrival(true)
	worker.sched.started(1, 2*time.Millisecond)
	worker.sched.finished(1, 12*time.Millisecond, 10*time.Millisecond)
	worker.sched.paced(2, 250*time.Millisecond, 100*time.Millisecond) // 2 missed
	d1 := worker.Delta()
	worker.sched.arrival(false)
	worker.sched.started(3, 4*time.Millisecond)
	d2 := worker.Delta()
	if d3 := worker.Delta(); d3.Schedule != nil {
		t.Errorf("empty delta has a schedule: %+v", d3.Schedule)
	}
	master := NewStats("master")
	master.Add(d1)
	master.Add(d2)
	got := master.Snapshot().Schedule
	want := worker.Snapshot().Schedule
	if got.Scheduled != 3 || got.Dropped != 1 || got.Missed != 2 || got.Lag.Count != 5 || got.ResponseTime.Count != 1 {
		t.Errorf("master schedule %+v", got)
	}
	if got.Lag.Max != want.Lag.Max || got.Lag.Total != want.Lag.Total || got.Lag.Percentile(0.5) != want.Lag.Percentile(0.5) {
		t.Errorf("master lag %+v, worker %+v", got.Lag, want.Lag)
	}
	// Missed starts: lags 250, 150, 50 ms.
	if got.Lag.Max != 250*time.Millisecond || (got.Lag.Percentile(0.7)-150*time.Millisecond).Abs() > time.Millisecond {
		t.Errorf("corrected lags: max %v p70 %v", got.Lag.Max, got.Lag.Percentile(0.7))
	}
	m := (&Snapshot{Schedule: d1.Schedule}).Merge(&Snapshot{Schedule: d2.Schedule})
	if m.Schedule.Scheduled != 3 || m.Schedule.Lag.Count != 5 || m.Schedule.Lag.Min != 2*time.Millisecond {
		t.Errorf("merged %+v", m.Schedule)
	}
	master.Reset()
	if s := master.Snapshot().Schedule; s != nil {
		t.Errorf("after reset: %+v", s)
	}
}

func TestCPUPercent(t *testing.T) {
	for _, tc := range []struct {
		cpu, wall time.Duration
		cores     int
		want      float64
	}{{time.Second, time.Second, 1, 100}, {time.Second, time.Second, 4, 25}, {7200 * time.Millisecond, 2 * time.Second, 4, 90}, {0, 0, 1, 0}, {time.Second, time.Second, 0, 0}} {
		if got := cpuPercent(tc.cpu, tc.wall, tc.cores); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("cpuPercent(%v, %v, %d) = %v, want %v", tc.cpu, tc.wall, tc.cores, got, tc.want)
		}
	}
	if proc.CPUTime() <= 0 {
		t.Error("no process CPU time")
	}
}

// BenchmarkScheduleRecord is the per-iteration cost of the schedule
// statistics in arrival-rate mode (lag at the start, response and service
// times at the end), from parallel users.
func BenchmarkScheduleRecord(b *testing.B) {
	st := NewStats("b")
	var id atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		key := id.next()
		for pb.Next() {
			st.sched.started(key, 150*time.Microsecond)
			st.sched.finished(key, 2*time.Millisecond, 1850*time.Microsecond)
		}
	})
}

type atomicCounter struct {
	mu sync.Mutex
	n  int64
}

func (c *atomicCounter) next() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}
