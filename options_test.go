package locust

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/internal/cli"
)

type optTestUser struct{}

func optTestClasses(names ...string) []UserClass {
	var out []UserClass
	for _, n := range names {
		out = append(out, &Class[*optTestUser]{Name: n, New: func() *optTestUser { return &optTestUser{} }})
	}
	return out
}

// optParse parses args with env and an optional locust.conf; it fails the
// test on a parse error.
func optParse(t *testing.T, conf string, env map[string]string, args ...string) (*options, []string) {
	t.Helper()
	o, names, err := optTryParse(t, conf, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return o, names
}

func optTryParse(t *testing.T, conf string, env map[string]string, args ...string) (*options, []string, error) {
	t.Helper()
	dir := t.TempDir()
	if conf != "" {
		if err := os.WriteFile(filepath.Join(dir, "locust.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := &options{}
	s := newOptionSet("loadtest", o)
	names, err := parseOptions(s, o, args, func(k string) string { return env[k] }, dir)
	return o, names, err
}

func TestOptionsDefaults(t *testing.T) {
	o, names := optParse(t, "", nil, "--headless")
	cfg, err := o.config(optTestClasses("A", "B"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 || cfg.Users != 1 || cfg.SpawnRate != 1 || cfg.RunTime != 0 || cfg.Iterations != 0 || len(cfg.Classes) != 2 {
		t.Errorf("defaults: names %q, config %+v", names, cfg)
	}
	if o.exitCodeOnError != 1 || o.loglevel != "INFO" {
		t.Errorf("exit-code-on-error %d, loglevel %q", o.exitCodeOnError, o.loglevel)
	}
}

func TestOptionsPrecedence(t *testing.T) {
	conf := "[locust]\nheadless = true\nusers = 10\nspawn-rate = 2\nrun-time = 1m\nhost = http://file\ntags = [a, b]\nloglevel = debug\nstop-timeout = 5\n"
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(o *options) bool
	}{
		{"file", nil, nil, func(o *options) bool {
			return o.users == 10 && o.spawnRate == 2 && o.runTime == time.Minute && o.host == "http://file" &&
				slices.Equal(o.tags, []string{"a", "b"}) && o.loglevel == "debug" && o.stopTimeout == 5*time.Second
		}},
		{"env over file", map[string]string{"LOCUST_USERS": "20", "LOCUST_SPAWN_RATE": "3", "LOCUST_RUN_TIME": "2m", "LOCUST_HOST": "http://env", "LOCUST_TAGS": "c", "LOCUST_LOGLEVEL": "ERROR", "LOCUST_STOP_TIMEOUT": "1h30m"}, nil, func(o *options) bool {
			return o.users == 20 && o.spawnRate == 3 && o.runTime == 2*time.Minute && o.host == "http://env" &&
				slices.Equal(o.tags, []string{"a", "b", "c"}) && o.loglevel == "ERROR" && o.stopTimeout == 90*time.Minute
		}},
		{"flags over env", map[string]string{"LOCUST_USERS": "20", "LOCUST_RUN_TIME": "2m", "LOCUST_HOST": "http://env"},
			[]string{"-u", "30", "--run-time=3m", "-H", "http://flag", "-T", "d", "e", "-L", "warning", "-s", "1.5s", "--spawn-rate", "4"}, func(o *options) bool {
				return o.users == 30 && o.spawnRate == 4 && o.runTime == 3*time.Minute && o.host == "http://flag" &&
					slices.Equal(o.tags, []string{"a", "b", "d", "e"}) && o.loglevel == "warning" && o.stopTimeout == 1500*time.Millisecond
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := optParse(t, conf, tt.env, tt.args...)
			if !tt.check(o) {
				t.Errorf("got %+v", *o)
			}
			if _, err := o.config(optTestClasses("A")); err != nil {
				t.Errorf("config: %v", err)
			}
		})
	}
}

func TestOptionsShortAndLong(t *testing.T) {
	tests := []struct {
		short, long []string
		check       func(o *options) bool
	}{
		{[]string{"-u", "5"}, []string{"--users", "5"}, func(o *options) bool { return o.users == 5 }},
		{[]string{"-r", "2.5"}, []string{"--spawn-rate", "2.5"}, func(o *options) bool { return o.spawnRate == 2.5 }},
		{[]string{"-t", "1h30m15s"}, []string{"--run-time", "1h30m15s"}, func(o *options) bool { return o.runTime == time.Hour+30*time.Minute+15*time.Second }},
		{[]string{"-H", "http://x"}, []string{"--host", "http://x"}, func(o *options) bool { return o.host == "http://x" }},
		{[]string{"-i", "100"}, []string{"--iterations", "100"}, func(o *options) bool { return o.iterations == 100 }},
		{[]string{"-s", "20"}, []string{"--stop-timeout", "20"}, func(o *options) bool { return o.stopTimeout == 20*time.Second }},
		{[]string{"-T", "a", "b"}, []string{"--tags", "a,b"}, func(o *options) bool { return slices.Equal(o.tags, []string{"a", "b"}) }},
		{[]string{"-E", "slow"}, []string{"--exclude-tags", "slow"}, func(o *options) bool { return slices.Equal(o.excludeTags, []string{"slow"}) }},
		// Repeating a list option adds to the list, never keeps only the last.
		{[]string{"-E", "slow", "-E", "buy"}, []string{"--exclude-tags", "slow", "--exclude-tags=buy"}, func(o *options) bool { return slices.Equal(o.excludeTags, []string{"slow", "buy"}) }},
		{[]string{"-T", "a", "-T", "b"}, []string{"--tags=a", "--tags", "b"}, func(o *options) bool { return slices.Equal(o.tags, []string{"a", "b"}) }},
		{[]string{"-l"}, []string{"--list"}, func(o *options) bool { return o.list }},
		{[]string{"-L", "DEBUG"}, []string{"--loglevel", "DEBUG"}, func(o *options) bool { return o.loglevel == "DEBUG" }},
		{[]string{"-V"}, []string{"--version"}, func(o *options) bool { return o.version }},
		{[]string{"-P", "9000"}, []string{"--web-port", "9000"}, func(o *options) bool { return o.webPort == 9000 }},
		{nil, []string{"--csv", "out/run", "--csv-full-history", "--print-stats", "--only-summary", "--reset-stats", "--json", "--logfile", "x.log", "--exit-code-on-error", "3", "--seed", "42"}, func(o *options) bool {
			return o.csv == "out/run" && o.csvFullHistory && o.printStats && o.onlySummary && o.resetStats && o.json && o.logfile == "x.log" && o.exitCodeOnError == 3 && o.seed == 42
		}},
	}
	for _, tt := range tests {
		for _, args := range [][]string{tt.short, tt.long} {
			if args == nil {
				continue
			}
			o, _ := optParse(t, "", nil, args...)
			if !tt.check(o) {
				t.Errorf("%q: got %+v", args, *o)
			}
		}
	}
}

func TestOptionsClassNames(t *testing.T) {
	classes := optTestClasses("Browser", "Buyer", "Admin")
	tests := []struct {
		name string
		conf string
		env  map[string]string
		args []string
		want []string
	}{
		{name: "all", want: []string{"Browser", "Buyer", "Admin"}},
		{name: "args mixed with flags", args: []string{"Admin", "-u", "3", "Browser"}, want: []string{"Browser", "Admin"}},
		{name: "env", env: map[string]string{"LOCUST_USER_CLASSES": "Buyer Admin"}, want: []string{"Buyer", "Admin"}},
		{name: "file", conf: "user-classes = Buyer\n", want: []string{"Buyer"}},
		{name: "args over env", env: map[string]string{"LOCUST_USER_CLASSES": "Buyer"}, args: []string{"Admin"}, want: []string{"Admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := optParse(t, tt.conf, tt.env, append([]string{"--headless"}, tt.args...)...)
			cfg, err := o.config(classes)
			if err != nil {
				t.Fatal(err)
			}
			if got := optClassNames(cfg.Classes); !slices.Equal(got, tt.want) {
				t.Errorf("classes %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		conf string
		env  map[string]string
		args []string
		want string
	}{
		{name: "unknown flag", args: []string{"--user", "3"}, want: "unknown option --user; did you mean --users?"},
		{name: "unknown short", args: []string{"-x"}, want: "unknown option -x (see --help for the options)"},
		{name: "file unknown key", conf: "headless = true\n\nspawnrate = 3\n", want: `locust.conf:3: unknown option "spawnrate"; did you mean "spawn-rate"?`},
		{name: "file bad value", conf: "# settings\nusers = many\n", want: `locust.conf:2: invalid value "many" for users: must be a whole number`},
		{name: "missing config file", args: []string{"--config", "nope.conf"}, want: `cannot read config file "nope.conf" given by --config: no such file or directory`},
		{name: "bad run time", args: []string{"-t", "-5m"}, want: `invalid value "-5m" for -t: negative timespan "-5m": use seconds (20) or a duration with units h, m, s, ms (20s, 3m, 1h30m, 1h30m15s, 1.5s)`},
		{name: "env bad value", env: map[string]string{"LOCUST_SPAWN_RATE": "fast"}, want: `invalid value "fast" in LOCUST_SPAWN_RATE (-r/--spawn-rate): must be a number`},
		{name: "negative users", args: []string{"--headless", "-u", "-1"}, want: "-u/--users must be 0 or more, got -1"},
		{name: "zero spawn rate", args: []string{"--headless", "-r", "0"}, want: "-r/--spawn-rate must be a finite number of users per second, at least 0.0001, got 0"},
		{name: "NaN spawn rate", args: []string{"--headless", "-r", "NaN"}, want: "-r/--spawn-rate must be a finite number of users per second, at least 0.0001, got NaN"},
		{name: "Inf spawn rate", args: []string{"--headless", "-r", "+Inf"}, want: "-r/--spawn-rate must be a finite number of users per second, at least 0.0001, got +Inf"},
		{name: "host without scheme", args: []string{"--headless", "-H", "example.com"}, want: `-H/--host "example.com": must start with a scheme such as http:// or https://`},
		{name: "host without name", args: []string{"--headless", "-H", "http:///x"}, want: `-H/--host "http:///x": has no host name after http://`},
		{name: "host bad scheme", args: []string{"--headless", "-H", "1x://a"}, want: `-H/--host "1x://a": scheme "1x" is not valid; use a scheme such as http:// or https://`},
		{name: "unknown class", args: []string{"--headless", "Buyer", "Nobody"}, want: `unknown user class "Nobody"; available: Browser, Buyer`},
		{name: "unknown classes env", env: map[string]string{"LOCUST_USER_CLASSES": "X Y"}, args: []string{"--headless"}, want: `unknown user classes "X", "Y"; available: Browser, Buyer`},
		{name: "negative iterations", args: []string{"--headless", "-i", "-2"}, want: "-i/--iterations must be 0 (no limit) or more, got -2"},
		{name: "full history without csv", args: []string{"--headless", "--csv-full-history"}, want: "--csv-full-history requires --csv PREFIX"},
		{name: "bad loglevel", args: []string{"--headless", "-L", "verbose"}, want: `-L/--loglevel "verbose": unknown log level; use one of debug, info, warning, error, critical`},
		{name: "bad exit code", args: []string{"--headless", "--exit-code-on-error", "300"}, want: "--exit-code-on-error must be between 0 and 125, got 300"},
		// Features of later versions.
		// Distributed mode.
		{name: "master and worker", env: map[string]string{"LOCUST_MODE_MASTER": "true"}, conf: "worker = true\n", args: []string{"--headless"}, want: "--master and --worker cannot be combined: run one master and any number of workers"},
		{name: "master with processes", args: []string{"--headless", "--master", "--processes", "2"}, want: "--processes starts its own master: drop --master (or use --worker --processes N to start only workers)"},
		{name: "expect no workers", args: []string{"--headless", "--master", "--expect-workers", "0"}, want: "--expect-workers must be 1 or more, got 0"},
		{name: "tls cert without key", args: []string{"--headless", "--master", "--master-tls-cert", "c.pem"}, want: "--master-tls-cert and --master-tls-key go together"},
		{name: "client cert without CA", args: []string{"--worker", "--worker-tls-cert", "c.pem", "--worker-tls-key", "k.pem"}, want: "--worker-tls-cert needs --master-tls-ca: client certificates are only sent over TLS"},
		{name: "iterations on a master", args: []string{"--headless", "--processes", "2", "-i", "10"}, want: "-i/--iterations is not supported in distributed mode yet: use --run-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, err := optTryParse(t, tt.conf, tt.env, tt.args...)
			if err == nil {
				_, err = o.config(optTestClasses("Browser", "Buyer"))
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !cli.IsUsage(err) {
				t.Errorf("error %T is not a usage error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestOptionsNoClasses(t *testing.T) {
	o, _ := optParse(t, "", nil, "--headless")
	if _, err := o.config(nil); err == nil || cli.IsUsage(err) {
		t.Errorf("config(nil) = %v, want a non-usage error", err)
	}
}

func TestOptionsOtherSchemes(t *testing.T) {
	for _, h := range []string{"http://127.0.0.1:8080", "https://example.com/base", "grpc://10.0.0.1:50051", "ws://h", "tcp+tls://h:1"} {
		o, _ := optParse(t, "", nil, "--headless", "-H", h)
		cfg, err := o.config(optTestClasses("A"))
		if err != nil || cfg.Host != h {
			t.Errorf("%s: %v, host %q", h, err, cfg.Host)
		}
	}
}

func TestOptionsConfigConversion(t *testing.T) {
	o, _ := optParse(t, "", nil, "--headless", "-u", "50", "-r", "0.5", "-t", "90", "-i", "1000", "-s", "3s", "-T", "x", "-E", "y", "--seed", "7", "--reset-stats", "-H", "http://h")
	cfg, err := o.config(optTestClasses("A"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Users: 50, SpawnRate: 0.5, RunTime: 90 * time.Second, Iterations: 1000, StopTimeout: 3 * time.Second,
		Tags: []string{"x"}, ExcludeTags: []string{"y"}, Seed: 7, ResetStats: true, Host: "http://h"}
	cfg.Classes = nil
	if cfg.Users != want.Users || cfg.SpawnRate != want.SpawnRate || cfg.RunTime != want.RunTime || cfg.Iterations != want.Iterations ||
		cfg.StopTimeout != want.StopTimeout || !slices.Equal(cfg.Tags, want.Tags) || !slices.Equal(cfg.ExcludeTags, want.ExcludeTags) ||
		cfg.Seed != want.Seed || cfg.ResetStats != want.ResetStats || cfg.Host != want.Host {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
}

func TestOptionsCustomFlag(t *testing.T) {
	tests := []struct {
		name string
		conf string
		env  map[string]string
		args []string
		want string
		n    int
	}{
		{name: "default", want: "none"},
		{name: "file", conf: "shop-id = from-file\nproducts = 7\n", want: "from-file", n: 7},
		{name: "env over file", conf: "shop-id = from-file\n", env: map[string]string{"LOCUST_SHOP_ID": "from-env", "LOCUST_PRODUCTS": "8"}, want: "from-env", n: 8},
		{name: "flag over env", env: map[string]string{"LOCUST_SHOP_ID": "from-env"}, args: []string{"--shop-id", "from-flag"}, want: "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.conf != "" {
				if err := os.WriteFile(filepath.Join(dir, "locust.conf"), []byte(tt.conf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			o := &options{}
			s := newOptionSet("loadtest", o)
			shop := s.FlagSet().String("shop-id", "none", "Shop to test.")
			products := s.FlagSet().Int("products", 0, "Products per order.")
			if _, err := parseOptions(s, o, tt.args, func(k string) string { return tt.env[k] }, dir); err != nil {
				t.Fatal(err)
			}
			if *shop != tt.want || *products != tt.n {
				t.Errorf("shop-id %q products %d, want %q %d", *shop, *products, tt.want, tt.n)
			}
		})
	}
}

func TestOptionsHelp(t *testing.T) {
	o := &options{}
	s := newOptionSet("loadtest", o)
	s.FlagSet().String("shop-id", "none", "Shop to test.")
	if _, err := parseOptions(s, o, []string{"--help"}, func(string) string { return "" }, t.TempDir()); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: got %v, want flag.ErrHelp", err)
	}
	var b strings.Builder
	s.PrintHelp(&b)
	checkGolden(t, "options_help.golden", []byte(b.String()))
}

func TestOptionsListAndVersion(t *testing.T) {
	var b strings.Builder
	if err := printClassList(&b, optTestClasses("Browser", "Buyer")); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "Available Users:\n    Browser\n    Buyer\n"; got != want {
		t.Errorf("class list %q, want %q", got, want)
	}
	b.Reset()
	if err := printVersion(&b); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^golocust \S+ \(go1\.\d+[^)]*\)\n$`).MatchString(b.String()) {
		t.Errorf("version %q", b.String())
	}
}

func TestLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.log")
	log, closer, err := newLogger("Warning", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("slow response", "url", "/a b", "n", 3)
	log.With("worker", "w1").WithGroup("req").Error("failed", "status", 500)
	log.Log(t.Context(), logLevelCritical, "first line\nsecond line")
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{
		`/WARNING/locust: slow response url="/a b" n=3$`,
		`/ERROR/locust: failed worker=w1 req.status=500$`,
		`/CRITICAL/locust: first line$`,
		`^second line$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("log has %d lines, want %d:\n%s", len(lines), len(want), data)
	}
	prefix := regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] [^/ ]+/`)
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) || (i < 3 && !prefix.MatchString(lines[i])) {
			t.Errorf("line %d = %q, want match %q", i, lines[i], w)
		}
	}

	var buf strings.Builder
	log, closer, err = newLogger("debug", "", &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("dbg")
	closer.Close()
	if !strings.Contains(buf.String(), "/DEBUG/locust: dbg\n") {
		t.Errorf("stderr log %q", buf.String())
	}
	if _, _, err := newLogger("loud", "", &buf); err == nil {
		t.Error("newLogger accepted level loud")
	}
	if _, _, err := newLogger("info", filepath.Join(t.TempDir(), "no", "such", "dir.log"), &buf); err == nil {
		t.Error("newLogger accepted a log file in a missing directory")
	}
}
