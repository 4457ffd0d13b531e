package cli_test

import (
	"strings"
	"testing"

	"github.com/golocust/locust/internal/cli"
)

// FuzzConfigFile checks that no config file makes Parse panic and that
// every error is a one-line usage error.
func FuzzConfigFile(f *testing.F) {
	f.Add("users = 5\nspawn-rate: 2\n[x]\nheadless\ntags = [a, b]\n# c\n")
	f.Add("user-classes = A B\nrun-time = 1h30m ; note\nhost = \"http://x\"\n")
	f.Add("users =\n=\n:\n\ufeffzz\n")
	f.Fuzz(func(t *testing.T, conf string) {
		dir := t.TempDir()
		writeFile(t, dir, "locust.conf", conf)
		s, _ := newSet()
		_, err := s.Parse(nil, envOf(nil), dir)
		if err != nil && (!cli.IsUsage(err) || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("error %T %q", err, err)
		}
	})
}

// FuzzArgs checks that no command line makes Parse panic.
func FuzzArgs(f *testing.F) {
	f.Add("-u 5 --headless A -T a b -- -x")
	f.Add("-u10 --spawn-rate=0.5 -t 1h --my-arg= ---")
	f.Fuzz(func(t *testing.T, line string) {
		s, _ := newSet()
		_, err := s.Parse(strings.Fields(line), envOf(nil), t.TempDir())
		if err != nil && err.Error() != "flag: help requested" && !cli.IsUsage(err) {
			t.Fatalf("error %T %q", err, err)
		}
	})
}

// FuzzParseTimespan checks that ParseTimespan never panics or returns a
// negative duration.
func FuzzParseTimespan(f *testing.F) {
	for _, s := range []string{"20", "1h30m15s", "1.5s", "-1", "9999999999999999999", "1e18"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := cli.ParseTimespan(s); err == nil && d < 0 {
			t.Fatalf("ParseTimespan(%q) = %v", s, d)
		}
	})
}
