package locust

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golocust/locust/internal/dispatch"
)

// arrivalRT runs the schedule of one arrival-rate test: a goroutine that
// wakes at each due time and hands the arrival to a free pooled user of
// the next class, grows the pool, or counts a drop.
type arrivalRT struct {
	r     *LocalRunner
	t     *testRun
	cfg   Arrival
	plan  *arrivalPlan
	pools []arrivalPool // per class index
	seq   []int         // classes by weight, cycled: which class takes arrival k
	stop  chan struct{}
	done  chan struct{}
	ended chan struct{} // closed when the schedule has no more arrivals
	once  sync.Once
}

// arrivalPool is the pool of one class.
type arrivalPool struct {
	// work hands an arrival's due time to a user waiting for one; it is
	// unbuffered, so a send succeeds only when a user is free.
	work chan time.Time
	size int // users in the pool; guarded by LocalRunner.mu
	max  int
}

// StartArrival starts a test in the open model: iterations start on the
// schedule of a (see [Arrival] for what an iteration is), taken by users
// from a pool of a.PreAllocated users that grows up to a.MaxUsers. The
// test ends after the last stage, at Config.RunTime or Config.Iterations,
// or by Stop. It returns at once. A running test cannot be switched to
// or from arrival-rate mode.
func (r *LocalRunner) StartArrival(a Arrival) error {
	if err := a.validate(); err != nil {
		return err
	}
	a.Stages = append([]RateStage(nil), a.Stages...)
	return r.start(rampCmd{arrival: &a})
}

// startArrival pre-allocates the pool and starts the scheduler; it returns
// the channel closed when the schedule ends. Called by the supervisor.
func (r *LocalRunner) startArrival(t *testRun, a Arrival) <-chan struct{} {
	pre, mx := a.poolSizes()
	dc := make([]dispatch.Class, len(r.classes))
	total := 0
	for i, rc := range r.classes {
		dc[i] = dispatch.Class{Weight: rc.cc.weight}
		total += rc.cc.weight
	}
	ar := &arrivalRT{r: r, t: t, cfg: a, plan: newArrivalPlan(a), pools: make([]arrivalPool, len(r.classes)),
		seq: dispatch.Sequence(dc, total), stop: make(chan struct{}), done: make(chan struct{}), ended: make(chan struct{})}
	preBy, maxBy := dispatch.Counts(dc, pre), dispatch.Counts(dc, mx)
	r.mu.Lock()
	t.arrival = ar
	for c := range ar.pools {
		ar.pools[c] = arrivalPool{work: make(chan time.Time), max: max(1, maxBy[c])}
	}
	for c := range ar.pools {
		for range min(preBy[c], ar.pools[c].max) {
			r.spawnLocked(t, c, time.Time{})
		}
	}
	r.target = pre
	r.state = StateRunning
	r.mu.Unlock()
	r.log.Info("arrival-rate test started", "rate", a.Rate, "stages", len(a.Stages), "pre_allocated", pre, "max_users", mx,
		"part", a.Part.Index, "of", max(1, a.Part.Of))
	go ar.run()
	return ar.ended
}

// run is the scheduler goroutine.
func (a *arrivalRT) run() {
	defer close(a.done)
	of := max(1, a.cfg.Part.Of)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for k := 0; ; k++ {
		due, ok := a.plan.at(float64(a.cfg.Part.Index + k*of))
		if !ok {
			close(a.ended)
			return
		}
		when := a.t.start.Add(due)
		if d := time.Until(when); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-a.stop:
				return
			}
		} else {
			select {
			case <-a.stop:
				return
			default:
			}
		}
		a.dispatch(a.seq[k%len(a.seq)], when)
	}
}

// dispatch hands an arrival of class c due at when to a free user, else
// to a new user while the pool may grow, else counts it dropped.
func (a *arrivalRT) dispatch(c int, when time.Time) {
	p := &a.pools[c]
	select {
	case p.work <- when:
		a.r.stats.sched.arrival(false)
		return
	default:
	}
	a.r.mu.Lock()
	grow := p.size < p.max && a.r.state != StateStopping
	if grow {
		a.r.spawnLocked(a.t, c, when)
	}
	a.r.mu.Unlock()
	a.r.stats.sched.arrival(!grow)
}

// halt stops the scheduler and waits for it.
func (a *arrivalRT) halt() {
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

// awaitArrival waits for the next arrival handed to this user and records
// its lag; it reports false when the user must stop instead.
func (u *userRT) awaitArrival() bool {
	sched := u.first
	if !sched.IsZero() {
		u.first = time.Time{}
	} else {
		select {
		case sched = <-u.arr.work:
		case <-u.stopCh:
			return false
		}
	}
	now := time.Now()
	u.iterSched, u.iterStart = sched, now
	u.lastWaitEnd = now
	u.r.stats.sched.started(u.id, now.Sub(sched))
	return true
}

// arrivalDone records the iteration's response time (from its due time)
// and service time (from its actual start).
func (u *userRT) arrivalDone() {
	now := time.Now()
	u.r.stats.sched.finished(u.id, now.Sub(u.iterSched), now.Sub(u.iterStart))
}

// validateOpen checks the open-model, threshold and limit fields of c.
func (c *Config) validateOpen() error {
	if c.Arrival != nil {
		if c.Shape != nil {
			return errors.New("Config.Arrival and Config.Shape are both set: a test is driven either by an arrival rate or by a load shape")
		}
		if err := c.Arrival.validate(); err != nil {
			return err
		}
	}
	if c.MaxRPS < 0 || !arrivalValidRate(c.MaxRPS) {
		return errors.New("Config.MaxRPS must be a finite number of requests per second >= 0 (0: no limit)")
	}
	for i, th := range c.Thresholds {
		if err := th.validate(); err != nil {
			return fmt.Errorf("Config.Thresholds[%d]: %w", i, err)
		}
	}
	return nil
}
