package locust_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// distBin is testdata/distbin, built once per test binary by distBuild.
var distBin struct {
	once sync.Once
	dir  string // removed by TestMain (distBuildCleanup)
	path string
	err  error
}

// distBuild returns testdata/distbin, the load-test program the process
// tests run as master and workers. It is built on the first call only: the
// tests run it, never change it.
func distBuild(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs processes; skipped with -short")
	}
	distBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "locust-distbin")
		if err != nil {
			distBin.err = err
			return
		}
		distBin.dir = dir
		bin := filepath.Join(dir, "distbin")
		cmd := exec.Command("go", "build", "-o", bin, "./testdata/distbin")
		if realHome != "" {
			cmd.Env = append(os.Environ(), "HOME="+realHome) // the machine's Go caches: see realHome
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			distBin.err = fmt.Errorf("go build ./testdata/distbin: %v\n%s", err, out)
			return
		}
		distBin.path = bin
	})
	if distBin.err != nil {
		t.Fatal(distBin.err)
	}
	return distBin.path
}

// distBuildCleanup removes the binary distBuild built, if any.
func distBuildCleanup() {
	if distBin.dir != "" {
		os.RemoveAll(distBin.dir)
	}
}

// distProc starts the binary with args; it is killed at the end of the
// test if still running.
func distProc(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *syncBuffer, <-chan struct{}) {
	t.Helper()
	c := exec.Command(bin, args...)
	c.Env = append(os.Environ(), env...)
	var stdout bytes.Buffer
	stderr := &syncBuffer{}
	c.Stdout, c.Stderr = &stdout, stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = c.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = c.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s %v stderr:\n%s", bin, args, stderr.String())
		}
	})
	return c, &stdout, stderr, done
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// distMasterPort returns the port a master logged it listens on for
// workers ("master listening for workers address=ws://HOST:PORT/..."),
// waiting up to d for the line: masters listen on port 0 and tell, so no
// port is picked, closed and reused.
func distMasterPort(t *testing.T, d time.Duration, log func() string) int {
	t.Helper()
	var addr string
	distWaitFor(t, "the master's address in its log", d, func() bool {
		m := distMasterListening.FindStringSubmatch(log())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("master address %q: %v", addr, err)
	}
	n, _ := strconv.Atoi(port)
	return n
}

// distFreePorts returns n distinct ports that were free a moment ago:
// only for ports nobody must listen on, or ones a child process must be
// told before it starts. Prefer a listener handed over open (distListen)
// or port 0 read from the log (distMasterPort): a freed port can be taken
// by someone else before it is reused. The n listeners are held open
// together, so the ports differ from one another.
func distFreePorts(t *testing.T, n int) []int {
	ports := make([]int, n)
	for i := range ports {
		ln := distListen(t)
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

var distMasterListening = regexp.MustCompile(`master listening for workers address=wss?://([^/ ]+)/`)

func distHitClass() locust.UserClass {
	// The same name as the binary's class; the master only needs names,
	// weights and fixed counts.
	return distClass("Hitter", time.Millisecond)
}

// distWorkers starts n worker processes of bin for the master at port.
func distWorkers(t *testing.T, bin string, port, n int, extra ...string) []*exec.Cmd {
	var cmds []*exec.Cmd
	for range n {
		args := append([]string{"--worker", "--master-port", strconv.Itoa(port), "--report-interval", "0.2", "Hitter"}, extra...)
		c, _, _, _ := distProc(t, bin, nil, args...)
		cmds = append(cmds, c)
	}
	return cmds
}

func distMaster(t *testing.T, host string, ln net.Listener) *locust.MasterRunner {
	m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{distHitClass()}, Host: host, StopTimeout: 5 * time.Second},
		locust.MasterOptions{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
	})
	return m
}

func distWaitWorkers(t *testing.T, m *locust.MasterRunner, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.WaitWorkers(ctx, n); err != nil {
		t.Fatal(err)
	}
}

func distStop(t *testing.T, m *locust.MasterRunner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDistProcessesCLI runs "--processes 3" end to end: a master process
// starting three worker processes of the same binary; the master's JSON
// totals equal the server's count exactly and its workers table lists
// three workers.
func TestDistProcessesCLI(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	_, stdout, stderr, exited := distProc(t, bin, nil, "--headless", "--processes", "3", "-u", "6", "-r", "100", "-t", "2s", "-s", "5s",
		"-H", target.URL, "--json", "--report-interval", "0.2", "Hitter")
	select {
	case <-exited:
	case <-time.After(40 * time.Second):
		t.Fatal("the master did not end")
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
		t.Errorf("master counted %d requests, the server %d", rep.Total.NumRequests, target.hits.Load())
	}
	// After the end a worker shows stopped, or ready again once it has
	// told the master so (as Locust's workers do).
	if n := len(regexp.MustCompile(`(?m)^vm_\S+\s+(stopped|ready)\s`).FindAllString(stderr.String(), -1)); n < 3 {
		t.Errorf("workers table does not list 3 stopped or ready workers:\n%s", stderr.String())
	}
}

// TestDistWorkerProcessesExactMerge: an in-process master and three worker
// processes; the master's totals equal the server's count and its merged
// p50/p95/p99 equal those of one histogram of every worker's samples
// (fetched with a custom message round trip).
func TestDistWorkerProcessesExactMerge(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	ln := distListen(t)
	m := distMaster(t, target.URL, ln)
	var mu sync.Mutex
	var snaps []*locust.Snapshot
	m.Handle("snapshot", func(_ string, data []byte) {
		var s locust.Snapshot
		if err := s.UnmarshalBinary(data); err != nil {
			t.Errorf("snapshot from worker: %v", err)
			return
		}
		mu.Lock()
		snaps = append(snaps, &s)
		mu.Unlock()
	})
	distWorkers(t, bin, ln.Addr().(*net.TCPAddr).Port, 3)
	distWaitWorkers(t, m, 3)
	if err := m.Start(9, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "9 users", 10*time.Second, func() bool { return m.UserCount() == 9 })
	time.Sleep(1500 * time.Millisecond)
	distStop(t, m)
	s := m.Snapshot()
	if s.Total.Requests == 0 || s.Total.Requests != target.hits.Load() {
		t.Fatalf("master counted %d requests, the server %d", s.Total.Requests, target.hits.Load())
	}
	if err := m.Send("", "dump", nil); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "3 snapshots", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(snaps) == 3 })
	var all *locust.Snapshot
	for _, w := range snaps {
		all = all.Merge(w)
	}
	if all.Total.Requests != s.Total.Requests {
		t.Fatalf("workers recorded %d requests, the master merged %d", all.Total.Requests, s.Total.Requests)
	}
	for _, q := range []float64{0.5, 0.95, 0.99} {
		if a, b := s.Total.Percentile(q), all.Total.Percentile(q); a != b {
			t.Errorf("p%v: master %v, histogram of all samples %v", q*100, a, b)
		}
	}
}

// TestDistKillWorker: kill -9 of one of three worker processes mid-test;
// within 5 s the master marks it missing and the other two run all the
// users; what is lost is at most about one report interval of that
// worker.
func TestDistKillWorker(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	ln := distListen(t)
	m := distMaster(t, target.URL, ln)
	cmds := distWorkers(t, bin, ln.Addr().(*net.TCPAddr).Port, 3)
	distWaitWorkers(t, m, 3)
	if err := m.Start(9, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "9 users", 10*time.Second, func() bool { return m.UserCount() == 9 })
	started := time.Now()
	time.Sleep(time.Second)
	if err := cmds[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	distWaitFor(t, "the lost worker's users on the others", 5*time.Second, func() bool {
		live := 0
		for _, w := range m.Workers() {
			if w.State != "missing" {
				live++
			}
		}
		return live == 2 && m.UserCount() == 9
	})
	t.Logf("users restored %v after kill -9", time.Since(killed).Round(time.Millisecond))
	if m.LostWorkers() != 1 {
		t.Errorf("LostWorkers = %d, want 1", m.LostWorkers())
	}
	time.Sleep(500 * time.Millisecond)
	distStop(t, m)
	got, sent := m.Snapshot().Total.Requests, target.hits.Load()
	if got > sent {
		t.Fatalf("master counted %d requests, more than the server's %d", got, sent)
	}
	// One worker's share of the rate over one report interval (0.2 s),
	// with slack for the kill landing just before a report.
	perWorkerPerSec := float64(got) / time.Since(started).Seconds() / 3
	if bound := int64(perWorkerPerSec*0.5) + 20; sent-got > bound {
		t.Errorf("lost %d requests (server %d, master %d); at most one report interval of one worker (~%d) expected", sent-got, sent, got, bound)
	}
	t.Logf("server %d, master %d, lost %d", sent, got, sent-got)
}

// TestDistMasterKilled: a master process is killed mid-test; every worker
// stops sending load within its lost-master timeout, and a new master on
// the same port gets them back.
func TestDistMasterKilled(t *testing.T) {
	bin := distBuild(t)
	target := newDistTarget(t)
	master, _, mlog, _ := distProc(t, bin, nil, "--headless", "--master", "--master-bind-port", "0",
		"--expect-workers", "2", "-u", "4", "-r", "100", "-H", target.URL, "Hitter")
	port := distMasterPort(t, 20*time.Second, mlog.String)
	distWorkers(t, bin, port, 2, "--master-lost-timeout", "2s")
	distWaitFor(t, "load", 20*time.Second, func() bool { return target.hits.Load() > 100 })
	if err := master.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Liveness (3 s) plus the 2 s timeout, plus slack: then no more load.
	time.Sleep(6 * time.Second)
	before := target.hits.Load()
	time.Sleep(time.Second)
	if after := target.hits.Load(); after != before {
		t.Fatalf("workers still send load after losing the master: %d requests in a second", after-before)
	}
	// A new master on the same port.
	var ln net.Listener
	distWaitFor(t, "the port to be free", 5*time.Second, func() bool {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		return err == nil
	})
	m := distMaster(t, target.URL, ln)
	distWaitWorkers(t, m, 2)
	if err := m.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "4 users", 10*time.Second, func() bool { return m.UserCount() == 4 })
	time.Sleep(500 * time.Millisecond)
	distStop(t, m)
	if m.Snapshot().Total.Requests == 0 {
		t.Errorf("the new master counted no requests")
	}
}

// TestDistSaturatedWorkerHeartbeats: a worker whose users keep every CPU
// busy still heartbeats on time: it is never marked missing.
func TestDistSaturatedWorkerHeartbeats(t *testing.T) {
	bin := distBuild(t)
	ln := distListen(t)
	hog := &locust.Class[*distUser]{Name: "Hog", New: func() *distUser { return &distUser{} },
		Tasks: []locust.Task[*distUser]{{Name: "spin", Weight: 1, Fn: func(*distUser, context.Context) error { return nil }}}}
	// The production heartbeat interval (1 s, missing after 3): the claim
	// is about those settings, not about a tighter test-only interval.
	m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{hog}},
		locust.MasterOptions{Listener: ln, HeartbeatInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
	})
	_, _, _, _ = distProc(t, bin, nil, "--worker", "--master-port", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), "Hog")
	distWaitWorkers(t, m, 1)
	if err := m.Start(200, 1000); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "200 users", 10*time.Second, func() bool { return m.UserCount() == 200 })
	time.Sleep(4 * time.Second)
	ws := m.Workers()
	if m.LostWorkers() != 0 || len(ws) != 1 || ws[0].State == "missing" {
		t.Fatalf("a saturated worker was marked missing: %+v", ws)
	}
	if ws[0].CPU < 100 {
		t.Logf("worker CPU %.0f%%: not saturated on this machine", ws[0].CPU)
	}
	distStop(t, m)
}
