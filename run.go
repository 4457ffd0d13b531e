package locust

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/golocust/locust/internal/cli"
)

// Run is the entry point of a load-test program: it reads the options from
// os.Args, the LOCUST_* environment variables and locust.conf (or
// --config FILE), runs the test and returns the exit code for os.Exit:
//
//	func main() { os.Exit(locust.Run(Shopper, Admin)) }
//
// The options are Locust's (-u/--users, -r/--spawn-rate, -t/--run-time,
// -H/--host, --headless, --csv, ...; -h lists them). Exit codes are
// Locust's: 0 when the test had no failure and no exception, 1 when it had
// (--exit-code-on-error changes that code), 2 for bad usage; and 3
// ([ExitThresholds]) when a --threshold failed, 4 ([ExitAborted]) when an
// abort rule stopped the test. With thresholds, they decide the exit code
// instead of failed requests (see docs/open-model.md).
// Use [Program] to add your own options, a load shape or event listeners.
func Run(classes ...UserClass) int {
	p := &Program{Classes: classes}
	return p.Main(context.Background(), os.Args[1:])
}

// Program is a load-test command-line program with more than classes:
// custom options, a load shape, event listeners. The zero value of every
// field but Classes is a valid default.
type Program struct {
	// Classes are the user classes the program can run; positional
	// arguments pick a subset by name.
	Classes []UserClass
	// Shape, when set, drives the user count (-u and -r are then not
	// used).
	Shape LoadShape
	// Flags registers the program's own options (Locust's custom
	// arguments) on the parser. They can also be set with LOCUST_<NAME>
	// environment variables and in locust.conf. Read their values in
	// tasks through the variables they were bound to.
	Flags func(fs *flag.FlagSet)
	// Setup runs once the runner exists and before the test starts, for
	// example to add event listeners. An error ends the program (exit 1).
	Setup func(r Runner) error
	// Stdout and Stderr default to os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// Getenv defaults to os.Getenv; Dir (where locust.conf is looked up)
	// to the working directory.
	Getenv func(string) string
	Dir    string
	// Signals delivers interrupt requests; nil means SIGINT and SIGTERM.
	// The first stops the test gracefully, the second exits at once.
	Signals <-chan os.Signal
}

// Exit codes of [Run] besides --exit-code-on-error.
const (
	ExitOK    = 0 // the test passed
	ExitError = 1 // failures or exceptions, or the test could not run
	ExitUsage = 2 // bad options or configuration
)

// Main runs the program with args (without the program name) and returns
// its exit code. Cancelling ctx stops the test like an interrupt.
func (p *Program) Main(ctx context.Context, args []string) (code int) {
	stdout, stderr := p.Stdout, p.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	getenv := p.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	dir := p.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	prog := filepath.Base(os.Args[0])

	o := &options{}
	s := newOptionSet(prog, o)
	if p.Flags != nil {
		if err := registerProgramFlags(p.Flags, s.FlagSet()); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return ExitUsage
		}
	}
	if _, err := parseOptions(s, o, args, getenv, dir); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			s.PrintHelp(stdout)
			return ExitOK
		}
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	if o.version {
		_ = printVersion(stdout)
		return ExitOK
	}
	if o.list {
		_ = printClassList(stdout, p.Classes)
		return ExitOK
	}
	cfg, err := o.config(p.Classes)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		if cli.IsUsage(err) {
			return ExitUsage
		}
		return ExitError
	}
	log, closer, err := newLoggerMode(o.loglevel, o.logfile, stderr, o.fileMode())
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	defer closer.Close()
	cfg.Logger = log
	cfg.Shape = p.Shape
	rlimitRaiseOpenFiles(log)
	if p.Shape != nil {
		for _, name := range []string{"users", "spawn-rate"} {
			if src, ok := o.optSource(name); ok {
				log.Warn("a load shape drives this test: the option is not used", "option", o.optDisplay(name), "from", src)
			}
		}
	}

	if code, ok := p.runDistributed(ctx, o, cfg, log, p.newConsoleOut(stdout, stderr, o)); ok {
		return code
	}
	r, err := NewLocalRunner(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	if p.Setup != nil {
		if err := p.Setup(r); err != nil {
			log.Error("setup failed", "error", err)
			return ExitError
		}
	}
	out := &consoleOut{w: stdout, o: o}
	if o.json {
		// stdout carries the JSON document alone.
		out.w = stderr
	}
	defer r.events.Quitting.Fire(TestEvent{Runner: r})
	if !o.headless {
		return runWebUI(ctx, p, r, o, out, log)
	}
	return runHeadless(ctx, p, r, o, out, log)
}

// registerProgramFlags calls the program's flag registration, turning the
// flag package's panic on a duplicate name into an error.
func registerProgramFlags(register func(*flag.FlagSet), fs *flag.FlagSet) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Program.Flags: %v (the name is taken by a golocust option; choose another)", r)
		}
	}()
	register(fs)
	return nil
}

// consoleOut prints the live and final tables.
type consoleOut struct {
	w io.Writer
	o *options
}

func (c *consoleOut) nameWidth() int {
	cols := consoleTermCols()
	if f, ok := c.w.(*os.File); ok && cols == 0 {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			cols = w
		}
	}
	return consoleNameWidth(cols)
}

func (c *consoleOut) periodic(s *Snapshot) {
	if c.o.onlySummary {
		return
	}
	_ = writeStatsTable(c.w, s, true, c.nameWidth())
	fmt.Fprintln(c.w)
	_ = writeScheduleLine(c.w, s)
}

func (c *consoleOut) summary(s *Snapshot) {
	w := c.nameWidth()
	_ = writeStatsTable(c.w, s, false, w)
	fmt.Fprintln(c.w)
	_ = writePercentileTable(c.w, s, w)
	fmt.Fprintln(c.w)
	_ = writeScheduleTable(c.w, s)
	if len(s.Failures) > 0 {
		_ = writeErrorReport(c.w, s)
		fmt.Fprintln(c.w)
	}
	if len(s.Exceptions) > 0 {
		_ = writeExceptionReport(c.w, s)
		fmt.Fprintln(c.w)
	}
}

// consoleInterval is how often the live table is printed, as Locust.
const consoleInterval = 2 * time.Second

func runHeadless(ctx context.Context, p *Program, r headlessRunner, o *options, out *consoleOut, log *slog.Logger) int {
	sigs := p.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	var csv *csvWriter
	if o.csv != "" {
		var err error
		if csv, err = newCSVWriterMode(o.csv, o.csvFullHistory, o.fileMode()); err != nil {
			log.Error("cannot write CSV files", "prefix", o.csv, "error", err)
			return ExitError
		}
	}
	finish := func(s *Snapshot) {
		writeHTMLReport(p, r, o, log)
		if csv != nil {
			if err := csv.close(s, r.UserCount()); err != nil {
				log.Error("writing CSV files", "error", err)
			}
			if err := writeScheduleCSV(o.csv, s); err != nil {
				log.Error("writing CSV files", "error", err)
			}
		}
	}

	var err error
	switch {
	case r.testConfig().Arrival != nil:
		a := r.testConfig().Arrival
		log.Info("starting an arrival-rate test", "rate_per_s", a.Rate, "stages", len(a.Stages), "run_time", o.runTime)
		err = r.StartArrival(*a)
	case p.Shape != nil:
		log.Info("starting a test driven by a load shape")
		err = r.StartShape(p.Shape)
	default:
		log.Info("ramping", "users", o.users, "spawn_rate", o.spawnRate, "run_time", o.runTime)
		err = r.Start(o.users, o.spawnRate)
	}
	if err != nil {
		log.Error("cannot start the test", "error", err)
		finish(r.Snapshot())
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

	table := time.NewTicker(consoleInterval)
	defer table.Stop()
	csvTick := time.NewTicker(time.Second)
	defer csvTick.Stop()
	interrupted := false
loop:
	for {
		select {
		case <-ended:
			break loop
		case <-ctx.Done():
			interrupted = true
			break loop
		case sig := <-sigs:
			log.Info("stopping the test (interrupt again to exit at once)", "signal", sig.String())
			interrupted = true
			break loop
		case <-table.C:
			out.periodic(r.Snapshot())
		case <-csvTick.C:
			if csv != nil {
				if err := csv.update(r.Snapshot(), r.UserCount()); err != nil {
					log.Error("writing CSV files", "error", err)
				}
			}
		}
	}

	// Stop gracefully; a second interrupt exits at once with what is
	// recorded so far written out.
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(context.Background()) }()
	select {
	case <-stopped:
	case sig := <-sigs:
		log.Warn("exiting at once", "signal", sig.String())
		s := r.Snapshot()
		finish(s)
		out.summary(s)
		code := exitCode(o, s)
		if len(r.testConfig().Thresholds) > 0 {
			v := r.Verdict()
			_ = writeVerdictTable(out.w, v)
			code = openExitCode(v, r.testConfig().Thresholds, s, code, o.exitCodeOnError)
		}
		return code
	}
	s := r.Snapshot()
	finish(s)
	var verdict *Verdict
	if len(r.testConfig().Thresholds) > 0 {
		v := r.Verdict()
		verdict = &v
	}
	if o.json {
		if err := writeJSONVerdict(p.stdout(), s, r.UserCount(), verdict); err != nil {
			log.Error("writing JSON", "error", err)
		}
	}
	out.summary(s)
	code := exitCode(o, s)
	if verdict != nil {
		_ = writeVerdictTable(out.w, *verdict)
		code = openExitCode(*verdict, r.testConfig().Thresholds, s, code, o.exitCodeOnError)
		if verdict.Aborted {
			log.Error("the test was aborted by an abort rule", "rule", verdict.AbortReason, "exit_code", code)
		} else if !verdict.Pass {
			log.Error("thresholds failed", "failed", len(verdict.Failed()), "of", len(verdict.Results), "exit_code", code)
		}
	}
	if sch := s.Schedule; sch != nil && sch.Dropped > 0 {
		log.Warn("arrivals were dropped: no user was free and the pool was at its maximum (--arrival-max-users)", "dropped", sch.Dropped, "scheduled", sch.Scheduled)
	}
	reason := r.EndReason()
	if interrupted {
		reason = "interrupted"
	}
	if n := abortedCount(s); n > 0 {
		log.Info("requests were aborted by the stop and are counted as failures; they do not change the exit code (--stop-timeout lets them finish)", "aborted", n)
	}
	log.Info("test ended", "reason", reason, "requests", s.Total.Requests, "failures", s.Total.Failures, "exceptions", len(s.Exceptions), "exit_code", code)
	return code
}

func (p *Program) stdout() io.Writer {
	if p.Stdout != nil {
		return p.Stdout
	}
	return os.Stdout
}

// exitCode is Locust's: --exit-code-on-error when anything failed.
// Samples aborted by the stop itself are not failures of the target.
func exitCode(o *options, s *Snapshot) int {
	if s.Total.Failures-abortedCount(s) > 0 || len(s.Exceptions) > 0 {
		return o.exitCodeOnError
	}
	return ExitOK
}

// abortedCount counts the samples recorded with ErrAborted.
func abortedCount(s *Snapshot) int64 {
	var n int64
	for _, f := range s.Failures {
		if f.Error == ErrAborted.Error() {
			n += f.Occurrences
		}
	}
	return n
}
