package locust_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// counter is a user that counts its task runs in shared atomics.
type counter struct {
	runs    *atomic.Int64
	started *atomic.Int64
	stopped *atomic.Int64
	id      int64
}

func (c *counter) InitUser(env locust.UserEnv) error { c.id = env.ID; return nil }

func (c *counter) OnStart(ctx context.Context) error { c.started.Add(1); return nil }

func (c *counter) OnStop(ctx context.Context) { c.stopped.Add(1) }

func (c *counter) work(ctx context.Context) error {
	c.runs.Add(1)
	locust.Record(ctx, locust.Sample{Type: "op", Name: "work", Duration: time.Millisecond})
	return nil
}

type tally struct{ runs, started, stopped atomic.Int64 }

func counterClass(name string, t *tally, wait locust.WaitTime) *locust.Class[*counter] {
	return &locust.Class[*counter]{
		Name:  name,
		New:   func() *counter { return &counter{runs: &t.runs, started: &t.started, stopped: &t.stopped} },
		Wait:  wait,
		Tasks: []locust.Task[*counter]{{Name: "work", Weight: 1, Fn: (*counter).work}},
	}
}

func newRunner(t *testing.T, cfg locust.Config) *locust.LocalRunner {
	t.Helper()
	r, err := locust.NewLocalRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func stop(t *testing.T, r locust.Runner) {
	t.Helper()
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The ramp starts batches of floor(rate) users every batch/rate seconds,
// the first at once.
func TestRampFollowsSpawnRate(t *testing.T) {
	tests := []struct {
		users int
		rate  float64
		at    []time.Duration
		want  []int
	}{
		{10, 2, []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 10 * time.Second}, []int{2, 4, 6, 10, 10}},
		{3, 0.5, []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second}, []int{1, 1, 2, 3}},
		{5, 2.5, []time.Duration{0, 800 * time.Millisecond, 1600 * time.Millisecond}, []int{2, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d users at %v/s", tt.users, tt.rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var ta tally
				r := newRunner(t, locust.Config{Classes: []locust.UserClass{counterClass("A", &ta, locust.Constant(time.Hour))}})
				if err := r.Start(tt.users, tt.rate); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				for i, at := range tt.at {
					time.Sleep(at - time.Since(start))
					synctest.Wait()
					if got := r.UserCount(); got != tt.want[i] {
						t.Errorf("at %v: %d users, want %d", at, got, tt.want[i])
					}
				}
				if r.State() != locust.StateRunning {
					t.Errorf("state %v after the ramp, want running", r.State())
				}
				stop(t, r)
				if ta.started.Load() != int64(tt.users) || ta.stopped.Load() != int64(tt.users) {
					t.Errorf("started %d stopped %d, want %d each", ta.started.Load(), ta.stopped.Load(), tt.users)
				}
			})
		})
	}
}

// A spawn batch of more than 100 users counts them at once but starts
// them spread over its interval, the first 100 at once: a batch of 2,500
// users started in the same instant would send 2,500 first requests (and
// dial as many connections) together. The ramp is complete (and the
// runner running) when the last user started; a user stopped before its
// start never starts.
func TestRampSpreadsLargeBatches(t *testing.T) {
	for _, stopAt := range []time.Duration{1750 * time.Millisecond, 2 * time.Second} {
		t.Run(fmt.Sprintf("stop at %v", stopAt), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var ta tally
				r := newRunner(t, locust.Config{Classes: []locust.UserClass{counterClass("A", &ta, locust.Constant(time.Hour))}})
				start := time.Now()
				var completeAt atomic.Int64
				r.Events().SpawningComplete.Add(func(locust.SpawnEvent) { completeAt.Store(int64(time.Since(start))) })
				if err := r.Start(400, 200); err != nil { // batches of 200 every second
					t.Fatal(err)
				}
				check := func(at time.Duration, users, started int64, state locust.State) {
					t.Helper()
					time.Sleep(at - time.Since(start))
					synctest.Wait()
					if got := r.UserCount(); got != int(users) {
						t.Errorf("at %v: %d users, want %d", at, got, users)
					}
					if got := ta.started.Load(); got != started {
						t.Errorf("at %v: %d users started, want %d", at, got, started)
					}
					if got := r.State(); got != state {
						t.Errorf("at %v: state %v, want %v", at, got, state)
					}
				}
				check(0, 200, 100, locust.StateSpawning)                     // the batch's first 100 at once
				check(500*time.Millisecond, 200, 101, locust.StateSpawning)  // user i of 200 starts at i/200 s: 100 at 500 ms
				check(995*time.Millisecond, 200, 200, locust.StateSpawning)  // the last at 995 ms
				check(1000*time.Millisecond, 400, 300, locust.StateSpawning) // the next batch
				check(1750*time.Millisecond, 400, 351, locust.StateSpawning) // users 100-150 of it
				want := int64(351)
				if stopAt > 1995*time.Millisecond {
					check(stopAt, 400, 400, locust.StateRunning)
					want = 400
					if got := time.Duration(completeAt.Load()); got != 1995*time.Millisecond {
						t.Errorf("SpawningComplete fired at %v, want 1.995s (when the last user started)", got)
					}
				} else if completeAt.Load() != 0 {
					t.Errorf("SpawningComplete fired at %v, before the last user started", time.Duration(completeAt.Load()))
				}
				stop(t, r)
				if got := ta.started.Load(); got != want {
					t.Errorf("%d users started after the stop, want %d: a user stopped before its start never starts", got, want)
				}
				if got := ta.stopped.Load(); got != want {
					t.Errorf("%d users ran OnStop, want the %d started", got, want)
				}
			})
		})
	}
}

// Ramping down stops the newest users first.
func TestRampDownStopsNewestFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		alive := map[int64]bool{}
		class := &locust.Class[*idUser]{
			Name: "A",
			New:  func() *idUser { return &idUser{mu: &mu, alive: alive} },
			Wait: locust.Constant(time.Hour),
			Tasks: []locust.Task[*idUser]{{Name: "noop", Weight: 1, Fn: func(*idUser, context.Context) error {
				return nil
			}}},
		}
		r := newRunner(t, locust.Config{Classes: []locust.UserClass{class}})
		if err := r.Start(10, 100); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := r.Start(4, 100); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		mu.Lock()
		var ids []int64
		for id := range alive {
			ids = append(ids, id)
		}
		mu.Unlock()
		slices.Sort(ids)
		if fmt.Sprint(ids) != "[0 1 2 3]" {
			t.Errorf("users left after ramp-down: %v, want the oldest [0 1 2 3]", ids)
		}
		stop(t, r)
	})
}

type idUser struct {
	mu    *sync.Mutex
	alive map[int64]bool
	id    int64
}

func (u *idUser) InitUser(env locust.UserEnv) error {
	u.id = env.ID
	u.mu.Lock()
	u.alive[u.id] = true
	u.mu.Unlock()
	return nil
}

func (u *idUser) OnStop(context.Context) {
	u.mu.Lock()
	delete(u.alive, u.id)
	u.mu.Unlock()
}

// Users are shared among classes by weight, fixed counts first, and the
// order is interleaved even at small counts.
func TestClassDistribution(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a, b, f tally
		r := newRunner(t, locust.Config{Classes: []locust.UserClass{
			counterClass("A", &a, locust.Constant(time.Hour)),
			func() locust.UserClass {
				c := counterClass("B", &b, locust.Constant(time.Hour))
				c.Weight = 5
				return c
			}(),
			func() locust.UserClass {
				c := counterClass("F", &f, locust.Constant(time.Hour))
				c.FixedCount = 2
				return c
			}(),
		}})
		if err := r.Start(3, 1); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := r.UserCounts(); got["F"] != 2 || got["B"] != 1 || got["A"] != 0 {
			t.Errorf("after 3 users: %v, want F:2 B:1 (fixed first)", got)
		}
		if err := r.Start(14, 100); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := r.UserCounts(); got["F"] != 2 || got["B"] != 10 || got["A"] != 2 {
			t.Errorf("after 14 users: %v, want F:2 B:10 A:2", got)
		}
		stop(t, r)
	})
}

// Task weights decide how often each task runs.
func TestTaskWeights(t *testing.T) {
	var counts [3]atomic.Int64
	class := &locust.Class[*struct{}]{
		Name: "W",
		New:  func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{
			{Name: "a", Weight: 1, Fn: func(*struct{}, context.Context) error { counts[0].Add(1); return nil }},
			{Name: "b", Weight: 3, Fn: func(*struct{}, context.Context) error { counts[1].Add(1); return nil }},
			{Name: "off", Weight: 0, Fn: func(*struct{}, context.Context) error { counts[2].Add(1); return nil }},
		},
	}
	const n = 40000
	res, err := locust.RunTest(context.Background(), locust.Config{Classes: []locust.UserClass{class}, Users: 4, SpawnRate: 100, Iterations: n, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != "iteration limit" {
		t.Errorf("reason %q", res.Reason)
	}
	a, b := counts[0].Load(), counts[1].Load()
	if a+b != n {
		t.Fatalf("%d task runs, want exactly %d", a+b, n)
	}
	if counts[2].Load() != 0 {
		t.Errorf("a weight-0 task ran %d times", counts[2].Load())
	}
	// Binomial(n, 1/4): sd = sqrt(n*3/16) ≈ 87; allow 5 sd.
	if d := a - n/4; d > 435 || d < -435 {
		t.Errorf("weight 1 of 4 ran %d of %d times, want %d ± 435", a, n, n/4)
	}
}

// A stop lets running tasks finish within the stop timeout, cancels them
// after it, stops waiting users at once, and runs OnStop for everyone.
func TestStopTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished, cancelled, stopped atomic.Int64
		slow := &locust.Class[*stopUser]{
			Name: "Slow",
			New:  func() *stopUser { return &stopUser{stopped: &stopped} },
			Tasks: []locust.Task[*stopUser]{{Name: "sleep", Weight: 1, Fn: func(u *stopUser, ctx context.Context) error {
				select {
				case <-time.After(u.d):
					finished.Add(1)
				case <-ctx.Done():
					cancelled.Add(1)
				}
				return nil
			}}},
		}
		idle := &locust.Class[*stopUser]{
			Name:  "Idle",
			New:   func() *stopUser { return &stopUser{stopped: &stopped} },
			Wait:  locust.Constant(time.Hour),
			Tasks: []locust.Task[*stopUser]{{Name: "noop", Weight: 1, Fn: func(*stopUser, context.Context) error { return nil }}},
		}
		next := []time.Duration{500 * time.Millisecond, 5 * time.Second}
		var i atomic.Int64
		slow.New = func() *stopUser { return &stopUser{stopped: &stopped, d: next[i.Add(1)-1]} }
		slow.FixedCount = 2
		r := newRunner(t, locust.Config{Classes: []locust.UserClass{slow, idle}, StopTimeout: 2 * time.Second})
		if err := r.Start(3, 100); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		start := time.Now()
		stop(t, r)
		if el := time.Since(start); el != 2*time.Second {
			t.Errorf("stop took %v, want the 2s stop timeout", el)
		}
		if finished.Load() != 1 || cancelled.Load() != 1 {
			t.Errorf("finished %d cancelled %d, want 1 and 1", finished.Load(), cancelled.Load())
		}
		if stopped.Load() != 3 {
			t.Errorf("OnStop ran %d times, want 3", stopped.Load())
		}
		if r.State() != locust.StateStopped {
			t.Errorf("state %v", r.State())
		}
	})
}

type stopUser struct {
	stopped *atomic.Int64
	d       time.Duration
}

func (u *stopUser) OnStop(context.Context) { u.stopped.Add(1) }

// The run-time limit ends the test by itself.
func TestRunTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ta tally
		start := time.Now()
		res, err := locust.RunTest(context.Background(), locust.Config{
			Classes: []locust.UserClass{counterClass("A", &ta, locust.ConstantPacing(time.Second))},
			Users:   5, SpawnRate: 5, RunTime: 9500 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el != 9500*time.Millisecond {
			t.Errorf("test took %v, want 9.5s", el)
		}
		if res.Reason != "run time limit" {
			t.Errorf("reason %q", res.Reason)
		}
		// Pacing of 1s: each user runs at t=0,1,...,9.
		if got := ta.runs.Load(); got != 50 {
			t.Errorf("%d task runs, want 50 (5 users x 10 s at 1/s)", got)
		}
		if res.Stats.Total.Requests != ta.runs.Load() {
			t.Errorf("stats counted %d, tasks recorded %d", res.Stats.Total.Requests, ta.runs.Load())
		}
	})
}

// A panic in a task is recorded as an exception with its stack and the
// user goes on; an error is recorded too.
func TestPanicIsRecordedAndUserGoesOn(t *testing.T) {
	var n atomic.Int64
	class := &locust.Class[*struct{}]{
		Name: "P",
		New:  func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "boom", Weight: 1, Fn: func(*struct{}, context.Context) error {
			switch n.Add(1) % 3 {
			case 0:
				panic("kaboom")
			case 1:
				return errors.New("plain error")
			}
			return nil
		}}},
	}
	var events atomic.Int64
	ev := &locust.Events{}
	ev.UserError.Add(func(locust.UserErrorEvent) { events.Add(1) })
	res, err := locust.RunTest(context.Background(), locust.Config{Classes: []locust.UserClass{class}, Users: 1, SpawnRate: 1, Iterations: 30, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	var panics, plain int64
	for _, e := range res.Stats.Exceptions {
		switch {
		case strings.Contains(e.Message, "kaboom"):
			panics += e.Count
			if !strings.Contains(e.Traceback, "runner_test.go") {
				t.Errorf("panic traceback lacks the task's frame:\n%s", e.Traceback)
			}
		case strings.Contains(e.Message, "plain error"):
			plain += e.Count
		}
	}
	if panics != 10 || plain != 10 {
		t.Errorf("recorded %d panics and %d errors, want 10 and 10", panics, plain)
	}
	if events.Load() != 20 {
		t.Errorf("UserError fired %d times, want 20", events.Load())
	}
}

// Conservation: every sample recorded by users, also by those stopped in
// the middle of their task, is in the final stats exactly once.
func TestConservationAcrossStop(t *testing.T) {
	var recorded, failed atomic.Int64
	class := &locust.Class[*struct{}]{
		Name: "C",
		New:  func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "rec", Weight: 1, Fn: func(_ *struct{}, ctx context.Context) error {
			for i := range 5 {
				var err error
				if i == 4 {
					err = errors.New("fifth fails")
					failed.Add(1)
				}
				locust.Record(ctx, locust.Sample{Type: "op", Name: fmt.Sprint("n", i), Duration: time.Duration(i+1) * time.Millisecond, Size: 10, Err: err})
				recorded.Add(1)
				time.Sleep(time.Microsecond * 50)
			}
			return nil
		}}},
	}
	r := newRunner(t, locust.Config{Classes: []locust.UserClass{class}})
	if err := r.Start(50, 1000); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	stop(t, r)
	s := r.Snapshot()
	if s.Total.Requests != recorded.Load() || s.Total.Failures != failed.Load() {
		t.Errorf("stats %d requests %d failures, recorded %d and %d", s.Total.Requests, s.Total.Failures, recorded.Load(), failed.Load())
	}
	if s.Total.ContentBytes != 10*recorded.Load() {
		t.Errorf("content %d, want %d", s.Total.ContentBytes, 10*recorded.Load())
	}
	var sum int64
	for _, e := range s.Entries {
		sum += e.Requests
	}
	if sum != recorded.Load() {
		t.Errorf("entries sum to %d, want %d", sum, recorded.Load())
	}
	if recorded.Load() == 0 {
		t.Fatal("nothing recorded")
	}
}

// A load shape drives the user count, is ticked every second even while
// a slow ramp is in progress, and ends the test.
func TestLoadShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ta tally
		var ticks []time.Duration
		shape := locust.ShapeFunc(func(el time.Duration) (locust.ShapeStep, bool) {
			ticks = append(ticks, el)
			switch {
			case el < 3*time.Second:
				return locust.ShapeStep{Users: 100, SpawnRate: 1}, true // slow ramp
			case el < 6*time.Second:
				return locust.ShapeStep{Users: 1, SpawnRate: 10}, true
			}
			return locust.ShapeStep{}, false
		})
		r := newRunner(t, locust.Config{Classes: []locust.UserClass{counterClass("A", &ta, locust.Constant(time.Hour))}})
		if err := r.StartShape(shape); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		if got := r.UserCount(); got != 3 {
			t.Errorf("at 2.5s: %d users, want 3", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := r.UserCount(); got != 1 {
			t.Errorf("at 3.5s: %d users, want 1 (the shape is not blocked by the slow ramp)", got)
		}
		if err := r.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r.EndReason() != "load shape ended" {
			t.Errorf("reason %q", r.EndReason())
		}
		if len(ticks) != 7 {
			t.Errorf("shape ticked at %v, want 0s..6s", ticks)
		}
	})
}

// Nested task sets: OnStart/OnStop, interrupt back to the parent, and
// sequential order.
func TestTaskSets(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	add := func(s string) {
		mu.Lock()
		trace = append(trace, s)
		mu.Unlock()
	}
	step := func(name string) func(*struct{}, context.Context) error {
		return func(*struct{}, context.Context) error { add(name); return nil }
	}
	seq := &locust.TaskSet[*struct{}]{
		Name:       "checkout",
		Sequential: true,
		OnStart:    func(*struct{}, context.Context) error { add("start"); return nil },
		OnStop:     func(*struct{}, context.Context) { add("stop") },
		Tasks: []locust.Task[*struct{}]{
			{Name: "cart", Weight: 2, Fn: step("cart")},
			{Name: "pay", Weight: 1, Fn: step("pay")},
			{Name: "done", Weight: 1, Fn: func(*struct{}, context.Context) error { add("done"); return locust.Interrupt(true) }},
		},
	}
	class := &locust.Class[*struct{}]{
		Name:  "S",
		New:   func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "checkout", Weight: 1, Set: seq}},
	}
	var waits atomic.Int64
	class.Wait = func(locust.WaitInfo) time.Duration { waits.Add(1); return 0 }
	res, err := locust.RunTest(context.Background(), locust.Config{Classes: []locust.UserClass{class}, Users: 1, SpawnRate: 1, Iterations: 8})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(trace, " ")
	want := "start cart cart pay done stop start cart cart pay done stop"
	if got != want {
		t.Errorf("trace\n got %s\nwant %s", got, want)
	}
	if len(res.Stats.Exceptions) != 0 {
		t.Errorf("exceptions: %+v", res.Stats.Exceptions)
	}
	// Within the set: a wait after cart, cart, pay (3 per round); the
	// interrupt with reschedule skips the wait after done and the parent's.
	if got := waits.Load(); got != 6 {
		t.Errorf("%d waits, want 6", got)
	}
}

func TestBadConfig(t *testing.T) {
	ok := func() *locust.Class[*struct{}] {
		return &locust.Class[*struct{}]{Name: "A", New: func() *struct{} { return &struct{}{} },
			Tasks: []locust.Task[*struct{}]{{Name: "t", Weight: 1, Tags: []string{"x"}, Fn: func(*struct{}, context.Context) error { return nil }}}}
	}
	tests := []struct {
		name string
		cfg  func() locust.Config
		want string
	}{
		{"no classes", func() locust.Config { return locust.Config{} }, "Config.Classes is empty"},
		{"negative users", func() locust.Config { return locust.Config{Classes: []locust.UserClass{ok()}, Users: -1} }, "Config.Users is -1"},
		{"rate zero", func() locust.Config { return locust.Config{Classes: []locust.UserClass{ok()}, Users: 1} }, "Config.SpawnRate is 0"},
		{"rate NaN", func() locust.Config {
			nan := 0.0
			return locust.Config{Classes: []locust.UserClass{ok()}, Users: 1, SpawnRate: nan / nan}
		}, "Config.SpawnRate is NaN"},
		{"no tasks", func() locust.Config {
			c := ok()
			c.Tasks = nil
			return locust.Config{Classes: []locust.UserClass{c}}
		}, `user class "A": Tasks is empty`},
		{"weights all zero", func() locust.Config {
			c := ok()
			c.Tasks[0].Weight = 0
			return locust.Config{Classes: []locust.UserClass{c}}
		}, "every task has weight 0"},
		{"negative weight", func() locust.Config {
			c := ok()
			c.Tasks[0].Weight = -2
			return locust.Config{Classes: []locust.UserClass{c}}
		}, `Tasks[0] ("t"): Weight is -2`},
		{"tag matches nothing", func() locust.Config {
			return locust.Config{Classes: []locust.UserClass{ok()}, Tags: []string{"nope"}}
		}, `no task is left after tag filtering`},
		{"excluded all", func() locust.Config {
			return locust.Config{Classes: []locust.UserClass{ok()}, ExcludeTags: []string{"x"}}
		}, `no task is left after tag filtering`},
		{"duplicate names", func() locust.Config {
			return locust.Config{Classes: []locust.UserClass{ok(), ok()}}
		}, "names must be unique"},
		{"no New", func() locust.Config {
			c := ok()
			c.New = nil
			return locust.Config{Classes: []locust.UserClass{c}}
		}, "New is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := locust.NewLocalRunner(tt.cfg())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// An OnStart error stops that user and is reported.
func TestOnStartErrorStopsUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int64
		class := &locust.Class[*failStart]{
			Name:  "F",
			New:   func() *failStart { return &failStart{} },
			Tasks: []locust.Task[*failStart]{{Name: "t", Weight: 1, Fn: func(*failStart, context.Context) error { runs.Add(1); return nil }}},
		}
		r := newRunner(t, locust.Config{Classes: []locust.UserClass{class}})
		if err := r.Start(3, 10); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if r.UserCount() != 0 || runs.Load() != 0 {
			t.Errorf("%d users running, %d task runs; want 0", r.UserCount(), runs.Load())
		}
		stop(t, r)
		s := r.Snapshot()
		if len(s.Exceptions) != 1 || s.Exceptions[0].Count != 3 || !strings.Contains(s.Exceptions[0].Message, "no login") {
			t.Errorf("exceptions %+v", s.Exceptions)
		}
	})
}

type failStart struct{}

func (failStart) OnStart(context.Context) error { return errors.New("no login") }

// Absolute per-class targets, as a worker receives them.
func TestStartClasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a, b tally
		r := newRunner(t, locust.Config{Classes: []locust.UserClass{
			counterClass("A", &a, locust.Constant(time.Hour)), counterClass("B", &b, locust.Constant(time.Hour))}})
		if err := r.StartClasses(map[string]int{"A": 3, "B": 1}, 100); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := r.UserCounts(); got["A"] != 3 || got["B"] != 1 {
			t.Errorf("counts %v, want A:3 B:1", got)
		}
		if err := r.StartClasses(map[string]int{"A": 1, "B": 2}, 100); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := r.UserCounts(); got["A"] != 1 || got["B"] != 2 {
			t.Errorf("counts %v, want A:1 B:2", got)
		}
		if err := r.StartClasses(map[string]int{"Nope": 1}, 1); err == nil || !strings.Contains(err.Error(), `unknown user class "Nope"`) {
			t.Errorf("error %v", err)
		}
		stop(t, r)
	})
}

// Interrupt(false) returns to the parent, which waits its own wait time
// before its next pick; the child's wait is not used.
func TestInterruptWaitsInParent(t *testing.T) {
	var parentWaits, childWaits atomic.Int64
	leave := &locust.TaskSet[*struct{}]{
		Name: "leave",
		Wait: func(locust.WaitInfo) time.Duration { childWaits.Add(1); return 0 },
		Tasks: []locust.Task[*struct{}]{{Name: "out", Weight: 1, Fn: func(*struct{}, context.Context) error {
			return locust.Interrupt(false)
		}}},
	}
	class := &locust.Class[*struct{}]{
		Name:  "I",
		New:   func() *struct{} { return &struct{}{} },
		Wait:  func(locust.WaitInfo) time.Duration { parentWaits.Add(1); return 0 },
		Tasks: []locust.Task[*struct{}]{{Name: "leave", Weight: 1, Set: leave}},
	}
	if _, err := locust.RunTest(context.Background(), locust.Config{Classes: []locust.UserClass{class}, Users: 1, SpawnRate: 1, Iterations: 5}); err != nil {
		t.Fatal(err)
	}
	if parentWaits.Load() < 4 || childWaits.Load() != 0 {
		t.Errorf("parent waited %d times, child %d; want 4+ and 0", parentWaits.Load(), childWaits.Load())
	}
}

type pool struct{ closed *atomic.Int64 }

func (p *pool) Close() error { p.closed.Add(1); return nil }

type pooledUser struct {
	p       *pool
	creates *atomic.Int64
	closed  *atomic.Int64
}

func (u *pooledUser) InitUser(env locust.UserEnv) error {
	type key struct{}
	u.p = env.Shared(key{}, func() any { u.creates.Add(1); return &pool{closed: u.closed} }).(*pool)
	return nil
}

// UserEnv.Shared gives every user of a test the same value, made once,
// and closes it when the test stops.
func TestSharedValuesAreSharedAndClosed(t *testing.T) {
	var creates, closed atomic.Int64
	class := &locust.Class[*pooledUser]{
		Name:  "P",
		New:   func() *pooledUser { return &pooledUser{creates: &creates, closed: &closed} },
		Wait:  locust.Constant(time.Hour),
		Tasks: []locust.Task[*pooledUser]{{Name: "t", Weight: 1, Fn: func(*pooledUser, context.Context) error { return nil }}},
	}
	r := newRunner(t, locust.Config{Classes: []locust.UserClass{class}})
	if err := r.Start(20, 1000); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "20 users running", 10*time.Second, func() bool { return r.State() == locust.StateRunning })
	stop(t, r)
	if creates.Load() != 1 || closed.Load() != 1 {
		t.Errorf("created %d, closed %d; want 1 and 1 for 20 users", creates.Load(), closed.Load())
	}
}
