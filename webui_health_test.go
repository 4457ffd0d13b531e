package locust

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golocust/locust/webui"
)

// TestWebUIHealthEndpoints: /healthz and /readyz answer without
// credentials on a UI that requires them, say nothing but ok, and the
// rest of the UI still asks for the credentials; /readyz turns 503 once
// the server shuts down.
func TestWebUIHealthEndpoints(t *testing.T) {
	r, err := NewLocalRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := webui.New(newWebUIBridge(r, webui.Info{Program: "test", Classes: []string{"Browser"}}, log),
		&webui.Options{Addr: "0.0.0.0:0", Username: "admin", Password: "s3cret", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		code, body, h := get(path)
		if code != 200 || body != want {
			t.Errorf("%s = %d %q, want 200 %q", path, code, body, want)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s headers: %v", path, h)
		}
	}
	for _, path := range []string{"/stats/requests", "/", "/healthz/../stats/requests", "/readyz/x"} {
		if code, body, _ := get(path); code == 200 || strings.Contains(body, "Browser") {
			t.Errorf("%s without credentials: %d %q", path, code, body)
		}
	}
	// After shutdown, not ready.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = srv.Serve(ctx, ln)
	if code, body, _ := get("/readyz"); code != http.StatusServiceUnavailable || body != "not ready\n" {
		t.Errorf("/readyz after shutdown = %d %q, want 503", code, body)
	}
}

// TestHealthHandler: the --health-port listener's answers follow the
// probe; only the two paths and GET exist.
func TestHealthHandler(t *testing.T) {
	h := &healthProbe{}
	ts := httptest.NewServer(healthHandler(h))
	defer ts.Close()
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if c, b := get("GET", "/readyz"); c != 503 || b != "not ready\n" {
		t.Errorf("before ready: %d %q", c, b)
	}
	ready := false
	h.setReady(func() bool { return ready })
	if c, _ := get("GET", "/readyz"); c != 503 {
		t.Errorf("probe false: %d", c)
	}
	ready = true
	if c, b := get("GET", "/readyz"); c != 200 || b != "ready\n" {
		t.Errorf("probe true: %d %q", c, b)
	}
	if c, b := get("GET", "/healthz"); c != 200 || b != "ok\n" {
		t.Errorf("/healthz: %d %q", c, b)
	}
	if c, _ := get("POST", "/healthz"); c != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", c)
	}
	if c, _ := get("GET", "/"); c != 404 {
		t.Errorf("/: %d", c)
	}
	var nilProbe *healthProbe
	nilProbe.setReady(func() bool { return true }) // no listener: no-op
}
