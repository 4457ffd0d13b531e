package locust

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golocust/locust/webui"
)

func metricsGet(t *testing.T, h http.Handler, path, host, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if host != "" {
		req.Host = host
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestMetricsGuard attacks the --metrics-port listener: no token, a wrong
// one, a rebinding Host, another path.
func TestMetricsGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("locust_requests_total 1\n")) })
	h := metricsGuard(ok, "s3cret", true)
	for _, c := range []struct {
		path, host, auth string
		want             int
	}{
		{"/metrics", "127.0.0.1:9646", "Bearer s3cret", http.StatusOK},
		{"/metrics", "localhost:9646", "Bearer s3cret", http.StatusOK},
		{"/metrics", "127.0.0.1:9646", "", http.StatusUnauthorized},
		{"/metrics", "127.0.0.1:9646", "Bearer s3cre", http.StatusUnauthorized},
		{"/metrics", "127.0.0.1:9646", "Bearer s3cretX", http.StatusUnauthorized},
		{"/metrics", "127.0.0.1:9646", "Basic czNjcmV0Og==", http.StatusUnauthorized},
		{"/metrics", "evil.example:9646", "Bearer s3cret", http.StatusMisdirectedRequest},
		{"/stats/requests", "127.0.0.1:9646", "Bearer s3cret", http.StatusNotFound},
	} {
		if code, body := metricsGet(t, h, c.path, c.host, c.auth); code != c.want {
			t.Errorf("GET %s Host %s Authorization %q: %d %s, want %d", c.path, c.host, c.auth, code, body, c.want)
		}
	}
	// Beyond loopback any Host is fine, the token is what protects it.
	if code, _ := metricsGet(t, metricsGuard(ok, "s3cret", false), "/metrics", "metrics.example:9646", "Bearer s3cret"); code != http.StatusOK {
		t.Errorf("non-loopback listener refused a scrape with the token: %d", code)
	}
}

// TestMetricsWebUI serves /metrics on the web UI: its credentials or the
// scrapers' token open it, and the token opens nothing else.
func TestMetricsWebUI(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("locust_requests_total 1\n")) })
	ts, _ := webuiTestServer(t, &webui.Options{Username: "admin", Password: "pw", Metrics: ok, MetricsToken: "scrape-token",
		AuthFailureDelay: 1})
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, _ := webuiDo(t, req)
		return resp.StatusCode
	}
	if code := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without credentials: %d, want 401", code)
	}
	if code := get("/metrics", "Bearer scrape-token"); code != http.StatusOK {
		t.Errorf("/metrics with the scrapers' token: %d, want 200", code)
	}
	if code := get("/metrics", "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/metrics", nil)
	req.SetBasicAuth("admin", "pw")
	if resp, body := webuiDo(t, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "locust_requests_total") {
		t.Errorf("/metrics with the web UI's credentials: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/stats/requests", "/stats/reset", "/stop", "/"} {
		if code := get(path, "Bearer scrape-token"); code != http.StatusUnauthorized {
			t.Errorf("the scrapers' token opened %s: %d", path, code)
		}
	}
}

// TestMetricsOptions checks the options' validation.
func TestMetricsOptions(t *testing.T) {
	display := func(n string) string { return "--" + n }
	for _, c := range []struct {
		o    metricsOptions
		want string
	}{
		{metricsOptions{listen: listenOption{name: "metrics", port: 70000, host: "127.0.0.1"}, maxNames: 1}, "--metrics-port must be a port"},
		{metricsOptions{listen: listenOption{name: "metrics", port: 9646, host: "0.0.0.0"}, maxNames: 1}, "--metrics-token"},
		{metricsOptions{listen: listenOption{name: "metrics", port: 9646, host: "*"}, maxNames: 1}, "is not a loopback address"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 0}, "--metrics-max-names must be 1 or more"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 1, token: "a", tokenFile: "f"}, "exclusive"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 1, tokenFile: "/nonexistent/token"}, "--metrics-token-file"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 1, token: "a b"}, "white space"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 1, otelProtocol: "udp"}, "allowed: grpc, http/protobuf"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 1, otelEndpoint: "127.0.0.1:4317"}, "want a URL"},
		{metricsOptions{listen: listenOption{name: "metrics", host: "127.0.0.1"}, maxNames: 1, otelEndpoint: "ftp://x:1"}, "want a URL"},
	} {
		err := c.o.check(display)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.o, err, c.want)
		}
	}
	good := metricsOptions{listen: listenOption{name: "metrics", port: 9646, host: "0.0.0.0"}, maxNames: 1, token: "t"}
	if err := good.check(display); err != nil || good.bearer != "t" || good.listen.addr() != "0.0.0.0:9646" {
		t.Errorf("beyond loopback with a token: %v, bearer %q, addr %q", err, good.bearer, good.listen.addr())
	}
}
