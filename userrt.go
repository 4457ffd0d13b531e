package locust

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// userRT is the runtime state of one simulated user, owned by its
// goroutine except for the fields the runner sets before starting it.
type userRT struct {
	r           *LocalRunner
	t           *testRun
	hardStop    *time.Timer // cancels ctx after the stop timeout; guarded by r.mu
	class       *runClass
	id          int64
	ctx         context.Context // task context: cancelled at the hard stop
	cancel      context.CancelFunc
	stopCh      chan struct{} // closed at the graceful stop, after stopped is set
	stopped     atomic.Bool   // set at the graceful stop (signalStop)
	rand        *rand.Rand    // &randv, or another source
	randv       rand.Rand     // with pcg: the user's random source, in this struct
	pcg         rand.PCG
	timer       atomic.Pointer[time.Timer] // the think-time timer, made at the first wait
	lastWaitEnd time.Time
	gone        bool          // stopped or exited; guarded by r.mu
	pace        time.Duration // set by ConstantPacing through WaitInfo

	// Arrival-rate mode (arrival_run.go); arr is nil in the closed model.
	arr                  *arrivalPool
	first                time.Time // the arrival that made this user, taken first
	iterSched, iterStart time.Time // the current iteration's due and actual start
}

// stopping reports whether the user was asked to stop. It reads a flag
// of this struct rather than polling stopCh: with many users, every
// object a user touches per task is a cache miss.
func (u *userRT) stopping() bool { return u.stopped.Load() }

// signalStop asks the user to stop: it sets stopped, closes stopCh and
// wakes the user if it waits.
func (u *userRT) signalStop() {
	u.stopped.Store(true)
	close(u.stopCh)
	u.wake()
}

// seedRand gives the user its random source, held in u itself, and makes
// it reachable from the user's context with [Rand]. Call it once, after
// u.ctx is set and before the user starts.
func (u *userRT) seedRand(seed, id uint64) {
	u.pcg.Seed(seed, id)
	u.randv = *rand.New(&u.pcg)
	u.rand = &u.randv
	u.ctx = context.WithValue(u.ctx, randKey{}, u.rand)
}

// wait sleeps the think time of wt; it reports false if the user was
// stopped meanwhile.
func (u *userRT) wait(wt WaitTime) bool {
	if u.arr != nil {
		// Arrival-rate mode: the next arrival, not a think time, starts
		// the next task (awaitArrival).
		u.markWaitEnd()
		return !u.stopping()
	}
	if wt == nil {
		wt = u.class.cc.wait
	}
	if wt == nil {
		u.markWaitEnd()
		return !u.stopping()
	}
	now := monoNow()
	info := u.waitInfo(now)
	u.pace, info.pace = 0, &u.pace
	d := wt(info)
	if u.pace > 0 {
		// A paced user's next task is due one pace after the previous
		// start; it comes late by however much the task overran.
		u.r.stats.sched.paced(u.id, max(0, info.SinceLastWait-u.pace), u.pace)
	}
	if d <= 0 {
		// No wait: it ended when it began (a clock read is a sizeable
		// part of a closed loop's task run on some VMs).
		u.lastWaitEnd = now
		return !u.stopping()
	}
	// One channel to wait on rather than a select of the timer and
	// stopCh, which costs a thinking user more than its request's own
	// bookkeeping: a stop wakes the user by firing the timer (wake). The
	// timer is armed before the stop flag is checked, so that a stop
	// either finds the armed timer or is seen by the check.
	t := u.timer.Load()
	if t == nil {
		t = time.NewTimer(d)
		u.timer.Store(t)
	} else {
		t.Reset(d)
	}
	if u.stopping() {
		t.Stop()
		return false
	}
	<-t.C
	if u.stopping() {
		return false
	}
	u.markWaitEnd()
	return true
}

// awaitStart waits d before the user's first task (spawnDelay); it
// reports false if the user was stopped first, in which case it never
// starts (no New, no OnStart).
func (u *userRT) awaitStart(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		u.markWaitEnd()
		return !u.stopping()
	case <-u.stopCh:
		return false
	}
}

// wake ends the user's think time at once (signalStop).
func (u *userRT) wake() {
	if t := u.timer.Load(); t != nil {
		t.Reset(0)
	}
}

func (u *userRT) markWaitEnd() { u.lastWaitEnd = monoNow() }

// takeIteration reserves one task run under Config.Iterations.
func (u *userRT) takeIteration() bool {
	limit := u.r.cfg.Iterations
	if limit <= 0 {
		return true
	}
	return u.t.iterations.Add(1) <= limit
}

// iterationDone counts a finished task run under Config.Iterations; the
// test ends when the last one has finished, so that no run is cut short.
func (u *userRT) iterationDone() {
	limit := u.r.cfg.Iterations
	if limit > 0 && u.t.completed.Add(1) == limit {
		u.t.end.request(EndIterations)
	}
}

// iterationsExhausted reports whether Config.Iterations task runs have
// all been taken.
func (u *userRT) iterationsExhausted() bool {
	limit := u.r.cfg.Iterations
	return limit > 0 && u.t.iterations.Load() >= limit
}

// exception records an error or panic raised by user code.
func (u *userRT) exception(what string, err error, traceback string) {
	msg := err.Error()
	u.r.stats.RecordException(msg, traceback)
	u.r.events.UserError.Fire(UserErrorEvent{Class: u.class.cc.name, Task: what, Err: err, Stack: traceback})
	if what == "New" {
		// A user that cannot start (no host, failed login) is worth
		// saying at once, but only once per distinct error.
		if _, seen := u.r.setupErrors.LoadOrStore(msg, true); !seen {
			u.r.log.Error("a user could not start (further identical errors are counted, not logged)", "class", u.class.cc.name, "error", msg)
		}
		return
	}
	u.r.log.Debug("user error", "class", u.class.cc.name, "task", what, "error", msg)
}

func (u *userRT) env() UserEnv {
	host := u.r.host
	if host == "" {
		host = u.class.cc.host
	}
	return UserEnv{Class: u.class.cc.name, ID: u.id, Host: host, Rand: u.rand, Users: u.r.targetUsers(), shared: &u.t.shared, tracing: u.r.cfg.Tracing}
}

// onStopContext is the context of OnStop hooks: not cancelled by the stop
// itself, but bounded by the stop timeout plus a grace period.
func (u *userRT) onStopContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(u.ctx), u.r.cfg.StopTimeout+onStopGrace)
}

// onStopGrace is how long OnStop hooks may run beyond the stop timeout.
const onStopGrace = 5 * time.Second
