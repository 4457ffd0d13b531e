package locust_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// distOpenCluster starts a master with cfg and n workers over loopback.
func distOpenCluster(t *testing.T, cfg locust.Config, n int) *distCluster {
	t.Helper()
	ln := distListen(t)
	m, err := locust.NewMasterRunner(cfg, locust.MasterOptions{Listener: ln, HeartbeatInterval: 200 * time.Millisecond})
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
	for range n {
		c.addWorker(t, ln.Addr().String(), cfg.Classes...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitWorkers(ctx, n); err != nil {
		t.Fatal(err)
	}
	return c
}

// distOpenClass makes one GET / per task run.
func distOpenClass(path string, wait time.Duration) *locust.Class[*distUser] {
	return &locust.Class[*distUser]{
		Name: "open", New: func() *distUser { return &distUser{} }, Wait: locust.Constant(wait),
		Tasks: []locust.Task[*distUser]{{Name: "get", Weight: 1, Fn: func(u *distUser, ctx context.Context) error {
			u.Client.Get(ctx, path)
			return nil
		}}},
	}
}

func distOpenWait(t *testing.T, m *locust.MasterRunner, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := m.Wait(ctx); err != nil {
		t.Fatalf("the test did not end within %v: %v", d, err)
	}
}

// TestDistributedArrivalRate runs 300 arrivals/s for 5 s over 3 workers:
// the server sees the global schedule's 1500 (+1: arrival 0 is due at
// once) requests, never more and at most 10% fewer (a loaded machine
// starts some late, after the schedule's end), the master's merged
// schedule statistics count exactly what the server saw, and each worker
// ran about a third.
func TestDistributedArrivalRate(t *testing.T) {
	target := newDistTarget(t)
	c := distOpenCluster(t, locust.Config{Classes: []locust.UserClass{distOpenClass("/", 0)}, Host: target.URL, StopTimeout: 2 * time.Second}, 3)
	m := c.master
	a := locust.Arrival{Rate: 300, Stages: []locust.RateStage{{Duration: 5 * time.Second, Target: 300}}}
	if err := m.StartArrival(a); err != nil {
		t.Fatal(err)
	}
	distOpenWait(t, m, 15*time.Second)
	if got := m.EndReason(); got != "arrival schedule ended" {
		t.Errorf("end reason %q", got)
	}
	hits := target.hits.Load()
	if hits > 1501 || hits < 1350 {
		t.Errorf("server saw %d requests, want the schedule's 1500 (at most 10%% fewer)", hits)
	}
	s := m.Snapshot()
	if s.Total.Requests != hits {
		t.Errorf("master counted %d requests, the server %d", s.Total.Requests, hits)
	}
	sch := s.Schedule
	if sch == nil {
		t.Fatal("no schedule statistics merged on the master")
	}
	// Every request comes from a scheduled, not dropped arrival; equality
	// holds unless the end cut an iteration short before its request.
	if sch.Scheduled-sch.Dropped < hits || sch.ResponseTime.Count < hits || sch.Scheduled-sch.Dropped > hits+3 {
		t.Errorf("merged schedule: scheduled %d, dropped %d, response times %d; server %d", sch.Scheduled, sch.Dropped, sch.ResponseTime.Count, hits)
	}
	for _, w := range c.workers {
		ws := w.Snapshot() // each worker ran about a third
		if ws.Total == nil || math.Abs(float64(ws.Total.Requests)-float64(hits)/3) > float64(hits)/15 {
			t.Errorf("worker %s ran %v requests, want about a third of %d", w.ID(), ws.Total, hits)
		}
	}
}

// TestDistributedArrivalResplit adds a third worker to a running
// arrival-rate test of two: the schedule is re-split, the new worker takes
// its part, and the cluster total still matches the global schedule.
func TestDistributedArrivalResplit(t *testing.T) {
	target := newDistTarget(t)
	cfg := locust.Config{Classes: []locust.UserClass{distOpenClass("/", 0)}, Host: target.URL, StopTimeout: 2 * time.Second}
	c := distOpenCluster(t, cfg, 2)
	m := c.master
	a := locust.Arrival{Rate: 200, Stages: []locust.RateStage{{Duration: 4 * time.Second, Target: 200}}}
	if err := m.StartArrival(a); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	w3 := c.addWorker(t, m.Addr().String(), cfg.Classes...)
	distOpenWait(t, m, 15*time.Second)
	hits := target.hits.Load()
	if hits > 801 || hits < 720 {
		t.Errorf("server saw %d requests, want the schedule's 800 (at most 10%% fewer)", hits)
	}
	if n := w3.Snapshot().Total.Requests; n < 100 {
		t.Errorf("the worker that joined ran %d requests, want its third of the last ~2.5 s", n)
	}
	if s := m.Snapshot(); s.Total.Requests != hits {
		t.Errorf("master counted %d requests, the server %d", s.Total.Requests, hits)
	}
}

// TestDistributedMaxRPS runs unpaced users on 3 workers under --max-rps
// 600: the cluster total never goes above the ceiling (3% for the
// measurement window) and is not starved by the split (at least 75% of it:
// a loaded machine may not reach it).
func TestDistributedMaxRPS(t *testing.T) {
	target := newDistTarget(t)
	c := distOpenCluster(t, locust.Config{Classes: []locust.UserClass{distOpenClass("/", 0)}, Host: target.URL, MaxRPS: 600}, 3)
	m := c.master
	if err := m.Start(30, 300); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "30 users", 5*time.Second, func() bool { return m.UserCount() == 30 })
	time.Sleep(300 * time.Millisecond)
	h0, t0 := target.hits.Load(), time.Now()
	time.Sleep(3 * time.Second)
	h1, t1 := target.hits.Load(), time.Now()
	rate := float64(h1-h0) / t1.Sub(t0).Seconds()
	if rate > 618 || rate < 450 {
		t.Errorf("cluster rate %.1f/s, want at most the 600/s ceiling (and at least 450/s)", rate)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster rate under --max-rps 600: %.1f/s", rate)
}

// TestDistributedAbortRule fails every request: the master's abort rule,
// checked over the merged statistics, stops the whole cluster within its
// window, and the verdict says aborted (exit code 4 in the CLI).
func TestDistributedAbortRule(t *testing.T) {
	target := newDistTarget(t)
	rule, err := locust.ParseAbortRule("fail_ratio>50% for 1s")
	if err != nil {
		t.Fatal(err)
	}
	cfg := locust.Config{Classes: []locust.UserClass{distOpenClass("/fail", 10*time.Millisecond)}, Host: target.URL,
		RunTime: 20 * time.Second, Thresholds: []locust.Threshold{rule}}
	c := distOpenCluster(t, cfg, 3)
	m := c.master
	start := time.Now()
	if err := m.Start(6, 100); err != nil {
		t.Fatal(err)
	}
	distOpenWait(t, m, 10*time.Second)
	took := time.Since(start)
	// Window 1 s, checks every second, reports every 200 ms.
	if took > 4*time.Second {
		t.Errorf("the abort took %v, want within the 1 s window plus a check and a report", took)
	}
	if r := m.EndReason(); !strings.HasPrefix(string(r), "aborted: ") {
		t.Errorf("end reason %q", r)
	}
	v := m.Verdict()
	if !v.Aborted || v.Pass {
		t.Errorf("verdict %+v, want aborted", v)
	}
	for _, w := range c.workers {
		if st := w.State(); st != locust.StateStopped {
			t.Errorf("worker %s is %v after the abort", w.ID(), st)
		}
	}
}
