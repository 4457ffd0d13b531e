package webui

import (
	"html/template"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/golocust/locust/audit"
)

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · golocust</title><link rel="icon" href="assets/favicon.svg"><link rel="stylesheet" href="assets/app.css"></head>
<body class="login-body"><main class="login-card">
<h1 class="brand">go<span>locust</span></h1>
{{if .Error}}<p class="login-error" role="alert">{{.Error}}</p>{{end}}
{{if .SSO}}<a class="btn primary" id="sso" href="login/oidc?next={{.Next}}">Sign in with SSO</a>{{end}}
{{if and .SSO .Passwords}}<p>or log in with a password:</p>{{end}}
{{if .Passwords}}<form method="post" action="login">
<input type="hidden" name="next" value="{{.Next}}">
<label>User name<input name="username" autocomplete="username" required autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<label>One-time code <small>(if your account has one)</small><input name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6"></label>
<button type="submit" class="btn{{if not .SSO}} primary{{end}}">Log in</button>
</form>{{end}}</main></body></html>
`))

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, s.path("/"), http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	data := struct {
		Error, Next    string
		SSO, Passwords bool
	}{Next: safeNext(q.Get("next")), SSO: s.sso != nil, Passwords: s.sso == nil || s.hasPasswords()}
	if q.Has("failed") {
		data.Error = "Wrong user name, password or one-time code."
	}
	switch q.Get("sso") {
	case "failed":
		data.Error = "Single sign-on failed: please try again."
	case "norole":
		data.Error = "Your single sign-on account has no role in this web UI: ask its administrator for one."
	}
	if n, err := strconv.Atoi(q.Get("locked")); err == nil && n > 0 {
		data.Error = "Too many failed logins from your address: try again in " + retryText(time.Duration(min(n, 86400))*time.Second) + "."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginTmpl.Execute(w, data)
}

// handleLogin checks the form's credentials and starts a session under a
// new id (a session the browser had before ends: no fixation).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, s.path("/"), http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, bodyError(err))
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	acct, res, retry := s.checkPassword(r, r.PostForm.Get("username"), r.PostForm.Get("password"), r.PostForm.Get("code"), "form")
	switch res {
	case loginLocked:
		http.Redirect(w, r, s.path("/login?locked="+strconv.Itoa(int((retry+time.Second-1)/time.Second))+"&next="+url.QueryEscape(next)), http.StatusSeeOther)
		return
	case loginWrong:
		http.Redirect(w, r, s.path("/login?failed=1&next="+url.QueryEscape(next)), http.StatusSeeOther)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.auth.sessions.revoke(c.Value)
	}
	id, _ := s.auth.sessions.create(acct)
	http.SetCookie(w, s.auth.newSessionCookie(id))
	http.Redirect(w, r, s.path(next), http.StatusSeeOther)
}

// handleLogout ends the session on the server, not only in the browser:
// a copy of the cookie is worthless afterwards.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if s.auth != nil {
		if p := principalOf(r); p != nil && p.sid != "" {
			s.auth.sessions.revoke(p.sid)
			s.Audit(r, audit.Entry{Action: "logout", Outcome: audit.OK})
		}
		http.SetCookie(w, s.auth.endSessionCookie())
	}
	if r.Header.Get("X-CSRF-Token") != "" {
		// The page's fetch: it goes to the login page by itself.
		writeJSON(w, http.StatusOK, struct {
			Success bool `json:"success"`
		}{true})
		return
	}
	http.Redirect(w, r, s.path("/login"), http.StatusSeeOther)
}

// sessionInfo is the answer of GET /session.
type sessionInfo struct {
	// Auth is true when the server has accounts (and a log out button).
	Auth bool   `json:"auth"`
	User string `json:"user"`
	Role string `json:"role"`
	// CSRF is the token state-changing requests of this session send in
	// the X-CSRF-Token header; empty for Basic and anonymous clients,
	// which need none.
	CSRF string `json:"csrf"`
	// Can lists what the role allows the page to offer.
	Can []string `json:"can"`
	// History is true when the program keeps a run history (the
	// History tab).
	History bool `json:"history"`
}

func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	info := sessionInfo{Auth: s.auth != nil, User: p.name, Role: p.role.String(), Can: []string{"view"}}
	if p.sess != nil {
		info.CSRF = p.sess.csrf
	}
	if p.role >= RoleOperator {
		info.Can = append(info.Can, "control")
	}
	if p.role >= RoleAdmin {
		info.Can = append(info.Can, "audit")
	}
	info.History = s.hist.Load() != nil
	writeJSON(w, http.StatusOK, info)
}

// handleAudit serves the latest audit entries to admins, oldest first.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	// With a file, its tail; else the latest entries of Options.Audit
	// if it reads back (the run store's): they also have what the
	// program recorded itself (the configuration, workers joining and
	// leaving); else the server's own.
	var es []audit.Entry
	if s.opts.AuditFile != "" {
		if f, err := os.Open(s.opts.AuditFile); err == nil {
			es, _ = audit.Read(f, s.ringSize)
			f.Close()
		}
	} else if rd, ok := s.opts.Audit.(audit.Reader); ok {
		var err error
		if es, err = rd.Latest(s.ringSize); err != nil {
			s.log.Error("cannot read the audit log", "error", err)
			es = nil
		}
	}
	if es == nil {
		es = s.ring.Entries()
	}
	if es == nil {
		es = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, struct {
		Entries []audit.Entry `json:"entries"`
		File    string        `json:"file,omitempty"`
	}{es, s.opts.AuditFile})
}
