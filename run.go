package locust

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

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
// With "history" as the first argument the program lists, shows,
// compares, exports and imports the runs of its run history instead
// (`./loadtest history list`; see docs/history.md).
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
	// environment variables and in locust.conf, and in the web UI's
	// start form, where a bool is a check box, an int or float flag a
	// number box, a [*Choice] a drop-down, a [*Secret] a masked field
	// (its value never shown) and any other flag a text box.
	//
	// Read their values in tasks through the variables they were bound
	// to. A value from the start form applies to the test it starts: it
	// is set before that test's first user starts and does not change
	// while the test runs (the form refuses a change then), so tasks
	// read it without locking. A master started from its web UI sends
	// every current value to its workers with the test, and each
	// worker's program sets them the same way before its users start.
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
	// ExitThresholds: at least one threshold (--threshold) failed.
	// Locust has no convention for it.
	ExitThresholds = 3
	// ExitAborted: an abort rule (--abort-on, or a threshold marked
	// abort) stopped the test early.
	ExitAborted = 4
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
	if len(args) > 0 && args[0] == "history" {
		return p.historyMain(ctx, prog, args[1:], stdout, stderr) // history_cli.go
	}

	o := &options{}
	s := newOptionSet(prog, o)
	if p.Flags != nil {
		var err error
		if o.prog, err = registered(s.FlagSet(), p.Flags); err != nil {
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
	if code, ok := runSecurityTool(&o.sec, os.Stdin, stdout, stderr, prog); ok {
		return code
	}
	cfg, err := o.config(p.Classes)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		if cli.IsUsage(err) {
			return ExitUsage
		}
		return ExitError
	}
	if o.parity.showTaskRatio || o.parity.showTaskRatioJSON {
		return showTaskRatio(o, cfg, stdout, stderr, prog)
	}
	log, closer, err := o.programLogger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	defer closer.Close()
	for _, w := range o.parity.warnings() {
		log.Warn(w)
	}
	closeAudit, err := openAuditLog(o, p.getenv(), log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	defer closeAudit()
	cfg.Logger = log
	cfg.Shape = p.Shape
	rlimitRaiseOpenFiles(log)
	health, stopHealth, err := startHealth(o, log)
	if err != nil {
		log.Error("cannot listen for health checks", "option", o.optDisplay("health-port"), "error", err)
		return ExitError
	}
	defer stopHealth()
	o.deploy.probe = health
	if p.Shape != nil {
		for _, name := range []string{"users", "spawn-rate"} {
			if src, ok := o.optSource(name); ok {
				log.Warn("a load shape drives this test: the option is not used", "option", o.optDisplay(name), "from", src)
			}
		}
	}

	console := newConsoleOut(stdout, stderr, o)
	stopTraces, err := p.startTraces(&cfg, o, log) // traces_otel.go
	if err != nil {
		log.Error("cannot export traces", "error", err)
		return ExitUsage
	}
	defer stopTraces()
	if code, ok := p.runDistributed(ctx, o, cfg, log, console); ok {
		return code
	}
	r, err := NewLocalRunner(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	health.setReady(func() bool { return true })
	stopMetrics, ok := p.setUp(r, o, "local", log)
	if !ok {
		return ExitError
	}
	defer stopMetrics()
	defer r.events.Quitting.Fire(TestEvent{Runner: r})
	if !o.headless {
		return runWebUI(ctx, p, r, o, console, log)
	}
	return runHeadless(ctx, p, r, o, console, log)
}

// registerProgramFlags calls the program's flag registration, turning the

// setUp runs Program.Setup on r, then starts r's metrics (mode: local,
// master or worker; see startMetrics). A failure is logged and ok is
// false; else stopMetrics ends the metrics.
func (p *Program) setUp(r Runner, o *options, mode string, log *slog.Logger) (stopMetrics func(), ok bool) {
	if p.Setup != nil {
		if err := p.Setup(r); err != nil {
			log.Error("setup failed", "error", err)
			return nil, false
		}
	}
	stopMetrics, err := p.startMetrics(r, o, mode, log)
	if err != nil {
		log.Error("cannot serve metrics", "error", err)
		return nil, false
	}
	return stopMetrics, true
}

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
