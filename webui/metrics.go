package webui

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// metricsPath is where Options.Metrics is served.
const metricsPath = "/metrics"

// handleMetrics serves Options.Metrics, 404 when there is none.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.opts.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	s.opts.Metrics.ServeHTTP(w, r)
}

// metricsBearer reports whether r is a scrape of /metrics carrying the
// scrapers' token (Options.MetricsToken): it opens /metrics only.
func (s *Server) metricsBearer(r *http.Request) bool {
	if s.opts.MetricsToken == "" || r.URL.Path != metricsPath || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.MetricsToken)) == 1
}
