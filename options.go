package locust

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/internal/cli"
	"github.com/golocust/locust/internal/dispatch"
	"github.com/golocust/locust/internal/hostmatch"
	"github.com/golocust/locust/internal/redact"
)

// options holds every command-line option of a load-test program (see
// newOptionSet). Fields for features not available yet are parsed so that
// help, config files and env vars know them, and rejected by config.
type options struct {
	// Common.
	configFile string
	host       string
	users      int
	spawnRate  float64
	runTime    time.Duration
	iterations int64
	list       bool

	// Web UI.
	webHost     string
	webPort     int
	webAuth     string
	webNoAuth   bool
	tlsCert     string
	tlsKey      string
	headless    bool
	autostart   bool
	autoquit    int
	classPicker bool
	sec         webSecOptions // accounts, audit log (websec.go)

	// Distributed.
	master               bool
	masterBindHost       string
	masterBindPort       int
	expectWorkers        int
	expectWorkersMaxWait int
	clusterToken         string
	allowInsecureToken   bool
	maxUsersPerWorker    int
	allowedHosts         []string
	worker               bool
	processes            int
	masterHost           string
	masterPort           int
	masterTLSCert        string
	masterTLSKey         string
	masterTLSClientCA    string
	masterTLSCA          string
	workerTLSCert        string
	workerTLSKey         string
	masterLostTimeout    time.Duration
	reportInterval       time.Duration
	noRebalance          bool
	// workerOf is the master address from GOLOCUST_WORKER_OF (a process
	// started by --processes).
	workerOf string
	// args are the arguments parsed, for --processes.
	args []string

	// Tags.
	tags        []string
	excludeTags []string

	// Request statistics.
	csv            string
	csvFullHistory bool
	printStats     bool
	onlySummary    bool
	resetStats     bool
	html           string
	json           bool

	// Logging.
	loglevel   string
	logfile    string
	outputMode string

	// Other.
	version         bool
	exitCodeOnError int
	stopTimeout     time.Duration
	seed            uint64

	// classNames are the positional user class names (LOCUST_USER_CLASSES).
	classNames []string
	// set is the option set o was parsed with, for the source of values.
	set *cli.Set
	// open are the open-model, threshold and limit options
	// (options_arrival.go).
	open openOptions
	// parity are Locust's options accepted for compatibility
	// (options_parity.go).
	parity parityOptions
	// hist are the run history's options (options_history.go).
	hist historyOptions
	// metrics are the exporters' options (options_metrics.go).
	metrics metricsOptions
	// deploy are the health, secret-file and lost-master options
	// (options_deploy.go).
	deploy deployOptions
}

// optLogLevels are the allowed --loglevel values, lower case.
var optLogLevels = []string{"debug", "info", "warning", "error", "critical"}

// newOptionSet makes a flag set named prog with every option of a
// load-test program registered on it, storing into o. Program authors may
// register their own flags on s.FlagSet() before parseOptions; those get
// env vars (LOCUST_<NAME>) and locust.conf keys too.
func newOptionSet(prog string, o *options) *cli.Set {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	s := cli.New(fs, "LOCUST_")
	o.set = s

	s.Group("Common options")
	fs.StringVar(&o.configFile, "config", "", "Config file to read options from, after locust.conf in the working directory.")
	s.Describe("config", "", "FILE")
	s.ConfigFile("config", "locust.conf")
	s.HomeConfigFile(".locust.conf")
	fs.StringVar(&o.host, "host", "", "Base address of the system under test, with its scheme, e.g. https://www.example.com. Overrides every class's Host.")
	s.Describe("host", "H", "HOST")
	s.Var(cli.StringsVar(&o.allowedHosts), "", "allowed-hosts", "PATTERN", "Send load only to these hosts: names (example.com), *.example.com, IP addresses, networks (10.0.0.0/8), each with an optional :PORT. Checked by the master, by every worker and for every HTTP request. Default: any host.")
	fs.IntVar(&o.users, "users", 1, "Peak number of concurrent users.")
	s.Describe("users", "u", "NUMBER")
	fs.Float64Var(&o.spawnRate, "spawn-rate", 1, "Users to start (or stop) per second.")
	s.Describe("spawn-rate", "r", "RATE")
	s.Var(cli.TimespanVar(&o.runTime), "t", "run-time", "TIME", "Stop after this long, e.g. 300s, 20m, 3h, 1h30m. Default: run until interrupted.")
	fs.Int64Var(&o.iterations, "iterations", 0, "Stop after this many task runs in total over all users. Default: no limit.")
	s.Describe("iterations", "i", "COUNT")
	fs.BoolVar(&o.list, "list", false, "Show the available user classes and exit.")
	s.Describe("list", "l", "")
	s.SetEnv("list", "")
	s.Positional("user-classes", "UserClass", "Run only these user classes (all by default).")

	s.Group("Web UI options")
	fs.StringVar(&o.webHost, "web-host", "", "Interface the web UI binds to. Default: 127.0.0.1 (this machine only); \"*\" means every interface, which requires --web-users or --web-auth.")
	s.Describe("web-host", "", "HOST")
	fs.IntVar(&o.webPort, "web-port", 8089, "Port of the web UI (0: any free port).")
	s.Describe("web-port", "P", "PORT")
	fs.BoolVar(&o.headless, "headless", false, "Run without the web UI and start the test at once.")
	s.Describe("headless", "", "")
	fs.BoolVar(&o.autostart, "autostart", false, "Start the test at once and keep the web UI up.")
	s.Describe("autostart", "", "")
	fs.IntVar(&o.autoquit, "autoquit", -1, "Quit this many seconds after an --autostart test ends.")
	s.Describe("autoquit", "", "SECONDS")
	fs.StringVar(&o.webAuth, "web-auth", "", "Credentials of the web UI: a login page for browsers, HTTP Basic for API clients. Put them in LOCUST_WEB_AUTH or a config file rather than on the command line.")
	s.Describe("web-auth", "", "USER:PASS")
	fs.BoolVar(&o.webNoAuth, "web-no-auth", false, "Allow a web UI bound beyond this machine without accounts (--web-users, --web-auth); needs --web-no-auth-confirm too. Anyone who reaches it can start load tests.")
	s.Describe("web-no-auth", "", "")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate of the web UI (serves HTTPS with --tls-key).")
	s.Describe("tls-cert", "", "FILE")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS private key of the web UI.")
	s.Describe("tls-key", "", "FILE")
	fs.BoolVar(&o.classPicker, "class-picker", false, "Choose the user classes in the web UI's start form.")
	s.Describe("class-picker", "", "")
	s.SetEnv("class-picker", "LOCUST_USERCLASS_PICKER")
	registerWebSecOptions(s, &o.sec)

	s.Group("Master options")
	fs.BoolVar(&o.master, "master", false, "Run as the master of a distributed test: workers run the users.")
	s.Describe("master", "", "")
	s.SetEnv("master", "LOCUST_MODE_MASTER")
	fs.StringVar(&o.masterBindHost, "master-bind-host", "127.0.0.1", "Interface the master listens on for workers. Anything but loopback requires --cluster-token.")
	s.Describe("master-bind-host", "", "HOST")
	fs.IntVar(&o.masterBindPort, "master-bind-port", 5557, "Port the master listens on for workers.")
	s.Describe("master-bind-port", "", "PORT")
	fs.IntVar(&o.expectWorkers, "expect-workers", 1, "Workers to wait for before a headless test starts.")
	s.Describe("expect-workers", "", "N")
	fs.IntVar(&o.expectWorkersMaxWait, "expect-workers-max-wait", 0, "Give up waiting for workers after this many seconds and exit 1 (0: wait forever).")
	s.Describe("expect-workers-max-wait", "", "SECONDS")
	fs.StringVar(&o.clusterToken, "cluster-token", "", "Shared secret that master and workers authenticate with; required when the master listens beyond loopback.")
	s.Describe("cluster-token", "", "TOKEN")
	fs.StringVar(&o.masterTLSCert, "master-tls-cert", "", "TLS certificate the master serves workers with. Requires --master-tls-key.")
	s.Describe("master-tls-cert", "", "FILE")
	fs.StringVar(&o.masterTLSKey, "master-tls-key", "", "TLS private key of --master-tls-cert.")
	s.Describe("master-tls-key", "", "FILE")
	fs.StringVar(&o.masterTLSClientCA, "master-tls-client-ca", "", "Require workers to present a client certificate signed by this CA (PEM).")
	s.Describe("master-tls-client-ca", "", "FILE")
	fs.BoolVar(&o.noRebalance, "no-rebalance", false, "Do not move users when workers join or go missing during a test (they move by default).")
	s.Describe("no-rebalance", "", "")

	s.Group("Worker options")
	fs.BoolVar(&o.worker, "worker", false, "Run as a worker of a distributed test.")
	s.Describe("worker", "", "")
	s.SetEnv("worker", "LOCUST_MODE_WORKER")
	fs.IntVar(&o.processes, "processes", 0, "Start this many worker processes of this program under a master in this process (-1: one per CPU); with --worker, only the workers.")
	s.Describe("processes", "", "N")
	fs.StringVar(&o.masterHost, "master-host", "127.0.0.1", "Address of the master to connect to.")
	s.Describe("master-host", "", "HOST")
	s.SetEnv("master-host", "LOCUST_MASTER_NODE_HOST")
	fs.IntVar(&o.masterPort, "master-port", 5557, "Port of the master to connect to.")
	s.Describe("master-port", "", "PORT")
	s.SetEnv("master-port", "LOCUST_MASTER_NODE_PORT")
	fs.StringVar(&o.masterTLSCA, "master-tls-ca", "", "Connect to the master over TLS, verifying its certificate with this CA (PEM).")
	s.Describe("master-tls-ca", "", "FILE")
	fs.StringVar(&o.workerTLSCert, "worker-tls-cert", "", "Client certificate to present to the master. Requires --worker-tls-key and --master-tls-ca.")
	s.Describe("worker-tls-cert", "", "FILE")
	fs.StringVar(&o.workerTLSKey, "worker-tls-key", "", "Private key of --worker-tls-cert.")
	s.Describe("worker-tls-key", "", "FILE")
	fs.IntVar(&o.maxUsersPerWorker, "max-users-per-worker", distributed.DefaultMaxUsers, "Ceiling on this worker's users: a master asking for more is refused.")
	s.Describe("max-users-per-worker", "", "N")
	fs.BoolVar(&o.allowInsecureToken, "allow-insecure-token", false, "Send --cluster-token to a master beyond loopback without TLS, where anyone on the network path can read it.")
	s.Describe("allow-insecure-token", "", "")
	o.masterLostTimeout = 15 * time.Second
	s.Var(cli.TimespanVar(&o.masterLostTimeout), "", "master-lost-timeout", "TIME", "Stop the users when the master has been silent this long; the worker keeps reconnecting.")
	o.reportInterval = time.Second
	s.Var(cli.TimespanVar(&o.reportInterval), "", "report-interval", "TIME", "How often a worker sends its statistics to the master.")

	s.Group("Tag options")
	s.Var(cli.StringsVar(&o.tags), "T", "tags", "TAG", "Run only tasks with at least one of these tags.")
	s.Var(cli.StringsVar(&o.excludeTags), "E", "exclude-tags", "TAG", "Skip tasks with any of these tags.")

	s.Group("Request statistics options")
	fs.StringVar(&o.csv, "csv", "", "Write statistics to PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv.")
	s.Describe("csv", "", "PREFIX")
	fs.BoolVar(&o.csvFullHistory, "csv-full-history", false, "Write every entry, not only the total, to the history file. Requires --csv.")
	s.Describe("csv-full-history", "", "")
	fs.BoolVar(&o.printStats, "print-stats", false, "Print the statistics table to the console while the web UI runs.")
	s.Describe("print-stats", "", "")
	fs.BoolVar(&o.onlySummary, "only-summary", false, "Print only the final summary, not the periodic tables.")
	s.Describe("only-summary", "", "")
	fs.BoolVar(&o.resetStats, "reset-stats", false, "Reset the statistics once the ramp-up is done.")
	s.Describe("reset-stats", "", "")
	fs.StringVar(&o.html, "html", "", "Write a self-contained HTML report to FILE at the end of the test ({u}, {r}, {t}: users, spawn rate, run time).")
	s.Describe("html", "", "FILE")
	fs.BoolVar(&o.json, "json", false, "Print the final statistics as JSON to standard output.")
	s.Describe("json", "", "")
	s.SetEnv("json", "")

	registerOpenOptions(s, &o.open)
	registerHistoryOptions(s, &o.hist)
	registerMetricsOptions(s, &o.metrics)
	registerDeployOptions(s, &o.deploy)

	s.Group("Logging options")
	fs.StringVar(&o.loglevel, "loglevel", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL.")
	s.Describe("loglevel", "L", "LEVEL")
	fs.StringVar(&o.logfile, "logfile", "", "Write the log to FILE instead of standard error.")
	s.Describe("logfile", "", "FILE")
	fs.StringVar(&o.outputMode, "output-mode", "0600", "Permissions of the files golocust creates (CSV, HTML report, log file), in octal: 0600 is the owner only; 0640 or 0644 share them.")
	s.Describe("output-mode", "", "MODE")

	s.Group("Other options")
	fs.BoolVar(&o.version, "version", false, "Show the version and exit.")
	s.Describe("version", "V", "")
	s.SetEnv("version", "")
	fs.IntVar(&o.exitCodeOnError, "exit-code-on-error", 1, "Exit code when the test had failures or exceptions.")
	s.Describe("exit-code-on-error", "", "CODE")
	s.Var(cli.TimespanVar(&o.stopTimeout), "s", "stop-timeout", "TIME", "Let running tasks finish for up to this long when users stop, e.g. 10s. Default: stop at once.")
	fs.Uint64Var(&o.seed, "seed", 0, "Seed every user's random source, for a reproducible run (0: random).")
	s.Describe("seed", "", "N")
	registerParityOptions(s, &o.parity)
	return s
}

// parseOptions reads the options of s (made by newOptionSet for o) from
// locust.conf in dir, the --config file, environment variables (getenv) and
// args, and returns the user class names given as positional arguments
// (or LOCUST_USER_CLASSES). It returns flag.ErrHelp for -h/--help and a
// *cli.UsageError for any mistake. Values are checked by o.config.
func parseOptions(s *cli.Set, o *options, args []string, getenv func(string) string, dir string) (classNames []string, err error) {
	names, err := s.Parse(args, getenv, dir)
	if err != nil {
		return nil, err
	}
	o.set = s
	o.classNames = names
	o.workerOf = getenv(distWorkerOfEnv)
	o.args = append([]string(nil), args...)
	return names, nil
}

// config checks the options and converts them to a Config for classes, the
// classes the program was given (narrowed to the positional class names,
// if any). Every error is a *cli.UsageError except a program without
// classes. --list and --version are the caller's to handle before.
func (o *options) config(classes []UserClass) (Config, error) {
	if err := o.distCheck(); err != nil {
		return Config{}, err
	}
	if err := o.deployCheck(); err != nil {
		return Config{}, err
	}
	if len(classes) == 0 {
		return Config{}, fmt.Errorf("no user classes: pass at least one class to Run")
	}
	if o.users < 0 {
		return Config{}, cli.Usagef("%s must be 0 or more, got %d", o.optDisplay("users"), o.users)
	}
	if math.IsNaN(o.spawnRate) || math.IsInf(o.spawnRate, 0) || o.spawnRate < dispatch.MinRate {
		return Config{}, cli.Usagef("%s must be a finite number of users per second, at least %v, got %v", o.optDisplay("spawn-rate"), dispatch.MinRate, o.spawnRate)
	}
	if o.iterations < 0 {
		return Config{}, cli.Usagef("%s must be 0 (no limit) or more, got %d", o.optDisplay("iterations"), o.iterations)
	}
	if o.host != "" {
		if err := optCheckHost(o.host); err != nil {
			return Config{}, cli.Usagef("%s %q: %v", o.optDisplay("host"), redact.URL(o.host), err)
		}
	}
	if _, err := hostmatch.Parse(o.allowedHosts); err != nil {
		return Config{}, cli.Usagef("%s: %v", o.optDisplay("allowed-hosts"), err)
	}
	if o.maxUsersPerWorker < 1 {
		return Config{}, cli.Usagef("%s must be 1 or more, got %d", o.optDisplay("max-users-per-worker"), o.maxUsersPerWorker)
	}
	if _, err := parseOutputMode(o.outputMode); err != nil {
		return Config{}, cli.Usagef("%s %v", o.optDisplay("output-mode"), err)
	}
	if o.csvFullHistory && o.csv == "" {
		return Config{}, cli.Usagef("--csv-full-history requires --csv PREFIX")
	}
	if _, err := optLogLevel(o.loglevel); err != nil {
		return Config{}, cli.Usagef("%s %q: %v", o.optDisplay("loglevel"), o.loglevel, err)
	}
	if o.exitCodeOnError < 0 || o.exitCodeOnError > 125 {
		return Config{}, cli.Usagef("--exit-code-on-error must be between 0 and 125, got %d", o.exitCodeOnError)
	}
	picked, err := optPickClasses(classes, o.classNames)
	if err != nil {
		return Config{}, err
	}
	// A test that starts at once needs its host now; the web UI's form
	// may still give one, and a worker takes its master's.
	if (o.headless || o.autostart) && !o.worker && o.workerOf == "" {
		if err := checkHosts(picked, o.host, o.optDisplay("host")); err != nil {
			return Config{}, cli.Usagef("%v", err)
		}
	}
	cfg := Config{
		Classes:     picked,
		Users:       o.users,
		SpawnRate:   o.spawnRate,
		Host:        o.host,
		RunTime:     o.runTime,
		Iterations:  o.iterations,
		StopTimeout: o.stopTimeout,
		Tags:        slices.Clone(o.tags),
		ExcludeTags: slices.Clone(o.excludeTags),
		Seed:        o.seed,
		ResetStats:  o.resetStats,

		AllowedHosts: slices.Clone(o.allowedHosts),
	}
	if err := o.open.apply(&cfg, o.optDisplay); err != nil {
		return Config{}, err
	}
	if err := o.parity.check(o.optDisplay, o.noRebalance, o.webAuth != "" || o.sec.usersFile != ""); err != nil {
		return Config{}, err
	}
	if err := o.parity.apply(&cfg, o.optDisplay); err != nil {
		return Config{}, err
	}
	cfg.Profile = o.hist.profile
	if err := o.hist.check(cfg.Thresholds, o.optDisplay); err != nil {
		return Config{}, err
	}
	if err := o.metrics.check(o.optDisplay); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (o *options) optSource(name string) (string, bool) {
	if o.set == nil {
		return "", false
	}
	return o.set.Source(name)
}

func (o *options) optDisplay(name string) string {
	if o.set == nil {
		return "--" + name
	}
	return o.set.Display(name)
}

// optCheckHost requires a scheme; http and https addresses also need a host.
func optCheckHost(h string) error {
	scheme, rest, ok := strings.Cut(h, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return fmt.Errorf("must start with a scheme such as http:// or https://")
	}
	for i, r := range scheme {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return fmt.Errorf("scheme %q is not valid; use a scheme such as http:// or https://", scheme)
		}
	}
	if hostmatch.NotNetwork(scheme) {
		return fmt.Errorf("is a %s: URL, not the address of a system to test: use http:// or https:// (or the network scheme of your own users)", scheme)
	}
	lower := strings.ToLower(scheme)
	if (lower == "http" || lower == "https") && (rest == "" || rest[0] == '/' || rest[0] == '?' || rest[0] == '#') {
		return fmt.Errorf("has no host name after %s://", scheme)
	}
	return nil
}

// optPickClasses returns the classes named in names (all when names is
// empty), in the order of classes, or an error naming the unknown ones
// and listing those available.
func optPickClasses(classes []UserClass, names []string) ([]UserClass, error) {
	if len(names) == 0 {
		return slices.Clone(classes), nil
	}
	var unknown []string
	for _, n := range names {
		if !slices.ContainsFunc(classes, func(c UserClass) bool { return c.ClassName() == n }) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		what := "unknown user class"
		if len(unknown) > 1 {
			what += "es"
		}
		return nil, cli.Usagef("%s %s; available: %s", what, strings.Join(optQuoteAll(unknown), ", "), strings.Join(optClassNames(classes), ", "))
	}
	var out []UserClass
	for _, c := range classes {
		if slices.Contains(names, c.ClassName()) {
			out = append(out, c)
		}
	}
	return out, nil
}

func optQuoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func optClassNames(classes []UserClass) []string {
	out := make([]string, len(classes))
	for i, c := range classes {
		out[i] = c.ClassName()
	}
	return out
}

// printClassList writes the answer to --list, as Locust's.
func printClassList(w io.Writer, classes []UserClass) error {
	var b strings.Builder
	b.WriteString("Available Users:\n")
	for _, n := range optClassNames(classes) {
		b.WriteString("    " + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// optModulePath is the import path of this module, looked up in the build
// information for its version.
const optModulePath = "github.com/golocust/locust"

// versionString returns the answer to --version: "golocust v1.2.3
// (go1.26.1)", with "(devel)" as the version when golocust is built as
// the main module or without module information.
func versionString() string {
	version, goVersion := "(devel)", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Path == optModulePath && bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, m := range bi.Deps {
			if m.Path == optModulePath {
				version = m.Version
				if m.Replace != nil && m.Replace.Version != "" {
					version = m.Replace.Version
				}
			}
		}
	}
	return fmt.Sprintf("golocust %s (%s)", version, goVersion)
}

// printVersion writes versionString and a newline to w.
func printVersion(w io.Writer) error {
	_, err := io.WriteString(w, versionString()+"\n")
	return err
}

// fileMode returns --output-mode, checked by config; the default if it
// was not.
func (o *options) fileMode() fs.FileMode {
	m, err := parseOutputMode(o.outputMode)
	if err != nil || o.outputMode == "" {
		return defaultOutputMode
	}
	return m
}
