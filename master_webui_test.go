package locust

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust/webui"
)

type masterUIUser struct{ HTTPUser }

func masterUIClass(name string) *Class[*masterUIUser] {
	return &Class[*masterUIUser]{Name: name, New: func() *masterUIUser { return &masterUIUser{} },
		Wait: Constant(5 * time.Millisecond),
		Tasks: []Task[*masterUIUser]{
			{Name: "get", Weight: 3, Fn: func(u *masterUIUser, ctx context.Context) error { u.Client.Get(ctx, "/"); return nil }},
			{Name: "fail", Weight: 1, Fn: func(u *masterUIUser, ctx context.Context) error { u.Client.Get(ctx, "/fail"); return nil }},
		}}
}

// masterUICluster starts a master and two in-process workers over
// loopback, and serves the master's web UI.
func masterUICluster(t *testing.T) (*httptest.Server, *MasterRunner) {
	t.Helper()
	return masterUIClusterPicker(t, false)
}

// masterUIClusterPicker is masterUICluster with the class picker on or
// off.
func masterUIClusterPicker(t *testing.T, picker bool) (*httptest.Server, *MasterRunner) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	classes := []UserClass{masterUIClass("Alpha"), masterUIClass("Beta")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMasterRunner(Config{Classes: classes, Logger: log, StopTimeout: 5 * time.Second},
		MasterOptions{Listener: ln, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var done []chan error
	var cancels []context.CancelFunc
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
		for _, c := range cancels {
			c()
		}
		for _, ch := range done {
			<-ch
		}
	})
	for range 2 {
		w, err := NewWorkerRunner(Config{Classes: classes, Logger: log},
			WorkerOptions{MasterAddr: ln.Addr().String(), ReportInterval: 200 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ch := make(chan error, 1)
		go func() { ch <- w.Run(ctx) }()
		done, cancels = append(done, ch), append(cancels, cancel)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	info := webui.Info{Program: "test", Version: "dev", Users: 1, SpawnRate: 1, Classes: []string{"Alpha", "Beta"}, ClassPicker: picker}
	srv, err := webui.New(newWebUIBridge(m, info, log), &webui.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, m
}

func masterUIView(t *testing.T, base string) webui.View {
	t.Helper()
	resp, body := webuiGet(t, base+"/stats/requests")
	var v webui.View
	if resp.StatusCode != 200 {
		t.Fatalf("GET /stats/requests: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func masterUIWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebUIMaster drives the web UI's JSON API of a master with two
// in-process workers: the view is the cluster's, its totals equal the
// target's count, and the Workers tab lists both workers.
func TestWebUIMaster(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/fail" {
			http.Error(w, "<b>nope</b>", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer target.Close()
	ts, m := masterUICluster(t)

	v := masterUIView(t, ts.URL)
	if v.State != "ready" || v.WorkerCount != 2 || len(v.Workers) != 2 {
		t.Fatalf("before a test: state %q, worker_count %d, workers %+v", v.State, v.WorkerCount, v.Workers)
	}
	_, body := webuiGet(t, ts.URL+"/tasks")
	if !strings.Contains(body, `"Alpha":{"ratio":0.5,"tasks":{"fail":{"ratio":0.25},"get":{"ratio":0.75}}}`) {
		t.Errorf("/tasks before a test: %s", body)
	}

	// Start with the form's host, as the UI does. Without the class
	// picker user_classes is ignored, as Locust.
	resp, body := webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"4"}, "spawn_rate": {"100"}, "host": {target.URL}, "user_classes": {"Beta"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `"host":"`+target.URL+`"`) {
		t.Fatalf("POST /swarm: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "4 users and requests", func() bool {
		v = masterUIView(t, ts.URL)
		return v.UserCount == 4 && len(v.Stats) > 0 && v.Stats[len(v.Stats)-1].NumRequests > 0
	})
	if v.UserClasses["Alpha"] != 2 || v.UserClasses["Beta"] != 2 || v.Host != target.URL {
		t.Errorf("running view: classes %v, host %q", v.UserClasses, v.Host)
	}
	users := 0
	for _, w := range v.Workers {
		users += w.UserCount
		if w.ID == "" || w.LastHeartbeat < float64(time.Now().Add(-time.Minute).Unix()) || w.MemoryUsage <= 0 {
			t.Errorf("worker %+v", w)
		}
	}
	if users != 4 || v.WorkerCount != 2 {
		t.Errorf("workers run %d users (want 4), worker_count %d: %+v", users, v.WorkerCount, v.Workers)
	}
	// A running test cannot change its host; it can change its users.
	resp, body = webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}, "host": {"http://127.0.0.1:9"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "host cannot change") {
		t.Errorf("host change while running: %d %s", resp.StatusCode, body)
	}
	resp, body = webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}})
	if resp.StatusCode != 200 {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "2 users", func() bool { return masterUIView(t, ts.URL).UserCount == 2 })
	time.Sleep(300 * time.Millisecond)

	resp, body = webuiGet(t, ts.URL+"/stop")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /stop: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "stopped", func() bool { return masterUIView(t, ts.URL).State == "stopped" })
	// As Locust's, the workers are ready for the next test after a stop.
	masterUIWait(t, "workers ready", func() bool {
		ws := masterUIView(t, ts.URL).Workers
		for _, w := range ws {
			if w.State != "ready" {
				return false
			}
		}
		return len(ws) == 2
	})
	v = masterUIView(t, ts.URL)
	total := v.Stats[len(v.Stats)-1]
	if total.Name != "Aggregated" || total.NumRequests == 0 || total.NumRequests != hits.Load() || total.NumFailures == 0 {
		t.Fatalf("after /stop: Aggregated %+v, the target counted %d", total, hits.Load())
	}
	if len(v.Errors) == 0 || !strings.Contains(v.Errors[0].Error, "<b>nope</b>") && !strings.Contains(v.Errors[0].Error, "500") {
		t.Errorf("failures: %+v", v.Errors)
	}
	if len(m.Snapshot().History) == 0 {
		t.Error("no history points for the charts")
	}

	// Downloads and the report carry the cluster's statistics.
	resp, body = webuiGet(t, ts.URL+"/stats/requests/csv")
	if resp.StatusCode != 200 || !strings.Contains(body, "GET,/,") || !strings.Contains(body, "Aggregated") {
		t.Errorf("requests CSV: %d %s", resp.StatusCode, body)
	}
	resp, body = webuiGet(t, ts.URL+"/stats/failures/csv")
	if resp.StatusCode != 200 || !strings.Contains(body, "/fail") {
		t.Errorf("failures CSV: %d %s", resp.StatusCode, body)
	}
	resp, body = webuiGet(t, ts.URL+"/exceptions")
	if resp.StatusCode != 200 || !strings.Contains(body, `"exceptions"`) {
		t.Errorf("/exceptions: %d %s", resp.StatusCode, body)
	}
	resp, body = webuiGet(t, ts.URL+"/stats/json")
	if resp.StatusCode != 200 || !strings.Contains(body, `"num_requests"`) && !strings.Contains(body, `"requests"`) {
		t.Errorf("/stats/json: %d %.300s", resp.StatusCode, body)
	}
	resp, body = webuiGet(t, ts.URL+"/stats/report")
	if resp.StatusCode != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, "/fail") {
		t.Errorf("/stats/report: %d %.300s", resp.StatusCode, body)
	}

	// Reset empties the cluster's statistics.
	resp, _ = webuiPostForm(t, ts.URL+"/stats/reset", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("POST /stats/reset: %d", resp.StatusCode)
	}
	v = masterUIView(t, ts.URL)
	if n := v.Stats[len(v.Stats)-1].NumRequests; n != 0 || len(v.Errors) != 0 {
		t.Errorf("after reset: %d requests, %d errors", n, len(v.Errors))
	}
	// A new test starts from the stopped state, on the same workers.
	resp, body = webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}})
	if resp.StatusCode != 200 {
		t.Fatalf("second POST /swarm: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "2 users in the new test", func() bool { return m.UserCount() == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
