package locust

import (
	"context"
	"math/rand/v2"
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
	stopCh      chan struct{} // closed at the graceful stop
	rand        *rand.Rand
	timer       *time.Timer
	lastWaitEnd time.Time
	gone        bool          // stopped or exited; guarded by r.mu
	pace        time.Duration // set by ConstantPacing through WaitInfo

	// Arrival-rate mode (arrival_run.go); arr is nil in the closed model.
	arr                  *arrivalPool
	first                time.Time // the arrival that made this user, taken first
	iterSched, iterStart time.Time // the current iteration's due and actual start
}

func (u *userRT) stopping() bool {
	select {
	case <-u.stopCh:
		return true
	default:
		return false
	}
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
	info := u.waitInfo(time.Now())
	u.pace, info.pace = 0, &u.pace
	d := wt(info)
	if u.pace > 0 {
		// A paced user's next task is due one pace after the previous
		// start; it comes late by however much the task overran.
		u.r.stats.sched.paced(u.id, max(0, info.SinceLastWait-u.pace), u.pace)
	}
	if d <= 0 {
		u.markWaitEnd()
		return !u.stopping()
	}
	if u.timer == nil {
		u.timer = time.NewTimer(d)
	} else {
		u.timer.Reset(d)
	}
	select {
	case <-u.timer.C:
		u.markWaitEnd()
		return true
	case <-u.stopCh:
		u.timer.Stop()
		return false
	}
}

func (u *userRT) markWaitEnd() { u.lastWaitEnd = time.Now() }

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
		u.t.iterationsReached()
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
	return UserEnv{Class: u.class.cc.name, ID: u.id, Host: host, Rand: u.rand, Users: u.r.targetUsers(), shared: &u.t.shared}
}

// onStopContext is the context of OnStop hooks: not cancelled by the stop
// itself, but bounded by the stop timeout plus a grace period.
func (u *userRT) onStopContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(u.ctx), u.r.cfg.StopTimeout+onStopGrace)
}

// onStopGrace is how long OnStop hooks may run beyond the stop timeout.
const onStopGrace = 5 * time.Second
