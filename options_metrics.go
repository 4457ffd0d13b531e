package locust

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/golocust/locust/internal/cli"
)

// metricsOptions are the options of the metrics exporters (Prometheus
// /metrics and OTLP), kept apart from Locust's own options.
type metricsOptions struct {
	listen    listenOption // --metrics-port, --metrics-host
	token     string
	tokenFile string
	maxNames  int

	otelEndpoint string
	otelProtocol string
	otelInterval time.Duration
	otelTraces   bool
	tracesRatio  float64

	// runID names the run in the metrics and the traces; made once.
	runID string

	// handler is the /metrics handler the web UI mounts; set by
	// startMetrics, nil before.
	handler http.Handler
	// bearer is the scrapers' token read from token or tokenFile.
	bearer string
}

// registerMetricsOptions adds the options of o to s, in their own group.
func registerMetricsOptions(s *cli.Set, o *metricsOptions) {
	s.Group("Metrics options")
	o.listen.register(s, "metrics", "Also serve Prometheus metrics at /metrics on this port, for headless runs and workers (0: only on the web UI's port).",
		"Interface the --metrics-port listener binds to; anything but loopback requires --metrics-token.")
	s.String(&o.token, "", "metrics-token", "TOKEN", "", "Read-only bearer token for scrapers of /metrics (on the web UI's port it is accepted besides the web UI's credentials). Prefer LOCUST_METRICS_TOKEN or --metrics-token-file.")
	s.String(&o.tokenFile, "", "metrics-token-file", "FILE", "", "Read the --metrics-token from this file (surrounding white space is ignored).")
	s.Int(&o.maxNames, "", "metrics-max-names", "N", 1000, "Most request rows exported with their own series; later ones are added to one series named \"(other)\".")
	s.String(&o.otelEndpoint, "", "otel-endpoint", "URL", "", "Push the metrics over OTLP to this URL, e.g. http://127.0.0.1:4317 (gRPC) or https://otel.example:4318 (HTTP). The standard OTEL_EXPORTER_OTLP_* variables set headers, TLS and timeouts.")
	s.String(&o.otelProtocol, "", "otel-protocol", "PROTOCOL", "", "OTLP protocol: grpc or http/protobuf. Default: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.")
	s.Var(cli.TimespanVar(&o.otelInterval), "", "otel-interval", "TIME", "How often to push over OTLP, e.g. 10s. Default: OTEL_METRIC_EXPORT_INTERVAL, else 60s; the final values are pushed at exit.")
	s.Bool(&o.otelTraces, "", "otel-traces", false, "Make an OpenTelemetry span per HTTP request, send its W3C traceparent to the target, and export the spans over OTLP (--otel-endpoint, else OTEL_EXPORTER_OTLP_*). Workers make the spans: give it to the workers (worker processes of --processes get it from the master's command line).")
	s.Float64(&o.tracesRatio, "", "otel-traces-ratio", "RATIO", 0, "Fraction of requests whose spans are recorded and exported with --otel-traces, from 0 to 1, e.g. 0.01 (0: OTEL_TRACES_SAMPLER, else every request).")
}

// check validates the options and reads the token file.
func (o *metricsOptions) check(display func(string) string) error {
	if err := o.listen.check(display); err != nil {
		return err
	}
	if o.otelProtocol != "" && o.otelProtocol != "grpc" && o.otelProtocol != "http/protobuf" {
		return cli.Usagef("%s %q: allowed: grpc, http/protobuf", display("otel-protocol"), o.otelProtocol)
	}
	if o.otelEndpoint != "" {
		u, err := url.Parse(o.otelEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cli.Usagef("%s %q: want a URL such as http://127.0.0.1:4317 or https://otel.example:4318", display("otel-endpoint"), o.otelEndpoint)
		}
	}
	if o.otelInterval < 0 {
		return cli.Usagef("%s must be positive", display("otel-interval"))
	}
	if o.tracesRatio < 0 || o.tracesRatio > 1 || o.tracesRatio != o.tracesRatio {
		return cli.Usagef("%s must be from 0 to 1 (a fraction of the requests; 0: OTEL_TRACES_SAMPLER, else every request), got %v", display("otel-traces-ratio"), o.tracesRatio)
	}
	if o.maxNames < 1 {
		return cli.Usagef("%s must be 1 or more, got %d", display("metrics-max-names"), o.maxNames)
	}
	if o.token != "" && o.tokenFile != "" {
		return cli.Usagef("%s and %s are exclusive; give one", display("metrics-token"), display("metrics-token-file"))
	}
	o.bearer = o.token
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return cli.Usagef("%s: %v", display("metrics-token-file"), err)
		}
		o.bearer = strings.TrimSpace(string(b))
		if o.bearer == "" {
			return cli.Usagef("%s %q is empty", display("metrics-token-file"), o.tokenFile)
		}
	}
	if strings.ContainsAny(o.bearer, " \t\r\n") {
		return cli.Usagef("the metrics token may not contain white space")
	}
	if o.listen.port != 0 && o.bearer == "" && !o.listen.loopback() {
		return cli.Usagef("%s %q is not a loopback address: set %s (or LOCUST_METRICS_TOKEN) so that only your scrapers read the metrics",
			display("metrics-host"), o.listen.host, display("metrics-token"))
	}
	return nil
}

// metricsLoopback reports whether host names a loopback interface.
func metricsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
