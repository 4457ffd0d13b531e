package locust

import (
	"errors"
	"fmt"
	"sync"
	"time"
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

	origin time.Time // when arrival 0 is due
	from   time.Time // arrivals due before it are not this runner's

	// A re-split of a distributed test (workers joined or left), applied
	// by the scheduler goroutine at its from time.
	splitMu sync.Mutex
	split   *arrivalSplit
	wake    chan struct{} // capacity 1: a split is pending
}

// arrivalSplit is a new part of the schedule taking effect at from.
type arrivalSplit struct {
	part  ArrivalPart
	maxBy []int // pool bounds per class
	from  time.Time
}

// arrivalPool is the pool of one class.
type arrivalPool struct {
	// work hands an arrival's due time to a user waiting for one; it is
	// unbuffered, so a send succeeds only when a user is free.
	work chan time.Time
	size int // users in the pool; guarded by LocalRunner.mu
	max  int
}

// run is the scheduler goroutine.
func (a *arrivalRT) run() {
	defer close(a.done)
	part := a.cfg.Part
	of := max(1, part.Of)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	n, ok := a.firstFrom(part, a.from)
	for k := 0; ; {
		if !ok {
			close(a.ended)
			return
		}
		due, ok2 := a.plan.at(float64(n))
		when := a.origin.Add(due)
		if s := a.pendingSplit(); s != nil && (!ok2 || !when.Before(s.from)) {
			// The new part takes over the arrivals due from s.from on.
			a.applySplit(s)
			part, of = s.part, max(1, s.part.Of)
			n, ok = a.firstFrom(part, s.from)
			continue
		}
		if !ok2 {
			close(a.ended)
			return
		}
		if d := time.Until(when); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-a.wake:
				// A re-split arrived: look at it before this arrival.
				timer.Stop()
				continue
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
		k++
		n += of
	}
}

// firstFrom returns the first arrival of part due at or after from (the
// whole part for a zero from), and false when the schedule ends before.
func (a *arrivalRT) firstFrom(p ArrivalPart, from time.Time) (int, bool) {
	of := max(1, p.Of)
	lo := 0 // arrivals before lo are due before from
	if !from.IsZero() && from.After(a.origin) {
		due := func(n int) bool { // arrival n is due at or after from
			d, ok := a.plan.at(float64(n))
			return !ok || !a.origin.Add(d).Before(from)
		}
		hi := 1
		for !due(hi) {
			lo, hi = hi, hi*2
		}
		for lo < hi { // smallest n in [lo, hi] that is due
			mid := lo + (hi-lo)/2
			if due(mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
	}
	n := lo + ((p.Index-lo)%of+of)%of // smallest n >= lo with n % of == Index
	_, ok := a.plan.at(float64(n))
	return n, ok
}

// resplit hands the scheduler a new part, applied at from.
func (a *arrivalRT) resplit(s *arrivalSplit) {
	a.splitMu.Lock()
	a.split = s
	a.splitMu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// pendingSplit returns the re-split waiting to apply, if any.
func (a *arrivalRT) pendingSplit() *arrivalSplit {
	a.splitMu.Lock()
	defer a.splitMu.Unlock()
	return a.split
}

// applySplit makes s the current part and sets the pools' bounds.
func (a *arrivalRT) applySplit(s *arrivalSplit) {
	a.splitMu.Lock()
	if a.split == s {
		a.split = nil
		select {
		case <-a.wake:
		default:
		}
	}
	a.splitMu.Unlock()
	a.r.mu.Lock()
	for c := range a.pools {
		if c < len(s.maxBy) {
			a.pools[c].max = max(1, s.maxBy[c])
		}
	}
	a.r.mu.Unlock()
	a.r.log.Info("arrival-rate schedule re-split", "part", s.part.Index, "of", s.part.Of, "from", s.from)
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
		a.r.spawnLocked(a.t, c, when, 0)
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
	if err := c.validateAllowedHosts(); err != nil {
		return err
	}
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
