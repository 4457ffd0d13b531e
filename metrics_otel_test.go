package locust

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver keeps the OTLP metrics requests it receives, over gRPC
// (the official generated service) or HTTP (/v1/metrics, protobuf).
type otlpReceiver struct {
	colmetrics.UnimplementedMetricsServiceServer
	mu   sync.Mutex
	reqs []*colmetrics.ExportMetricsServiceRequest
}

func (o *otlpReceiver) Export(_ context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	o.mu.Lock()
	o.reqs = append(o.reqs, req)
	o.mu.Unlock()
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := &colmetrics.ExportMetricsServiceRequest{}
	if r.URL.Path != "/v1/metrics" || proto.Unmarshal(body, req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	_, _ = o.Export(r.Context(), req)
	out, _ := proto.Marshal(&colmetrics.ExportMetricsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// last returns the last request received.
func (o *otlpReceiver) last(t *testing.T) *colmetrics.ExportMetricsServiceRequest {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.reqs) == 0 {
		t.Fatal("the OTLP receiver got nothing")
	}
	return o.reqs[len(o.reqs)-1]
}

// TestMetricsOTLP pushes a test's metrics to a real OTLP receiver over
// gRPC and over HTTP: the counts received equal the statistics.
func TestMetricsOTLP(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			rcv := &otlpReceiver{}
			var endpoint string
			if protocol == "grpc" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				gs := grpc.NewServer()
				colmetrics.RegisterMetricsServiceServer(gs, rcv)
				go func() { _ = gs.Serve(ln) }()
				t.Cleanup(gs.Stop)
				endpoint = "http://" + ln.Addr().String()
			} else {
				hs := httptest.NewServer(rcv)
				t.Cleanup(hs.Close)
				endpoint = hs.URL
			}
			target, hits := metricsTarget(t)
			log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
			r, err := NewLocalRunner(Config{Classes: []UserClass{metricsTestClass()}, Host: target.URL, Logger: slog.New(slog.DiscardHandler), Iterations: 40})
			if err != nil {
				t.Fatal(err)
			}
			info := map[string]string{"run_id": "otlp-test", "mode": "local", "program": "loadtest", "version": "dev"}
			exp := newMetricsExporter(r, info, 100, log)
			stop, err := startOTel(exp, endpoint, protocol, time.Hour, info, log)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Start(2, 100); err != nil {
				t.Fatal(err)
			}
			if err := r.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			stop() // pushes the final values

			lt := r.stats.lifetime()
			want := map[[2]string]int64{}
			var total int64
			for _, e := range lt.Entries {
				want[[2]string{e.Type, e.Name}] = e.Requests
				total += e.Requests
			}
			if total != hits() {
				t.Fatalf("statistics %d requests, target %d", total, hits())
			}
			req := rcv.last(t)
			if len(req.ResourceMetrics) != 1 {
				t.Fatalf("%d resource metrics, want 1", len(req.ResourceMetrics))
			}
			rm := req.ResourceMetrics[0]
			attrs := map[string]string{}
			for _, kv := range rm.Resource.Attributes {
				attrs[kv.Key] = kv.Value.GetStringValue()
			}
			if attrs["locust.run_id"] != "otlp-test" || attrs["service.name"] != "loadtest" || attrs["service.instance.id"] != "otlp-test" {
				t.Errorf("resource attributes %v", attrs)
			}
			got := map[[2]string]int64{}
			var histCount uint64
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					switch m.Name {
					case "locust.requests":
						s := m.GetSum()
						if !s.IsMonotonic || s.AggregationTemporality != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
							t.Errorf("locust.requests is not a cumulative monotonic sum: %v", s)
						}
						for _, dp := range s.DataPoints {
							var k [2]string
							for _, kv := range dp.Attributes {
								switch kv.Key {
								case "type":
									k[0] = kv.Value.GetStringValue()
								case "name":
									k[1] = kv.Value.GetStringValue()
								}
							}
							got[k] = dp.GetAsInt()
						}
					case "locust.request.duration":
						for _, dp := range m.GetExponentialHistogram().DataPoints {
							var n uint64
							for _, c := range dp.Positive.BucketCounts {
								n += c
							}
							if n != dp.Count || dp.Scale != 5 {
								t.Errorf("exponential histogram: buckets hold %d, count %d, scale %d", n, dp.Count, dp.Scale)
							}
							histCount += dp.Count
						}
					}
				}
			}
			if len(got) != len(want) {
				t.Errorf("received rows %v, want %v", got, want)
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%v: received %d requests, statistics %d", k, got[k], n)
				}
			}
			if int64(histCount) != total {
				t.Errorf("histograms hold %d samples, want %d", histCount, total)
			}
		})
	}
}

// testWriter writes a log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
