package locust

import (
	"log/slog"
	"net/http"

	"github.com/golocust/locust/internal/metrics"
)

// MetricsHandler is the /metrics handler a process running r serves on
// its --metrics-port listener (guarded for loopback, without a token),
// for the distributed metrics test.
func MetricsHandler(r Runner, mode string) http.Handler {
	exp := newMetricsExporter(r, map[string]string{"mode": mode}, 1000, slog.New(slog.DiscardHandler))
	return metricsGuard(metrics.Handler(exp.coll), "", true)
}
