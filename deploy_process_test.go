package locust_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deployGet returns the status and body of GET url ("" and 0 when it
// cannot connect).
func deployGet(url string) (int, string) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func deployWaitExit(t *testing.T, what string, done <-chan struct{}, d time.Duration) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not exit within %v", what, d)
	}
}

// TestSIGTERMHeadlessWritesOutputs: an orchestrator stopping a headless
// run (SIGTERM) gets a graceful stop: exit code 0, the CSV, HTML and JSON
// outputs written, and the JSON totals equal to the server's count.
func TestSIGTERMHeadlessWritesOutputs(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	dir := t.TempDir()
	c, stdout, _, done := distProc(t, bin, nil, "--headless", "-u", "3", "-r", "100", "-s", "5s", "-H", target.URL,
		"--csv", filepath.Join(dir, "run"), "--html", filepath.Join(dir, "report.html"), "--json", "Hitter")
	distWaitFor(t, "load", 20*time.Second, func() bool { return target.hits.Load() > 50 })
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deployWaitExit(t, "the run", done, 20*time.Second)
	if code := c.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	for _, f := range []string{"run_stats.csv", "run_stats_history.csv", "run_failures.csv", "run_exceptions.csv", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written after SIGTERM: %v", f, err)
		}
	}
	var rep struct {
		Total struct {
			NumRequests int64 `json:"num_requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout.String())
	}
	if rep.Total.NumRequests == 0 || rep.Total.NumRequests != target.hits.Load() {
		t.Errorf("JSON counts %d requests, the server %d", rep.Total.NumRequests, target.hits.Load())
	}
}

// TestWorkerSIGTERMLeavesGracefully: a worker process stopped with
// SIGTERM (a scale-down) sends its final statistics and tells the master
// it leaves: it exits 0, the master moves its users to the other worker,
// and the master's totals still equal the server's count exactly.
func TestWorkerSIGTERMLeavesGracefully(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	ln := distListen(t)
	m := distMaster(t, target.URL, ln)
	port := ln.Addr().(*net.TCPAddr).Port
	cmds := distWorkers(t, bin, port, 2)
	distWaitWorkers(t, m, 2)
	if err := m.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "4 users", 20*time.Second, func() bool { return m.UserCount() == 4 })
	distWaitFor(t, "load", 20*time.Second, func() bool { return target.hits.Load() > 50 })
	done := make(chan struct{})
	go func() { _, _ = cmds[0].Process.Wait(); close(done) }()
	if err := cmds[0].Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deployWaitExit(t, "the worker", done, 20*time.Second)
	distWaitFor(t, "one worker", 20*time.Second, func() bool { return len(m.Workers()) == 1 })
	distWaitFor(t, "4 users on the remaining worker", 20*time.Second, func() bool { return m.UserCount() == 4 })
	distStop(t, m)
	if got, sent := m.Snapshot().Total.Requests, target.hits.Load(); got != sent {
		t.Errorf("master counted %d requests, the server %d", got, sent)
	}
}

// TestWorkerMasterLostExit: a worker that has no master for
// --master-lost-exit exits 1, saying why, so that an orchestrator
// restarts it.
func TestWorkerMasterLostExit(t *testing.T) {
	bin := distBuild(t)
	port := distFreePorts(t, 1)[0] // nobody listens
	c, _, stderr, done := distProc(t, bin, nil, "--worker", "--master-port", strconv.Itoa(port),
		"--master-lost-timeout", "1s", "--master-lost-exit", "1s", "Hitter")
	deployWaitExit(t, "the worker", done, 20*time.Second)
	if code := c.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "--master-lost-exit") {
		t.Errorf("the log does not say why the worker exits:\n%s", stderr.String())
	}
}

// TestHealthPortWorkerAndMaster: --health-port serves /healthz at once
// and /readyz once a worker is connected to its master; a headless
// master is ready while it waits for workers.
func TestHealthPortWorkerAndMaster(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	ports := distFreePorts(t, 3)
	mport, whp, mhp := ports[0], ports[1], ports[2]
	wurl := "http://127.0.0.1:" + strconv.Itoa(whp)
	_, _, _, _ = distProc(t, bin, nil, "--worker", "--master-port", strconv.Itoa(mport), "--health-port", strconv.Itoa(whp), "Hitter")
	distWaitFor(t, "the worker's /healthz", 20*time.Second, func() bool { c, _ := deployGet(wurl + "/healthz"); return c == 200 })
	if c, body := deployGet(wurl + "/readyz"); c != http.StatusServiceUnavailable || body != "not ready\n" {
		t.Errorf("worker without master: /readyz = %d %q, want 503 \"not ready\\n\"", c, body)
	}
	murl := "http://127.0.0.1:" + strconv.Itoa(mhp)
	_, _, _, _ = distProc(t, bin, nil, "--headless", "--master", "--master-bind-port", strconv.Itoa(mport), "--expect-workers", "2",
		"--health-port", strconv.Itoa(mhp), "-H", target.URL, "Hitter")
	distWaitFor(t, "the master's /readyz", 20*time.Second, func() bool { c, _ := deployGet(murl + "/readyz"); return c == 200 })
	distWaitFor(t, "the worker's /readyz", 20*time.Second, func() bool { c, _ := deployGet(wurl + "/readyz"); return c == 200 })
	if c, body := deployGet(wurl + "/healthz"); c != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 \"ok\\n\"", c, body)
	}
	if c, _ := deployGet(wurl + "/stats/requests"); c != http.StatusNotFound {
		t.Errorf("the health listener serves /stats/requests: %d, want 404", c)
	}
}
