package locust

// A real Prometheus server (Debian's prometheus package) scrapes a
// running test on loopback: its PromQL answers must equal the final
// statistics. The test skips when prometheus is not installed, unless
// LOCUST_REQUIRE_PROMETHEUS=1 (CI).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golocust/locust/internal/metrics"
)

// promServer is a prometheus process scraping one target.
type promServer struct {
	url string
}

// promBinary returns the path of prometheus, or skips the test.
func promBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("LOCUST_REQUIRE_PROMETHEUS") == "1" {
			t.Fatal("prometheus is not installed and LOCUST_REQUIRE_PROMETHEUS=1: apt-get install prometheus")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus); set LOCUST_REQUIRE_PROMETHEUS=1 to fail instead")
	}
	return bin
}

// startPrometheus starts prometheus listening on addr and scraping target
// (host:port) every 500 ms, with native histograms if native; waitReady
// waits until it can be queried.
func startPrometheus(t *testing.T, bin, addr, target string, native bool) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\nscrape_configs:\n  - job_name: golocust\n    static_configs:\n      - targets: [%q]\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--log.level=warn"}
	if native {
		args = append(args, "--enable-feature=native-histograms")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log (native=%v):\n%s", native, b)
		}
	})
	return &promServer{url: "http://" + addr}
}

// waitReady waits until prometheus answers it is ready.
func (p *promServer) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not become ready at %s: %v", p.url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// promFreeAddrs returns n distinct loopback addresses that were free a
// moment ago, for prometheus processes: prometheus takes its listen
// address on the command line only, so no listener can be handed over
// open. The n listeners are held open together, so the ports differ.
func promFreeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return addrs
}

// promSample is one element of an instant query's result.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSample) float(t *testing.T) float64 {
	t.Helper()
	str, _ := s.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		t.Fatalf("sample value %v: %v", s.Value, err)
	}
	return v
}

// query runs an instant PromQL query; it fails the test on an error of
// Prometheus (a bad query, a metric of the wrong type).
func (p *promServer) query(t *testing.T, q string) []promSample {
	t.Helper()
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorType string `json:"errorType"`
		Data      struct {
			ResultType string       `json:"resultType"`
			Result     []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("query %q: %v: %s", q, err, body)
	}
	if r.Status != "success" {
		t.Fatalf("query %q: %s: %s", q, r.ErrorType, r.Error)
	}
	return r.Data.Result
}

// scalar runs a query that must return one sample and returns its value.
func (p *promServer) scalar(t *testing.T, q string) float64 {
	t.Helper()
	res := p.query(t, q)
	if len(res) != 1 {
		t.Fatalf("query %q returned %d samples, want 1: %+v", q, len(res), res)
	}
	return res[0].float(t)
}

// waitFor polls q until it returns want or the deadline passes.
func (p *promServer) waitFor(t *testing.T, q string, want float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got []promSample
	for time.Now().Before(deadline) {
		got = p.query(t, q)
		if len(got) == 1 && got[0].float(t) == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("query %q: got %+v, want %v", q, got, want)
}

// TestMetricsPrometheus runs a test scraped by two real Prometheus
// servers, one with native histograms and one reading the classic
// buckets, and checks their answers against the final statistics.
func TestMetricsPrometheus(t *testing.T) {
	bin := promBinary(t)
	target, hits := metricsTarget(t)
	log := slog.New(slog.DiscardHandler)
	r, err := NewLocalRunner(Config{Classes: []UserClass{metricsTestClass()}, Host: target.URL, Logger: log, StopTimeout: 5 * time.Second,
		Thresholds: []Threshold{MustParseThreshold("p99<10s"), MustParseThreshold("fail_ratio<0.1%")}})
	if err != nil {
		t.Fatal(err)
	}
	exp := newMetricsExporter(r, map[string]string{"mode": "local", "run_id": "prom-test"}, 100, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: metricsGuard(metrics.Handler(exp.coll), "", true), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	addrs := promFreeAddrs(t, 2)
	native := startPrometheus(t, bin, addrs[0], ln.Addr().String(), true)
	classic := startPrometheus(t, bin, addrs[1], ln.Addr().String(), false) // both start at once
	native.waitReady(t)
	classic.waitReady(t)

	// Load, and go on until both servers have scraped the running test:
	// Prometheus begins scraping a few seconds after it starts (its
	// target discovery updates every 5 s), so that the servers see the
	// test run, not only its end. Then reset the statistics (counters
	// must carry on), load for a few more scrapes, stop, and let both
	// servers scrape the final state.
	if err := r.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*promServer{native, classic} {
		p.waitFor(t, `up{job="golocust"}`, 1)
	}
	r.ResetStats()
	time.Sleep(1500 * time.Millisecond)
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	lt := r.stats.lifetime()
	var total, failures int64
	for _, e := range lt.Entries {
		total += e.Requests
		failures += e.Failures
	}
	if total != hits() || total == 0 {
		t.Fatalf("lifetime statistics count %d requests, the target saw %d", total, hits())
	}

	for _, p := range []*promServer{native, classic} {
		p.waitFor(t, "sum(locust_requests_total)", float64(total))
		p.waitFor(t, "locust_stats_resets_total", 2) // the test's start and ResetStats
		for _, e := range lt.Entries {
			sel := fmt.Sprintf(`{type=%q,name=%q}`, e.Type, e.Name)
			if got := p.scalar(t, "locust_requests_total"+sel); got != float64(e.Requests) {
				t.Errorf("%s requests: prometheus %v, statistics %d", sel, got, e.Requests)
			}
			if got := p.scalar(t, "locust_response_content_bytes_total"+sel); got != float64(e.ContentBytes) {
				t.Errorf("%s content bytes: prometheus %v, statistics %d", sel, got, e.ContentBytes)
			}
		}
		if got := p.scalar(t, "sum(locust_request_failures_total)"); got != float64(failures) || failures == 0 {
			t.Errorf("failures: prometheus %v, statistics %d", got, failures)
		}
		if got := p.scalar(t, `locust_threshold_pass{threshold="fail_ratio<0.1%"}`); got != 0 {
			t.Errorf("failed threshold: prometheus %v, want 0", got)
		}
		if got := p.scalar(t, `locust_test_state{state="stopped"}`); got != 1 {
			t.Errorf("test state stopped = %v, want 1", got)
		}
	}

	checkDashboard(t, exp.coll, native, classic)

	// Quantiles over the whole run: Prometheus's estimate from the
	// buckets falls in the bucket of the HDR percentile at the same rank,
	// give or take one sample (HDR rounds the rank, PromQL does not) and
	// one bucket (a rank on a bucket's edge).
	for _, e := range lt.Entries {
		n := float64(e.Requests)
		for _, q := range []float64{0.5, 0.95, 0.99} {
			hdrP := e.Percentile(q)
			lo, hi := promBucketEnd(e.Percentile(q-1.5/n)), promBucketEnd(e.Percentile(q+1.5/n))
			sel := fmt.Sprintf(`{type=%q,name=%q}`, e.Type, e.Name)
			nat := native.scalar(t, fmt.Sprintf("histogram_quantile(%v, locust_request_duration_seconds%s)", q, sel))
			if k := metrics.NativeKey(nat); k < metrics.NativeKey(lo)-1 || k > metrics.NativeKey(hi)+1 {
				t.Errorf("%s p%v: native histogram %v s (bucket %d), HDR %v (buckets %d..%d)", sel, q*100, nat, k, hdrP,
					metrics.NativeKey(lo), metrics.NativeKey(hi))
			}
			cls := classic.scalar(t, fmt.Sprintf("histogram_quantile(%v, sum by (le) (locust_request_duration_seconds_bucket%s))", q, sel))
			if ci := classicIndex(cls); ci < classicIndex(lo)-1 || ci > classicIndex(hi)+1 {
				t.Errorf("%s p%v: classic buckets %v s (bucket %d), HDR %v (buckets %d..%d)", sel, q*100, cls, ci, hdrP,
					classicIndex(lo), classicIndex(hi))
			}
			t.Logf("%s p%v: HDR %v, native %.6fs, classic %.6fs", sel, q*100, hdrP, nat, cls)
		}
	}
}

// checkDashboard evaluates every query of the Grafana dashboard on each
// server: PromQL must accept it, and it must return data when the
// metrics it reads exist in this run (those of a master or of the open
// model do not in a local closed-model run).
func checkDashboard(t *testing.T, c prometheus.Collector, servers ...*promServer) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, mf := range mfs {
		present[mf.GetName()] = true
	}
	raw, err := os.ReadFile("grafana/golocust-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	subst := strings.NewReplacer("$__rate_interval", "2s", "$job", "golocust")
	names := regexp.MustCompile(`locust_[a-z_]+`)
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			q := subst.Replace(tg.Expr)
			if strings.Contains(q, "$") {
				t.Errorf("panel %q: unknown variable in %q", p.Title, tg.Expr)
				continue
			}
			exists := true
			for _, n := range names.FindAllString(q, -1) {
				base := n
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(n, suf); ok && present[b] {
						base = b
					}
				}
				if !present[base] {
					exists = false
				}
			}
			queries++
			for _, srv := range servers {
				if res := srv.query(t, q); exists && len(res) == 0 {
					t.Errorf("panel %q on %s: no data for %s", p.Title, srv.url, q)
				}
			}
		}
	}
	if queries < 10 {
		t.Errorf("the dashboard has %d queries; expected more", queries)
	}
}

// promBucketEnd returns the exclusive end, in seconds, of the HDR bucket
// of a percentile (which is the bucket's highest value).
func promBucketEnd(d time.Duration) float64 { return float64(d.Microseconds()+1) / 1e6 }

// classicIndex returns the index of the classic bucket holding v.
func classicIndex(v float64) int {
	i, _ := slices.BinarySearch(metrics.ClassicBuckets, v)
	if math.IsNaN(v) {
		return -10
	}
	return i
}
