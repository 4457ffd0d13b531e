package locust_test

// The master's CPU per worker (issue 4): N simulated workers in a child
// process, each a real distributed.Worker on its own loopback WebSocket
// connection sending a realistic 50-entry delta report every second, and
// heartbeats; the parent runs a real MasterRunner and measures its own
// process CPU time with getrusage over a fixed period. It takes about
// 15 s per worker count, so it runs only when asked:
//
//	LOCUST_MASTER_CPU=50,200,500 go test -run '^TestMasterCPUPerWorker$' -v .

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/golocust/locust/distributed"
)

const (
	simWorkersEnv = "LOCUST_SIM_WORKERS" // "N@host:port" in the child
	simPeriod     = 10 * time.Second     // the measured period
)

// simLoad is a worker's load that runs nothing and reports the same
// pre-encoded delta every time.
type simLoad struct {
	report []byte
	mu     sync.Mutex
	users  int
}

func (l *simLoad) Spawn(s *distributed.Spawn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users = 0
	for _, n := range s.Counts {
		l.users += n
	}
	return nil
}
func (l *simLoad) Stop()          {}
func (l *simLoad) ResetStats()    {}
func (l *simLoad) Report() []byte { return l.report }
func (l *simLoad) Status() distributed.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return distributed.Status{State: "running", Users: l.users, Counts: map[string]int{"A": l.users}}
}

// simReport is one worker's report: 50 entries of 20 samples each (a
// worker at ~1,000 req/s over 50 names), failures and an exception.
func simReport(t testing.TB) []byte {
	b, err := wireStats(50, 20).Delta().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMasterCPUSimWorkers is the child process of TestMasterCPUPerWorker:
// it runs the simulated workers until its stdin closes.
func TestMasterCPUSimWorkers(t *testing.T) {
	spec := os.Getenv(simWorkersEnv)
	if spec == "" {
		t.Skip("the child process of TestMasterCPUPerWorker")
	}
	ns, addr, _ := strings.Cut(spec, "@")
	n, err := strconv.Atoi(ns)
	if err != nil {
		t.Fatal(err)
	}
	report := simReport(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	log := slog.New(slog.DiscardHandler)
	var wg sync.WaitGroup
	for i := range n {
		w, err := distributed.NewWorker(distributed.WorkerConfig{MasterAddr: addr, Classes: []string{"A"},
			Load: &simLoad{report: report}, ReportInterval: time.Second, HeartbeatInterval: time.Second, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			// Spread the workers' report ticks over the second.
			select {
			case <-time.After(time.Duration(i) * time.Second / time.Duration(n)):
			case <-ctx.Done():
				return
			}
			_ = w.Run(ctx)
		})
	}
	wg.Wait()
}

func simCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestMasterCPUPerWorker measures the master's CPU per worker for each
// worker count in $LOCUST_MASTER_CPU.
func TestMasterCPUPerWorker(t *testing.T) {
	spec := os.Getenv("LOCUST_MASTER_CPU")
	if spec == "" {
		t.Skip("a measurement of ~15 s per worker count: set LOCUST_MASTER_CPU=50,200,500 to run it")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	perReport := int64(len(wireStats(50, 20).Delta().Entries)) * 20
	t.Logf("report: %d bytes, %d requests", len(simReport(t)), perReport)
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			t.Fatalf("LOCUST_MASTER_CPU: %q is not a worker count", f)
		}
		t.Run(fmt.Sprintf("workers=%d", n), func(t *testing.T) {
			ln := distListen(t)
			m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{distClass("A", time.Second)},
				Logger: slog.New(slog.DiscardHandler)}, locust.MasterOptions{Listener: ln, HeartbeatInterval: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = m.Quit(ctx)
			}()
			child := exec.Command(exe, "-test.run=^TestMasterCPUSimWorkers$")
			child.Env = append(os.Environ(), simWorkersEnv+"="+strconv.Itoa(n)+"@"+ln.Addr().String())
			stdin, err := child.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			child.Stderr = os.Stderr
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = stdin.Close()
				_ = child.Wait()
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := m.WaitWorkers(ctx, n); err != nil {
				t.Fatalf("%d workers did not connect: %v", n, err)
			}
			if err := m.Start(n, 1e6); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second) // every worker reporting
			req0, cpu0, t0 := m.Snapshot().Total.Requests, simCPU(), time.Now()
			time.Sleep(simPeriod)
			req1, cpu1, wall := m.Snapshot().Total.Requests, simCPU(), time.Since(t0)
			reports := float64(req1-req0) / float64(perReport)
			cpu := float64(cpu1-cpu0) / float64(wall)
			t.Logf("workers=%d: %.0f reports/s merged, master CPU %.1f%% of one core, %.3f%% per worker, %.0f µs per report",
				n, reports/wall.Seconds(), cpu*100, cpu*100/float64(n), float64(cpu1-cpu0)/reports/1e3)
			if live := m.LiveWorkers(); live != n {
				t.Errorf("%d of %d workers live at the end", live, n)
			}
		})
	}
}
