package locust

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golocust/locust/internal/dispatch"
	"github.com/golocust/locust/internal/proc"
)

// LocalRunner runs every user in this process. Create it with
// [NewLocalRunner]; it implements [Runner]. All methods are safe for
// concurrent use.
type LocalRunner struct {
	cfg     Config
	classes []runClass // sorted by name
	stats   *Stats
	events  *Events
	log     *slog.Logger
	host    string
	seed    uint64

	mu     sync.Mutex
	state  State
	users  []*userRT // running users in spawn order
	counts []int     // running users per class
	nextID int64
	target int
	test   *testRun // the current or last test

	healthMu sync.Mutex
	health   Health   // monitor.go
	rolling  *thWatch // rolling and abort thresholds of the current test

	setupErrors sync.Map // distinct errors of users that could not start, logged once
}

// runClass is a compiled class and its index in LocalRunner.classes.
type runClass struct {
	cc    compiledClass
	index int
}

// testRun is the lifetime of one test, from Start to the end of Stop.
type testRun struct {
	ctx        context.Context // parent of every user's context
	start      time.Time
	cmds       chan rampCmd
	end        *testEnd
	iterations atomic.Int64 // task runs reserved
	completed  atomic.Int64 // reserved task runs finished
	users      sync.WaitGroup
	shared     sharedStore
	shaped     bool       // driven by a load shape; guarded by LocalRunner.mu
	arrival    *arrivalRT // arrival-rate mode; set by the supervisor under LocalRunner.mu
}

// rampCmd asks the supervisor for a new target.
type rampCmd struct {
	users   int
	rate    float64
	classes []string       // restrict to these classes (load shapes)
	counts  map[string]int // absolute per-class targets (workers)
	shape   LoadShape
	arrival *Arrival // arrival-rate mode (StartArrival)
	// origin and from, when set, are a distributed test's common start
	// of the schedule and when this worker's part takes effect.
	origin, from time.Time
}

// NewLocalRunner validates cfg and returns a runner in the ready state.
// Errors name the field at fault and what is allowed.
func NewLocalRunner(cfg Config) (*LocalRunner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	classes, err := compileClasses(cfg.Classes, tagFilter{include: cfg.Tags, exclude: cfg.ExcludeTags})
	if err != nil {
		return nil, err
	}
	r := &LocalRunner{cfg: cfg, classes: classes, host: cfg.Host, seed: cfg.Seed}
	r.log = cfg.Logger
	if r.log == nil {
		r.log = slog.Default()
	}
	r.events = cfg.Events
	if r.events == nil {
		r.events = &Events{}
	}
	r.events.setLogger(r.log)
	if r.seed == 0 {
		r.seed = rand.Uint64()
	}
	r.stats = NewStats("local")
	r.stats.requestHook = &r.events.Request
	r.counts = make([]int, len(classes))
	r.events.Init.Fire(InitEvent{Runner: r})
	return r, nil
}

func (c *Config) validate() error {
	switch {
	case len(c.Classes) == 0:
		return errors.New("Config.Classes is empty: at least one user class is required")
	case c.Users < 0:
		return fmt.Errorf("Config.Users is %d: allowed 0 or more", c.Users)
	case c.Users > 0 && c.Shape == nil && !validRate(c.SpawnRate):
		return fmt.Errorf("Config.SpawnRate is %v: allowed a finite number of users per second, at least 0.0001", c.SpawnRate)
	case c.RunTime < 0:
		return fmt.Errorf("Config.RunTime is %v: allowed 0 (no limit) or more", c.RunTime)
	case c.Iterations < 0:
		return fmt.Errorf("Config.Iterations is %d: allowed 0 (no limit) or more", c.Iterations)
	case c.StopTimeout < 0:
		return fmt.Errorf("Config.StopTimeout is %v: allowed 0 or more", c.StopTimeout)
	case c.StatsInterval < 0:
		return fmt.Errorf("Config.StatsInterval is %v: allowed 0 (one second) or more", c.StatsInterval)
	}
	return c.validateOpen()
}

func validRate(rate float64) bool {
	return rate >= dispatch.MinRate && !math.IsInf(rate, 0) && !math.IsNaN(rate)
}

func compileClasses(list []UserClass, f tagFilter) ([]runClass, error) {
	var classes []runClass
	seen := map[string]bool{}
	var used []string
	for i, uc := range list {
		if uc == nil {
			return nil, fmt.Errorf("Config.Classes[%d] is nil", i)
		}
		cc, err := uc.compile(f)
		if err != nil {
			return nil, err
		}
		if seen[cc.name] {
			return nil, fmt.Errorf("user class %q: the name is used by two classes; names must be unique", cc.name)
		}
		seen[cc.name] = true
		used = append(used, cc.tags...)
		classes = append(classes, runClass{cc: cc})
	}
	for _, tag := range append(slices.Clone(f.include), f.exclude...) {
		if !slices.Contains(used, tag) {
			return nil, fmt.Errorf("tag %q matches no task; tags in use: %v", tag, uniq(used))
		}
	}
	slices.SortFunc(classes, func(a, b runClass) int { return cmp.Compare(a.cc.name, b.cc.name) })
	for i := range classes {
		classes[i].index = i
	}
	return classes, nil
}

func (r *LocalRunner) testConfig() Config { return r.cfg }

// Events returns the runner's event hooks.
func (r *LocalRunner) Events() *Events { return r.events }

// Stats returns the runner's live statistics.
func (r *LocalRunner) Stats() *Stats { return r.stats }

// Snapshot returns the current statistics.
func (r *LocalRunner) Snapshot() *Snapshot { return r.stats.Snapshot() }

// ResetStats empties the statistics and fires Events.ResetStats.
func (r *LocalRunner) ResetStats() {
	r.stats.Reset()
	r.events.ResetStats.Fire(struct{}{})
}

// State returns the runner's state.
func (r *LocalRunner) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// UserCount returns the number of running users.
func (r *LocalRunner) UserCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return dispatch.Sum(r.counts)
}

// UserCounts returns the number of running users per class.
func (r *LocalRunner) UserCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]int, len(r.classes))
	for i, c := range r.classes {
		m[c.cc.name] = r.counts[i]
	}
	return m
}

// TaskRatios returns, per class, each task's share of that class's task
// runs (nested task sets are split among their tasks).
func (r *LocalRunner) TaskRatios() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, c := range r.classes {
		out[c.cc.name] = c.cc.ratios
	}
	return out
}

func (r *LocalRunner) targetUsers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.target
}

// Start starts a test with users users spawned at rate per second, or
// changes the target of the running test (ramping up or down; ramp-down
// stops the newest users first). It returns at once; the ramp goes on in
// the background.
func (r *LocalRunner) Start(users int, rate float64) error {
	if users < 0 {
		return fmt.Errorf("users is %d: allowed 0 or more", users)
	}
	if !validRate(rate) {
		return fmt.Errorf("spawn rate is %v: allowed a finite number of users per second, at least 0.0001", rate)
	}
	return r.start(rampCmd{users: users, rate: rate})
}

// StartClasses starts a test, or changes the running one, with absolute
// per-class user counts instead of a total shared by weight; a worker of a
// distributed test receives its targets this way. Unknown class names are
// an error.
func (r *LocalRunner) StartClasses(counts map[string]int, rate float64) error {
	if !validRate(rate) {
		return fmt.Errorf("spawn rate is %v: allowed a finite number of users per second, at least 0.0001", rate)
	}
	total := 0
	for name, n := range counts {
		if !slices.ContainsFunc(r.classes, func(c runClass) bool { return c.cc.name == name }) {
			return fmt.Errorf("unknown user class %q", name)
		}
		if n < 0 {
			return fmt.Errorf("user count of class %q is %d: allowed 0 or more", name, n)
		}
		total += n
	}
	return r.start(rampCmd{users: total, rate: rate, counts: counts})
}

// StartShape starts a test driven by shape, ticked about once a second.
func (r *LocalRunner) StartShape(shape LoadShape) error {
	if shape == nil {
		return errors.New("shape is nil")
	}
	return r.start(rampCmd{shape: shape})
}

// startClasses starts a test, or changes the running one, whose new users
// come from classes only (every class when empty), as Locust's
// user_classes: the web UI's class picker.
func (r *LocalRunner) startClasses(users int, rate float64, classes []string) error {
	return r.start(rampCmd{users: users, rate: rate, classes: classes})
}

func (r *LocalRunner) start(c rampCmd) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.state {
	case StateStopping:
		return errors.New("the test is stopping; start again when it has stopped")
	case StateReady, StateStopped:
		if err := r.checkHostsLocked(); err != nil {
			return err
		}
		t := &testRun{start: time.Now(), cmds: make(chan rampCmd, 1), end: newTestEnd()}
		t.ctx = r.limitContext(ContextWithStats(context.Background(), r.stats))
		r.test = t
		r.state = StateSpawning
		if c.shape == nil {
			r.target = c.users
		}
		t.shaped = c.shape != nil
		r.stats.Reset()
		r.mu.Unlock()
		r.events.TestStart.Fire(TestEvent{Runner: r})
		r.mu.Lock()
		// The supervisor owns the test; Stop and Wait wait for it
		// through t.end.
		go r.supervise(t)
	default:
		if r.test.shaped && c.shape == nil {
			return errors.New("the test is driven by a load shape; its user count cannot be changed")
		}
		if c.arrival != nil || r.test.arrival != nil {
			return errors.New("an arrival-rate test is running; stop it before starting another test")
		}
		if c.shape == nil {
			r.target = c.users
		}
	}
	t := r.test
	// Replace a command the supervisor has not taken yet.
	select {
	case <-t.cmds:
	default:
	}
	t.cmds <- c
	return nil
}

// Stop stops every user and returns when they have stopped or ctx is
// done. Waiting users stop at once; running users may finish their task
// within Config.StopTimeout, then their context is cancelled.
func (r *LocalRunner) Stop(ctx context.Context) error { return r.currentEnd().stop(ctx) }

// Wait blocks until the current test has ended (by itself, or by Stop) or
// ctx is done. Without a test it returns at once.
func (r *LocalRunner) Wait(ctx context.Context) error { return r.currentEnd().wait(ctx) }

// EndReason says why the last test ended; empty while it runs.
func (r *LocalRunner) EndReason() EndReason { return r.currentEnd().result() }

// currentEnd returns the end of the current or last test, nil before the
// first.
func (r *LocalRunner) currentEnd() *testEnd {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.test == nil {
		return nil
	}
	return r.test.end
}

// rampPlan is the way from the current users to a target.
type rampPlan struct {
	target   []int           // users per class
	adds     *dispatch.Adder // classes to spawn, in order
	batch    int
	interval time.Duration
	complete bool // SpawningComplete fired
	// starting is how long after the last step its last user starts
	// (spawnDelay): the ramp is complete only then.
	starting time.Duration
}

func (r *LocalRunner) newPlan(c rampCmd) *rampPlan {
	r.mu.Lock()
	defer r.mu.Unlock()
	dc := make([]dispatch.Class, len(r.classes))
	if c.counts != nil {
		// Absolute targets: every class "fixed" at its count, spawned
		// interleaved.
		for i, rc := range r.classes {
			dc[i] = dispatch.Class{Fixed: c.counts[rc.cc.name]}
		}
		p := &rampPlan{target: dispatch.Counts(dc, c.users), adds: dispatch.NewAdder(dc, c.users, r.counts)}
		p.batch, p.interval = dispatch.Batch(c.rate)
		r.target = c.users
		return p
	}
	for i, rc := range r.classes {
		dc[i] = dispatch.Class{Weight: rc.cc.weight, Fixed: rc.cc.fixedCount}
	}
	if len(c.classes) > 0 {
		// A class list is Locust's user_classes: new users come from the
		// listed classes only, running users of other classes stay, and
		// shrinking stops the newest users first (dispatch.Extend).
		listed := make([]bool, len(r.classes))
		for i, rc := range r.classes {
			listed[i] = slices.Contains(c.classes, rc.cc.name)
		}
		var order []int
		for _, u := range r.users {
			if !u.gone {
				order = append(order, u.class.index)
			}
		}
		next := dispatch.Extend(dc, order, c.users, listed)
		if len(next) < c.users {
			r.log.Warn("the listed classes that can take new users all have fixed counts: fewer users than asked will run", "users", c.users, "possible", len(next), "classes", c.classes)
		}
		p := &rampPlan{target: dispatch.CountsOf(next, len(r.classes)), adds: dispatch.AdderOf(nil)}
		if len(next) > len(order) {
			p.adds = dispatch.AdderOf(next[len(order):])
		}
		p.batch, p.interval = dispatch.Batch(c.rate)
		r.target = c.users
		return p
	}
	if ft := dispatch.FixedTotal(dc); ft > c.users {
		r.log.Warn("fixed user counts exceed the target user count: the fixed classes share them in proportion", "fixed_total", ft, "users", c.users)
	}
	target := dispatch.Counts(dc, c.users)
	if got := dispatch.Sum(target); got < c.users {
		r.log.Warn("every class has a fixed count: fewer users than asked will run", "users", c.users, "possible", got)
	}
	p := &rampPlan{target: target, adds: dispatch.NewAdder(dc, c.users, r.counts)}
	p.batch, p.interval = dispatch.Batch(c.rate)
	r.target = c.users
	return p
}

// step applies one batch of the plan and reports whether the target is
// reached.
func (r *LocalRunner) step(t *testRun, p *rampPlan) (done bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Spawn new users before stopping surplus ones, as Locust. A batch's
	// users count at once, but each begins its first task spread over the
	// batch's interval (spawnDelay).
	p.starting = 0
	for added := 0; added < p.batch && !p.adds.Done(); {
		c, _ := p.adds.Next()
		if r.counts[c] >= p.target[c] {
			continue
		}
		p.starting = spawnDelay(added, p.batch, p.interval)
		r.spawnLocked(t, c, time.Time{}, p.starting)
		added++
	}
	removed := 0
	for i := len(r.users) - 1; i >= 0 && removed < p.batch; i-- {
		u := r.users[i]
		if !u.gone && r.counts[u.class.index] > p.target[u.class.index] {
			r.stopUserLocked(u)
			removed++
		}
	}
	r.users = slices.DeleteFunc(r.users, func(u *userRT) bool { return u.gone })
	surplus := false
	for i, n := range r.counts {
		if n > p.target[i] {
			surplus = true
		}
	}
	done = p.adds.Done() && !surplus
	if done && p.starting == 0 {
		r.state = StateRunning
	} else {
		r.state = StateSpawning
	}
	return done
}

// spawnLocked starts a user of class c, whose first task waits delay. In
// arrival-rate mode the user joins its class's pool and, if first is not
// zero, runs that arrival first.
func (r *LocalRunner) spawnLocked(t *testRun, c int, first time.Time, delay time.Duration) {
	rc := &r.classes[c]
	id := r.nextID
	r.nextID++
	ctx, cancelCause := context.WithCancelCause(t.ctx)
	cancel := func() { cancelCause(errUserStopped) }
	u := &userRT{
		r: r, t: t, class: rc, id: id, ctx: ctx, cancel: cancel,
		stopCh:      make(chan struct{}),
		lastWaitEnd: time.Now(),
		first:       first,
	}
	u.seedRand(r.seed, uint64(id))
	if t.arrival != nil {
		u.arr = &t.arrival.pools[c]
		u.arr.size++
	}
	r.users = append(r.users, u)
	r.counts[c]++
	t.users.Add(1)
	liveUsers.Add(1) // http_handoff.go
	go func() {
		defer t.users.Done()
		defer r.userExited(u)
		defer liveUsers.Add(-1)
		if delay > 0 && !u.awaitStart(delay) {
			return
		}
		rc.cc.newUser().run(u)
	}()
}

// spawnDelay is how long the i-th user (from 0) of a spawn batch of n
// users waits before its first task. Locust starts a whole batch at once,
// and so do we up to spawnBurst users; a larger batch is spread evenly
// over the interval to the next batch (at most a second, since such a
// batch means a rate above spawnBurst per second), its first spawnBurst
// users at once. A batch of 2,500 users (a rate of 2,500 per second) started at
// once is 2,500 first requests, and as many new connections, in the same
// instant: one core served them in hundreds of milliseconds, and as the
// last batch starts when the ramp ends, those response times were ~2 %
// of what --reset-stats keeps (p99 342 ms at 10,000 users, BENCHMARKS.md).
// Batches, their sizes and the user counts stay Locust's.
func spawnDelay(i, n int, interval time.Duration) time.Duration {
	if i < spawnBurst || n <= spawnBurst || interval <= 0 {
		return 0
	}
	return time.Duration(float64(interval) * float64(i) / float64(n))
}

// spawnBurst is the most users of a batch started in the same instant.
const spawnBurst = 100

// stopUserLocked asks u to stop: at once if it waits, after its task
// otherwise, and its context is cancelled after the stop timeout.
func (r *LocalRunner) stopUserLocked(u *userRT) {
	if u.gone {
		return
	}
	u.gone = true
	r.counts[u.class.index]--
	u.signalStop()
	if d := r.cfg.StopTimeout; d > 0 {
		u.hardStop = time.AfterFunc(d, u.cancel)
	} else {
		u.cancel()
	}
}

func (r *LocalRunner) userExited(u *userRT) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !u.gone {
		u.gone = true
		r.counts[u.class.index]--
	}
	if u.arr != nil {
		u.arr.size--
	}
	if u.hardStop != nil {
		u.hardStop.Stop()
	}
	u.cancel()
}

// supervise owns one test: it applies ramps and shape ticks, enforces the
// run-time and iteration limits, ticks the statistics, and stops the test.
func (r *LocalRunner) supervise(t *testRun) {
	watch, monitorsDone := r.startMonitors(t)
	sv := &supervisor{log: r.log, end: t.end, start: t.start, runTime: r.cfg.RunTime,
		stats: r.stats, statsInterval: r.cfg.StatsInterval, users: r.UserCount,
		watch: watch, snapshot: r.Snapshot, cmds: t.cmds}
	stepTimer := time.NewTimer(time.Hour)
	stepTimer.Stop()
	defer stepTimer.Stop()
	var plan *rampPlan
	firstRamp := true
	ramp := func(c rampCmd) {
		plan = r.newPlan(c)
		sv.stepC = r.advance(t, plan, stepTimer, &firstRamp)
	}
	sv.apply = func(step ShapeStep) {
		ramp(rampCmd{users: step.Users, rate: step.SpawnRate, classes: step.Classes})
	}
	sv.onStep = func() { sv.stepC = r.advance(t, plan, stepTimer, &firstRamp) }
	sv.onCmd = func(c rampCmd) {
		switch {
		case c.arrival != nil:
			ended := r.startArrival(t, *c.arrival, c.origin, c.from)
			go func() {
				select {
				case <-ended:
					t.end.request(EndArrival)
				case <-t.end.req:
				}
			}()
		case c.shape != nil:
			step, reason, err := firstShapeStep(c.shape)
			if reason != "" {
				if err != nil {
					r.log.Error(err.Error() + "; stopping")
				}
				t.end.request(reason)
				return
			}
			sv.startShape(c.shape, step)
			sv.apply(step)
		default:
			ramp(c)
		}
	}
	reason, stopTickers := sv.run()
	if t.arrival != nil {
		t.arrival.halt()
	}
	r.shutdown(t)
	stopTickers()
	monitorsDone()
	r.stats.End(0)
	if err := t.shared.close(); err != nil {
		r.log.Warn("closing shared client resources", "error", err)
	}
	r.mu.Lock()
	r.state = StateStopped
	r.mu.Unlock()
	r.events.TestStop.Fire(TestEvent{Runner: r})
	t.end.close(reason)
}

// advance applies one ramp step and returns the channel of the next one,
// or nil when the target is reached.
func (r *LocalRunner) advance(t *testRun, p *rampPlan, timer *time.Timer, firstRamp *bool) <-chan time.Time {
	if !r.step(t, p) {
		timer.Reset(p.interval)
		return timer.C
	}
	if p.starting > 0 {
		// The last batch's users are still starting (spawnDelay): the
		// ramp completes, and --reset-stats resets, when the last one
		// did. The step then taken spawns nothing.
		timer.Reset(p.starting)
		return timer.C
	}
	if !p.complete {
		p.complete = true
		counts := r.UserCounts()
		r.events.SpawningComplete.Fire(SpawnEvent{Users: sumMap(counts), Classes: counts})
		r.log.Info("all users spawned", "users", counts)
		if *firstRamp && r.cfg.ResetStats {
			r.ResetStats()
			r.log.Info("statistics reset after the ramp (--reset-stats)")
		}
		*firstRamp = false
	}
	return nil
}

func sumMap(m map[string]int) int {
	t := 0
	for _, v := range m {
		t += v
	}
	return t
}

// shutdown stops every user and waits for them.
func (r *LocalRunner) shutdown(t *testRun) {
	r.mu.Lock()
	r.state = StateStopping
	r.mu.Unlock()
	r.events.TestStopping.Fire(TestEvent{Runner: r})
	r.mu.Lock()
	for i := len(r.users) - 1; i >= 0; i-- {
		r.stopUserLocked(r.users[i])
	}
	r.users = nil
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.users.Wait()
	}()
	warn := time.NewTimer(r.cfg.StopTimeout + onStopGrace)
	defer warn.Stop()
	for {
		select {
		case <-done:
			return
		case <-warn.C:
			r.log.Warn("some users have not stopped yet: a task or OnStop ignores its context", "waited", r.cfg.StopTimeout+onStopGrace)
		}
	}
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
func (r *LocalRunner) startArrival(t *testRun, a Arrival, origin, from time.Time) <-chan struct{} {
	if origin.IsZero() {
		origin = t.start
	}
	pre, mx := a.poolSizes()
	dc := make([]dispatch.Class, len(r.classes))
	total := 0
	for i, rc := range r.classes {
		dc[i] = dispatch.Class{Weight: rc.cc.weight}
		total += rc.cc.weight
	}
	ar := &arrivalRT{r: r, t: t, cfg: a, plan: newArrivalPlan(a), pools: make([]arrivalPool, len(r.classes)),
		seq: dispatch.Sequence(dc, total), stop: make(chan struct{}), done: make(chan struct{}), ended: make(chan struct{}),
		origin: origin, from: from, wake: make(chan struct{}, 1)}
	preBy, maxBy := dispatch.Counts(dc, pre), dispatch.Counts(dc, mx)
	r.mu.Lock()
	t.arrival = ar
	for c := range ar.pools {
		ar.pools[c] = arrivalPool{work: make(chan time.Time), max: max(1, maxBy[c])}
	}
	for c := range ar.pools {
		for range min(preBy[c], ar.pools[c].max) {
			r.spawnLocked(t, c, time.Time{}, 0)
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

// limitContext returns ctx with the runner's request-rate ceiling, if any.
func (r *LocalRunner) limitContext(ctx context.Context) context.Context {
	ctx = r.allowContext(ctx)
	if r.cfg.MaxRPS <= 0 {
		return ctx
	}
	return context.WithValue(ctx, limitKey{}, newRateLimiter(r.cfg.MaxRPS))
}

// startMonitors starts the CPU monitor of test t and returns the watch
// of its rolling thresholds (the supervisor checks them); the returned
// function stops the monitor and logs the end-of-test CPU warning.
func (r *LocalRunner) startMonitors(t *testRun) (*thWatch, func()) {
	watch := newThWatch(r.cfg.Thresholds, t.start)
	r.healthMu.Lock()
	r.health = Health{}
	r.rolling = watch
	r.healthMu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.cpuMonitor(ctx) })
	wg.Go(func() { gcTune(ctx) }) // gctune.go
	return watch, func() {
		cancel()
		wg.Wait()
		if h := r.Health(); h.CPUSaturated {
			r.log.Warn(fmt.Sprintf("CPU usage was too high at some point during the test (%.0f%%): the generator was overloaded, so its response times and rates are not reliable; use fewer users per process or more workers", h.CPUPercent))
		}
	}
}

func (r *LocalRunner) cpuMonitor(ctx context.Context) {
	lastCPU, lastWall := proc.CPUTime(), time.Now()
	every(ctx, cpuSampleInterval, func(now time.Time) bool {
		cpu := proc.CPUTime()
		pct := cpuPercent(cpu-lastCPU, now.Sub(lastWall), runtime.GOMAXPROCS(0))
		lastCPU, lastWall = cpu, now
		r.healthMu.Lock()
		first := pct > cpuWarnPercent && !r.health.CPUSaturated
		r.health.CPUPercent = max(r.health.CPUPercent, pct)
		r.health.CPUSaturated = r.health.CPUSaturated || pct > cpuWarnPercent
		r.healthMu.Unlock()
		if first {
			r.log.Warn(fmt.Sprintf("CPU usage above %d%% (%.0f%%)! The generator is overloaded: iterations start late and response times are inflated", cpuWarnPercent, pct))
		}
		return true
	})
}
