package locust

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/webui"
)

// MasterRunner drives a cluster of workers: it owns no users, dispatches
// per-worker, per-class targets and merges the workers' statistics into
// one view whose percentiles are those of a single process that saw every
// sample. Create it with [NewMasterRunner]; it implements [Runner], and
// all methods are safe for concurrent use.
type MasterRunner struct {
	cfg   Config
	stats *Stats
	// workerLogs keeps the log lines the workers forward, for the web
	// UI's Logs tab.
	workerLogs *webui.WorkerLogRing
	events     *Events
	log        *slog.Logger
	m          *distributed.Master

	mu      sync.Mutex
	state   State
	test    *masterTest
	closed  bool
	rolling *thWatch // rolling and abort thresholds of the current test
	// options are the program options the workers get with the next
	// test (webuiSetOptions); nil: the workers keep their own.
	options atomic.Pointer[map[string]string]
}

type masterTest struct {
	start   time.Time
	end     *testEnd
	shaped  bool
	first   bool          // the first ramp has not completed yet (for ResetStats)
	arrival time.Duration // an arrival-rate test's schedule length; 0: none or endless
	open    bool          // an arrival-rate test
}

// NewMasterRunner validates cfg, starts listening for workers and returns
// a master in the ready state. Config.Iterations is not supported in
// distributed mode yet.
func NewMasterRunner(cfg Config, opts MasterOptions) (*MasterRunner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Iterations > 0 {
		return nil, errors.New("Config.Iterations is not supported by a distributed test yet: use RunTime")
	}
	classes, err := compileClasses(cfg.Classes, tagFilter{include: cfg.Tags, exclude: cfg.ExcludeTags})
	if err != nil {
		return nil, err
	}
	r := &MasterRunner{cfg: cfg, log: cfg.Logger, events: cfg.Events, stats: NewStats("master"), workerLogs: webui.NewWorkerLogRing(0)}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.events == nil {
		r.events = &Events{}
	}
	r.events.setLogger(r.log)
	dc := make([]distributed.Class, len(classes))
	for i, c := range classes {
		dc[i] = distributed.Class{Name: c.cc.name, Weight: c.cc.weight, Fixed: c.cc.fixedCount}
	}
	r.m, err = distributed.NewMaster(distributed.MasterConfig{
		Listener: opts.Listener, Addr: opts.Addr, Token: opts.Token, TLS: opts.TLS, Classes: dc,
		HeartbeatInterval: opts.HeartbeatInterval, NoRebalance: opts.NoRebalance, ReadLimit: opts.ReadLimit,
		AllowedHosts: cfg.AllowedHosts, OnReport: r.merge, OnRampDone: r.rampDone, OnLogs: r.workerLogs.Add, Logger: r.log, OnWorkerEvent: workerAuditor(opts.Audit, r.log),
	})
	if err != nil {
		return nil, err
	}
	r.events.Init.Fire(InitEvent{Runner: r})
	return r, nil
}

// merge adds a worker's delta to the cluster statistics.
func (r *MasterRunner) merge(workerID string, rep *distributed.Report) error {
	var d Snapshot
	if err := d.UnmarshalBinary(rep.Stats); err != nil {
		return fmt.Errorf("report of worker %s: %w", workerID, err)
	}
	r.stats.merge(&d)
	return nil
}

func (r *MasterRunner) rampDone(users int) {
	r.mu.Lock()
	t := r.test
	if t == nil || r.state != StateSpawning {
		r.mu.Unlock()
		return
	}
	r.state = StateRunning
	first := t.first
	t.first = false
	r.mu.Unlock()
	r.events.SpawningComplete.Fire(SpawnEvent{Users: users, Classes: r.m.UserCounts()})
	if first && r.cfg.ResetStats {
		r.ResetStats()
		r.log.Info("statistics reset after the ramp (--reset-stats)")
	}
}

// Addr returns the address the master listens on.
func (r *MasterRunner) Addr() net.Addr { return r.m.Addr() }

// Workers returns every known worker, by index.
func (r *MasterRunner) Workers() []distributed.WorkerInfo { return r.m.Workers() }

// LostWorkers returns how many times a worker running users went missing.
func (r *MasterRunner) LostWorkers() int { return r.m.Lost() }

// WaitWorkers waits until at least n workers are connected or ctx is done.
func (r *MasterRunner) WaitWorkers(ctx context.Context, n int) error { return r.m.WaitWorkers(ctx, n) }

// Send sends a custom message to one worker, or to all if workerID is
// empty.
func (r *MasterRunner) Send(workerID, typ string, data []byte) error {
	return r.m.Send(workerID, typ, data)
}

// Handle registers fn for custom messages of type typ from workers.
func (r *MasterRunner) Handle(typ string, fn func(workerID string, data []byte)) { r.m.Handle(typ, fn) }

// Start starts a test on the connected workers, or changes the running
// one: the cluster ramps to users at rate users per second. It fails
// without a connected worker.
func (r *MasterRunner) Start(users int, rate float64) error {
	if users < 0 {
		return fmt.Errorf("users is %d: allowed 0 or more", users)
	}
	if !validRate(rate) {
		return fmt.Errorf("spawn rate is %v: allowed a finite number of users per second, at least 0.0001", rate)
	}
	return r.start(users, rate, nil)
}

func (r *MasterRunner) target(users int, rate float64, classes []string) distributed.Target {
	tg := distributed.Target{Users: users, Rate: rate, Classes: classes, Host: r.cfg.Host, StopTimeout: r.cfg.StopTimeout, MaxRPS: r.cfg.MaxRPS}
	if o := r.options.Load(); o != nil {
		tg.Options = *o
	}
	return tg
}

func (r *MasterRunner) start(users int, rate float64, shape LoadShape) error {
	return r.startTest(r.target(users, rate, nil), shape, ShapeStep{}, nil)
}

// startTest starts a closed-model test (tg.Users at tg.Rate, or shape)
// or, with a, an arrival-rate one.
func (r *MasterRunner) startTest(tg distributed.Target, shape LoadShape, first ShapeStep, a *Arrival) error {
	r.mu.Lock()
	switch r.state {
	case StateStopping:
		r.mu.Unlock()
		return errors.New("the test is stopping; start again when it has stopped")
	case StateReady, StateStopped:
		now := time.Now()
		if a != nil {
			spec := &distributed.ArrivalSpec{Rate: a.Rate, PreAllocated: a.PreAllocated, MaxUsers: a.MaxUsers, Start: now.UnixNano()}
			for _, st := range a.Stages {
				spec.Stages = append(spec.Stages, distributed.ArrivalStage{Duration: st.Duration, Target: st.Target})
			}
			tg.Arrival = spec
		}
		if err := r.m.Start(tg); err != nil {
			r.mu.Unlock()
			return err
		}
		t := &masterTest{start: now, end: newTestEnd(), shaped: shape != nil, first: true}
		r.state = StateSpawning
		if a != nil {
			t.open, t.arrival, t.first = true, a.Duration(), false
			r.state = StateRunning // no ramp: the pools are sized by the schedule
		}
		r.test = t
		r.rolling = newThWatch(r.cfg.Thresholds, now)
		r.stats.Reset()
		r.mu.Unlock()
		r.events.TestStart.Fire(TestEvent{Runner: r})
		go r.supervise(t, shape, first)
		return nil
	default:
		if r.test.open || a != nil {
			r.mu.Unlock()
			return errors.New("an arrival-rate test is running, or is asked for while users run: stop the test first")
		}
		users, rate := tg.Users, tg.Rate
		if r.test.shaped && shape == nil {
			r.mu.Unlock()
			return errors.New("the test is driven by a load shape; its user count cannot be changed")
		}
		r.state = StateSpawning
		r.mu.Unlock()
		return r.m.Start(r.target(users, rate, tg.Classes))
	}
}

// startClasses starts a test, or changes the running one, whose new users
// come from classes only (every class when empty), as Locust's
// user_classes: the web UI's class picker.
func (r *MasterRunner) startClasses(users int, rate float64, classes []string) error {
	return r.startTest(r.target(users, rate, classes), nil, ShapeStep{}, nil)
}

// StartShape starts a test whose cluster-wide user count shape drives,
// ticked about once a second.
func (r *MasterRunner) StartShape(shape LoadShape) error {
	if shape == nil {
		return errors.New("shape is nil")
	}
	step, reason, err := firstShapeStep(shape)
	switch {
	case err != nil:
		return err
	case reason != "":
		return errors.New("the load shape ended before the test started")
	}
	return r.startTest(r.target(step.Users, step.SpawnRate, step.Classes), shape, step, nil)
}

// supervise runs the test's supervisor (supervisor.go), then stops the
// workers and ends the test.
func (r *MasterRunner) supervise(t *masterTest, shape LoadShape, first ShapeStep) {
	r.mu.Lock()
	watch := r.rolling
	r.mu.Unlock()
	sv := &supervisor{log: r.log, end: t.end, start: t.start, runTime: r.cfg.RunTime,
		stats: r.stats, statsInterval: r.cfg.StatsInterval, users: r.m.UserCount,
		watch: watch, snapshot: r.stats.Snapshot}
	sv.apply = func(step ShapeStep) {
		r.mu.Lock()
		r.state = StateSpawning
		r.mu.Unlock()
		if err := r.m.Start(r.target(step.Users, step.SpawnRate, step.Classes)); err != nil {
			r.log.Error("cannot apply the load shape's step", "error", err)
		}
	}
	if shape != nil {
		sv.startShape(shape, first)
	}
	if t.arrival > 0 {
		// Workers end their parts by themselves; the master ends the
		// test when the whole schedule is over, with a grace for the
		// last arrivals (due at its very end) to start on every worker.
		st := time.AfterFunc(time.Until(t.start.Add(t.arrival+masterArrivalGrace)), func() { t.end.request(EndArrival) })
		defer st.Stop()
	}
	reason, stopTickers := sv.run()
	r.mu.Lock()
	r.state = StateStopping
	r.mu.Unlock()
	r.events.TestStopping.Fire(TestEvent{Runner: r})
	// Workers answer a stop after their final report; a missing worker
	// is not waited for.
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StopTimeout+15*time.Second)
	if err := r.m.Stop(ctx); err != nil {
		r.log.Warn("not every worker confirmed the stop; their last report may be missing", "error", err)
	}
	cancel()
	stopTickers()
	r.stats.End(0)
	r.mu.Lock()
	r.state = StateStopped
	r.mu.Unlock()
	r.events.TestStop.Fire(TestEvent{Runner: r})
	t.end.close(reason)
}

// Stop stops the test on every worker and returns when each has stopped
// and sent its final report (missing workers are not waited for), or ctx
// is done.
func (r *MasterRunner) Stop(ctx context.Context) error { return r.currentEnd().stop(ctx) }

// Wait blocks until the current test has ended or ctx is done.
func (r *MasterRunner) Wait(ctx context.Context) error { return r.currentEnd().wait(ctx) }

// EndReason says why the last test ended; empty while it runs.
func (r *MasterRunner) EndReason() EndReason { return r.currentEnd().result() }

// currentEnd returns the end of the current or last test, nil before the
// first.
func (r *MasterRunner) currentEnd() *testEnd {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.test == nil {
		return nil
	}
	return r.test.end
}

// Quit tells every worker to quit, waits (bounded by ctx) for their final
// reports, fires Events.Quitting and closes the master's listener.
func (r *MasterRunner) Quit(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.events.Quitting.Fire(TestEvent{Runner: r})
	err := r.m.Quit(ctx)
	if cerr := r.m.Close(); err == nil {
		err = cerr
	}
	return err
}

// State returns the master's state.
func (r *MasterRunner) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// UserCount returns the users running on the live workers.
func (r *MasterRunner) UserCount() int { return r.m.UserCount() }

// UserCounts returns the users per class running on the live workers.
func (r *MasterRunner) UserCounts() map[string]int { return r.m.UserCounts() }

// Stats returns the cluster's merged statistics.
func (r *MasterRunner) Stats() *Stats { return r.stats }

// Snapshot returns the cluster's current statistics.
func (r *MasterRunner) Snapshot() *Snapshot { return r.stats.Snapshot() }

// ResetStats empties the cluster's statistics and the workers'.
func (r *MasterRunner) ResetStats() {
	r.m.ResetStats()
	r.stats.Reset()
	r.events.ResetStats.Fire(struct{}{})
}

// Events returns the master's event hooks.
func (r *MasterRunner) Events() *Events { return r.events }

// LiveWorkers returns the number of connected workers that are not
// missing.
func (r *MasterRunner) LiveWorkers() int { return r.m.LiveWorkers() }

func (m *MasterRunner) testConfig() Config { return m.cfg }

// StartArrival starts an arrival-rate (open model) test on the connected
// workers: each of the N live workers runs its part of the one global
// schedule (a.Split(N), by worker index: the arrivals n with
// n % N == index), counted from a common start the master sends, so the
// cluster runs exactly the schedule of a. When workers join or leave,
// the master re-splits the schedule among the live workers from one
// heartbeat interval ahead; the arrivals a lost worker had taken until
// then are missing. The test ends after the last stage, at
// Config.RunTime, or by Stop. a must not be a part of a split.
func (m *MasterRunner) StartArrival(a Arrival) error {
	if err := a.validate(); err != nil {
		return err
	}
	if a.Part.Of > 1 {
		return errors.New("StartArrival on a master: the schedule is already a part of a split; pass the whole schedule")
	}
	a.Stages = append([]RateStage(nil), a.Stages...)
	// The spawn rate is unused by an arrival-rate test; any valid one.
	return m.startTest(m.target(0, 1, nil), nil, ShapeStep{}, &a)
}

// masterArrivalGrace is how long after an arrival-rate schedule's end the
// master stops the workers.
const masterArrivalGrace = 500 * time.Millisecond

// Verdict evaluates Config.Thresholds over the cluster's merged
// statistics: the end-of-test thresholds over the statistics now, the
// rolling ones and abort rules as the master checked them while the test
// ran (every second, over the merged view). Workers evaluate nothing.
func (m *MasterRunner) Verdict() Verdict {
	m.mu.Lock()
	w := m.rolling
	m.mu.Unlock()
	return verdictOf(m.Snapshot(), m.cfg.Thresholds, w)
}
