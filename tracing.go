package locust

// Tracing of the system under test: with Config.Tracing set, every
// request of an HTTPUser or a FastHTTPUser is an OpenTelemetry client
// span whose context travels in the request's headers (W3C traceparent),
// so that the target's own spans join the load test's trace. Off, the
// request path pays one nil check (httpClient.Do) and one in
// Response.record.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/golocust/locust/internal/metrics"
)

// Tracing makes the HTTP users ([HTTPUser] and [FastHTTPUser]) create an
// OpenTelemetry client span for each request they record, and write the
// span's context into the request's headers (by default the W3C
// traceparent, tracestate and baggage headers), so that the system under
// test continues the trace. Set it in [Config.Tracing]; the command line
// sets it with --otel-traces (see docs/metrics.md).
//
// A span is named after the request's name in the statistics and carries
// the OpenTelemetry HTTP client attributes (http.request.method, url.full
// without user information, server.address, server.port,
// http.response.status_code, error.type). A request recorded as a failure
// has the span status Error with the failure's text; one cut short by the
// stop has the attribute locust.aborted. A request that is never sent is
// not recorded and has no span. A span ends when its request is recorded
// (a [CatchResponse] decision included), with the recorded duration. A
// span is the child of a span in the task's context, if there is one.
//
// A Tracing is read by the runner's users and must not change once the
// runner exists. It is ignored by a [MasterRunner], whose workers make the
// requests.
type Tracing struct {
	// Provider makes the spans; nil means otel.GetTracerProvider(). Its
	// sampler decides which spans are recorded and exported; the context
	// is propagated for all of them (with the sampled flag unset for the
	// others), as OpenTelemetry instrumentation does.
	Provider trace.TracerProvider
	// Propagator writes a request's trace context into its headers; nil
	// means W3C Trace Context and Baggage.
	Propagator propagation.TextMapPropagator
}

// tracingScope names the instrumentation scope of the request spans.
const tracingScope = "github.com/golocust/locust"

// httpTracer is a test's tracer of HTTP requests, shared by its users.
type httpTracer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// httpTracerKey is the key of the test's httpTracer in UserEnv.Shared.
type httpTracerKey struct{}

// httpTracerOf returns the tracer of env's test, nil when tracing is off.
func httpTracerOf(env UserEnv) *httpTracer {
	t := env.tracing
	if t == nil {
		return nil
	}
	return env.Shared(httpTracerKey{}, func() any {
		p, prop := t.Provider, t.Propagator
		if p == nil {
			p = otel.GetTracerProvider()
		}
		if prop == nil {
			prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		}
		return &httpTracer{tracer: p.Tracer(tracingScope), prop: prop}
	}).(*httpTracer)
}

// httpSpan is the span of one request, ended when it is recorded.
type httpSpan struct {
	span  trace.Span
	start time.Time
}

// traceStart starts the span of request r (whose Method and Name are set)
// to path, sent at start, and returns the headers to send: the client's
// default headers with the span's context added.
func (c *httpClient) traceStart(ctx context.Context, r *Response, rq *httpReq, path string, headers *http.Header, start time.Time) *http.Header {
	sctx, span := c.tr.tracer.Start(ctx, r.Name, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start))
	if span.IsRecording() {
		full := tracingURL(httpAddQuery(c.base.url(path), rq))
		attrs := []attribute.KeyValue{attribute.String("http.request.method", r.Method), attribute.String("url.full", full)}
		if u, err := url.Parse(full); err == nil {
			port := u.Port()
			switch {
			case port != "":
			case u.Scheme == "https":
				port = "443"
			default:
				port = "80"
			}
			attrs = append(attrs, attribute.String("server.address", u.Hostname()))
			if n, err := strconv.Atoi(port); err == nil {
				attrs = append(attrs, attribute.Int("server.port", n))
			}
		}
		span.SetAttributes(attrs...)
	}
	r.span = &httpSpan{span: span, start: start}
	h := http.Header{}
	if headers != nil {
		h = headers.Clone()
	}
	c.tr.prop.Inject(sctx, propagation.HeaderCarrier(h))
	return &h
}

// end ends the span of r, being recorded, with its outcome.
func (s *httpSpan) end(r *Response) {
	sp := s.span
	if sp.IsRecording() {
		if r.Status != 0 {
			sp.SetAttributes(attribute.Int("http.response.status_code", r.Status))
		}
		var se HTTPStatusError
		switch {
		case r.Err == nil:
		case errors.Is(r.Err, ErrAborted):
			sp.SetAttributes(attribute.Bool("locust.aborted", true))
		case errors.As(r.Err, &se):
			sp.SetAttributes(attribute.String("error.type", strconv.Itoa(se.Status)))
			sp.SetStatus(codes.Error, r.Err.Error())
		default:
			sp.SetAttributes(attribute.String("error.type", metrics.ErrorClass(r.Err.Error())))
			sp.SetStatus(codes.Error, r.Err.Error())
		}
	}
	sp.End(trace.WithTimestamp(s.start.Add(r.Duration)))
}

// tracingURL returns raw without user information (name and password),
// as OpenTelemetry's url.full asks.
func tracingURL(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if !strings.Contains(rest, "@") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(an invalid URL)"
	}
	u.User = nil
	return u.String()
}
