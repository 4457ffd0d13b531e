package locust_test

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// TestRunMetricsPort runs a headless test with --metrics-port and the
// token from the environment: /metrics answers during the run, with the
// token only.
func TestRunMetricsPort(t *testing.T) {
	srv := newRunServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	env := map[string]string{"LOCUST_METRICS_TOKEN": "scrape-me"}
	p := &locust.Program{Classes: []locust.UserClass{webClass(1)}, Getenv: func(k string) string { return env[k] }}

	type scrape struct {
		noToken int
		body    string
	}
	got := make(chan scrape, 1)
	go func() {
		url := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(url)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			resp.Body.Close()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer scrape-me")
			resp2, err := http.DefaultClient.Do(req)
			if err != nil {
				break
			}
			b, _ := io.ReadAll(resp2.Body)
			resp2.Body.Close()
			if !strings.Contains(string(b), "locust_requests_total{") {
				time.Sleep(100 * time.Millisecond)
				continue // no request recorded yet
			}
			got <- scrape{resp.StatusCode, string(b)}
			return
		}
		got <- scrape{}
	}()
	res := runMain(t, p, "--headless", "-u", "2", "-r", "100", "-t", "2s", "-H", srv.URL, "--metrics-port", strconv.Itoa(port), "--exit-code-on-error", "0")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	s := <-got
	if s.noToken != http.StatusUnauthorized {
		t.Errorf("a scrape without the token: %d, want 401", s.noToken)
	}
	for _, want := range []string{`locust_requests_total{name="/",type="GET"}`, `locust_users{class="Web"}`, `locust_run_info{`, `mode="local"`} {
		if !strings.Contains(s.body, want) {
			t.Errorf("the scrape has no %s:\n%.2000s", want, s.body)
		}
	}
	if !strings.Contains(res.stderr, "serving Prometheus metrics at http://127.0.0.1:"+strconv.Itoa(port)+"/metrics") {
		t.Errorf("the log does not say where the metrics are:\n%s", res.stderr)
	}
}
