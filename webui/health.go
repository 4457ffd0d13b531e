package webui

import "net/http"

// Health endpoints for orchestrators' probes. They need no credentials
// and say nothing but ok or not ready: no version, no state of the test.

// They are public routes of the route table (routes.go).

// handleHealthz answers 200 while the server serves.
func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	healthWrite(w, http.StatusOK, "ok\n")
}

// handleReadyz answers 200 while the server serves and 503 once it is
// shutting down.
func (s *Server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	select {
	case <-s.done:
		healthWrite(w, http.StatusServiceUnavailable, "not ready\n")
	default:
		healthWrite(w, http.StatusOK, "ready\n")
	}
}

func healthWrite(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
