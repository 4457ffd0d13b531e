package locust_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/golocust/locust"
)

// TestProgramSetup: Program.Setup gets the runner before the test starts;
// a Setup that fails ends the program with ExitError and says why, and
// no request is made.
func TestProgramSetup(t *testing.T) {
	srv := newRunServer(t)
	var got locust.Runner
	p := &locust.Program{Classes: []locust.UserClass{webClass(1)}, Setup: func(r locust.Runner) error { got = r; return nil }}
	res := runMain(t, p, "--headless", "-u", "1", "-r", "100", "-t", "1s", "-H", srv.URL, "--exit-code-on-error", "0")
	if res.code != locust.ExitOK || got == nil {
		t.Fatalf("exit %d, Setup got runner %v: %s", res.code, got, res.stderr)
	}

	srv = newRunServer(t)
	p = &locust.Program{Classes: []locust.UserClass{webClass(1)}, Setup: func(locust.Runner) error { return errors.New("no fixtures") }}
	res = runMain(t, p, "--headless", "-u", "1", "-r", "100", "-t", "1s", "-H", srv.URL)
	if res.code != locust.ExitError || !strings.Contains(res.stderr, "setup failed") || !strings.Contains(res.stderr, "no fixtures") {
		t.Fatalf("exit %d, want %d with the reason: %s", res.code, locust.ExitError, res.stderr)
	}
	if n := srv.total.Load(); n != 0 {
		t.Errorf("the target got %d requests after a failed Setup", n)
	}
}
