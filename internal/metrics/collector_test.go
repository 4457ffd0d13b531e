package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// TestNativeKeyMatchesClientGolang checks the bucket index against
// client_golang's own native histogram of the same schema.
func TestNativeKeyMatchesClientGolang(t *testing.T) {
	for _, v := range []float64{1e-6, 2e-6, 1.5e-6, 0.001, 0.0010001, 0.0123, 0.25, 0.5, 1, 1.0001, 3.7, 59.9, 3600} {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "x", NativeHistogramBucketFactor: math.Exp2(math.Exp2(-NativeSchema)),
			NativeHistogramZeroThreshold: nativeZeroThreshold})
		h.Observe(v)
		var m dto.Metric
		if err := h.Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.Histogram.GetSchema(); got != NativeSchema {
			t.Fatalf("client_golang picked schema %d, want %d", got, NativeSchema)
		}
		want := int(m.Histogram.PositiveSpan[0].GetOffset())
		if got := NativeKey(v); got != want {
			t.Errorf("NativeKey(%v) = %d, client_golang puts it in bucket %d", v, got, want)
		}
	}
}

func testSnapshot() *Snapshot {
	return &Snapshot{
		Rows: []Row{
			{Type: "GET", Name: "/a", Requests: 3, Failures: 1, ContentBytes: 30, Duration: Histogram{Count: 3, Sum: 0.0035,
				Buckets: []Bucket{{Upper: 0.0005, Count: 1}, {Upper: 0.001, Count: 1}, {Upper: 0.002, Count: 1}}}},
			{Type: "GET", Name: "/b", Requests: 1, Duration: Histogram{Count: 1, Sum: 0.2, Buckets: []Bucket{{Upper: 0.2, Count: 1}}}},
			{Type: "POST", Name: "/c", Requests: 2, Failures: 2, Duration: Histogram{Count: 2, Sum: 2, Buckets: []Bucket{{Upper: 1, Count: 2}}}},
		},
		Failures: []Failure{{Type: "GET", Name: "/a", Error: "HTTP 503 Service Unavailable", Count: 1},
			{Type: "POST", Name: "/c", Error: "HTTP 404 Not Found", Count: 1}, {Type: "POST", Name: "/c", Error: "HTTP 400", Count: 1}},
		Users:   map[string]int{"Web": 4},
		Workers: map[string]int{"running": 2},
		State:   "running",
	}
}

func TestCollectorText(t *testing.T) {
	c := NewCollector(testSnapshot, Options{Info: map[string]string{"run_id": "abc", "mode": "master"}})
	want := `
# HELP locust_request_duration_seconds Response time of requests (from the HDR histogram of every sample).
# TYPE locust_request_duration_seconds histogram
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.0001"} 0
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.00025"} 0
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.0005"} 1
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.001"} 2
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.0025"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.005"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.01"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.025"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.05"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.1"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.25"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="0.5"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="1"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="2.5"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="5"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="10"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="30"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="60"} 3
locust_request_duration_seconds_bucket{name="/a",type="GET",le="+Inf"} 3
locust_request_duration_seconds_sum{name="/a",type="GET"} 0.0035
locust_request_duration_seconds_count{name="/a",type="GET"} 3
# HELP locust_request_failures_total Failed requests by request type, name and error class.
# TYPE locust_request_failures_total counter
locust_request_failures_total{error_class="http_4xx",name="/c",type="POST"} 2
locust_request_failures_total{error_class="http_5xx",name="/a",type="GET"} 1
# HELP locust_run_info Always 1; the labels describe the run.
# TYPE locust_run_info gauge
locust_run_info{mode="master",run_id="abc"} 1
# HELP locust_test_state 1 for the runner's current state, 0 for the others.
# TYPE locust_test_state gauge
locust_test_state{state="ready"} 0
locust_test_state{state="running"} 1
locust_test_state{state="spawning"} 0
locust_test_state{state="stopped"} 0
locust_test_state{state="stopping"} 0
# HELP locust_workers Workers of this master by state.
# TYPE locust_workers gauge
locust_workers{state="missing"} 0
locust_workers{state="ready"} 0
locust_workers{state="running"} 2
locust_workers{state="spawning"} 0
locust_workers{state="stopped"} 0
locust_workers{state="stopping"} 0
`
	// Only the /a histogram: filter the other rows' lines out of the
	// comparison by name.
	got, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain,
		"locust_request_duration_seconds", "locust_request_failures_total", "locust_workers", "locust_test_state", "locust_run_info")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(got), "\n") {
		if strings.HasPrefix(l, "locust_request_duration_seconds") && !strings.Contains(l, `name="/a"`) {
			continue
		}
		kept = append(kept, l)
	}
	if g := strings.TrimSpace(strings.Join(kept, "\n")); g != strings.TrimSpace(want) {
		t.Errorf("got:\n%s\nwant:\n%s", g, strings.TrimSpace(want))
	}
	if n := testutil.CollectAndCount(c, "locust_requests_total"); n != 3 {
		t.Errorf("locust_requests_total has %d series, want 3", n)
	}
}

func TestCollectorFoldsBeyondLimit(t *testing.T) {
	c := NewCollector(testSnapshot, Options{MaxNames: 1})
	const want = `
# HELP locust_requests_total Requests made, failures included, by request type and name.
# TYPE locust_requests_total counter
locust_requests_total{name="(other)",type="(other)"} 3
locust_requests_total{name="/a",type="GET"} 3
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "locust_requests_total"); err != nil {
		t.Error(err)
	}
	// The histogram of the folded rows has all their samples.
	var m dto.Metric
	ch := make(chan prometheus.Metric, 100)
	c.Collect(ch)
	close(ch)
	for pm := range ch {
		if pm.Desc() != c.duration {
			continue
		}
		m.Reset()
		_ = pm.Write(&m)
		if m.Label[0].GetValue() == OtherName && m.Histogram.GetSampleCount() != 3 {
			t.Errorf("(other) histogram has %d samples, want 3", m.Histogram.GetSampleCount())
		}
		var n, run int64
		for _, d := range m.Histogram.PositiveDelta {
			run += d // deltas between successive bucket counts
			n += run
		}
		if uint64(n) != m.Histogram.GetSampleCount() {
			t.Errorf("%s: native buckets hold %d samples, count is %d", m.Label[0].GetValue(), n, m.Histogram.GetSampleCount())
		}
	}
}

func TestErrorClass(t *testing.T) {
	for text, want := range map[string]string{
		"HTTP 404 Not Found": "http_4xx", "HTTP 503": "http_5xx", "HTTP 302 Found": "http_other",
		"aborted: the user was stopped during the request (see --stop-timeout)": "aborted",
		"timeout: no complete response within 5s":                               "timeout",
		"request canceled: context canceled":                                    "canceled",
		"GET /x not sent: bad URL":                                              "not_sent",
		"dial tcp 127.0.0.1:1: connect: connection refused":                     "connection",
		"wrong body": "other",
	} {
		if got := ErrorClass(text); got != want {
			t.Errorf("ErrorClass(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestMergeHistograms(t *testing.T) {
	a := Histogram{Count: 3, Sum: 1, Buckets: []Bucket{{0.1, 1}, {0.3, 2}}}
	b := Histogram{Count: 3, Sum: 2, Buckets: []Bucket{{0.2, 1}, {0.3, 1}, {0.4, 1}}}
	m := mergeHistograms(a, b)
	want := []Bucket{{0.1, 1}, {0.2, 1}, {0.3, 3}, {0.4, 1}}
	if m.Count != 6 || m.Sum != 3 || len(m.Buckets) != len(want) {
		t.Fatalf("merged = %+v", m)
	}
	for i := range want {
		if m.Buckets[i] != want[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, m.Buckets[i], want[i])
		}
	}
}
