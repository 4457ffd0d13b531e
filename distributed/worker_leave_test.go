package distributed_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust/distributed"
)

// TestWorkerLeave: a worker that leaves on its own (an orchestrator
// stopping it) stops its load, sends a final report, tells the master it
// quits, and Run returns nil; the master no longer lists it.
func TestWorkerLeave(t *testing.T) {
	var mu sync.Mutex
	var final bool
	m, logs := newMaster(t, distributed.MasterConfig{OnReport: func(_ string, r *distributed.Report) error {
		mu.Lock()
		defer mu.Unlock()
		final = final || r.Final
		return nil
	}})
	load := &fakeLoad{}
	w, ran := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "h_1", Load: load})
	waitFor(t, "connection", w.Connected)
	if err := m.Start(distributed.Target{Users: 2, Rate: 100}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "users", func() bool { return load.Status().Users == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Leave(ctx, "stopped by the orchestrator"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run returned %v after Leave, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Leave")
	}
	if st := load.Status(); st.State != "stopped" {
		t.Errorf("load state %q after Leave, want stopped", st.State)
	}
	waitFor(t, "the master to drop the worker", func() bool { return len(m.Workers()) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if !final {
		t.Error("the master got no final report")
	}
	if !strings.Contains(logs.String(), "stopped by the orchestrator") {
		t.Errorf("the master did not log the reason:\n%s", logs.String())
	}
	// Leave after the end is a no-op.
	if err := w.Leave(ctx, "again"); err != nil {
		t.Errorf("second Leave: %v", err)
	}
}
