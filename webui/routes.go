package webui

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net"
	"net/http"
	"net/url"
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

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.Handle("GET /assets/", assetHandler())
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/assets/favicon.svg"
		assetHandler().ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /login", s.handleLoginPage)
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("POST /logout", s.handleLogout)
	mux.HandleFunc("POST /swarm", s.handleSwarm)
	mux.HandleFunc("GET /stop", s.handleStop)
	mux.HandleFunc("POST /stop", s.handleStop)
	mux.HandleFunc("GET /stats/reset", s.handleReset)
	mux.HandleFunc("POST /stats/reset", s.handleReset)
	mux.HandleFunc("GET /stats/requests", s.handleRequests)
	mux.HandleFunc("GET /stats/requests/csv", s.handleCSV(CSVRequests, "requests"))
	mux.HandleFunc("GET /stats/failures/csv", s.handleCSV(CSVFailures, "failures"))
	mux.HandleFunc("GET /exceptions/csv", s.handleCSV(CSVExceptions, "exceptions"))
	mux.HandleFunc("GET /exceptions", s.handleExceptions)
	mux.HandleFunc("GET /stats/json", s.handleJSONDownload)
	mux.HandleFunc("GET /tasks", s.handleTasks)
	mux.HandleFunc("GET /stats/report", s.handleReport)
	mux.HandleFunc("GET /ws", s.handleLive)
	mux.HandleFunc("GET "+metricsPath, s.handleMetrics)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	return s.guard(mux)
}

// stateChanging are the endpoints that change the test with a GET, as
// Locust's; they get the same cross-origin checks as POSTs.
var stateChanging = map[string]bool{"/stop": true, "/stats/reset": true}

// publicPath reports the paths that need no login: the login page, the
// static assets it uses, and the health endpoints.
func publicPath(p string) bool {
	return p == "/login" || p == "/favicon.ico" || strings.HasPrefix(p, "/assets/") || healthPath(p)
}

// guard wraps h in the security checks, in this order: security headers;
// the Host check of loopback servers (DNS rebinding); cross-origin
// checks of state-changing requests (CSRF); authentication.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
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
		if r.Method != http.MethodGet && r.Method != http.MethodHead || stateChanging[r.URL.Path] {
			cr := r
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				cr = r.Clone(r.Context())
				cr.Method = http.MethodPost
			}
			if err := s.csrf.Check(cr); err != nil {
				writeJSON(w, http.StatusForbidden, errorBody{Field: "Origin",
					Message: "cross-origin request refused: state-changing requests must come from this web UI's own pages"})
				return
			}
		}
		if s.auth != nil && !publicPath(r.URL.Path) && !s.metricsBearer(r) && !s.auth.authorized(r) {
			s.unauthorized(w, r)
			return
		}
		h.ServeHTTP(w, r)
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

// unauthorized sends browsers navigating to a page to the login page and
// answers other requests 401.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if r.Header.Get("Sec-Fetch-Mode") == "" {
		// Not a browser: tell API clients that Basic works. Browsers
		// would show their own password dialog instead of our page.
		w.Header().Set("WWW-Authenticate", `Basic realm="golocust", charset="UTF-8"`)
	}
	writeJSON(w, http.StatusUnauthorized, errorBody{Message: "authentication required: log in at /login or send HTTP Basic credentials"})
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	serveAsset(w, r, "index.html")
}

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · golocust</title><link rel="icon" href="/assets/favicon.svg"><link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-body"><main class="login-card">
<h1 class="brand">go<span>locust</span></h1>
{{if .Error}}<p class="login-error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="next" value="{{.Next}}">
<label>User name<input name="username" autocomplete="username" required autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" class="btn primary">Log in</button>
</form></main></body></html>
`))

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	data := struct{ Error, Next string }{Next: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Has("failed") {
		data.Error = "Wrong user name or password."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginTmpl.Execute(w, data)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, bodyError(err))
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !s.auth.check(r.PostForm.Get("username"), r.PostForm.Get("password")) {
		s.log.Warn("web UI login failed", "remote", r.RemoteAddr)
		http.Redirect(w, r, "/login?failed=1&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	http.SetCookie(w, s.auth.newSession())
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if s.auth != nil {
		http.SetCookie(w, s.auth.endSession())
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
