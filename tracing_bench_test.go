package locust

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// benchDiscardSpans is a span exporter that drops what it gets: the
// benchmark measures making and batching spans, not a network.
type benchDiscardSpans struct{}

func (benchDiscardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (benchDiscardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkTracedRequest sends one GET at a time to a loopback server
// through HTTPUser's and FastHTTPUser's clients with tracing off (the
// request path of BenchmarkHTTPUser and BenchmarkFastHTTPUser: one nil
// check), on with every span sampled (the SDK's batch span processor,
// spans discarded at export), and on with none sampled (the traceparent
// is still sent).
func BenchmarkTracedRequest(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") }))
	b.Cleanup(srv.Close)
	for _, client := range []string{"HTTPUser", "FastHTTPUser"} {
		for _, mode := range []string{"off", "sampled", "unsampled"} {
			b.Run(client+"/"+mode, func(b *testing.B) {
				env := UserEnv{Class: "bench", Host: srv.URL, Users: 1}
				if mode != "off" {
					sampler := sdktrace.AlwaysSample()
					if mode == "unsampled" {
						sampler = sdktrace.NeverSample()
					}
					tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(benchDiscardSpans{}), sdktrace.WithSampler(sampler))
					defer func() { _ = tp.Shutdown(context.Background()) }()
					env.tracing = &Tracing{Provider: tp}
				}
				var get func(context.Context, string, ...RequestOption) *Response
				if client == "HTTPUser" {
					u := &HTTPUser{}
					if err := u.InitUser(env); err != nil {
						b.Fatal(err)
					}
					defer u.Client.Close()
					get = u.Client.Get
				} else {
					u := &FastHTTPUser{}
					if err := u.InitUser(env); err != nil {
						b.Fatal(err)
					}
					defer u.Client.Close()
					get = u.Client.Get
				}
				ctx := ContextWithStats(context.Background(), NewStats("local"))
				b.ReportAllocs()
				for b.Loop() {
					if r := get(ctx, "/ok"); r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			})
		}
	}
}
