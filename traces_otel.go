package locust

// The command line's tracing (--otel-traces): an OpenTelemetry SDK tracer
// provider exporting the request spans over OTLP (gRPC or HTTP) through a
// batch span processor, set as Config.Tracing of the processes that run
// users (a local run, a worker), and shut down, flushing the last spans,
// at the end of the run.

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// startTraces sets cfg.Tracing when --otel-traces asks for it and this
// process runs users (not a master, nor the supervisor of --processes
// workers, whose worker processes trace). stop flushes the spans.
func (p *Program) startTraces(cfg *Config, o *options, log *slog.Logger) (stop func(), err error) {
	mo := &o.metrics
	mode := "local"
	switch {
	case !mo.otelTraces:
		return func() {}, nil
	case o.distMaster():
		log.Info("--otel-traces: the workers make the requests and their spans; start them with --otel-traces too (worker processes of --processes have it)")
		return func() {}, nil
	case o.distWorker() && o.processes != 0 && o.workerOf == "":
		return func() {}, nil // the supervisor: its worker processes trace
	case o.distWorker():
		mode = "worker"
	}
	getenv := p.getenv()
	prop, err := tracingPropagator(getenv("OTEL_PROPAGATORS"))
	if err != nil {
		return nil, err
	}
	var sampler sdktrace.Sampler // nil: the SDK's, from OTEL_TRACES_SAMPLER
	if mo.tracesRatio > 0 {
		sampler = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(mo.tracesRatio))
	}
	protocol := otelProtocol(mo.otelProtocol, "TRACES", getenv)
	tp, err := newTracerProvider(mo.otelEndpoint, protocol, sampler, metricsInfo(p, nil, o, mode))
	if err != nil {
		return nil, err
	}
	cfg.Tracing = &Tracing{Provider: tp, Propagator: prop}
	return otlpStarted(log, "exporting a span per HTTP request over OTLP", mo.otelEndpoint, protocol, tp.Shutdown,
		"OTLP: the last spans could not be exported"), nil
}

// newTracerProvider makes a tracer provider exporting to endpoint (a URL;
// empty: the OTEL_EXPORTER_OTLP_* variables say where) in batches (the
// OTEL_BSP_* variables apply), with sampler (nil: the SDK's default,
// which honours OTEL_TRACES_SAMPLER) and the run's resource.
func newTracerProvider(endpoint, protocol string, sampler sdktrace.Sampler, info map[string]string) (*sdktrace.TracerProvider, error) {
	ctx := context.Background()
	exp, _, err := otlpExporter(protocol, endpoint, "/v1/traces", "span exporter",
		func(u string) (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlpEndpointOption(u, otlptracegrpc.WithEndpointURL)...)
		},
		func(u string) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlpEndpointOption(u, otlptracehttp.WithEndpointURL)...)
		})
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(otelResource(info))}
	if sampler != nil {
		opts = append(opts, sdktrace.WithSampler(sampler))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// tracingPropagator returns the propagator OTEL_PROPAGATORS names (a
// comma-separated list): tracecontext and baggage by default.
func tracingPropagator(env string) (propagation.TextMapPropagator, error) {
	if strings.TrimSpace(env) == "" {
		env = "tracecontext,baggage"
	}
	var props []propagation.TextMapPropagator
	for name := range strings.SplitSeq(env, ",") {
		switch strings.TrimSpace(strings.ToLower(name)) {
		case "tracecontext":
			props = append(props, propagation.TraceContext{})
		case "baggage":
			props = append(props, propagation.Baggage{})
		case "none":
		default:
			return nil, fmt.Errorf("OTEL_PROPAGATORS %q: %q is not supported; allowed: tracecontext, baggage, none", env, strings.TrimSpace(name))
		}
	}
	return propagation.NewCompositeTextMapPropagator(props...), nil
}
