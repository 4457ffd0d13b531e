package cli_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/internal/cli"
)

type vals struct {
	users    int
	rate     float64
	host     string
	headless bool
	tags     []string
	runTime  time.Duration
	config   string
	custom   string
	verbose  bool
}

func newSet() (*cli.Set, *vals) {
	v := &vals{users: 1, rate: 1}
	fs := flag.NewFlagSet("prog", flag.ContinueOnError)
	s := cli.New(fs, "LOCUST_")
	s.Group("Common options")
	fs.StringVar(&v.config, "config", "", "Config file.")
	s.Describe("config", "", "FILE")
	s.ConfigFile("config", "locust.conf")
	fs.StringVar(&v.host, "host", "", "Host.")
	s.Describe("host", "H", "HOST")
	fs.IntVar(&v.users, "users", 1, "Users.")
	s.Describe("users", "u", "NUMBER")
	fs.Float64Var(&v.rate, "spawn-rate", 1, "Rate.")
	s.Describe("spawn-rate", "r", "RATE")
	s.Var(cli.TimespanVar(&v.runTime), "t", "run-time", "TIME", "Run time.")
	fs.BoolVar(&v.headless, "headless", false, "Headless.")
	s.Describe("headless", "", "")
	s.Group("Tag options")
	s.Var(cli.StringsVar(&v.tags), "T", "tags", "TAG", "Tags.")
	s.Positional("user-classes", "UserClass", "Classes to run.")
	// A program's own flags, registered straight on the flag set.
	fs.StringVar(&v.custom, "my-arg", "", "A custom `THING`.")
	fs.BoolVar(&v.verbose, "verbose", false, "Talk more.")
	return s, v
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		conf     string // locust.conf
		extra    string // other.conf, given by --config
		env      map[string]string
		args     []string
		users    int
		rate     float64
		host     string
		headless bool
		tags     []string
		pos      []string
	}{
		{name: "defaults", users: 1, rate: 1},
		{name: "file", conf: "users = 5\nspawn-rate: 2.5\nheadless\ntags = [a, b]\nuser-classes = A B\n", users: 5, rate: 2.5, headless: true, tags: []string{"a", "b"}, pos: []string{"A", "B"}},
		{name: "named file over default file", conf: "users = 5\nhost = http://a\n", extra: "users = 6\n", args: []string{"--config", "other.conf"}, users: 6, rate: 1, host: "http://a"},
		{name: "env over file", conf: "users = 5\nheadless = true\ntags = a\n", env: map[string]string{"LOCUST_USERS": "7", "LOCUST_HEADLESS": "false", "LOCUST_TAGS": "x y", "LOCUST_USER_CLASSES": "C"}, users: 7, rate: 1, tags: []string{"a", "x", "y"}, pos: []string{"C"}},
		{name: "repeated list option adds up", args: []string{"-T", "slow", "-T", "buy", "--tags=c,d", "--tags", "e"}, users: 1, rate: 1, tags: []string{"slow", "buy", "c", "d", "e"}},
		{name: "list adds up over file, env and flags", conf: "tags = [a, b]\n", env: map[string]string{"LOCUST_TAGS": "x"}, args: []string{"-T", "y"}, users: 1, rate: 1, tags: []string{"a", "b", "x", "y"}},
		{name: "flags over env", conf: "users = 5\n", env: map[string]string{"LOCUST_USERS": "7", "LOCUST_SPAWN_RATE": "3", "LOCUST_HEADLESS": "0", "LOCUST_USER_CLASSES": "C"}, args: []string{"-u", "9", "--headless", "D", "--spawn-rate=4"}, users: 9, rate: 4, headless: true, pos: []string{"D"}},
		{name: "short attached", args: []string{"-u10", "-r", "0.5", "-Hhttp://h"}, users: 10, rate: 0.5, host: "http://h"},
		{name: "list takes following args", args: []string{"-T", "a", "b", "--headless", "X"}, users: 1, rate: 1, headless: true, tags: []string{"a", "b"}, pos: []string{"X"}},
		{name: "double dash ends options", args: []string{"--", "-u"}, users: 1, rate: 1, pos: []string{"-u"}},
		{name: "single dash long form", args: []string{"-users", "3"}, users: 3, rate: 1},
		{name: "config from env", extra: "users = 4\n", env: map[string]string{"LOCUST_CONFIG": "other.conf"}, users: 4, rate: 1},
		{name: "bool false on command line", env: map[string]string{"LOCUST_HEADLESS": "true"}, args: []string{"--headless=false"}, users: 1, rate: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.conf != "" {
				writeFile(t, dir, "locust.conf", tt.conf)
			}
			if tt.extra != "" {
				writeFile(t, dir, "other.conf", tt.extra)
			}
			s, v := newSet()
			pos, err := s.Parse(tt.args, envOf(tt.env), dir)
			if err != nil {
				t.Fatal(err)
			}
			if v.users != tt.users || v.rate != tt.rate || v.host != tt.host || v.headless != tt.headless {
				t.Errorf("got users %d rate %v host %q headless %v, want %d %v %q %v", v.users, v.rate, v.host, v.headless, tt.users, tt.rate, tt.host, tt.headless)
			}
			if strings.Join(v.tags, ",") != strings.Join(tt.tags, ",") {
				t.Errorf("tags %q, want %q", v.tags, tt.tags)
			}
			if strings.Join(pos, ",") != strings.Join(tt.pos, ",") {
				t.Errorf("positional %q, want %q", pos, tt.pos)
			}
			if got := s.FlagSet().Args(); strings.Join(got, ",") != strings.Join(tt.pos, ",") {
				t.Errorf("FlagSet().Args() = %q, want %q", got, tt.pos)
			}
		})
	}
}

func TestSource(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "locust.conf", "# comment\nusers = 5\nhost = http://x\n")
	s, _ := newSet()
	if _, err := s.Parse([]string{"-r", "2"}, envOf(map[string]string{"LOCUST_HOST": "http://y"}), dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"users":      "locust.conf:2",
		"host":       "environment variable LOCUST_HOST",
		"spawn-rate": "command line",
	} {
		if got, ok := s.Source(name); !ok || got != want {
			t.Errorf("Source(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := s.Source("headless"); ok {
		t.Error("Source(headless) reports a value that was never set")
	}
}

func TestCustomFlags(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		env     map[string]string
		args    []string
		custom  string
		verbose bool
	}{
		{name: "file", conf: "my-arg = from-file\nverbose = true\n", custom: "from-file", verbose: true},
		{name: "file underscore key", conf: "my_arg = \"quoted value\"  # note\n", custom: "quoted value"},
		{name: "env", conf: "my-arg = from-file\n", env: map[string]string{"LOCUST_MY_ARG": "from-env", "LOCUST_VERBOSE": "1"}, custom: "from-env", verbose: true},
		{name: "flag", env: map[string]string{"LOCUST_MY_ARG": "from-env"}, args: []string{"--my-arg", "from-flag"}, custom: "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.conf != "" {
				writeFile(t, dir, "locust.conf", tt.conf)
			}
			s, v := newSet()
			if _, err := s.Parse(tt.args, envOf(tt.env), dir); err != nil {
				t.Fatal(err)
			}
			if v.custom != tt.custom || v.verbose != tt.verbose {
				t.Errorf("got %q %v, want %q %v", v.custom, v.verbose, tt.custom, tt.verbose)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		conf string
		env  map[string]string
		args []string
		want string
	}{
		{name: "unknown flag suggestion", args: []string{"--user", "3"}, want: "unknown option --user; did you mean --users?"},
		{name: "unknown flag typo", args: []string{"--hedless"}, want: "unknown option --hedless; did you mean --headless?"},
		{name: "unknown flag swapped letters", args: []string{"--usres", "3"}, want: "unknown option --usres; did you mean --users?"},
		{name: "unknown flag prefix", args: []string{"--spawn"}, want: "unknown option --spawn; did you mean --spawn-rate?"},
		{name: "unknown custom flag", args: []string{"--my-ar=x"}, want: "unknown option --my-ar; did you mean --my-arg?"},
		{name: "unknown flag no suggestion", args: []string{"--frobnicate"}, want: "unknown option --frobnicate (see --help for the options)"},
		{name: "missing value", args: []string{"-u"}, want: "option -u needs a value"},
		{name: "bad int", args: []string{"-u", "ten"}, want: `invalid value "ten" for -u: must be a whole number`},
		{name: "bad float", args: []string{"--spawn-rate=fast"}, want: `invalid value "fast" for --spawn-rate: must be a number`},
		{name: "bad bool flag", args: []string{"--headless=maybe"}, want: `invalid value "maybe" for --headless: must be true or false`},
		{name: "bad timespan", args: []string{"-t", "5x"}, want: `invalid value "5x" for -t: invalid timespan "5x": use seconds (20) or a duration with units h, m, s, ms (20s, 3m, 1h30m, 1h30m15s, 1.5s)`},
		{name: "bad env", env: map[string]string{"LOCUST_USERS": "x"}, want: `invalid value "x" in LOCUST_USERS (-u/--users): must be a whole number`},
		{name: "bad env bool", env: map[string]string{"LOCUST_HEADLESS": "yes please"}, want: `invalid value "yes please" in LOCUST_HEADLESS (--headless): must be true or false`},
		{name: "file unknown key", conf: "[locust]\nusers = 1\nuser = 2\n", want: `locust.conf:3: unknown option "user"; did you mean "users"?`},
		{name: "file unknown key no suggestion", conf: "\n\nzzzzzzzz = 1\n", want: `locust.conf:3: unknown option "zzzzzzzz" (keys are long option names without the leading --)`},
		{name: "file bad value", conf: "; comment\nspawn-rate = lots\n", want: `locust.conf:2: invalid value "lots" for spawn-rate: must be a number`},
		{name: "file bad bool", conf: "headless = sure\n", want: `locust.conf:1: invalid value "sure" for headless: must be true or false`},
		{name: "file missing value", conf: "users =\n", want: `locust.conf:1: option "users" needs a value (users = VALUE)`},
		{name: "file sets config", conf: "config = x.conf\n", want: `locust.conf:1: option "config" cannot be set in a config file`},
		{name: "named file error", args: []string{"--config", "other.conf"}, want: `cannot read config file "other.conf" given by --config: no such file or directory`},
		{name: "bad syntax", args: []string{"---x"}, want: `bad option syntax "---x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.conf != "" {
				writeFile(t, dir, "locust.conf", tt.conf)
			}
			s, _ := newSet()
			_, err := s.Parse(tt.args, envOf(tt.env), dir)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var ue *cli.UsageError
			if !errors.As(err, &ue) || !cli.IsUsage(err) {
				t.Errorf("error %T is not a *UsageError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
		})
	}
}

func TestNamedConfigErrorLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "other.conf", "users = 2\nrun-time = soon\n")
	s, _ := newSet()
	_, err := s.Parse([]string{"--config=other.conf"}, envOf(nil), dir)
	if err == nil || !strings.HasPrefix(err.Error(), `other.conf:2: invalid value "soon" for run-time: invalid timespan`) {
		t.Fatalf("got %v", err)
	}
}

func TestDefaultConfigUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "locust.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, _ := newSet()
	_, err := s.Parse(nil, envOf(nil), dir)
	if !cli.IsUsage(err) || !strings.HasPrefix(err.Error(), `cannot read config file "locust.conf": `) {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestNoPositional(t *testing.T) {
	fs := flag.NewFlagSet("prog", flag.ContinueOnError)
	s := cli.New(fs, "X_")
	fs.Int("n", 0, "")
	_, err := s.Parse([]string{"stray", "-n", "1"}, envOf(nil), t.TempDir())
	if err == nil || err.Error() != `unexpected argument "stray": this program takes no positional arguments` {
		t.Fatalf("got %v", err)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		s, _ := newSet()
		if _, err := s.Parse([]string{"-u", "3", arg}, envOf(nil), t.TempDir()); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: got %v, want flag.ErrHelp", arg, err)
		}
	}
	s, _ := newSet()
	var b strings.Builder
	s.PrintHelp(&b)
	golden(t, "testdata/help.golden", b.String())
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (UPDATE_GOLDEN=1 to rewrite):\n%s", path, got)
	}
}

func TestDisplayAndEnv(t *testing.T) {
	s, _ := newSet()
	s.SetEnv("headless", "")
	for _, c := range []struct{ got, want string }{
		{s.Display("users"), "-u/--users"},
		{s.Display("headless"), "--headless"},
		{s.Env("spawn-rate"), "LOCUST_SPAWN_RATE"},
		{s.Env("my-arg"), "LOCUST_MY_ARG"},
		{s.Env("headless"), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	good := map[string]time.Duration{
		"20":       20 * time.Second,
		"0":        0,
		"2.5":      2500 * time.Millisecond,
		"20s":      20 * time.Second,
		"3m":       3 * time.Minute,
		"1h30m":    90 * time.Minute,
		"1h30m15s": time.Hour + 30*time.Minute + 15*time.Second,
		"1.5s":     1500 * time.Millisecond,
		"500ms":    500 * time.Millisecond,
		" 10s ":    10 * time.Second,
	}
	for in, want := range good {
		got, err := cli.ParseTimespan(in)
		if err != nil || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-5", "-1s", "abc", "5x", "1h30", "s", "NaN", "1e300"} {
		_, err := cli.ParseTimespan(in)
		if err == nil {
			t.Errorf("ParseTimespan(%q) succeeded", in)
			continue
		}
		if in != "" && !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseTimespan(%q) error %q does not name the input", in, err)
		}
	}
}

// TestHomeConfig: ~/.locust.conf is read first, locust.conf in the
// working directory overrides it, as Locust.
func TestHomeConfig(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	writeFile(t, home, ".locust.conf", "users = 3\nhost = http://home\nheadless = true\n")
	writeFile(t, dir, "locust.conf", "users = 4\n")
	s, v := newSet()
	s.HomeConfigFile(".locust.conf")
	if _, err := s.Parse([]string{"-r", "2"}, envOf(map[string]string{"HOME": home}), dir); err != nil {
		t.Fatal(err)
	}
	if v.users != 4 || v.host != "http://home" || !v.headless {
		t.Errorf("users %d host %q headless %v; want 4 from locust.conf, the rest from ~/.locust.conf", v.users, v.host, v.headless)
	}
	if src, _ := s.Source("host"); src != "~/.locust.conf:2" {
		t.Errorf("Source(host) = %q", src)
	}
	// Without HOME nothing is read.
	s, v = newSet()
	s.HomeConfigFile(".locust.conf")
	if _, err := s.Parse(nil, envOf(nil), t.TempDir()); err != nil || v.users != 1 {
		t.Errorf("without HOME: users %d, %v", v.users, err)
	}
	// An unreadable one is an error naming it.
	writeFile(t, home, ".locust.conf", "nope = 1\n")
	s, _ = newSet()
	s.HomeConfigFile(".locust.conf")
	if _, err := s.Parse(nil, envOf(map[string]string{"HOME": home}), t.TempDir()); err == nil || !strings.Contains(err.Error(), ".locust.conf") {
		t.Errorf("a bad ~/.locust.conf: %v", err)
	}
}
