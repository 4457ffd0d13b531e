package locust_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocust/locust"
)

// TestRunLocustCommandLine: a Locust command line with -f, --json-file and
// --profile runs: -f is warned about once, --json-file writes NAME.json
// with what the server saw, and ~/.locust.conf is read (the host is
// only there).
func TestRunLocustCommandLine(t *testing.T) {
	srv := newRunServer(t)
	home, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".locust.conf"), []byte("users = 2\nspawn-rate = 50\nhost = "+srv.URL+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": home}
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}, Getenv: func(k string) string { return env[k] }},
		"-f", "locustfile.py", "--headless", "-t", "1s", "-s", "5s",
		"--json-file", filepath.Join(dir, "result"), "--profile", "nightly", "--enable-rebalancing")
	if res.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	if n := strings.Count(res.stderr, "locustfile.py is ignored"); n != 1 {
		t.Errorf("the -f warning appears %d times:\n%s", n, res.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var counts jsonOut
	if err := json.Unmarshal(b, &counts); err != nil {
		t.Fatal(err)
	}
	if counts.Total.NumRequests == 0 || counts.Total.NumRequests != srv.total.Load() {
		t.Errorf("result.json counts %d requests, the server saw %d", counts.Total.NumRequests, srv.total.Load())
	}
}
