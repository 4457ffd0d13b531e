package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler returns the /metrics handler of a registry holding c and the Go
// runtime and process collectors. It answers in the format the scraper
// asks for: protobuf (native histograms), OpenMetrics or text.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:            reg, // counts its own errors
		MaxRequestsInFlight: 2,
		ErrorHandling:       promhttp.ContinueOnError,
	})
}
