package webui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/golocust/locust/audit"
)

// principal is who sent a request.
type principal struct {
	name  string
	role  Role
	sid   string   // session id, when authenticated by the session cookie
	sess  *session // the session, idem
	acct  *account // the account (nil without authentication)
	basic bool     // authenticated by HTTP Basic
}

// anonymous is the principal of every request to a server without
// accounts: it may do everything (such a server listens on loopback, or
// was explicitly opened to the network).
var anonymous = &principal{name: "anonymous", role: RoleAdmin}

type principalKey struct{}

func principalOf(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}

// protect wraps the handler of rt in its checks, in this order: HEAD
// never changes state; intent (a state change must not come from another
// site, Locust's GET /stop only from API clients); authentication; the
// route's role; the CSRF token of browser sessions.
func (s *Server) protect(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && rt.ChangesState {
			w.Header().Set("Allow", rt.Method)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Field: "method",
				Message: "HEAD never changes state: send " + rt.Method + " " + rt.Path})
			return
		}
		getStop := rt.ChangesState && rt.Method == http.MethodGet
		if getStop {
			if fromBrowser(r) {
				s.log.Info("web UI: refused GET "+rt.Path+" from a browser", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"),
					"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
				writeJSON(w, http.StatusForbidden, errorBody{Field: "method",
					Message: "GET " + rt.Path + " is for API clients such as curl; from a browser, use the page's button (POST " + rt.Path + ")"})
				return
			}
			if _, err := r.Cookie(sessionCookie); err == nil && s.auth != nil && r.Header.Get("Authorization") == "" {
				writeJSON(w, http.StatusForbidden, errorBody{Field: "method",
					Message: "GET " + rt.Path + " with only a session cookie is refused: send POST " + rt.Path + " with the CSRF token, or HTTP Basic credentials"})
				return
			}
		} else if rt.ChangesState {
			if err := s.csrf.Check(r); err != nil {
				s.log.Info("web UI: refused a cross-origin request", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr,
					"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
				writeJSON(w, http.StatusForbidden, errorBody{Field: "Origin",
					Message: "cross-origin request refused: state-changing requests must come from this web UI's own pages"})
				return
			}
		}
		if rt.Role == RolePublic {
			rt.Handler.ServeHTTP(w, r)
			return
		}
		p, ok := s.authenticate(w, r, !getStop)
		if !ok {
			return
		}
		if p == nil {
			s.unauthorized(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if p.role < rt.Role {
			s.Audit(r, audit.Entry{Action: "deny", Params: map[string]any{"method": r.Method, "path": r.URL.Path, "requires": rt.Role.String()},
				Outcome: audit.Denied, Reason: "role " + p.role.String() + " may not " + rt.Method + " " + rt.Path})
			writeJSON(w, http.StatusForbidden, errorBody{Field: "role",
				Message: "your role " + p.role.String() + " may not " + rt.Method + " " + rt.Path + ": it requires " + rt.Role.String()})
			return
		}
		if rt.ChangesState && p.sess != nil && !p.sess.checkCSRF(r.Header.Get("X-CSRF-Token")) {
			s.Audit(r, audit.Entry{Action: "deny", Params: map[string]any{"method": r.Method, "path": r.URL.Path},
				Outcome: audit.Denied, Reason: "missing or wrong CSRF token"})
			writeJSON(w, http.StatusForbidden, errorBody{Field: "X-CSRF-Token",
				Message: "missing or wrong CSRF token: state-changing requests of a browser session must send the X-CSRF-Token header (GET /session has it)"})
			return
		}
		rt.Handler.ServeHTTP(w, r)
	})
}

// authenticate returns who sent r: anonymous without accounts; the
// account of valid HTTP Basic credentials; the session of a valid cookie
// (when cookieOK). It returns nil when r carries no valid credentials,
// and ok false when it has answered r itself (wrong Basic password,
// lockout).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, cookieOK bool) (p *principal, ok bool) {
	if s.auth == nil {
		return anonymous, true
	}
	if s.metricsBearer(r) {
		// The scrapers' token opens GET /metrics and nothing else.
		return &principal{name: "metrics-scraper", role: RoleViewer}, true
	}
	if r.Header.Get("Authorization") != "" {
		user, pass, good := r.BasicAuth()
		if !good {
			writeJSON(w, http.StatusUnauthorized, errorBody{Field: "Authorization", Message: "the Authorization header must be HTTP Basic credentials"})
			return nil, false
		}
		if acct := s.auth.cachedBasic(user, pass); acct != nil {
			return &principal{name: acct.name, role: acct.role, acct: acct, basic: true}, true
		}
		acct, res, retry := s.checkPassword(r, user, pass, "", "basic")
		switch res {
		case loginLocked:
			tooManyLogins(w, retry)
			return nil, false
		case loginWrong:
			s.unauthorized(w, r)
			return nil, false
		}
		s.auth.rememberBasic(user, pass, acct)
		return &principal{name: acct.name, role: acct.role, acct: acct, basic: true}, true
	}
	if !cookieOK {
		return nil, true
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, true
	}
	sess := s.auth.sessions.get(c.Value, s.auth.account)
	if sess == nil {
		return nil, true
	}
	p = &principal{name: sess.user, role: sess.role, sid: c.Value, sess: sess}
	if !sess.sso {
		p.acct = s.auth.account(sess.user)
	}
	return p, true
}

// checkPassword checks a login under the throttle, and logs and audits
// the outcome.
func (s *Server) checkPassword(r *http.Request, user, pass, code, method string) (*account, loginResult, time.Duration) {
	acct, res, retry, fl := s.auth.login(r.Context(), r.RemoteAddr, user, pass, code, method == "basic")
	if fl != nil {
		s.logFailures(*fl)
	}
	params := map[string]any{"user": truncate(user, 100), "method": method}
	switch res {
	case loginOK:
		s.Audit(r, audit.Entry{Actor: acct.name, Role: acct.role.String(), Action: "login", Params: params, Outcome: audit.OK})
	case loginWrong:
		s.Audit(r, audit.Entry{Actor: "unknown", Action: "login", Params: params, Outcome: audit.Denied, Reason: "wrong user name, password or one-time code"})
	case loginLocked:
		// Not audited one by one: a locked-out source is refused without
		// a check, as often as it asks; the log line counts them.
	}
	return acct, res, retry
}

// logFailures writes the aggregated log line of a source's failed logins.
func (s *Server) logFailures(fl failureLog) {
	args := []any{"source", fl.src, "failures", fl.count, "users", fl.users}
	if fl.lockout > 0 {
		args = append(args, "locked_out_for", fl.lockout.Round(time.Second).String())
	}
	s.log.Warn("web UI login failed", args...)
}

func tooManyLogins(w http.ResponseWriter, retry time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	writeJSON(w, http.StatusTooManyRequests, errorBody{Message: "too many failed logins from your address: try again in " + retryText(retry)})
}

// Audit records an entry about request r to the server's audit sinks
// ([Options.Audit] and the log admins see at GET /audit), filling in the
// time, the actor and role of r's sender and its source address where
// e leaves them empty. Handlers of [Options.Routes] call it for what
// they change.
func (s *Server) Audit(r *http.Request, e audit.Entry) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if p := principalOf(r); p != nil {
		if e.Actor == "" {
			e.Actor = p.name
		}
		if e.Role == "" {
			e.Role = p.role.String()
		}
	}
	if e.Actor == "" {
		e.Actor = "unknown"
	}
	if e.Source == "" && r != nil {
		e.Source = r.RemoteAddr
	}
	s.record(e)
}

// record writes e to the sinks; a failure is logged, once a minute at
// most.
func (s *Server) record(e audit.Entry) {
	e.Params = audit.Redact(e.Params)
	if err := s.sink.Record(e); err != nil {
		s.auditErrMu.Lock()
		due := time.Since(s.auditErrAt) >= time.Minute
		if due {
			s.auditErrAt = time.Now()
		}
		s.auditErrMu.Unlock()
		if due {
			s.log.Error("cannot write the audit log", "error", err)
		}
	}
}

// AuditSink returns the sink the server records to (its in-memory log for
// GET /audit, then [Options.Audit]), for the program's own entries:
// workers joining and leaving, the configuration at start.
func (s *Server) AuditSink() audit.Sink { return auditFunc(s.record) }

type auditFunc func(audit.Entry)

func (f auditFunc) Record(e audit.Entry) error { f(e); return nil }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
