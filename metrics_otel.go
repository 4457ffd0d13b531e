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

// otelProtocol returns the OTLP protocol: --otel-protocol, else
// OTEL_EXPORTER_OTLP_METRICS_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL,
// else grpc.
func otelProtocol(flag string, getenv func(string) string) string {
	for _, v := range []string{flag, getenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL")} {
		if v != "" {
			return v
		}
	}
	return "grpc"
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
	var exporter sdkmetric.Exporter
	switch protocol {
	case "grpc":
		var opts []otlpmetricgrpc.Option
		if endpoint != "" {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL(endpoint))
		}
		exporter, err = otlpmetricgrpc.New(ctx, opts...)
	case "http/protobuf", "http":
		var opts []otlpmetrichttp.Option
		if endpoint != "" {
			endpoint = otlpHTTPEndpoint(endpoint, "/v1/metrics")
			opts = append(opts, otlpmetrichttp.WithEndpointURL(endpoint))
		}
		exporter, err = otlpmetrichttp.New(ctx, opts...)
	default:
		return nil, fmt.Errorf("OTLP protocol %q is not supported; allowed: grpc, http/protobuf", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	res := otelResource(info)
	var ropts []sdkmetric.PeriodicReaderOption
	if interval > 0 {
		ropts = append(ropts, sdkmetric.WithInterval(interval))
	}
	ropts = append(ropts, sdkmetric.WithProducer(metrics.NewProducer(exp.coll)))
	reader := sdkmetric.NewPeriodicReader(exporter, ropts...)
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))
	where := endpoint
	if where == "" {
		where = "from OTEL_EXPORTER_OTLP_*"
	}
	log.Info("pushing metrics over OTLP", "endpoint", where, "protocol", protocol)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := provider.Shutdown(sctx); err != nil {
			log.Warn("OTLP: the final export failed", "error", strings.TrimSpace(err.Error()))
		}
	}, nil
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
