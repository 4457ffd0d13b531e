package locust_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust"
)

type probeUser struct {
	locust.HTTPUser
	mu   *sync.Mutex
	errs *[]error
	abs  string
}

func probeClass(mu *sync.Mutex, errs *[]error, abs string) *locust.Class[*probeUser] {
	return &locust.Class[*probeUser]{
		Name: "Probe",
		New:  func() *probeUser { return &probeUser{mu: mu, errs: errs, abs: abs} },
		Wait: locust.Constant(50 * time.Millisecond),
		Tasks: []locust.Task[*probeUser]{{Name: "probe", Weight: 1, Fn: func(u *probeUser, ctx context.Context) error {
			u.Client.Get(ctx, "/")
			r := u.Client.Get(ctx, u.abs)
			u.mu.Lock()
			*u.errs = append(*u.errs, r.Err)
			u.mu.Unlock()
			return nil
		}}},
	}
}

// With an allow-list, a test aimed elsewhere (by -H, the web UI's host
// field or a class's host: they all reach the runner's start) does not
// start, and absolute URLs outside the list are not sent.
func TestAllowedHostsAreEnforcedWhereLoadIsMade(t *testing.T) {
	srv := newRunServer(t)
	u, _ := url.Parse(srv.URL)
	var mu sync.Mutex
	var errs []error
	other := "http://127.0.0.2:" + u.Port() + "/elsewhere"
	cfg := locust.Config{Classes: []locust.UserClass{probeClass(&mu, &errs, other)}, AllowedHosts: []string{u.Host},
		Users: 1, SpawnRate: 1, RunTime: 600 * time.Millisecond}

	aimed := cfg
	aimed.Host = "http://localhost:" + u.Port()
	r, err := locust.NewLocalRunner(aimed)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(1, 1); err == nil || !strings.Contains(err.Error(), "not in the allowed hosts") || !strings.Contains(err.Error(), "--allowed-hosts") {
		t.Fatalf("Start against a host outside the list: %v", err)
	}
	if n := r.UserCount(); n != 0 || srv.total.Load() != 0 {
		t.Fatalf("%d users started, %d requests sent", n, srv.total.Load())
	}

	cfg.Host = srv.URL
	res, err := locust.RunTest(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 {
		t.Fatal("no probe ran")
	}
	for _, e := range errs {
		if e == nil || !strings.Contains(e.Error(), "not sent") || !strings.Contains(e.Error(), "127.0.0.2") {
			t.Fatalf("the request to %s got %v, want it refused before sending", other, e)
		}
	}
	if got := res.Stats.Total.Requests; got != srv.total.Load() {
		t.Errorf("stats count %d requests, the server saw %d", got, srv.total.Load())
	}
	if _, err := locust.NewLocalRunner(locust.Config{Classes: cfg.Classes, AllowedHosts: []string{"http://x"}}); err == nil || !strings.Contains(err.Error(), "AllowedHosts") {
		t.Errorf("a URL as a pattern: %v", err)
	}
}

// The master will not dispatch a host outside its list, whoever asks
// (the web UI's form, -H).
func TestMasterRefusesAHostOutsideItsList(t *testing.T) {
	m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{webClass(0)}, Host: "http://victim.example",
		AllowedHosts: []string{"127.0.0.1"}}, locust.MasterOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Quit(context.Background())
	w, err := locust.NewWorkerRunner(locust.Config{Classes: []locust.UserClass{webClass(0)}}, locust.WorkerOptions{MasterAddr: m.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(m.Workers()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	err = m.Start(1, 1)
	if err == nil || !strings.Contains(err.Error(), "victim.example") || !strings.Contains(err.Error(), "--allowed-hosts") {
		t.Fatalf("Start against a host outside the list: %v", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
