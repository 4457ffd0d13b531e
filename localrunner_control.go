package locust

// The LocalRunner as others steer and observe it: the web UI (the target
// host of the next test), a worker's master (classes, state, host, stop
// timeout, rate ceiling, arrival-rate parts), the verdict and the
// generator's health. Its lifecycle is in localrunner.go.

import (
	"errors"
	"log/slog"
	"time"

	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/internal/dispatch"
)

func (r *LocalRunner) webuiHost() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.host
}

// webuiSetHost sets the host of the next test; no user runs now: users
// read the host when they start, after start() takes the same lock.
func (r *LocalRunner) webuiSetHost(host string) {
	r.mu.Lock()
	r.host = host
	r.mu.Unlock()
}

// Health returns the generator's health during the current or last test.
func (r *LocalRunner) Health() Health {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	return r.health
}

// Verdict evaluates Config.Thresholds for the current or last test: the
// end-of-test thresholds over the statistics now, the rolling ones as
// checked while the test ran (a rolling threshold fails if any of its
// checks failed), and whether an abort rule stopped the test.
func (r *LocalRunner) Verdict() Verdict {
	return r.verdictOf(r.Snapshot())
}

// verdictOf is Verdict over the snapshot s (the web UI's, so that its
// statistics and verdict agree).
func (r *LocalRunner) verdictOf(s *Snapshot) Verdict {
	r.healthMu.Lock()
	w := r.rolling
	r.healthMu.Unlock()
	return verdictOf(s, r.cfg.Thresholds, w)
}

// workerArrival starts this worker's part of a distributed arrival-rate
// test, or, when one runs, hands its scheduler the new part (workers
// joined or left).
func (r *LocalRunner) workerArrival(s *distributed.Spawn, idle bool) error {
	a := Arrival{Rate: s.Arrival.Rate, PreAllocated: s.Arrival.PreAllocated, MaxUsers: s.Arrival.MaxUsers}
	for _, st := range s.Arrival.Stages {
		a.Stages = append(a.Stages, RateStage{Duration: st.Duration, Target: st.Target})
	}
	if err := a.validate(); err != nil {
		return err
	}
	parts, err := a.Split(s.Part.Of)
	if err != nil {
		return err
	}
	p := parts[s.Part.Index]
	origin, from := time.Unix(0, s.Arrival.Start), time.Unix(0, s.Arrival.From)
	if idle {
		return r.start(rampCmd{arrival: &p, origin: origin, from: from})
	}
	_, mx := p.poolSizes()
	dc := make([]dispatch.Class, len(r.classes))
	for i, rc := range r.classes {
		dc[i] = dispatch.Class{Weight: rc.cc.weight}
	}
	r.mu.Lock()
	t := r.test
	var ar *arrivalRT
	if t != nil {
		ar = t.arrival
	}
	r.mu.Unlock()
	if ar == nil {
		return errors.New("the master re-split an arrival-rate schedule, but no arrival-rate test runs here")
	}
	ar.resplit(&arrivalSplit{part: p.Part, maxBy: dispatch.Counts(dc, mx), from: from})
	return nil
}

// workerSetMaxRPS changes the running test's request-rate ceiling to
// perSec (a worker's new share); a test started without one keeps none.
func (r *LocalRunner) workerSetMaxRPS(perSec float64) {
	r.mu.Lock()
	t := r.test
	r.mu.Unlock()
	if t == nil || perSec <= 0 {
		return
	}
	if l, _ := t.ctx.Value(limitKey{}).(*rateLimiter); l != nil {
		l.setRate(perSec)
	}
}

// workerConfigure sets the host, stop timeout and request-rate ceiling
// a master sends; call it only while no test runs.
func (r *LocalRunner) workerConfigure(host string, stopTimeout time.Duration, maxRPS float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if host != "" {
		r.host = host
	} else {
		r.host = r.cfg.Host
	}
	r.cfg.StopTimeout = stopTimeout
	r.cfg.MaxRPS = maxRPS
}

// classNames returns the names of the runner's classes, in order.
func (r *LocalRunner) classNames() []string {
	names := make([]string, len(r.classes))
	for i, c := range r.classes {
		names[i] = c.cc.name
	}
	return names
}

// idle reports whether no test runs (ready or stopped).
func (r *LocalRunner) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == StateReady || r.state == StateStopped
}

// workerStatus is the runner's state and users as a worker reports them.
func (r *LocalRunner) workerStatus() distributed.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := make(map[string]int, len(r.classes))
	users := 0
	for i, c := range r.classes {
		counts[c.cc.name] = r.counts[i]
		users += r.counts[i]
	}
	// A stopped worker is ready for the next test, and says so as Locust's
	// workers do (they re-announce client_ready after a stop): the master's
	// Workers tab shows "ready", not "stopped", between tests.
	state := r.state
	if state == StateStopped {
		state = StateReady
	}
	return distributed.Status{State: state.String(), Users: users, Counts: counts}
}

// logger returns the runner's logger.
func (r *LocalRunner) logger() *slog.Logger { return r.log }
