package locust

import (
	"log/slog"
	"net/http"
	"sync/atomic"
)

// healthProbe is the readiness of this process as the --health-port
// listener reports it. It is safe for concurrent use; a nil probe does
// nothing.
type healthProbe struct {
	ready atomic.Pointer[func() bool]
}

// setReady makes fn decide readiness from now on (nil: not ready).
func (h *healthProbe) setReady(fn func() bool) {
	if h == nil {
		return
	}
	if fn == nil {
		h.ready.Store(nil)
		return
	}
	h.ready.Store(&fn)
}

func (h *healthProbe) isReady() bool {
	fn := h.ready.Load()
	return fn != nil && (*fn)()
}

// healthHandler answers /healthz (the process serves: 200) and /readyz
// (200 when ready, 503 before); nothing else. The answers say nothing
// about the test, so they need no credentials.
func healthHandler(h *healthProbe) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		healthWrite(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if h.isReady() {
			healthWrite(w, http.StatusOK, "ready\n")
			return
		}
		healthWrite(w, http.StatusServiceUnavailable, "not ready\n")
	})
	return mux
}

func healthWrite(w http.ResponseWriter, code int, body string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// startHealth starts the --health-port listener when the option is set
// and returns the probe to mark readiness on (nil without a listener)
// and a function that closes the listener.
func startHealth(o *options, log *slog.Logger) (*healthProbe, func(), error) {
	l := &o.deploy.health
	if l.port == 0 {
		return nil, func() {}, nil
	}
	h := &healthProbe{}
	addr, stop, err := l.serve(healthHandler(h), "health", log)
	if err != nil {
		return nil, nil, err
	}
	log.Info("serving health checks", "address", addr.String(), "paths", "/healthz /readyz")
	return h, stop, nil
}
