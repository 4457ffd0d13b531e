package locust_test

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// metricsScrape GETs url and returns its samples: series (name and
// labels as written) to value.
func metricsScrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// metricsSum adds the samples of metric whose labels contain all of with.
func metricsSum(samples map[string]float64, metric string, with ...string) float64 {
	var n float64
next:
	for k, v := range samples {
		if k != metric && !strings.HasPrefix(k, metric+"{") {
			continue
		}
		for _, w := range with {
			if !strings.Contains(k, w) {
				continue next
			}
		}
		n += v
	}
	return n
}

// TestMetricsDistributed runs a master and two workers over loopback and
// scrapes /metrics over HTTP, as from their --metrics-port listeners: the
// master's request counters equal its merged final statistics and the
// server's count, locust_workers shows the workers by state, and each
// worker's own /metrics shows its own share, the shares adding up to the
// master's totals.
func TestMetricsDistributed(t *testing.T) {
	target := newDistTarget(t)
	c := newDistCluster(t, target.URL, 2, distClass("A", 2*time.Millisecond))
	m := c.master
	serve := func(r locust.Runner, mode string) string {
		srv := httptest.NewServer(locust.MetricsHandler(r, mode))
		t.Cleanup(srv.Close)
		return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/metrics"
	}
	masterURL := serve(m, "master")
	workerURLs := []string{serve(c.workers[0], "worker"), serve(c.workers[1], "worker")}

	if got := metricsScrape(t, masterURL); metricsSum(got, "locust_workers", `state="ready"`) != 2 {
		t.Errorf("before the test: locust_workers %v, want 2 ready", metricsPick(got, "locust_workers"))
	}
	if err := m.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "4 users", 5*time.Second, func() bool { return m.UserCount() == 4 })
	distWaitFor(t, "requests in the master's /metrics", 5*time.Second, func() bool {
		return metricsSum(metricsScrape(t, masterURL), "locust_requests_total") > 0
	})
	running := metricsScrape(t, masterURL)
	if metricsSum(running, "locust_workers", `state="running"`) != 2 || metricsSum(running, "locust_workers") != 2 {
		t.Errorf("while running: locust_workers %v, want 2 running", metricsPick(running, "locust_workers"))
	}
	if n := metricsSum(running, "locust_users", `class="A"`); n != 4 {
		t.Errorf("while running: locust_users{class=\"A\"} = %v, want 4", n)
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	final := m.Snapshot()
	got := metricsScrape(t, masterURL)
	reqs, fails := metricsSum(got, "locust_requests_total"), metricsSum(got, "locust_request_failures_total")
	if final.Total.Requests == 0 || reqs != float64(final.Total.Requests) || reqs != float64(target.hits.Load()) {
		t.Fatalf("master /metrics: %v requests; final stats %d, the server %d", reqs, final.Total.Requests, target.hits.Load())
	}
	if fails == 0 || fails != float64(final.Total.Failures) {
		t.Errorf("master /metrics: %v failures, final stats %d", fails, final.Total.Failures)
	}
	for _, e := range final.Entries {
		series := `{name="` + e.Name + `",type="` + e.Type + `"}`
		if v := got["locust_requests_total"+series]; v != float64(e.Requests) {
			t.Errorf("master locust_requests_total%s = %v, final stats %d", series, v, e.Requests)
		}
		if v := got["locust_request_duration_seconds_count"+series]; v != float64(e.Requests) {
			t.Errorf("master locust_request_duration_seconds_count%s = %v, final stats %d", series, v, e.Requests)
		}
	}
	// A worker may go from stopped to ready after the end (as Locust's
	// do): compare a scrape with the master's listing taken on both sides
	// of it, unchanged across it.
	workerStates := func() map[string]int {
		byState := map[string]int{}
		for _, w := range m.Workers() {
			byState[w.State]++
		}
		return byState
	}
	var byState map[string]int
	for range 50 {
		byState = workerStates()
		got = metricsScrape(t, masterURL)
		if maps.Equal(byState, workerStates()) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for state, n := range byState {
		if v := metricsSum(got, "locust_workers", `state="`+state+`"`); v != float64(n) {
			t.Errorf("after the stop: locust_workers{state=%q} = %v, the master lists %d (%v)", state, v, n, metricsPick(got, "locust_workers"))
		}
	}
	if metricsSum(got, "locust_workers") != 2 {
		t.Errorf("after the stop: locust_workers %v, want 2 in all", metricsPick(got, "locust_workers"))
	}

	var sum float64
	for i, w := range c.workers {
		own := metricsScrape(t, workerURLs[i])
		n := metricsSum(own, "locust_requests_total")
		if snap := w.Snapshot(); n == 0 || n != float64(snap.Total.Requests) {
			t.Errorf("worker %d /metrics: %v requests, its own statistics %d", i, n, snap.Total.Requests)
		}
		if v := metricsSum(own, "locust_workers"); v != 0 {
			t.Errorf("worker %d /metrics shows locust_workers %v; only a master has workers", i, v)
		}
		if metricsSum(own, "locust_run_info", `mode="worker"`) != 1 {
			t.Errorf("worker %d /metrics: no locust_run_info with mode=\"worker\"", i)
		}
		sum += n
	}
	if sum != reqs {
		t.Errorf("the workers' /metrics add up to %v requests, the master's to %v", sum, reqs)
	}
}

// metricsPick returns the samples of one metric, for messages.
func metricsPick(samples map[string]float64, metric string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range samples {
		if strings.HasPrefix(k, metric) {
			out[k] = v
		}
	}
	return out
}
