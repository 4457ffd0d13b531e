package locust_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// runServer counts requests per path and answers 404 for /missing.
type runServer struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
	total  atomic.Int64
}

func newRunServer(t *testing.T) *runServer {
	cs := &runServer{counts: map[string]int{}}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		cs.counts[r.URL.Path]++
		cs.mu.Unlock()
		cs.total.Add(1)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("hello"))
	}))
	t.Cleanup(cs.Close)
	return cs
}

type webUser struct {
	locust.HTTPUser
}

func (u *webUser) index(ctx context.Context) error {
	u.Client.Get(ctx, "/")
	return nil
}

func (u *webUser) missing(ctx context.Context) error {
	u.Client.Get(ctx, "/missing")
	return nil
}

func webClass(missingWeight int) *locust.Class[*webUser] {
	return &locust.Class[*webUser]{
		Name: "Web",
		New:  func() *webUser { return &webUser{} },
		Wait: locust.Constant(10 * time.Millisecond),
		Tasks: []locust.Task[*webUser]{
			{Name: "index", Weight: 3, Fn: (*webUser).index},
			{Name: "missing", Weight: missingWeight, Fn: (*webUser).missing},
		},
	}
}

type runResult struct {
	code           int
	stdout, stderr string
}

func runMain(t *testing.T, p *locust.Program, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	p.Stdout, p.Stderr = &out, &errb
	if p.Getenv == nil {
		p.Getenv = func(string) string { return "" }
	}
	if p.Dir == "" {
		p.Dir = t.TempDir()
	}
	code := p.Main(context.Background(), args)
	return runResult{code, out.String(), errb.String()}
}

// runMainQuiet is runMain with no signal handler: inside a synctest
// bubble, where the process-wide signal.Notify must not start.
func runMainQuiet(t *testing.T, p *locust.Program, args ...string) runResult {
	t.Helper()
	p.Signals = make(chan os.Signal)
	return runMain(t, p, args...)
}

type jsonOut struct {
	Total struct {
		NumRequests int64 `json:"num_requests"`
		NumFailures int64 `json:"num_failures"`
	} `json:"total"`
	Entries []struct {
		Type        string `json:"type"`
		Name        string `json:"name"`
		NumRequests int64  `json:"num_requests"`
		NumFailures int64  `json:"num_failures"`
	} `json:"entries"`
}

// A headless run writes the JSON document alone on stdout, the CSV files,
// and counts exactly what the server saw. (A stop timeout lets the last
// requests finish: a request aborted by the stop may or may not have
// reached the server; TestRunAbortedRequestsAreCountedNotBlamed covers it.)
func TestRunHeadlessJSONAndCSV(t *testing.T) {
	srv := newRunServer(t)
	dir := t.TempDir()
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}},
		"--headless", "-u", "5", "-r", "50", "-t", "1500ms", "-s", "5s", "-H", srv.URL, "--csv", filepath.Join(dir, "out"), "--json")
	if res.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	var doc jsonOut
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, res.stdout)
	}
	if doc.Total.NumRequests == 0 || doc.Total.NumRequests != srv.total.Load() {
		t.Errorf("JSON counts %d requests, the server saw %d", doc.Total.NumRequests, srv.total.Load())
	}
	if !strings.Contains(res.stderr, "Aggregated") {
		t.Errorf("the summary table is not on stderr in --json mode:\n%s", res.stderr)
	}
	for _, f := range []string{"out_stats.csv", "out_stats_history.csv", "out_failures.csv", "out_exceptions.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", f)
		}
	}
	stats, _ := os.ReadFile(filepath.Join(dir, "out_stats.csv"))
	if !strings.HasPrefix(string(stats), "Type,Name,Request Count,Failure Count,Median Response Time") {
		t.Errorf("stats.csv header: %q", strings.SplitN(string(stats), "\n", 2)[0])
	}
	if !strings.Contains(string(stats), ",Aggregated,"+itoa(srv.total.Load())+",") {
		t.Errorf("stats.csv Aggregated row lacks %d requests:\n%s", srv.total.Load(), stats)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Failures make the exit code 1, or --exit-code-on-error's; the live table
// and the summary go to stdout.
func TestRunExitCodeOnFailures(t *testing.T) {
	srv := newRunServer(t)
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(1)}},
		"--headless", "-u", "2", "-r", "10", "-t", "2500ms", "-H", srv.URL)
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1 (404s are failures); stderr:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"Aggregated", "GET", "/missing", "Error report", "404"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Count(res.stdout, "Aggregated") < 3 {
		t.Errorf("want a live table (every 2 s) and the summary tables:\n%s", res.stdout)
	}
	res = runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(1)}},
		"--headless", "-u", "1", "-r", "10", "-i", "20", "-H", srv.URL, "--exit-code-on-error", "3", "--only-summary")
	if res.code != 3 {
		t.Errorf("exit code %d, want 3; stderr:\n%s", res.code, res.stderr)
	}
	if strings.Count(res.stdout, "Aggregated") != 2 {
		t.Errorf("--only-summary should print only the summary (stats + percentiles):\n%s", res.stdout)
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--headless", "--user", "3"}, "did you mean --users"},
		{[]string{"--headless", "-t", "5 minutes"}, "-t"},
		{[]string{"--headless", "-u", "-3"}, "users"},
		{[]string{"--headless", "-H", "example.com"}, "example.com"},
		{[]string{"--headless", "Nope"}, "Nope"},
		{[]string{"--headless", "-T", "nosuchtag", "-H", "http://127.0.0.1:1"}, "nosuchtag"},
		// Without a host an HTTP class cannot run: refused at once, naming
		// the option, rather than running with zero requests.
		{[]string{"--headless"}, "-H/--host"},
		{[]string{"--autostart"}, "-H/--host"},
		{[]string{"--headless", "--master"}, "-H/--host"},
		{[]string{"--headless", "--master", "--worker"}, "--master and --worker cannot be combined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(1)}}, tt.args...)
			if res.code != 2 {
				t.Errorf("exit code %d, want 2", res.code)
			}
			if !strings.Contains(res.stderr, tt.want) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
				t.Errorf("stderr should be one line naming %q:\n%s", tt.want, res.stderr)
			}
		})
	}
}

func TestRunListVersionHelp(t *testing.T) {
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(1)}}, "--list")
	if res.code != 0 || !strings.Contains(res.stdout, "Web") {
		t.Errorf("--list: %d %q", res.code, res.stdout)
	}
	res = runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(1)}}, "--version")
	if res.code != 0 || !strings.Contains(res.stdout, "golocust") {
		t.Errorf("--version: %d %q", res.code, res.stdout)
	}
	res = runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(1)}}, "-h")
	if res.code != 0 || !strings.Contains(res.stdout, "--spawn-rate") {
		t.Errorf("-h: %d %q", res.code, res.stdout)
	}
}

// An interrupt stops the test gracefully: files complete, counts exact.
func TestRunInterrupt(t *testing.T) {
	srv := newRunServer(t)
	sigs := make(chan os.Signal, 1)
	dir := t.TempDir()
	go func() {
		time.Sleep(700 * time.Millisecond)
		sigs <- syscall.SIGINT
	}()
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}, Signals: sigs},
		"--headless", "-u", "3", "-r", "30", "-s", "5s", "-H", srv.URL, "--json", "--csv", filepath.Join(dir, "x"))
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	var doc jsonOut
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Total.NumRequests == 0 || doc.Total.NumRequests != srv.total.Load() {
		t.Errorf("JSON %d requests, server %d", doc.Total.NumRequests, srv.total.Load())
	}
	if !strings.Contains(res.stderr, "interrupted") {
		t.Errorf("the log should say the test was interrupted:\n%s", res.stderr)
	}
}

// Program flags are custom options, also read from LOCUST_* variables.
func TestRunCustomFlag(t *testing.T) {
	srv := newRunServer(t)
	var path string
	class := &locust.Class[*webUser]{
		Name: "Custom",
		New:  func() *webUser { return &webUser{} },
		Tasks: []locust.Task[*webUser]{{Name: "get", Weight: 1, Fn: func(u *webUser, ctx context.Context) error {
			u.Client.Get(ctx, path)
			return nil
		}}},
	}
	p := &locust.Program{
		Classes: []locust.UserClass{class},
		Flags:   func(fs *flag.FlagSet) { fs.StringVar(&path, "path", "/", "path to get") },
		Getenv: func(k string) string {
			if k == "LOCUST_PATH" {
				return "/custom"
			}
			return ""
		},
	}
	res := runMain(t, p, "--headless", "-u", "1", "-r", "1", "-i", "5", "-H", srv.URL)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.counts["/custom"] != 5 {
		t.Errorf("server counts %v, want 5 GET /custom", srv.counts)
	}
}

// Requests cut short by the end of the test are recorded (the server saw
// them) as aborted, not as failures, and do not make the exit code an error.
func TestRunAbortedRequestsAreCountedNotBlamed(t *testing.T) {
	var seen atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	dir := t.TempDir()
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}},
		"--headless", "-u", "4", "-r", "100", "-t", "300ms", "-H", srv.URL, "--json", "--csv", filepath.Join(dir, "a"))
	if res.code != 0 {
		t.Fatalf("exit code %d, want 0: aborted requests are not the target's failures\n%s", res.code, res.stderr)
	}
	var doc jsonOut
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Total.NumRequests != 4 || doc.Total.NumFailures != 0 || seen.Load() != 4 {
		t.Errorf("recorded %d requests, %d failures; server saw %d; want 4 requests, 0 failures", doc.Total.NumRequests, doc.Total.NumFailures, seen.Load())
	}
	// Locust's failures.csv has no aborted group: aborted requests are
	// only in the Request Count of stats.csv.
	failures, _ := os.ReadFile(filepath.Join(dir, "a_failures.csv"))
	if strings.Contains(string(failures), locust.ErrAborted.Error()) {
		t.Errorf("failures.csv has an aborted group:\n%s", failures)
	}
}
