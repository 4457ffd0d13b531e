package locust

// OpenTelemetry export: the metrics of /metrics pushed over OTLP (gRPC or
// HTTP) by the OpenTelemetry SDK's periodic reader, with resource
// attributes naming the run. The standard OTEL_EXPORTER_OTLP_* variables
// (headers, TLS, timeout, compression) and OTEL_METRIC_EXPORT_INTERVAL
// are honoured by the SDK.

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/golocust/locust/internal/metrics"
)

// otelProtocol returns the OTLP protocol of a signal (METRICS, TRACES):
// --otel-protocol, else OTEL_EXPORTER_OTLP_<signal>_PROTOCOL or
// OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.
func otelProtocol(flag, signal string, getenv func(string) string) string {
	for _, v := range []string{flag, getenv("OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL")} {
		if v != "" {
			return v
		}
	}
	return "grpc"
}

// otlpExporter makes the exporter of one signal for protocol with the
// constructor of its gRPC or HTTP exporter, given endpoint (a URL; empty:
// the OTEL_EXPORTER_OTLP_* variables say where). Over HTTP a base URL
// gets the signal's path (see otlpHTTPEndpoint). It returns the URL the
// exporter was given; what names the exporter in errors.
func otlpExporter[E any](protocol, endpoint, path, what string, grpc, http func(endpoint string) (E, error)) (exp E, url string, err error) {
	switch protocol {
	case "grpc":
		exp, err = grpc(endpoint)
	case "http/protobuf", "http":
		if endpoint != "" {
			endpoint = otlpHTTPEndpoint(endpoint, path)
		}
		exp, err = http(endpoint)
	default:
		return exp, "", fmt.Errorf("OTLP protocol %q is not supported; allowed: grpc, http/protobuf", protocol)
	}
	if err != nil {
		return exp, "", fmt.Errorf("OTLP %s: %w", what, err)
	}
	return exp, endpoint, nil
}

// otlpEndpointOption returns the option setting an exporter's endpoint
// URL, none for "" (the OTEL_EXPORTER_OTLP_* variables then say where).
func otlpEndpointOption[O any](endpoint string, withURL func(string) O) []O {
	if endpoint == "" {
		return nil
	}
	return []O{withURL(endpoint)}
}

// otelResource returns the resource naming the run: service.name (the
// program), service.version, service.instance.id (the run id) and each
// label of info as locust.<label>, added to the SDK's defaults (the
// telemetry SDK and OTEL_RESOURCE_ATTRIBUTES).
func otelResource(info map[string]string) *resource.Resource {
	attrs := []attribute.KeyValue{attribute.String("service.name", info["program"]), attribute.String("service.version", info["version"]),
		attribute.String("service.instance.id", info["run_id"])}
	for k, v := range info {
		attrs = append(attrs, attribute.String("locust."+k, v))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		res = resource.NewSchemaless(attrs...)
	}
	return res
}

// startOTel starts pushing the exporter's metrics to endpoint (a URL;
// empty: the OTEL_EXPORTER_OTLP_* variables say where) every interval
// (0: the SDK's default, 60 s, or OTEL_METRIC_EXPORT_INTERVAL). stop
// pushes the final values and shuts down.
func startOTel(exp *metricsExporter, endpoint, protocol string, interval time.Duration, info map[string]string, log *slog.Logger) (stop func(), err error) {
	ctx := context.Background()
	exporter, endpoint, err := otlpExporter(protocol, endpoint, "/v1/metrics", "exporter",
		func(u string) (sdkmetric.Exporter, error) {
			return otlpmetricgrpc.New(ctx, otlpEndpointOption(u, otlpmetricgrpc.WithEndpointURL)...)
		},
		func(u string) (sdkmetric.Exporter, error) {
			return otlpmetrichttp.New(ctx, otlpEndpointOption(u, otlpmetrichttp.WithEndpointURL)...)
		})
	if err != nil {
		return nil, err
	}
	res := otelResource(info)
	var ropts []sdkmetric.PeriodicReaderOption
	if interval > 0 {
		ropts = append(ropts, sdkmetric.WithInterval(interval))
	}
	ropts = append(ropts, sdkmetric.WithProducer(metrics.NewProducer(exp.coll)))
	reader := sdkmetric.NewPeriodicReader(exporter, ropts...)
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))
	return otlpStarted(log, "pushing metrics over OTLP", endpoint, protocol, provider.Shutdown, "OTLP: the final export failed"), nil
}

// otlpStarted logs started, naming endpoint (empty: the OTEL_EXPORTER_OTLP_*
// variables) and protocol, and returns the stop of an OTLP export: it
// calls shutdown, which flushes what is left, within 10 s and logs failed
// with the error if that fails.
func otlpStarted(log *slog.Logger, started, endpoint, protocol string, shutdown func(context.Context) error, failed string) (stop func()) {
	where := endpoint
	if where == "" {
		where = "from OTEL_EXPORTER_OTLP_*"
	}
	log.Info(started, "endpoint", where, "protocol", protocol)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			log.Warn(failed, "error", strings.TrimSpace(err.Error()))
		}
	}
}

// otlpHTTPEndpoint gives a base URL (no path, or "/") the signal's path,
// as OTEL_EXPORTER_OTLP_ENDPOINT does for OTLP over HTTP; a URL with a
// path is kept as it is.
func otlpHTTPEndpoint(endpoint, path string) string {
	if u, err := url.Parse(endpoint); err == nil && (u.Path == "" || u.Path == "/") {
		u.Path = path
		return u.String()
	}
	return endpoint
}
