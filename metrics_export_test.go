package locust

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsBucketEnd checks the bucket ends against the HDR library's
// own highest equivalent values.
func TestMetricsBucketEnd(t *testing.T) {
	h := newStatsPacked()
	check := func(v int64) {
		h.Reset()
		_ = h.RecordValue(v)
		var lo int64
		for b := range h.ForEachBucket {
			lo = b
		}
		hi := h.ValueAtPercentile(100) // the highest equivalent value
		if got := metricsBucketEnd(lo); got != hi+1 || v < lo || v > hi {
			t.Fatalf("value %d: bucket [%d, %d], metricsBucketEnd(%d) = %d, want %d", v, lo, hi, lo, got, hi+1)
		}
	}
	for v := int64(1); v < 10000; v++ {
		check(v)
	}
	for p := int64(2048); p < histHighest; p *= 2 {
		for _, d := range []int64{-1, 0, 1, p / 3, p / 2} {
			check(p + d)
		}
	}
	check(histHighest)
}

// TestMetricsLifetimeAcrossReset records, resets and records again: the
// exported counters and histograms hold every sample, the statistics
// only those since the reset.
func TestMetricsLifetimeAcrossReset(t *testing.T) {
	s := NewStats("")
	s.Record(Sample{Type: "GET", Name: "/a", Duration: 3 * time.Millisecond, Size: 10})
	s.Record(Sample{Type: "GET", Name: "/a", Duration: time.Millisecond, Err: errors.New("HTTP 500")})
	s.keepLifetime() // samples before count too
	s.Reset()
	s.Record(Sample{Type: "GET", Name: "/a", Duration: 2 * time.Millisecond, Size: 5})
	s.Record(Sample{Type: "POST", Name: "/b", Duration: time.Second, Err: errors.New("HTTP 404")})

	lt := s.lifetime()
	if len(lt.Entries) != 2 || lt.Resets != 1 {
		t.Fatalf("lifetime has %d entries, %d resets; want 2, 1", len(lt.Entries), lt.Resets)
	}
	a := lt.Entries[0]
	if a.Name != "/a" || a.Requests != 3 || a.Failures != 1 || a.ContentBytes != 15 || a.TotalTime != 6*time.Millisecond ||
		a.hist.TotalCount() != 3 || a.Min != time.Millisecond || a.Max != 3*time.Millisecond {
		t.Errorf("lifetime /a = %+v (hist %d)", a, a.hist.TotalCount())
	}
	if n := len(lt.Failures); n != 2 {
		t.Errorf("lifetime failures = %+v, want 2 groups", lt.Failures)
	}
	if snap := s.Snapshot(); snap.Total.Requests != 2 {
		t.Errorf("snapshot after reset has %d requests, want 2", snap.Total.Requests)
	}
	// A second reset: still monotonic.
	s.Reset()
	if lt2 := s.lifetime(); lt2.Entries[0].Requests != 3 || lt2.Resets != 2 {
		t.Errorf("after a second reset: /a has %d requests, %d resets; want 3, 2", lt2.Entries[0].Requests, lt2.Resets)
	}
}

// TestMetricsExporterRunner exports a real runner's statistics: counts
// equal the target's, a stats reset does not lower them, and the native
// and classic buckets hold every sample.
func TestMetricsExporterRunner(t *testing.T) {
	target, hits := metricsTarget(t)
	r, err := NewLocalRunner(Config{Classes: []UserClass{metricsTestClass()}, Host: target.URL, Logger: slog.New(slog.DiscardHandler),
		Iterations: 60})
	if err != nil {
		t.Fatal(err)
	}
	exp := newMetricsExporter(r, map[string]string{"mode": "local"}, 10, slog.New(slog.DiscardHandler))
	if err := r.Start(3, 100); err != nil {
		t.Fatal(err)
	}
	if err := r.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := metricsGathered(t, exp.coll, "locust_requests_total")
	r.ResetStats()
	after := metricsGathered(t, exp.coll, "locust_requests_total")
	if before != after || int64(after) != hits() {
		t.Errorf("requests before the reset %v, after %v, target saw %d", before, after, hits())
	}
	if got := metricsGathered(t, exp.coll, "locust_stats_resets_total"); got != 2 {
		t.Errorf("locust_stats_resets_total = %v, want 2 (the test's start and ResetStats)", got)
	}
	if got := metricsGathered(t, exp.coll, "locust_request_duration_seconds"); int64(got) != hits() {
		t.Errorf("the histograms hold %v samples, want %d", got, hits())
	}
}

// metricsGathered returns the sum over the series of a metric family:
// counter and gauge values, histogram sample counts (checked against
// their native and classic buckets).
func metricsGathered(t *testing.T, c prometheus.Collector, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				h := m.Histogram
				var native, run int64
				for _, d := range h.PositiveDelta {
					run += d
					native += run
				}
				if uint64(native) != h.GetSampleCount() {
					t.Errorf("%s: native buckets hold %d samples, count %d", name, native, h.GetSampleCount())
				}
				if last := h.Bucket[len(h.Bucket)-1]; last.GetCumulativeCount() > h.GetSampleCount() {
					t.Errorf("%s: classic bucket le=%v holds %d samples, count %d", name, last.GetUpperBound(), last.GetCumulativeCount(), h.GetSampleCount())
				}
				sum += float64(h.GetSampleCount())
			}
		}
	}
	return sum
}

// metricsTarget is a loopback server answering /fast at once and /slow
// after 2 ms, or with 503 for some; hits returns how many requests it saw.
func metricsTarget(t *testing.T) (srv *httptest.Server, hits func() int64) {
	var n atomic.Int64
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 && r.URL.Path == "/slow" {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/slow" {
			time.Sleep(2 * time.Millisecond)
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, n.Load
}

type metricsTestUser struct{ HTTPUser }

func (u *metricsTestUser) fast(ctx context.Context) error { u.Client.Get(ctx, "/fast"); return nil }
func (u *metricsTestUser) slow(ctx context.Context) error { u.Client.Get(ctx, "/slow"); return nil }

func metricsTestClass() *Class[*metricsTestUser] {
	return &Class[*metricsTestUser]{Name: "Metrics", New: func() *metricsTestUser { return &metricsTestUser{} },
		Wait: Constant(time.Millisecond),
		Tasks: []Task[*metricsTestUser]{{Name: "fast", Weight: 1, Fn: (*metricsTestUser).fast},
			{Name: "slow", Weight: 1, Fn: (*metricsTestUser).slow}}}
}
