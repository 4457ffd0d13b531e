package locust

// The run store as an output of a program run: each test the runner
// runs (one in a headless run, any number from the web UI) becomes a
// run in the history, checkpointed at every stats tick by a goroutine of
// its own (the sample path never waits for the database) and saved once
// more, synchronously, when the test ends, before the program reports
// its outcome. A store that cannot be opened or written is logged and
// costs the test none of its other outputs. Workers never record: the
// master records the merged view.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/golocust/locust/history"
)

// historyOutput records the tests of one session, as one of its
// outputs. Its methods are called from the session's goroutine only.
type historyOutput struct {
	store *history.Store
	log   *slog.Logger
	o     *options
	r     sessionRunner
	// web is set in web UI mode, where a session runs any number of
	// tests: events has their starts and stops, recorded at the next
	// tick (history_events.go).
	web    bool
	events historyEvents
	// base is the baseline run and its statistics, nil without one.
	base     *history.Run
	baseSnap *Snapshot
	// meta has the fields every run of this program shares.
	meta history.Run

	cur  *history.Run // the test being recorded, nil between tests
	ckpt chan *Snapshot
	wg   sync.WaitGroup
	mu   sync.Mutex // serializes saves of cur (checkpoints vs the final save)
}

// historyBaselineError is returned when --baseline names no run and
// --baseline-optional is not set.
type historyBaselineError struct{ err error }

func (e historyBaselineError) Error() string { return e.err.Error() }

// newHistoryOutput opens the run store the options ask for; nil, nil
// when there is none. A store that cannot be opened is logged and gives
// nil, nil, unless a baseline is needed from it: then it is an error, as
// is a --baseline that names no run (without --baseline-optional).
func newHistoryOutput(ctx context.Context, p *Program, r sessionRunner, o *options, log *slog.Logger) (*historyOutput, error) {
	getenv := p.getenv()
	dsn := o.hist.dsn(o.headless, getenv)
	if dsn == "" {
		return nil, nil
	}
	if dsn == historyDefaultPath(getenv) {
		if err := historyMkdir(dsn); err != nil {
			log.Error("run history off: cannot create its directory", "path", dsn, "error", err)
			return nil, nil
		}
	}
	st, err := (*history.Store)(nil), o.hist.openErr
	if err == nil {
		st, err = history.Open(ctx, dsn)
	}
	if err != nil {
		if o.hist.baseline != "" {
			return nil, historyBaselineError{fmt.Errorf("cannot compare with --baseline %s: %w", o.hist.baseline, err)}
		}
		log.Error("run history off: cannot open the run store", "error", err)
		return nil, nil
	}
	log.Info("keeping the run history", "store", st.String())
	h := &historyOutput{store: st, log: log, o: o, r: r, web: !o.headless}
	h.meta = historyMeta(p, r, o)
	if h.web {
		h.events.subscribe(r)
	}
	if o.hist.baseline != "" {
		base, err := st.Baseline(ctx, o.hist.baseline, "")
		switch {
		case err == nil:
			if h.baseSnap, err = HistorySnapshot(base); err != nil {
				_ = st.Close()
				return nil, historyBaselineError{fmt.Errorf("cannot compare with --baseline %s: %w", o.hist.baseline, err)}
			}
			h.base = base
			log.Info("comparing with a baseline run", "baseline", base.ID, "started", base.Start.Format(time.RFC3339))
		case errors.Is(err, history.ErrNotFound) && o.hist.baselineOptional:
			log.Warn("no baseline run: the baseline thresholds pass unchecked (--baseline-optional)", "baseline", o.hist.baseline, "store", st.String())
		default:
			_ = st.Close()
			return nil, historyBaselineError{fmt.Errorf("cannot compare with --baseline %s in %s: %w (--baseline-optional passes instead)", o.hist.baseline, st.String(), err)}
		}
	}
	return h, nil
}

// historyMkdir creates the default store's directory (0700).
func historyMkdir(path string) error {
	i := strings.LastIndexAny(path, `/\`)
	if i <= 0 {
		return nil
	}
	return os.MkdirAll(path[:i], 0o700)
}

// historyMeta collects what every run of the program shares.
func historyMeta(p *Program, r Runner, o *options) history.Run {
	var m history.Run
	m.Labels = o.hist.labelMap()
	m.Profile = o.hist.profile
	m.Host = o.host
	m.Users, m.SpawnRate, m.RunTime = o.users, o.spawnRate, o.runTime
	for _, c := range webuiRunClasses(r) {
		m.Classes = append(m.Classes, history.Class{Name: c.cc.name, Weight: c.cc.weight, FixedCount: c.cc.fixedCount})
	}
	if hr, ok := r.(sessionRunner); ok {
		cfg := hr.testConfig()
		if m.Host == "" {
			m.Host = cfg.Host
		}
		switch {
		case cfg.Arrival != nil:
			m.Shape = fmt.Sprintf("arrival rate %g/s, %d stages", cfg.Arrival.Rate, len(cfg.Arrival.Stages))
			if o.open.stages != "" {
				m.Shape += ": " + o.open.stages
			}
		case p.Shape != nil:
			m.Shape = fmt.Sprintf("load shape %T", p.Shape)
		}
	}
	if o.set != nil {
		m.Options = historyOptionValues(o.set.FlagSet(), func(name string) bool { _, ok := o.optSource(name); return ok })
	}
	m.Build = historyBuild()
	return m
}

// historyBuild reads the program's build information.
func historyBuild() history.Build {
	var b history.Build
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Version, b.GoVersion = bi.Main.Path, bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if f := strings.Fields(versionString()); len(f) > 1 {
		b.Golocust = f[1]
	}
	return b
}

// begin starts recording a test that started now.
func (h *historyOutput) begin(now time.Time) {
	run := h.meta
	run.Labels, run.Options = historyCloneMap(h.meta.Labels), historyCloneMap(h.meta.Options)
	run.ID = history.NewID(now)
	run.Start = now.UTC()
	if h.web {
		// The start form, not -u, sets the users: the ticks record
		// their peak.
		run.Users = 0
	}
	if h.base != nil {
		run.Baseline = h.base.ID
	}
	h.cur = &run
	h.ckpt = make(chan *Snapshot, 1)
	h.wg.Add(1)
	go h.checkpoints(h.cur, h.ckpt)
	h.log.Info("recording the run", "run", run.ID)
}

func historyCloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// checkpoints saves the snapshots it receives until ch is closed.
func (h *historyOutput) checkpoints(run *history.Run, ch <-chan *Snapshot) {
	defer h.wg.Done()
	failed := false
	for s := range ch {
		h.mu.Lock()
		err := historyFillStats(run, s)
		if err == nil {
			err = h.store.Save(context.Background(), run)
		}
		h.mu.Unlock()
		if err != nil && !failed {
			failed = true // say it once per run
			h.log.Error("cannot checkpoint the run in the history", "run", run.ID, "error", err)
		}
	}
}

// onTick starts recording a test that started and queues a checkpoint
// of a running one, never waiting for the database. In web UI mode, the
// tests that started and stopped since the last tick are recorded first,
// a stopped one saved with its final statistics.
func (h *historyOutput) onTick(s *Snapshot, users int) {
	if h.web {
		h.drainEvents(nil)
		st := h.r.State()
		if h.cur == nil || s.Time.Before(h.cur.Start) || (st != StateSpawning && st != StateRunning) {
			return // no test, or s is from before this one
		}
		h.checkpoint(s, users)
		return
	}
	st := h.r.State()
	if h.cur == nil {
		if st == StateSpawning || st == StateRunning {
			h.begin(time.Now())
		} else {
			return
		}
	}
	h.checkpoint(s, users)
}

// checkpoint records the peak users and queues s for the checkpoint
// goroutine, replacing an older snapshot it has not taken yet.
func (h *historyOutput) checkpoint(s *Snapshot, users int) {
	h.mu.Lock()
	h.cur.Users = max(h.cur.Users, users) // the peak
	h.mu.Unlock()
	select {
	case <-h.ckpt: // drop an older one not yet taken
	default:
	}
	h.ckpt <- s
}

// onFinish saves the session's last test with its result.
func (h *historyOutput) onFinish(res *runResult) {
	if h.web {
		// The session stopped the runner: its last stop is queued.
		h.drainEvents(res)
		if h.cur == nil {
			return
		}
	}
	if !res.ran {
		return
	}
	h.finish(res.snapshot, res.verdict, res.exitCode, res.reason)
}

// verdict completes the runner's verdict with the thresholds relative to
// the baseline. Without a recorder (no history), they fail with a note.
func (h *historyOutput) verdict(v Verdict, s *Snapshot, ths []Threshold) Verdict {
	var base *Snapshot
	optional := false
	if h != nil {
		base, optional = h.baseSnap, h.o.hist.baselineOptional
	}
	changed := false
	for i, th := range ths {
		if th.Baseline <= 0 || i >= len(v.Results) {
			continue
		}
		changed = true
		if base == nil && optional {
			v.Results[i] = ThresholdResult{Threshold: th, Pass: true, Note: "no baseline run: not checked"}
			continue
		}
		v.Results[i] = th.CheckBaseline(s, base)
	}
	if changed && !v.Aborted {
		v.Pass = true
		for _, r := range v.Results {
			v.Pass = v.Pass && r.Pass
		}
	}
	return v
}

// finish saves the test's final statistics (those of its last
// checkpoint when s is nil) and outcome, waits for the save and applies
// the retention policy. The error is logged.
func (h *historyOutput) finish(s *Snapshot, v *Verdict, code int, reason EndReason) {
	if h.cur == nil {
		h.begin(s.Start)
	}
	close(h.ckpt)
	h.wg.Wait()
	run := h.cur
	h.cur = nil
	run.End = time.Now().UTC()
	run.ExitCode, run.EndReason = code, string(reason)
	if v != nil {
		run.Verdict = "pass"
		switch {
		case v.Aborted:
			run.Verdict, run.Aborted, run.AbortReason = "aborted", true, v.AbortReason
		case !v.Pass:
			run.Verdict = "fail"
		}
		run.Thresholds = historyThresholds(v)
	}
	run.Nodes, run.Workers = historyNodes(h.r)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if s != nil {
		err = historyFillStats(run, s)
	}
	if err == nil {
		err = h.store.Save(ctx, run)
	}
	if err != nil {
		h.log.Error("cannot save the run in the history", "run", run.ID, "store", h.store.String(), "error", err)
		return
	}
	h.log.Info("run saved in the history", "run", run.ID, "store", h.store.String())
	if h.o.hist.keep > 0 || h.o.hist.maxAge > 0 {
		p := history.Retention{Keep: h.o.hist.keep, MaxAge: h.o.hist.maxAge, Protect: []string{run.ID}}
		if h.base != nil {
			p.Protect = append(p.Protect, h.base.ID)
		}
		if n, err := h.store.Prune(ctx, p); err != nil {
			h.log.Error("cannot apply the history retention", "error", err)
		} else if n > 0 {
			h.log.Info("deleted old runs from the history", "deleted", n)
		}
	}
}

// historyNodes names the processes that generated load.
func historyNodes(r Runner) ([]string, []history.Worker) {
	m, ok := r.(*MasterRunner)
	if !ok {
		return []string{"local"}, nil
	}
	var nodes []string
	var ws []history.Worker
	for _, w := range m.Workers() {
		nodes = append(nodes, w.ID)
		ws = append(ws, history.Worker{ID: w.ID, State: w.State, Users: w.Users})
	}
	return nodes, ws
}

// close closes the store; a test still being recorded (the session
// ended abnormally) stays unfinished and reads as interrupted.
func (h *historyOutput) close() {
	if h == nil {
		return
	}
	h.events.unsubscribe()
	if h.cur != nil {
		close(h.ckpt)
		h.wg.Wait()
		h.cur = nil
	}
	if err := h.store.Close(); err != nil {
		h.log.Error("closing the run history", "error", err)
	}
}
