package webui

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// The Content-Security-Policy of every page but the report: no inline
// script, no inline style sheets, nothing from other origins.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// reportCSP allows the report's own inline script and style, by nonce.
func reportCSP(nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; " +
		"img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

func newNonce() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// Route is one endpoint of the web UI. The route table is the only place
// where endpoints are registered, and each declares the least role that
// may call it and whether it changes state; the server enforces both
// before the handler runs. Programs add their own endpoints with
// [Options.Routes].
type Route struct {
	// Method is the HTTP method: GET, POST, PUT, PATCH or DELETE. A GET
	// route also answers HEAD, unless it changes state.
	Method string
	// Path is a [http.ServeMux] path pattern, e.g. "/history/{id}".
	Path string
	// Role is the least role allowed; the zero Role is refused by [New].
	Role Role
	// ChangesState marks a route that changes the test, the accounts or
	// stored data. Such a route must not be a GET (Locust's GET /stop is
	// the one exception, restricted to API clients); a cross-site
	// request is refused, and a browser session must send its CSRF
	// token in the X-CSRF-Token header.
	ChangesState bool
	// Handler serves the route. [Server.Audit] records what it did.
	Handler http.Handler
}

// builtinRoutes is the route table of the web UI.
func (s *Server) builtinRoutes() []Route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	rts := []Route{
		{"GET", "/{$}", RoleViewer, false, h(s.handleIndex)},
		{"GET", "/assets/", RolePublic, false, assetHandler()},
		{"GET", "/favicon.ico", RolePublic, false, h(func(w http.ResponseWriter, r *http.Request) {
			r.URL.Path = "/assets/favicon.svg"
			assetHandler().ServeHTTP(w, r)
		})},
		{"GET", "/login", RolePublic, false, h(s.handleLoginPage)},
		{"POST", "/login", RolePublic, true, h(s.handleLogin)},
		{"POST", "/logout", RoleViewer, true, h(s.handleLogout)},
		{"GET", "/session", RoleViewer, false, h(s.handleSession)},
		{"POST", "/swarm", RoleOperator, true, h(s.handleSwarm)},
		{"GET", "/stop", RoleOperator, true, h(s.handleStop)},
		{"POST", "/stop", RoleOperator, true, h(s.handleStop)},
		{"POST", "/stats/reset", RoleOperator, true, h(s.handleReset)},
		{"GET", "/stats/reset", RoleViewer, false, h(postOnly)},
		{"GET", "/stats/requests", RoleViewer, false, h(s.handleRequests)},
		{"GET", "/stats/series", RoleViewer, false, h(s.handleSeries)},
		{"GET", "/stats/requests/csv", RoleViewer, false, s.handleCSV(CSVRequests, "requests")},
		{"GET", "/stats/failures/csv", RoleViewer, false, s.handleCSV(CSVFailures, "failures")},
		{"GET", "/exceptions/csv", RoleViewer, false, s.handleCSV(CSVExceptions, "exceptions")},
		{"GET", "/exceptions", RoleViewer, false, h(s.handleExceptions)},
		{"GET", "/stats/json", RoleViewer, false, h(s.handleJSONDownload)},
		{"GET", "/tasks", RoleViewer, false, h(s.handleTasks)},
		{"GET", "/logs", RoleViewer, false, h(s.handleLogs)},
		{"GET", "/stats/report", RoleViewer, false, h(s.handleReport)},
		{"GET", "/ws", RoleViewer, false, h(s.handleLive)},
		{"GET", "/audit", RoleAdmin, false, h(s.handleAudit)},
		{"GET", metricsPath, RoleViewer, false, h(s.handleMetrics)},
		{"GET", "/history/runs", RoleViewer, false, h(s.handleHistoryList)},
		{"GET", "/history/runs/{id}", RoleViewer, false, h(s.handleHistoryRun)},
		{"GET", "/history/runs/{id}/report", RoleViewer, false, h(s.handleHistoryReport)},
		{"DELETE", "/history/runs/{id}", RoleAdmin, true, h(s.handleHistoryDelete)},
		{"GET", "/history/compare", RoleViewer, false, h(s.handleHistoryCompare)},
		{"GET", "/healthz", RolePublic, false, h(s.handleHealthz)},
		{"GET", "/readyz", RolePublic, false, h(s.handleReadyz)},
	}
	if s.sso != nil {
		// Single sign-on. Neither changes state in the sense of the
		// cross-origin check: the callback arrives from the provider's
		// site by design; its intent check is the state bound to the
		// browser that began the sign-in (oidc.go).
		rts = append(rts,
			Route{"GET", "/login/oidc", RolePublic, false, h(s.handleOIDCStart)},
			Route{"GET", oidcCallbackPath, RolePublic, false, h(s.handleOIDCCallback)})
	}
	return rts
}

var routeMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// checkRoute validates a route of the table.
func checkRoute(rt *Route) error {
	name := rt.Method + " " + rt.Path
	switch {
	case !contains(routeMethods, rt.Method):
		return fmt.Errorf("webui: route %q: method %q: allowed %s", name, rt.Method, strings.Join(routeMethods, ", "))
	case !strings.HasPrefix(rt.Path, "/"):
		return fmt.Errorf("webui: route %q: the path must start with /", name)
	case rt.Role < RolePublic || rt.Role > RoleAdmin:
		return fmt.Errorf("webui: route %q declares no role: set Role to RolePublic, RoleViewer, RoleOperator or RoleAdmin", name)
	case rt.Handler == nil:
		return fmt.Errorf("webui: route %q has no handler", name)
	case rt.ChangesState && rt.Role == RolePublic && rt.Path != "/login":
		return fmt.Errorf("webui: route %q changes state and must require a role above public", name)
	case rt.ChangesState && rt.Method == "GET" && rt.Path != "/stop":
		return fmt.Errorf("webui: route %q changes state: it must not be a GET (use POST or DELETE)", name)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// routes builds the handler: every route of the table behind its checks,
// all behind the security headers and the Host check.
func (s *Server) routes(extra []Route) (h http.Handler, err error) {
	mux := http.NewServeMux()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("webui: %v", p) // a pattern conflict
		}
	}()
	s.table = append(s.builtinRoutes(), extra...)
	for i := range s.table {
		rt := &s.table[i]
		if err := checkRoute(rt); err != nil {
			return nil, err
		}
		mux.Handle(rt.Method+" "+rt.Path, s.protect(rt))
	}
	return s.guard(mux), nil
}

// Routes returns the route table: the built-in routes, then those of
// [Options.Routes].
func (s *Server) Routes() []Route { return append([]Route(nil), s.table...) }

// guard wraps h in the checks of every request: security headers; the
// Host check of loopback servers (DNS rebinding); authentication of
// requests that match no route (so that 404s tell nothing to strangers).
func (s *Server) guard(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r := req
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer browsers send
		// "Origin: null" with the page's own form posts, which the
		// cross-origin check must then refuse (the login form on plain
		// HTTP beyond loopback, where there is no Sec-Fetch-Site).
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.tls != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if s.loopback && !loopbackHostHeader(r.Host) {
			// A page of another site whose name resolves to 127.0.0.1
			// (DNS rebinding) must not drive a loopback UI.
			writeJSON(w, http.StatusMisdirectedRequest, errorBody{Field: "Host",
				Message: "this web UI listens on a loopback address and answers only to localhost, 127.0.0.1 or [::1]"})
			return
		}
		if r = s.stripBase(r); r == nil {
			s.serveOutsideBase(w, req)
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" && s.auth != nil {
			// 404 or 405: only for those who are logged in.
			if p, ok := s.authenticate(w, r, false); !ok {
				return
			} else if p == nil {
				s.unauthorized(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// loopbackHostHeader reports whether a Host header names a loopback
// address.
func loopbackHostHeader(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return isLoopbackHost(h) || strings.HasSuffix(strings.ToLower(h), ".localhost")
}

// fromBrowser reports whether a request was sent by a web browser:
// browsers send Sec-Fetch-* metadata (to trustworthy origins), an Origin
// with cross-origin and non-GET requests, and always a User-Agent that
// starts with "Mozilla/". curl, Go, Python and other API clients send
// none of these.
func fromBrowser(r *http.Request) bool {
	for _, h := range []string{"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Origin"} {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return strings.HasPrefix(r.Header.Get("User-Agent"), "Mozilla/")
}

// unauthorized sends browsers navigating to a page to the login page and
// answers other requests 401. Only API clients get a Basic challenge:
// a browser given one would remember the password and send it with
// every request to this site, cross-site ones included.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && (r.Header.Get("Sec-Fetch-Mode") == "navigate" ||
		fromBrowser(r) && strings.Contains(r.Header.Get("Accept"), "text/html")) {
		http.Redirect(w, r, s.path("/login?next="+urlQueryEscape(r.URL.RequestURI())), http.StatusSeeOther)
		return
	}
	if !fromBrowser(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="golocust", charset="UTF-8"`)
	}
	writeJSON(w, http.StatusUnauthorized, errorBody{Message: "authentication required: log in at " + s.path("/login") + " or send HTTP Basic credentials"})
}

// postOnly answers a GET of an endpoint that changes state: Locust
// accepts GET /stats/reset, golocust only POST (no state change without
// intent).
func postOnly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "POST")
	writeJSON(w, http.StatusMethodNotAllowed, errorBody{Field: "method",
		Message: r.URL.Path + " changes state: send POST " + r.URL.Path + " (GET is not accepted)"})
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	serveAsset(w, r, "index.html")
}
