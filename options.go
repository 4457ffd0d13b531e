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
	sec         webSecOptions  // accounts, audit log (websec.go)
	oidc        webOIDCOptions // single sign-on (options_oidc.go)

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
	// pct are --percentiles and --chart-percentiles
	// (options_percentiles.go).
	pct percentileOptions
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
	s.String(&o.configFile, "", "config", "FILE", "", "Config file to read options from, after locust.conf in the working directory.")
	s.ConfigFile("config", "locust.conf")
	s.HomeConfigFile(".locust.conf")
	s.String(&o.host, "H", "host", "HOST", "", "Base address of the system under test, with its scheme, e.g. https://www.example.com. Overrides every class's Host.")
	s.Var(cli.StringsVar(&o.allowedHosts), "", "allowed-hosts", "PATTERN", "Send load only to these hosts: names (example.com), *.example.com, IP addresses, networks (10.0.0.0/8), each with an optional :PORT. Checked by the master, by every worker and for every HTTP request. Default: any host.")
	s.Int(&o.users, "u", "users", "NUMBER", 1, "Peak number of concurrent users.")
	s.Float64(&o.spawnRate, "r", "spawn-rate", "RATE", 1, "Users to start (or stop) per second.")
	s.Var(cli.TimespanVar(&o.runTime), "t", "run-time", "TIME", "Stop after this long, e.g. 300s, 20m, 3h, 1h30m. Default: run until interrupted.")
	s.Int64(&o.iterations, "i", "iterations", "COUNT", 0, "Stop after this many task runs in total over all users. Default: no limit.")
	s.Bool(&o.list, "l", "list", false, "Show the available user classes and exit.")
	s.SetEnv("list", "")
	s.Positional("user-classes", "UserClass", "Run only these user classes (all by default).")

	s.Group("Web UI options")
	s.String(&o.webHost, "", "web-host", "HOST", "", "Interface the web UI binds to. Default: 127.0.0.1 (this machine only); \"*\" means every interface, which requires --web-users or --web-auth.")
	s.Int(&o.webPort, "P", "web-port", "PORT", 8089, "Port of the web UI (0: any free port).")
	s.Bool(&o.headless, "", "headless", false, "Run without the web UI and start the test at once.")
	s.Bool(&o.autostart, "", "autostart", false, "Start the test at once and keep the web UI up.")
	s.Int(&o.autoquit, "", "autoquit", "SECONDS", -1, "Quit this many seconds after an --autostart test ends.")
	s.String(&o.webAuth, "", "web-auth", "USER:PASS", "", "Credentials of the web UI: a login page for browsers, HTTP Basic for API clients. Put them in LOCUST_WEB_AUTH or a config file rather than on the command line.")
	s.Bool(&o.webNoAuth, "", "web-no-auth", false, "Allow a web UI bound beyond this machine without accounts (--web-users, --web-auth); needs --web-no-auth-confirm too. Anyone who reaches it can start load tests.")
	s.String(&o.tlsCert, "", "tls-cert", "FILE", "", "TLS certificate of the web UI (serves HTTPS with --tls-key).")
	s.String(&o.tlsKey, "", "tls-key", "FILE", "", "TLS private key of the web UI.")
	s.Bool(&o.classPicker, "", "class-picker", false, "Choose the user classes in the web UI's start form.")
	s.SetEnv("class-picker", "LOCUST_USERCLASS_PICKER")
	registerWebSecOptions(s, &o.sec)
	registerOIDCOptions(s, &o.oidc)

	s.Group("Master options")
	s.Bool(&o.master, "", "master", false, "Run as the master of a distributed test: workers run the users.")
	s.SetEnv("master", "LOCUST_MODE_MASTER")
	s.String(&o.masterBindHost, "", "master-bind-host", "HOST", "127.0.0.1", "Interface the master listens on for workers. Anything but loopback requires --cluster-token.")
	s.Int(&o.masterBindPort, "", "master-bind-port", "PORT", 5557, "Port the master listens on for workers.")
	s.Int(&o.expectWorkers, "", "expect-workers", "N", 1, "Workers to wait for before a headless test starts.")
	s.Int(&o.expectWorkersMaxWait, "", "expect-workers-max-wait", "SECONDS", 0, "Give up waiting for workers after this many seconds and exit 1 (0: wait forever).")
	s.String(&o.clusterToken, "", "cluster-token", "TOKEN", "", "Shared secret that master and workers authenticate with; required when the master listens beyond loopback.")
	s.String(&o.masterTLSCert, "", "master-tls-cert", "FILE", "", "TLS certificate the master serves workers with. Requires --master-tls-key.")
	s.String(&o.masterTLSKey, "", "master-tls-key", "FILE", "", "TLS private key of --master-tls-cert.")
	s.String(&o.masterTLSClientCA, "", "master-tls-client-ca", "FILE", "", "Require workers to present a client certificate signed by this CA (PEM).")
	s.Bool(&o.noRebalance, "", "no-rebalance", false, "Do not move users when workers join or go missing during a test (they move by default).")

	s.Group("Worker options")
	s.Bool(&o.worker, "", "worker", false, "Run as a worker of a distributed test.")
	s.SetEnv("worker", "LOCUST_MODE_WORKER")
	s.Int(&o.processes, "", "processes", "N", 0, "Start this many worker processes of this program under a master in this process (-1: one per CPU); with --worker, only the workers.")
	s.String(&o.masterHost, "", "master-host", "HOST", "127.0.0.1", "Address of the master to connect to.")
	s.SetEnv("master-host", "LOCUST_MASTER_NODE_HOST")
	s.Int(&o.masterPort, "", "master-port", "PORT", 5557, "Port of the master to connect to.")
	s.SetEnv("master-port", "LOCUST_MASTER_NODE_PORT")
	s.String(&o.masterTLSCA, "", "master-tls-ca", "FILE", "", "Connect to the master over TLS, verifying its certificate with this CA (PEM).")
	s.String(&o.workerTLSCert, "", "worker-tls-cert", "FILE", "", "Client certificate to present to the master. Requires --worker-tls-key and --master-tls-ca.")
	s.String(&o.workerTLSKey, "", "worker-tls-key", "FILE", "", "Private key of --worker-tls-cert.")
	s.Int(&o.maxUsersPerWorker, "", "max-users-per-worker", "N", distributed.DefaultMaxUsers, "Ceiling on this worker's users: a master asking for more is refused.")
	s.Bool(&o.allowInsecureToken, "", "allow-insecure-token", false, "Send --cluster-token to a master beyond loopback without TLS, where anyone on the network path can read it.")
	o.masterLostTimeout = 15 * time.Second
	s.Var(cli.TimespanVar(&o.masterLostTimeout), "", "master-lost-timeout", "TIME", "Stop the users when the master has been silent this long; the worker keeps reconnecting.")
	o.reportInterval = time.Second
	s.Var(cli.TimespanVar(&o.reportInterval), "", "report-interval", "TIME", "How often a worker sends its statistics to the master.")

	s.Group("Tag options")
	s.Var(cli.StringsVar(&o.tags), "T", "tags", "TAG", "Run only tasks with at least one of these tags.")
	s.Var(cli.StringsVar(&o.excludeTags), "E", "exclude-tags", "TAG", "Skip tasks with any of these tags.")

	s.Group("Request statistics options")
	s.String(&o.csv, "", "csv", "PREFIX", "", "Write statistics to PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv.")
	s.Bool(&o.csvFullHistory, "", "csv-full-history", false, "Write every entry, not only the total, to the history file. Requires --csv.")
	s.Bool(&o.printStats, "", "print-stats", false, "Print the statistics table to the console while the web UI runs.")
	s.Bool(&o.onlySummary, "", "only-summary", false, "Print only the final summary, not the periodic tables.")
	s.Bool(&o.resetStats, "", "reset-stats", false, "Reset the statistics once the ramp-up is done.")
	s.String(&o.html, "", "html", "FILE", "", "Write a self-contained HTML report to FILE at the end of the test ({u}, {r}, {t}: users, spawn rate, run time).")
	s.Bool(&o.json, "", "json", false, "Print the final statistics as JSON to standard output.")
	s.SetEnv("json", "")
	registerPercentileOptions(s, &o.pct)

	registerOpenOptions(s, &o.open)
	registerHistoryOptions(s, &o.hist)
	registerMetricsOptions(s, &o.metrics)
	registerDeployOptions(s, &o.deploy)

	s.Group("Logging options")
	s.String(&o.loglevel, "L", "loglevel", "LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL.")
	s.String(&o.logfile, "", "logfile", "FILE", "", "Write the log to FILE instead of standard error.")
	s.String(&o.outputMode, "", "output-mode", "MODE", "0600", "Permissions of the files golocust creates (CSV, HTML report, log file), in octal: 0600 is the owner only; 0640 or 0644 share them.")

	s.Group("Other options")
	s.Bool(&o.version, "V", "version", false, "Show the version and exit.")
	s.SetEnv("version", "")
	s.Int(&o.exitCodeOnError, "", "exit-code-on-error", "CODE", 1, "Exit code when the test had failures or exceptions.")
	s.Var(cli.TimespanVar(&o.stopTimeout), "s", "stop-timeout", "TIME", "Let running tasks finish for up to this long when users stop, e.g. 10s. Default: stop at once.")
	s.Uint64(&o.seed, "", "seed", "N", 0, "Seed every user's random source, for a reproducible run (0: random).")
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
	if err := o.pct.check(o.optDisplay); err != nil {
		return Config{}, err
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
	if err := o.oidcCheck(); err != nil {
		return Config{}, err
	}
	if err := o.parity.check(o.optDisplay, o.noRebalance, o.webAuth != "" || o.sec.usersFile != "" || o.oidc.issuer != ""); err != nil {
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
