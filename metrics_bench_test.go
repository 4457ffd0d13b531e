package locust

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust/internal/metrics"
)

// metricsBenchSamples are 50 rows with a spread of durations.
func metricsBenchSamples() []Sample {
	out := make([]Sample, 1024)
	for i := range out {
		out[i] = Sample{Type: "GET", Name: fmt.Sprintf("/api/item/%d", i%50),
			Duration: time.Duration(1+(i*7919)%5000) * 37 * time.Microsecond, Size: int64(i % 4096)}
	}
	return out
}

// BenchmarkRecordMetrics records from GOMAXPROCS goroutines with the
// metrics exporter off, on (attached, not scraped), and on and scraped
// every 10 ms (100 times more often than a usual scrape interval):
// Record never touches the exporter, so the first two cost the same.
func BenchmarkRecordMetrics(b *testing.B) {
	for _, mode := range []string{"off", "on", "scraped"} {
		b.Run("metrics="+mode, func(b *testing.B) {
			r, err := NewLocalRunner(Config{Classes: []UserClass{metricsTestClass()}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			st := r.stats
			stop := make(chan struct{})
			done := make(chan struct{})
			if mode == "off" {
				close(done)
			} else {
				h := metrics.Handler(newMetricsExporter(r, nil, 1000, slog.New(slog.DiscardHandler)).coll)
				go func() {
					defer close(done)
					if mode != "scraped" {
						return
					}
					t := time.NewTicker(10 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
						}
					}
				}()
			}
			samples := metricsBenchSamples()
			var seed atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := seed.Add(7919)
				for pb.Next() {
					st.Record(samples[i%uint64(len(samples))])
					i++
				}
			})
			b.StopTimer()
			close(stop)
			<-done
		})
	}
}

// BenchmarkScrape1000Rows serves /metrics (text format, as a classic
// Prometheus asks; and protobuf, as one with native histograms) for a
// test with 1,000 rows of 200 distinct durations each. The target: under
// 50 ms a scrape.
func BenchmarkScrape1000Rows(b *testing.B) {
	// The scrape is written to a writer that counts and drops it, as a
	// connection takes it; a recorder would add growing a 2 MB buffer.
	r, err := NewLocalRunner(Config{Classes: []UserClass{metricsTestClass()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for row := range 1000 {
		for i := range 200 {
			r.stats.Record(Sample{Type: "GET", Name: fmt.Sprintf("/api/row/%d", row),
				Duration: time.Duration(100+i*i*13) * time.Microsecond, Size: 100})
		}
	}
	h := metrics.Handler(newMetricsExporter(r, nil, 1000, slog.New(slog.DiscardHandler)).coll)
	r.stats.Tick(0) // drain the shards once: scrapes see the samples of the last second only
	for _, format := range []struct{ name, accept string }{
		{"text", "text/plain;version=0.0.4"},
		{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
	} {
		b.Run(format.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			cpu := benchCPUTime()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", format.accept)
				w := &benchScrapeWriter{header: http.Header{}, code: http.StatusOK}
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("scrape: status %d", w.code)
				}
				size = int(w.n)
			}
			b.ReportMetric(float64(size)/1e6, "MB/scrape")
			if cpu := benchCPUTime() - cpu; cpu > 0 {
				// The process's CPU time (GC included) per scrape: the
				// wall time of a loaded machine is mostly waiting.
				b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

// benchScrapeWriter is an http.ResponseWriter that counts the body and
// drops it.
type benchScrapeWriter struct {
	header http.Header
	code   int
	n      int64
}

func (w *benchScrapeWriter) Header() http.Header         { return w.header }
func (w *benchScrapeWriter) WriteHeader(code int)        { w.code = code }
func (w *benchScrapeWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
