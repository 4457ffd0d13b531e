package locust

// One run of a load-test program: the session that Program.Main starts in
// local, master and web UI mode. It owns the interrupts (the first stops
// the test gracefully, the second exits at once), ticks the outputs once a
// second with one shared snapshot, stops the runner, hands every output
// the one final result and computes the exit code once. See
// docs/ARCHITECTURE.md, "Where to add an output".

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// sessionRunner is what a session drives: a local runner or a master.
type sessionRunner interface {
	Runner
	// Start starts a test, or changes the user count and spawn rate of
	// the running one.
	Start(users int, rate float64) error
	// StartShape starts a test whose user count a load shape drives.
	StartShape(shape LoadShape) error
	EndReason() EndReason
	// testConfig is the configuration the runner was made with.
	testConfig() Config
	// StartArrival starts an arrival-rate (open model) test.
	StartArrival(a Arrival) error
	// Verdict evaluates Config.Thresholds now.
	Verdict() Verdict
}

// output is one destination of a session's statistics: the console, the
// CSV files, the HTML report, the JSON document. The session calls its
// methods from one goroutine, in the order of its output list.
type output interface {
	// onTick receives the statistics once a second while a test runs.
	// s is shared by every output and must not be modified.
	onTick(s *Snapshot, users int)
	// onFinish receives the result of the session once, at its end.
	onFinish(res *runResult)
}

// runResult is what a session ends with, the same for every output.
type runResult struct {
	snapshot *Snapshot // the final statistics
	users    int       // users running at the end
	verdict  *Verdict  // nil without thresholds
	reason   EndReason // why the test ended
	// ran is false when no test was started (a web UI closed at once).
	ran bool
	// abrupt is true when a second interrupt cut the stop short.
	abrupt   bool
	exitCode int
}

// sessionTick is how often the outputs receive a snapshot.
const sessionTick = time.Second

// session is one run of Program.Main against a runner.
type session struct {
	p       *Program
	r       sessionRunner
	o       *options
	log     *slog.Logger
	console *consoleOut
	outputs []output
	sigs    <-chan os.Signal
	// hist is the run history output, nil without one; it also checks
	// the thresholds relative to a baseline run (history_record.go).
	hist *historyOutput
}

// newSession returns a session with the outputs the options ask for, or
// an error when an output cannot be set up (a CSV prefix in a missing
// directory). Call close when done.
func newSession(p *Program, r sessionRunner, o *options, console *consoleOut, log *slog.Logger) (*session, func(), error) {
	s := &session{p: p, r: r, o: o, log: log, console: console}
	if st, ok := r.(interface{ Stats() *Stats }); ok && o.pct.chartQ != nil {
		_ = st.Stats().SetChartPercentiles(o.pct.chartQ) // checked by options.config
	}
	hist, err := newHistoryOutput(context.Background(), p, r, o, log)
	if err != nil {
		return nil, nil, err
	}
	sigs, stopSigs := programSignals(p.Signals)
	stop := func() { stopSigs(); hist.close() }
	s.sigs = sigs
	if hist != nil {
		// First: the run is in the store before the program reports it.
		s.hist = hist
		s.outputs = append(s.outputs, hist)
	}
	s.outputs = append(s.outputs, &htmlOutput{p: p, r: r, o: o, log: log})
	if o.csv != "" {
		csv, err := newCSVWriterQuantiles(o.csv, o.csvFullHistory, o.fileMode(), o.pct.reportQ)
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("cannot write CSV files with prefix %q: %w", o.csv, err)
		}
		s.outputs = append(s.outputs, &csvOutput{w: csv, prefix: o.csv, log: log})
	}
	if o.json {
		s.outputs = append(s.outputs, &jsonOutput{w: p.stdout(), log: log})
	}
	if path := o.parity.jsonFilePath(); path != "" {
		s.outputs = append(s.outputs, &jsonFileOutput{path: path, log: log})
	}
	s.outputs = append(s.outputs, console, &rowsWarning{log: log})
	return s, stop, nil
}

// programSignals returns the interrupts of p.Signals, or SIGINT and
// SIGTERM when nil, and a function that stops listening.
func programSignals(sigs <-chan os.Signal) (<-chan os.Signal, func()) {
	if sigs != nil {
		return sigs, func() {}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// watch ticks the outputs until end delivers, ctx is done or an interrupt
// arrives, and reports whether it was interrupted.
func (s *session) watch(ctx context.Context, end <-chan struct{}, interruptMsg string) (interrupted bool) {
	tick := time.NewTicker(sessionTick)
	defer tick.Stop()
	for {
		select {
		case <-end:
			return false
		case <-ctx.Done():
			return true
		case sig := <-s.sigs:
			s.log.Info(interruptMsg+" (interrupt again to exit at once)", "signal", sig.String())
			return true
		case <-tick.C:
			if s.r.State() == StateReady {
				continue // the web UI before its first test
			}
			snap := s.r.Snapshot()
			users := s.r.UserCount()
			for _, out := range s.outputs {
				out.onTick(snap, users)
			}
		}
	}
}

// stop stops the runner gracefully; a second interrupt cuts it short
// (abrupt is then true).
func (s *session) stop() (abrupt bool) {
	stopped := make(chan error, 1)
	go func() { stopped <- s.r.Stop(context.Background()) }()
	select {
	case <-stopped:
		return false
	case sig := <-s.sigs:
		s.log.Warn("exiting at once", "signal", sig.String())
		return true
	}
}

// finish builds the result, hands it to every output and returns it.
func (s *session) finish(ran, abrupt, interrupted bool) *runResult {
	res := &runResult{snapshot: s.r.Snapshot(), users: s.r.UserCount(), ran: ran, abrupt: abrupt, reason: s.r.EndReason()}
	if interrupted {
		res.reason = EndInterrupted
	}
	ths := s.r.testConfig().Thresholds
	if len(ths) > 0 {
		v := s.hist.verdict(s.r.Verdict(), res.snapshot, ths)
		res.verdict = &v
	}
	res.exitCode = exitCode(s.o.exitCodeOnError, ths, res.snapshot, res.verdict)
	for _, out := range s.outputs {
		out.onFinish(res)
	}
	return res
}

// logEnd logs what the result says beyond the tables: the verdict, the
// dropped arrivals and the requests the stop aborted.
func (s *session) logEnd(res *runResult) {
	snap := res.snapshot
	if v := res.verdict; v != nil {
		if v.Aborted {
			s.log.Error("the test was aborted by an abort rule", "rule", v.AbortReason, "exit_code", res.exitCode)
		} else if !v.Pass {
			s.log.Error("thresholds failed", "failed", len(v.Failed()), "of", len(v.Results), "exit_code", res.exitCode)
		}
	}
	if sch := snap.Schedule; sch != nil && sch.Dropped > 0 {
		s.log.Warn("arrivals were dropped: no user was free and the pool was at its maximum (--arrival-max-users)", "dropped", sch.Dropped, "scheduled", sch.Scheduled)
	}
	if n := snap.Total.Aborted; n > 0 {
		s.log.Info("requests were cut short by the stop: counted as requests and as aborted, not as failures (--stop-timeout lets them finish)", "aborted", n)
	}
}

// runHeadless is Program.Main with --headless: it starts the test, ticks
// the outputs until the test ends or is interrupted, stops it and
// returns the exit code.
func runHeadless(ctx context.Context, p *Program, r sessionRunner, o *options, console *consoleOut, log *slog.Logger) int {
	s, closeSession, err := newSession(p, r, o, console, log)
	if err != nil {
		log.Error(err.Error())
		return ExitError
	}
	defer closeSession()

	switch cfg := r.testConfig(); {
	case cfg.Arrival != nil:
		log.Info("starting an arrival-rate test", "rate_per_s", cfg.Arrival.Rate, "stages", len(cfg.Arrival.Stages), "run_time", o.runTime)
		err = r.StartArrival(*cfg.Arrival)
	case p.Shape != nil:
		log.Info("starting a test driven by a load shape")
		err = r.StartShape(p.Shape)
	default:
		log.Info("ramping", "users", o.users, "spawn_rate", o.spawnRate, "run_time", o.runTime)
		err = r.Start(o.users, o.spawnRate)
	}
	if err != nil {
		log.Error("cannot start the test", "error", err)
		s.finish(false, false, false)
		return ExitError
	}

	ended := make(chan struct{})
	waitCtx, cancelWait := context.WithCancel(context.Background())
	go func() {
		defer close(ended)
		_ = r.Wait(waitCtx)
	}()
	defer func() {
		cancelWait()
		<-ended
	}()
	interrupted := s.watch(ctx, ended, "stopping the test")
	abrupt := s.stop()
	res := s.finish(true, abrupt, interrupted)
	s.logEnd(res)
	log.Info("test ended", append([]any{"reason", res.reason}, endCounts(res.snapshot, res.exitCode)...)...)
	return res.exitCode
}

// exitCode is the exit code of a test, computed here only. Without
// thresholds it is Locust's: onError when anything failed (samples
// aborted by the stop itself are not failures of the target). With
// thresholds: 4 when an abort rule stopped the test, 3 when a threshold
// failed; otherwise, when thresholds other than abort rules were given
// they decide (failed requests no longer set the exit code by
// themselves, a fail_ratio threshold does that; exceptions of user code
// still do). With abort rules alone, Locust's rule applies.
func exitCode(onError int, ths []Threshold, s *Snapshot, v *Verdict) int {
	base := ExitOK
	if s.Total.Failures > 0 || len(s.Exceptions) > 0 {
		base = onError
	}
	if v == nil {
		return base
	}
	switch {
	case v.Aborted:
		return ExitAborted
	case !v.Pass:
		return ExitThresholds
	}
	for _, th := range ths {
		if !th.Abort {
			if len(s.Exceptions) > 0 {
				return onError
			}
			return ExitOK
		}
	}
	return base
}

// endCounts are the attributes of the end-of-run log line: requests,
// failures, aborted requests, exceptions (every occurrence) and
// exception_kinds (distinct message and stack), and the exit code.
func endCounts(s *Snapshot, exitCode int) []any {
	var n int64
	for _, x := range s.Exceptions {
		n += x.Count
	}
	return []any{"requests", s.Total.Requests, "failures", s.Total.Failures, "aborted", s.Total.Aborted,
		"exceptions", n, "exception_kinds", len(s.Exceptions), "exit_code", exitCode}
}

func (p *Program) getenv() func(string) string {
	if p.Getenv != nil {
		return p.Getenv
	}
	return os.Getenv
}

func (p *Program) stdout() io.Writer {
	if p.Stdout != nil {
		return p.Stdout
	}
	return os.Stdout
}

func (p *Program) stderrW() io.Writer {
	if p.Stderr != nil {
		return p.Stderr
	}
	return os.Stderr
}
