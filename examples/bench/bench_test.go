package main

// Process tests: the bench program is built and run against a counting
// httptest server, as peers.sh runs it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust"
)

var benchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bench-test")
	if err != nil {
		panic(err)
	}
	benchBin = filepath.Join(dir, "bench")
	build := exec.Command("go", "build", "-o", benchBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building the bench example: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// benchTarget answers every request with a short body and counts them
// by path.
type benchTarget struct {
	*httptest.Server
	mu    sync.Mutex
	paths map[string]int64
}

func newBenchTarget(t *testing.T) *benchTarget {
	bt := &benchTarget{paths: map[string]int64{}}
	bt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bt.mu.Lock()
		bt.paths[r.URL.Path]++
		bt.mu.Unlock()
		_, _ = w.Write([]byte("hello world\n"))
	}))
	t.Cleanup(bt.Close)
	return bt
}

func (bt *benchTarget) counts() map[string]int64 {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	m := map[string]int64{}
	for k, v := range bt.paths {
		m[k] = v
	}
	return m
}

// runBench runs the program (at most 30 s) and returns its exit code,
// stdout and stderr.
func runBench(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(benchBin, args...)
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LOCUST_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	_ = cmd.Wait()
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// benchLine parses the --bench-json line, which must be all of stdout.
func benchLine(t *testing.T, stdout string) benchResult {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout has %d lines, want the JSON line alone:\n%s", len(lines), stdout)
	}
	var r benchResult
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("last line %q: %v", lines[0], err)
	}
	for _, key := range []string{`"rps":`, `"p50_ms":`, `"p99_ms":`, `"errors":`} {
		if !strings.Contains(lines[0], key) {
			t.Errorf("last line %q lacks %s", lines[0], key)
		}
	}
	return r
}

// Both clients, a closed loop for 2 s, as peers.sh runs it (the URL with
// its trailing slash, as peers.sh passes it).
func TestBenchJSON(t *testing.T) {
	t.Parallel()
	for _, client := range []string{"fast", "std"} {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			bt := newBenchTarget(t)
			args := []string{"-H", bt.URL + "/", "--headless", "-u", "10", "-r", "10", "-t", "2s", "-s", "2s", "--bench-json"}
			if client == "std" {
				args = append(args, "--std")
			}
			code, stdout, stderr := runBench(t, args...)
			if code != 0 {
				t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
			}
			r := benchLine(t, stdout)
			if r.RPS <= 0 || r.P50ms <= 0 || r.P99ms < r.P50ms || r.Errors != 0 {
				t.Errorf("implausible result %+v", r)
			}
			counts := bt.counts()
			if len(counts) != 1 || counts["/"] == 0 {
				t.Errorf("the target saw %v, want only GET /", counts)
			}
			// The result covers the time after the ramp, so at most
			// what the target saw in 2 s (and with a wide margin
			// nearly as much).
			if seen := float64(counts["/"]); r.RPS*2 > seen*1.1 || r.RPS*2 < seen*0.5 {
				t.Errorf("rps %.0f over 2 s does not match the %v requests the target saw", r.RPS, seen)
			}
			if !strings.Contains(stderr, "Aggregated") {
				t.Errorf("the tables should go to stderr:\n%s", stderr)
			}
		})
	}
}

// --think makes each user wait between its requests.
func TestBenchThink(t *testing.T) {
	t.Parallel()
	bt := newBenchTarget(t)
	code, stdout, stderr := runBench(t, "-H", bt.URL, "--headless", "-u", "4", "-r", "4", "-t", "2s", "--think", "200ms..300ms", "--bench-json")
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	benchLine(t, stdout)
	// Every user waits at least 200 ms after each request: at most
	// 2s/200ms + 1 requests each.
	if n := bt.counts()["/"]; n == 0 || n > 4*11 {
		t.Errorf("4 users thinking 200-300 ms made %d requests in 2 s, want 1..44", n)
	}
}

func TestBenchBadThink(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"fast", "2s..1s", "-1s", "1s..", "..2s"} {
		code, stdout, stderr := runBench(t, "--headless", "-H", "http://127.0.0.1:1", "--think", v)
		if code != 2 || !strings.Contains(stderr, "--think") || !strings.Contains(stderr, v) || stdout != "" {
			t.Errorf("--think %q: exit code %d, stderr %q; want 2 and an error naming the option and value", v, code, stderr)
		}
	}
}

func TestParseThink(t *testing.T) {
	for _, tc := range []struct {
		in       string
		min, max time.Duration
	}{
		{"1s", time.Second, time.Second},
		{"1s..2s", time.Second, 2 * time.Second},
		{" 100ms .. 1.5s ", 100 * time.Millisecond, 1500 * time.Millisecond},
		{"0s", 0, 0},
	} {
		w, err := parseThink(tc.in)
		if err != nil {
			t.Errorf("parseThink(%q): %v", tc.in, err)
			continue
		}
		rnd := rand.New(rand.NewPCG(1, 2))
		for range 100 {
			if d := w(locust.WaitInfo{Rand: rnd}); d < tc.min || d > tc.max {
				t.Errorf("parseThink(%q) waited %v, want %v..%v", tc.in, d, tc.min, tc.max)
				break
			}
		}
	}
}

// --per-second prints a line per second with requests, and its lines add
// up to every request the target saw.
func TestBenchPerSecond(t *testing.T) {
	t.Parallel()
	bt := newBenchTarget(t)
	code, stdout, stderr := runBench(t, "-H", bt.URL, "--headless", "-u", "4", "-r", "4", "-t", "2s", "-s", "2s", "--think", "100ms..200ms", "--bench-json", "--per-second")
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	benchLine(t, stdout)
	_, table, ok := strings.Cut(stderr, "per second (requests completed in it):\n")
	if !ok {
		t.Fatalf("no per-second table on stderr:\n%s", stderr)
	}
	var sum int64
	lines := strings.Split(table, "\n")[1:] // after the header
	for _, l := range lines {
		var sec, n, over10, over50 int64
		var maxMs float64
		if _, err := fmt.Sscan(l, &sec, &n, &over10, &over50, &maxMs); err != nil {
			break // the end of the table
		}
		if over50 > over10 || over10 > n || n == 0 {
			t.Errorf("implausible line %q", l)
		}
		sum += n
	}
	if !strings.Contains(table, "ramp ended") {
		t.Errorf("the table does not mark the end of the ramp:\n%s", table)
	}
	if seen := bt.counts()["/"]; sum != seen || sum == 0 {
		t.Errorf("the per-second lines add up to %d requests, the target saw %d", sum, seen)
	}
}
