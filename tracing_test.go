package locust_test

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/golocust/locust"
)

// traceReceiver is a real OTLP trace receiver: the official generated
// gRPC service and the HTTP endpoint /v1/traces (protobuf). It keeps the
// spans it receives.
type traceReceiver struct {
	coltrace.UnimplementedTraceServiceServer
	mu       sync.Mutex
	spans    []*tracepb.Span
	resAttrs map[string]string
	endpoint string
}

func (o *traceReceiver) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		o.resAttrs = map[string]string{}
		for _, kv := range rs.Resource.GetAttributes() {
			o.resAttrs[kv.Key] = kv.Value.GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	return &coltrace.ExportTraceServiceResponse{}, nil
}

func (o *traceReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := &coltrace.ExportTraceServiceRequest{}
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	_, _ = o.Export(r.Context(), req)
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (o *traceReceiver) received() ([]*tracepb.Span, map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.spans, o.resAttrs
}

// newTraceReceiver starts a receiver on loopback for protocol (grpc or
// http/protobuf); its endpoint is a base URL.
func newTraceReceiver(t *testing.T, protocol string) *traceReceiver {
	rcv := &traceReceiver{}
	if protocol == "grpc" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gs := grpc.NewServer()
		coltrace.RegisterTraceServiceServer(gs, rcv)
		go func() { _ = gs.Serve(ln) }()
		t.Cleanup(gs.Stop)
		rcv.endpoint = "http://" + ln.Addr().String()
	} else {
		hs := httptest.NewServer(rcv)
		t.Cleanup(hs.Close)
		rcv.endpoint = hs.URL
	}
	return rcv
}

// traceTarget is a target on loopback that keeps the traceparent header
// of every request ("" when there is none); /fail answers 500.
type traceTarget struct {
	*httptest.Server
	mu      sync.Mutex
	parents []string
}

func newTraceTarget(t *testing.T) *traceTarget {
	tt := &traceTarget{}
	tt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tt.mu.Lock()
		tt.parents = append(tt.parents, r.Header.Get("traceparent"))
		tt.mu.Unlock()
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(tt.Close)
	return tt
}

func (tt *traceTarget) seen() []string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return append([]string(nil), tt.parents...)
}

type traceNetUser struct{ locust.HTTPUser }
type traceFastUser struct{ locust.FastHTTPUser }

// traceRequests is the task of both users: a success under a grouped
// name, and a failure.
func traceRequests(ctx context.Context, get func(context.Context, string, ...locust.RequestOption) *locust.Response) error {
	get(ctx, "/item/"+strconv.Itoa(locust.Rand(ctx).IntN(1000))+"?q=1", locust.Name("/item/[id]"))
	get(ctx, "/fail")
	return nil
}

func traceClass(fast bool) locust.UserClass {
	if fast {
		return &locust.Class[*traceFastUser]{Name: "Traced", New: func() *traceFastUser { return &traceFastUser{} },
			Tasks: []locust.Task[*traceFastUser]{{Name: "t", Weight: 1, Fn: func(u *traceFastUser, ctx context.Context) error { return traceRequests(ctx, u.Client.Get) }}}}
	}
	return &locust.Class[*traceNetUser]{Name: "Traced", New: func() *traceNetUser { return &traceNetUser{} },
		Tasks: []locust.Task[*traceNetUser]{{Name: "t", Weight: 1, Fn: func(u *traceNetUser, ctx context.Context) error { return traceRequests(ctx, u.Client.Get) }}}}
}

// traceProvider is a tracer provider exporting to rcv in batches, as a
// library user would make one.
func traceProvider(t *testing.T, rcv *traceReceiver, protocol string, sampler sdktrace.Sampler) *sdktrace.TracerProvider {
	var exp sdktrace.SpanExporter
	var err error
	if protocol == "grpc" {
		exp, err = otlptracegrpc.New(t.Context(), otlptracegrpc.WithEndpointURL(rcv.endpoint))
	} else {
		exp, err = otlptracehttp.New(t.Context(), otlptracehttp.WithEndpointURL(rcv.endpoint+"/v1/traces"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSampler(sampler))
}

// TestTracingSpans runs HTTPUser (spans over gRPC) and FastHTTPUser
// (over HTTP) with tracing on and every span sampled: the target saw a
// traceparent on every request, the receiver got one span per recorded
// request, each span's trace and span ids are those of a traceparent the
// target saw, spans are named as the statistics' rows, failures have the
// error status, and url.full has no user information.
func TestTracingSpans(t *testing.T) {
	for _, tc := range []struct {
		name, protocol string
		fast           bool
	}{{"HTTPUser", "grpc", false}, {"FastHTTPUser", "http/protobuf", true}} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newTraceReceiver(t, tc.protocol)
			target := newTraceTarget(t)
			tp := traceProvider(t, rcv, tc.protocol, sdktrace.AlwaysSample())
			host := strings.Replace(target.URL, "http://", "http://tuser:tsecret@", 1)
			res, err := locust.RunTest(t.Context(), locust.Config{Classes: []locust.UserClass{traceClass(tc.fast)}, Host: host,
				Users: 3, SpawnRate: 100, Iterations: 20, Logger: slog.New(slog.DiscardHandler), Tracing: &locust.Tracing{Provider: tp}})
			if err != nil {
				t.Fatal(err)
			}
			if err := tp.Shutdown(t.Context()); err != nil { // flushes the batch
				t.Fatal(err)
			}
			seen := target.seen()
			spans, resAttrs := rcv.received()
			if res.Stats.Total.Requests != int64(len(seen)) || len(seen) != 40 {
				t.Fatalf("statistics %d requests, target %d, want 40", res.Stats.Total.Requests, len(seen))
			}
			if len(spans) != len(seen) {
				t.Fatalf("%d spans for %d requests", len(spans), len(seen))
			}
			parents := map[string]bool{}
			for _, p := range seen {
				if !strings.HasPrefix(p, "00-") || !strings.HasSuffix(p, "-01") || len(p) != 55 {
					t.Fatalf("traceparent %q: want a sampled W3C traceparent", p)
				}
				parents[p] = true
			}
			if len(parents) != len(seen) {
				t.Errorf("%d distinct traceparents for %d requests", len(parents), len(seen))
			}
			names := map[string]int64{}
			for _, sp := range spans {
				p := "00-" + hex.EncodeToString(sp.TraceId) + "-" + hex.EncodeToString(sp.SpanId) + "-01"
				if !parents[p] {
					t.Errorf("span %s %s: the target saw no traceparent %s", sp.Name, p, p)
				}
				delete(parents, p)
				names[sp.Name]++
				if sp.Kind != tracepb.Span_SPAN_KIND_CLIENT {
					t.Errorf("span %s: kind %v, want client", sp.Name, sp.Kind)
				}
				attrs := map[string]string{}
				for _, kv := range sp.Attributes {
					attrs[kv.Key] = kv.Value.GetStringValue()
					if _, ok := kv.Value.Value.(*commonpb.AnyValue_IntValue); ok {
						attrs[kv.Key] = strconv.FormatInt(kv.Value.GetIntValue(), 10)
					}
				}
				if attrs["http.request.method"] != "GET" || attrs["server.address"] != "127.0.0.1" || attrs["server.port"] == "" {
					t.Errorf("span %s attributes %v", sp.Name, attrs)
				}
				if u := attrs["url.full"]; strings.Contains(u, "tuser") || strings.Contains(u, "tsecret") || !strings.HasPrefix(u, "http://127.0.0.1:") {
					t.Errorf("span %s: url.full %q, want the URL without user information", sp.Name, u)
				}
				switch sp.Name {
				case "/fail":
					if sp.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || attrs["error.type"] != "500" || attrs["http.response.status_code"] != "500" {
						t.Errorf("span /fail: status %v, attributes %v; want error, error.type 500", sp.Status, attrs)
					}
				case "/item/[id]":
					if sp.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR || attrs["http.response.status_code"] != "200" || !strings.Contains(attrs["url.full"], "?q=1") {
						t.Errorf("span /item/[id]: status %v, attributes %v", sp.Status, attrs)
					}
				}
				if sp.EndTimeUnixNano < sp.StartTimeUnixNano {
					t.Errorf("span %s ends before it starts", sp.Name)
				}
			}
			for _, e := range res.Stats.Entries {
				if names[e.Name] != e.Requests {
					t.Errorf("row %s: %d requests, %d spans", e.Name, e.Requests, names[e.Name])
				}
			}
			if len(names) != len(res.Stats.Entries) {
				t.Errorf("span names %v, rows %d", names, len(res.Stats.Entries))
			}
			if resAttrs["service.name"] == "" {
				t.Errorf("resource attributes %v", resAttrs)
			}
		})
	}
}

// TestTracingSampled samples about half of the spans: every request
// still carries a traceparent, and the spans received are exactly those
// of the requests whose traceparent says sampled.
func TestTracingSampled(t *testing.T) {
	rcv := newTraceReceiver(t, "grpc")
	target := newTraceTarget(t)
	tp := traceProvider(t, rcv, "grpc", sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.5)))
	_, err := locust.RunTest(t.Context(), locust.Config{Classes: []locust.UserClass{traceClass(false)}, Host: target.URL,
		Users: 2, SpawnRate: 100, Iterations: 30, Logger: slog.New(slog.DiscardHandler), Tracing: &locust.Tracing{Provider: tp}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	sampled := map[string]bool{}
	seen := target.seen()
	for _, p := range seen {
		switch {
		case strings.HasSuffix(p, "-01"):
			sampled[p[3:52]] = true
		case !strings.HasSuffix(p, "-00"):
			t.Fatalf("traceparent %q", p)
		}
	}
	spans, _ := rcv.received()
	if len(spans) != len(sampled) || len(seen) != 60 {
		t.Fatalf("%d spans, %d sampled traceparents of %d requests", len(spans), len(sampled), len(seen))
	}
	for _, sp := range spans {
		if id := hex.EncodeToString(sp.TraceId) + "-" + hex.EncodeToString(sp.SpanId); !sampled[id] {
			t.Errorf("span %s was not sampled in its traceparent", id)
		}
	}
}

// TestTracingOff: without Config.Tracing no trace header is sent.
func TestTracingOff(t *testing.T) {
	for _, fast := range []bool{false, true} {
		target := newTraceTarget(t)
		_, err := locust.RunTest(t.Context(), locust.Config{Classes: []locust.UserClass{traceClass(fast)}, Host: target.URL,
			Users: 1, SpawnRate: 100, Iterations: 3, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		seen := target.seen()
		if len(seen) != 6 {
			t.Fatalf("fast=%v: %d requests, want 6", fast, len(seen))
		}
		for _, p := range seen {
			if p != "" {
				t.Errorf("fast=%v: a request carried traceparent %q with tracing off", fast, p)
			}
		}
	}
}

// TestRunOtelTraces runs the command line with LOCUST_OTEL_TRACES over
// OTLP/HTTP: one span per request reaches the receiver, with the resource
// naming the run, and a bad ratio is refused.
func TestRunOtelTraces(t *testing.T) {
	rcv := newTraceReceiver(t, "http/protobuf")
	target := newTraceTarget(t)
	// The option from the environment, as in a container.
	p := &locust.Program{Classes: []locust.UserClass{traceClass(false)},
		Getenv: func(k string) string { return map[string]string{"LOCUST_OTEL_TRACES": "true"}[k] }}
	res := runMain(t, p, "--headless", "-u", "2", "-r", "100", "-i", "10", "-H", target.URL,
		"--otel-endpoint", rcv.endpoint, "--otel-protocol", "http/protobuf", "--exit-code-on-error", "0")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	seen := target.seen()
	spans, attrs := rcv.received()
	if len(seen) != 20 || len(spans) != len(seen) {
		t.Fatalf("%d spans for %d requests (want 20)", len(spans), len(seen))
	}
	for _, p := range seen {
		if !strings.HasPrefix(p, "00-") {
			t.Fatalf("traceparent %q", p)
		}
	}
	if attrs["locust.mode"] != "local" || attrs["locust.run_id"] == "" || attrs["service.instance.id"] != attrs["locust.run_id"] {
		t.Errorf("resource attributes %v", attrs)
	}
	if !strings.Contains(res.stderr, "exporting a span per HTTP request") {
		t.Errorf("the log does not say spans are exported:\n%s", res.stderr)
	}

	bad := runMain(t, &locust.Program{Classes: []locust.UserClass{traceClass(false)}}, "--headless", "-i", "1", "-H", target.URL,
		"--otel-traces", "--otel-traces-ratio", "1.5")
	if bad.code != locust.ExitUsage || !strings.Contains(bad.stderr, "--otel-traces-ratio must be from 0 to 1") {
		t.Errorf("--otel-traces-ratio 1.5: exit %d, %s", bad.code, bad.stderr)
	}
	badProp := runMain(t, &locust.Program{Classes: []locust.UserClass{traceClass(false)},
		Getenv: func(k string) string { return map[string]string{"OTEL_PROPAGATORS": "b3"}[k] }},
		"--headless", "-i", "1", "-H", target.URL, "--otel-traces", "--otel-endpoint", rcv.endpoint)
	if badProp.code != locust.ExitUsage || !strings.Contains(badProp.stderr, "is not supported; allowed: tracecontext, baggage, none") {
		t.Errorf("OTEL_PROPAGATORS=b3: exit %d, %s", badProp.code, badProp.stderr)
	}
}

// TestTracingDistributed runs a master without tracing and two workers
// with it (tracing is a worker option), exporting to one OTLP receiver:
// the spans of both workers equal the requests the target saw and the
// master's merged statistics, and match the traceparents the target saw.
func TestTracingDistributed(t *testing.T) {
	rcv := newTraceReceiver(t, "grpc")
	target := newTraceTarget(t)
	cls := traceClass(false)
	ln := distListen(t)
	m, err := locust.NewMasterRunner(locust.Config{Classes: []locust.UserClass{cls}, Host: target.URL, StopTimeout: 5 * time.Second},
		locust.MasterOptions{Listener: ln, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var tps []*sdktrace.TracerProvider
	var done []chan error
	wctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		ctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = m.Quit(ctx)
		cancel()
		for _, ch := range done {
			<-ch
		}
	})
	for range 2 {
		tp := traceProvider(t, rcv, "grpc", sdktrace.AlwaysSample())
		tps = append(tps, tp)
		w, err := locust.NewWorkerRunner(locust.Config{Classes: []locust.UserClass{cls}, Tracing: &locust.Tracing{Provider: tp}},
			locust.WorkerOptions{MasterAddr: ln.Addr().String(), ReportInterval: 200 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan error, 1)
		go func() { ch <- w.Run(wctx) }()
		done = append(done, ch)
	}
	ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
	defer c()
	if err := m.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(4, 100); err != nil {
		t.Fatal(err)
	}
	distWaitFor(t, "requests", 10*time.Second, func() bool { return len(target.seen()) >= 40 })
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The workers' last reports reach the master.
	distWaitFor(t, "the final reports", 10*time.Second, func() bool { return m.Snapshot().Total.Requests == int64(len(target.seen())) })
	for _, tp := range tps {
		if err := tp.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	seen := target.seen()
	spans, _ := rcv.received()
	if len(spans) != len(seen) {
		t.Fatalf("%d spans from the workers, the target saw %d requests", len(spans), len(seen))
	}
	parents := map[string]bool{}
	for _, p := range seen {
		parents[p] = true
	}
	for _, sp := range spans {
		if p := "00-" + hex.EncodeToString(sp.TraceId) + "-" + hex.EncodeToString(sp.SpanId) + "-01"; !parents[p] {
			t.Errorf("span %s %s: the target saw no such traceparent", sp.Name, p)
		}
	}
}
