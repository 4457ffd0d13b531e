package locust_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/golocust/locust/distributed"
)

// distTarget is a counting HTTP server on loopback.
type distTarget struct {
	*httptest.Server
	hits atomic.Int64
}

func newDistTarget(t *testing.T) *distTarget {
	d := &distTarget{}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.hits.Add(1)
		if r.URL.Path == "/fail" {
			http.Error(w, "nope", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(d.Close)
	return d
}

type distUser struct{ locust.HTTPUser }

func distClass(name string, wait time.Duration) *locust.Class[*distUser] {
	return &locust.Class[*distUser]{
		Name: name,
		New:  func() *distUser { return &distUser{} },
		Wait: locust.Constant(wait),
		Tasks: []locust.Task[*distUser]{
			{Name: "get", Weight: 5, Fn: func(u *distUser, ctx context.Context) error { u.Client.Get(ctx, "/"); return nil }},
			{Name: "fail", Weight: 1, Fn: func(u *distUser, ctx context.Context) error { u.Client.Get(ctx, "/fail"); return nil }},
		},
	}
}

func distListen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func distWaitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type distCluster struct {
	master  *locust.MasterRunner
	workers []*locust.WorkerRunner
	errs    []chan error
	cancels []context.CancelFunc
}

func newDistCluster(t *testing.T, host string, workers int, classes ...locust.UserClass) *distCluster {
	t.Helper()
	ln := distListen(t)
	m, err := locust.NewMasterRunner(locust.Config{Classes: classes, Host: host, StopTimeout: 5 * time.Second},
		locust.MasterOptions{Listener: ln, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := &distCluster{master: m}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
		for _, cancel := range c.cancels {
			cancel()
		}
		for _, ch := range c.errs {
			<-ch
		}
	})
	for i := range workers {
		_ = i
		c.addWorker(t, ln.Addr().String(), classes...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitWorkers(ctx, workers); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *distCluster) addWorker(t *testing.T, addr string, classes ...locust.UserClass) *locust.WorkerRunner {
	t.Helper()
	w, err := locust.NewWorkerRunner(locust.Config{Classes: classes},
		locust.WorkerOptions{MasterAddr: addr, ReportInterval: 200 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- w.Run(ctx) }()
	c.workers = append(c.workers, w)
	c.errs = append(c.errs, ch)
	c.cancels = append(c.cancels, cancel)
	return w
}

// TestDistributedConservationInProcess runs a master and two workers over
// loopback: the master's totals equal the server's count, and its merged
// percentiles equal those of the workers' own statistics merged.
func TestDistributedConservationInProcess(t *testing.T) {
	target := newDistTarget(t)
	c := newDistCluster(t, target.URL, 2, distClass("A", 2*time.Millisecond), distClass("B", 3*time.Millisecond))
	m := c.master
	if err := m.Start(7, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "7 users", 5*time.Second, func() bool { return m.UserCount() == 7 })
	if got := m.UserCounts(); got["A"]+got["B"] != 7 || got["A"] < 3 || got["B"] < 3 {
		t.Errorf("user counts %v, want 7 shared by weight", got)
	}
	for _, w := range c.workers {
		if n := w.UserCount(); n < 3 || n > 4 {
			t.Errorf("worker %s runs %d users, want 3 or 4", w.ID(), n)
		}
	}
	time.Sleep(700 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	if s.Total.Requests == 0 || s.Total.Requests != target.hits.Load() {
		t.Fatalf("master counted %d requests, the server %d", s.Total.Requests, target.hits.Load())
	}
	if s.Total.Failures == 0 {
		t.Errorf("no failures counted")
	}
	var union *locust.Snapshot
	for _, w := range c.workers {
		union = union.Merge(w.Snapshot())
	}
	if union.Total.Requests != s.Total.Requests {
		t.Fatalf("workers recorded %d, master merged %d", union.Total.Requests, s.Total.Requests)
	}
	for _, q := range []float64{0.5, 0.95, 0.99, 1} {
		if a, b := s.Total.Percentile(q), union.Total.Percentile(q); a != b {
			t.Errorf("p%v: master %v, all samples %v", q*100, a, b)
		}
	}
	if len(m.Workers()) != 2 {
		t.Errorf("workers: %+v", m.Workers())
	}
}

// TestDistributedRebalanceAndRejoin checks that a lost worker's users
// move to the others, and a new worker joining a running test gets its
// share.
func TestDistributedRebalanceAndRejoin(t *testing.T) {
	target := newDistTarget(t)
	cls := distClass("A", 20*time.Millisecond)
	c := newDistCluster(t, target.URL, 3, cls)
	m := c.master
	if err := m.Start(9, 1000); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "9 users", 5*time.Second, func() bool { return m.UserCount() == 9 })
	// Lose one worker: its users go to the other two.
	c.cancels[0]()
	<-c.errs[0]
	c.errs[0] <- nil
	distWaitFor(t, "users restored on 2 workers", 5*time.Second, func() bool {
		return c.workers[1].UserCount()+c.workers[2].UserCount() == 9 && m.UserCount() == 9
	})
	if m.LostWorkers() != 1 {
		t.Errorf("LostWorkers = %d, want 1", m.LostWorkers())
	}
	// A new worker gets its share.
	w := c.addWorker(t, m.Addr().String(), cls)
	distWaitFor(t, "the new worker's share", 5*time.Second, func() bool { return w.UserCount() == 3 && m.UserCount() == 9 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDistributedQuitEndsWorkers checks that Quit makes workers' Run
// return nil after their final report.
func TestDistributedQuitEndsWorkers(t *testing.T) {
	target := newDistTarget(t)
	c := newDistCluster(t, target.URL, 2, distClass("A", 5*time.Millisecond))
	if err := c.master.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "4 users", 5*time.Second, func() bool { return c.master.UserCount() == 4 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.master.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	for i, ch := range c.errs {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("worker %d: Run = %v, want nil", i, err)
			}
			ch <- nil
		case <-time.After(5 * time.Second):
			t.Fatalf("worker %d did not quit", i)
		}
	}
	if got, want := c.master.Snapshot().Total.Requests, target.hits.Load(); got != want {
		t.Errorf("after quit the master counted %d requests, the server %d", got, want)
	}
}

var _ = errors.Is
var _ sync.Mutex
var _ = distributed.ErrRefused
