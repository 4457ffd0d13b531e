package locust_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// redirectTarget is an allowed target that answers /bounce with a 302 to
// another loopback server (outside the allow-list) and /inside with a
// 302 to its own /ok; outside counts every request it receives.
type redirectTarget struct {
	target, outside *httptest.Server
	mu              sync.Mutex
	paths           map[string]int64
	stolen          atomic.Int64
}

func newRedirectTarget(t *testing.T) *redirectTarget {
	rt := &redirectTarget{paths: map[string]int64{}}
	rt.outside = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.stolen.Add(1)
	}))
	t.Cleanup(rt.outside.Close)
	rt.target = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.mu.Lock()
		rt.paths[r.URL.Path]++
		rt.mu.Unlock()
		switch r.URL.Path {
		case "/bounce":
			http.Redirect(w, r, rt.outside.URL+"/stolen", http.StatusFound)
		case "/inside":
			http.Redirect(w, r, "/ok", http.StatusFound)
		}
	}))
	t.Cleanup(rt.target.Close)
	return rt
}

func (rt *redirectTarget) count(path string) int64 {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.paths[path]
}

type redirectHTTPUser struct{ locust.HTTPUser }

type redirectFastUser struct{ locust.FastHTTPUser }

// TestRedirectsOutsideTheAllowListAreNotFollowed aims a test at an allowed
// target that answers 302 to another loopback port outside
// --allowed-hosts, with both HTTP users, run locally and on a worker
// whose own allow-list is the only one (its master has none): the
// second server receives no request, each bounced request is recorded
// once as a failure naming the refused hop, and redirects within the
// list are still followed.
func TestRedirectsOutsideTheAllowListAreNotFollowed(t *testing.T) {
	classes := map[string]func(bounce, inside string) locust.UserClass{
		"HTTPUser": func(bounce, inside string) locust.UserClass {
			return &locust.Class[*redirectHTTPUser]{Name: "Bouncer", Wait: locust.Constant(0), New: func() *redirectHTTPUser { return &redirectHTTPUser{} },
				Tasks: []locust.Task[*redirectHTTPUser]{{Name: "bounce", Weight: 1, Fn: func(u *redirectHTTPUser, ctx context.Context) error {
					u.Client.Get(ctx, bounce)
					u.Client.Get(ctx, inside, locust.Name("/inside"))
					return nil
				}}}}
		},
		"FastHTTPUser": func(bounce, inside string) locust.UserClass {
			return &locust.Class[*redirectFastUser]{Name: "Bouncer", Wait: locust.Constant(0), New: func() *redirectFastUser { return &redirectFastUser{} },
				Tasks: []locust.Task[*redirectFastUser]{{Name: "bounce", Weight: 1, Fn: func(u *redirectFastUser, ctx context.Context) error {
					u.Client.Get(ctx, bounce)
					u.Client.Get(ctx, inside, locust.Name("/inside"))
					return nil
				}}}}
		},
	}
	for _, kind := range []string{"HTTPUser", "FastHTTPUser"} {
		for _, where := range []string{"local", "worker"} {
			t.Run(kind+"/"+where, func(t *testing.T) {
				rt := newRedirectTarget(t)
				u, _ := url.Parse(rt.target.URL)
				allow := []string{u.Host} // 127.0.0.1:port: the outside server's port is not in it
				// Relative and absolute paths: both are followed the same.
				cls := classes[kind]("/bounce", rt.target.URL+"/inside")
				var snap *locust.Snapshot
				if where == "local" {
					res, err := locust.RunTest(context.Background(), locust.Config{Classes: []locust.UserClass{cls}, Host: rt.target.URL,
						AllowedHosts: allow, Users: 2, SpawnRate: 100, Iterations: 6, RunTime: 20 * time.Second})
					if err != nil {
						t.Fatal(err)
					}
					snap = res.Stats
				} else {
					snap = runRedirectOnWorker(t, cls, rt.target.URL, allow, rt)
				}
				if n := rt.stolen.Load(); n != 0 {
					t.Fatalf("the server outside --allowed-hosts received %d requests", n)
				}
				bounced, inside := rt.count("/bounce"), rt.count("/inside")
				if bounced == 0 || inside == 0 || rt.count("/ok") != inside {
					t.Fatalf("target saw /bounce %d, /inside %d, /ok %d: want the inside redirects followed", bounced, inside, rt.count("/ok"))
				}
				var bounceRow, insideRow *locust.EntryStats
				for _, e := range snap.Entries {
					switch e.Name {
					case "/bounce":
						bounceRow = e
					case "/inside":
						insideRow = e
					}
				}
				if bounceRow == nil || insideRow == nil {
					t.Fatalf("rows %v: want /bounce and /inside", snap.Entries)
				}
				if bounceRow.Requests != bounced || bounceRow.Failures != bounced {
					t.Errorf("/bounce: %d requests, %d failures; the target saw %d: want each recorded once, as a failure", bounceRow.Requests, bounceRow.Failures, bounced)
				}
				if insideRow.Requests != inside || insideRow.Failures != 0 {
					t.Errorf("/inside: %d requests, %d failures; the target saw %d", insideRow.Requests, insideRow.Failures, inside)
				}
				if len(snap.Failures) != 1 {
					t.Fatalf("failures %+v: want one group for /bounce", snap.Failures)
				}
				msg := snap.Failures[0].Error
				for _, want := range []string{"redirect to " + rt.outside.URL + "/stolen not followed", "not in the allowed hosts", "--allowed-hosts"} {
					if !strings.Contains(msg, want) {
						t.Errorf("failure %q does not say %q", msg, want)
					}
				}
			})
		}
	}
}

// runRedirectOnWorker runs cls on one in-process worker, whose
// Config.AllowedHosts is allow, under a master without an allow-list,
// until the target has seen a few bounces; it returns the master's
// merged statistics.
func runRedirectOnWorker(t *testing.T, cls locust.UserClass, host string, allow []string, rt *redirectTarget) *locust.Snapshot {
	t.Helper()
	ln := distListen(t)
	m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{cls}, Host: host, StopTimeout: 5 * time.Second},
		locust.MasterOptions{Listener: ln, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w, err := locust.NewWorkerRunner(locust.Config{Classes: []locust.UserClass{cls}, AllowedHosts: allow},
		locust.WorkerOptions{MasterAddr: ln.Addr().String(), ReportInterval: 100 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer qcancel()
		_ = m.Quit(qctx)
		cancel()
		<-done
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := m.WaitWorkers(wctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(1, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "a few bounced requests", 10*time.Second, func() bool { return rt.count("/bounce") >= 3 })
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := m.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	// The workers' last reports arrive with their stop.
	want := rt.count("/bounce") + rt.count("/inside")
	distWaitFor(t, "the master's statistics to count every request", 10*time.Second, func() bool {
		return m.Snapshot().Total.Requests == want
	})
	return m.Snapshot()
}
