package webui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/golocust/locust/audit"
)

// OIDC configures single sign-on with an OpenID Connect provider
// (--web-oidc-*): the login page offers "Sign in with SSO", which runs
// the authorization code flow with state, nonce and PKCE; the provider's
// ID token is verified (signature, issuer, audience, expiry, nonce) and
// its role claim mapped to a role by Roles. The result is the same
// server-side session as a password login. Password accounts may
// coexist.
type OIDC struct {
	// Issuer is the provider's issuer URL; its discovery document
	// (Issuer + "/.well-known/openid-configuration") is read by [New].
	// It must be https, except on a loopback host.
	Issuer string
	// ClientID and ClientSecret are the web UI's registration at the
	// provider. The secret may be empty for a public client (PKCE
	// protects the code either way).
	ClientID, ClientSecret string
	// RedirectURL is where the provider sends the browser back: the web
	// UI's /login/oidc/callback as browsers reach it, registered at the
	// provider. Empty means derived from each request's scheme and Host
	// (the provider still accepts only the registered ones).
	RedirectURL string
	// Scopes are asked for besides "openid", "email" and "profile"
	// (which are always asked for), e.g. the scope some providers need
	// to put the role claim in the ID token.
	Scopes []string
	// RoleClaim names the ID token claim the roles are read from (a
	// string or an array of strings; a dotted name looks into nested
	// objects); empty means "groups".
	RoleClaim string
	// Roles maps the claim's values to roles; required.
	Roles OIDCRoles
	// HTTPClient makes the requests to the provider; nil means a client
	// with a 15-second timeout.
	HTTPClient *http.Client
}

// oidcCallbackPath is the route the provider sends browsers back to.
const oidcCallbackPath = "/login/oidc/callback"

// oidcBindCookie binds a sign-in in flight to the browser that began
// it, so that a callback URL (state and code) carried to another
// browser is refused, and no one can log a victim in as themselves
// (login CSRF).
const oidcBindCookie = "golocust_oidc"

// Bounds of the sign-ins in flight: each lasts at most oidcPendingTTL;
// a full table drops the oldest (of the same source first).
const (
	oidcPendingTTL       = 10 * time.Minute
	oidcMaxPending       = 1000
	oidcMaxPendingSource = 20
	oidcTimeout          = 15 * time.Second
)

// ssoClient is the web UI's side of single sign-on. Safe for concurrent
// use.
type ssoClient struct {
	opts     OIDC
	ctx      context.Context // carries the HTTP client
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier

	mu      sync.Mutex
	pending map[string]*ssoPending // by state
}

// ssoPending is a sign-in in flight.
type ssoPending struct {
	nonce    string
	verifier string   // PKCE code verifier
	bind     [32]byte // SHA-256 of the browser's binding cookie
	next     string
	redirect string
	source   string
	created  time.Time
}

// newSSOClient checks o and reads the provider's discovery document.
// Errors name the option at fault.
func newSSOClient(o *OIDC) (*ssoClient, error) {
	c := &ssoClient{opts: *o, pending: map[string]*ssoPending{}}
	o = &c.opts
	if err := checkIssuer(o.Issuer); err != nil {
		return nil, err
	}
	if o.ClientID == "" {
		return nil, errors.New("single sign-on needs a client id (--web-oidc-client-id): the web UI's registration at the provider")
	}
	if o.RedirectURL != "" {
		u, err := url.Parse(o.RedirectURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
			return nil, fmt.Errorf("--web-oidc-redirect-url %q: want an absolute http(s) URL without credentials or fragment, the web UI's %s as browsers reach it",
				truncate(o.RedirectURL, 200), oidcCallbackPath)
		}
	}
	if len(o.Roles.rules) == 0 && o.Roles.any == 0 {
		return nil, errors.New("single sign-on needs role rules (--web-oidc-roles), e.g. admins=admin,ops=operator,*=viewer: a user no rule matches is refused")
	}
	if o.RoleClaim == "" {
		o.RoleClaim = "groups"
	}
	scopes := []string{oidc.ScopeOpenID, "email", "profile"}
	for _, sc := range o.Scopes {
		if sc != "" && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: oidcTimeout}
	}
	c.ctx = oidc.ClientContext(context.Background(), client)
	dctx, cancel := context.WithTimeout(c.ctx, oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, strings.TrimSuffix(o.Issuer, "/"))
	if err != nil {
		return nil, fmt.Errorf("--web-oidc-issuer %s: cannot read the provider's discovery document: %v", o.Issuer, err)
	}
	c.oauth = oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: p.Endpoint(), Scopes: scopes}
	c.verifier = p.VerifierContext(c.ctx, &oidc.Config{ClientID: o.ClientID})
	return c, nil
}

// checkIssuer accepts https issuers, and http ones on loopback.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--web-oidc-issuer %q: want the provider's issuer URL, e.g. https://accounts.example.com", truncate(issuer, 200))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("--web-oidc-issuer %q: must be https (http only on loopback): tokens and keys must not cross the network in the clear", truncate(issuer, 200))
}

// redirectURL returns the callback address for r: the configured one, or
// the request's own scheme and host, and path (the callback's under the
// base path).
func (c *ssoClient) redirectURL(r *http.Request, tls bool, path string) string {
	if c.opts.RedirectURL != "" {
		return c.opts.RedirectURL
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// begin records a sign-in in flight for the browser whose binding
// cookie is bind and returns its state.
func (c *ssoClient) begin(p *ssoPending) (state string) {
	state = randomToken()
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, q := range c.pending {
		if now.Sub(q.created) >= oidcPendingTTL {
			delete(c.pending, k)
		}
	}
	evictOldest(c.pending, oidcMaxPendingSource, oidcMaxPending,
		func(q *ssoPending) bool { return q.source == p.source },
		func(q *ssoPending) time.Time { return q.created })
	p.created = now
	c.pending[state] = p
	return state
}

// take removes and returns the sign-in of state, nil if there is none
// (unknown, expired, or used already).
func (c *ssoClient) take(state string) *ssoPending {
	if state == "" || len(state) > 100 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[state]
	delete(c.pending, state)
	if p == nil || time.Since(p.created) >= oidcPendingTTL {
		return nil
	}
	return p
}

// identity returns the name a signed-in user is known by in the UI and
// the audit log: a verified email, else the preferred user name, else
// the subject.
func identity(claims map[string]any, subject string) string {
	if e, _ := claims["email"].(string); e != "" {
		if v, ok := claims["email_verified"].(bool); !ok || v {
			return truncate(e, 200)
		}
	}
	if n, _ := claims["preferred_username"].(string); n != "" {
		return truncate(n, 200)
	}
	return truncate(subject, 200)
}

// handleOIDCStart begins a sign-in: it records state, nonce and PKCE
// verifier, binds them to this browser by a cookie, and sends the
// browser to the provider.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	c := s.sso
	bind := ""
	if ck, err := r.Cookie(oidcBindCookie); err == nil && len(ck.Value) == 43 {
		bind = ck.Value // a sign-in in another tab: keep its binding
	} else {
		bind = randomToken()
	}
	p := &ssoPending{nonce: randomToken(), verifier: oauth2.GenerateVerifier(), bind: sha256.Sum256([]byte(bind)),
		next: safeNext(r.URL.Query().Get("next")), redirect: c.redirectURL(r, s.tls != nil, s.path(oidcCallbackPath)), source: sourceOf(r.RemoteAddr)}
	state := c.begin(p)
	http.SetCookie(w, &http.Cookie{Name: oidcBindCookie, Value: bind, Path: s.path("/login/oidc"), MaxAge: int(oidcPendingTTL / time.Second),
		// Lax, not Strict: the provider's redirect back is a cross-site
		// navigation, which must carry it.
		HttpOnly: true, Secure: s.tls != nil, SameSite: http.SameSiteLaxMode})
	cfg := c.oauth
	cfg.RedirectURL = p.redirect
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(p.nonce), oauth2.S256ChallengeOption(p.verifier)), http.StatusSeeOther)
}

// handleOIDCCallback finishes a sign-in (see [Server.oidcLogin]) under
// the login throttle of the source: failures count as wrong passwords
// do, a locked-out source is refused without a look, and the log gets
// one aggregated line per source. Then a session starts as after a
// password login.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	source := sourceOf(r.RemoteAddr)
	st, retry := s.auth.throttle.begin(r.Context(), source)
	if st == nil {
		http.Redirect(w, r, s.path("/login?locked="+strconv.Itoa(int((retry+time.Second-1)/time.Second))), http.StatusSeeOther)
		return
	}
	res := s.oidcLogin(r)
	res.params["method"] = "oidc"
	fl, due := s.auth.throttle.end(st, source, res.name, res.role != 0)
	if due {
		s.logFailures(fl)
	}
	if res.role == 0 {
		s.Audit(r, audit.Entry{Actor: res.name, Action: "login", Params: res.params, Outcome: res.outcome, Reason: res.reason})
		http.Redirect(w, r, s.path("/login?sso="+res.page), http.StatusSeeOther)
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.auth.sessions.revoke(old.Value)
	}
	id, _ := s.auth.sessions.createSSO(res.name, res.role)
	s.Audit(r, audit.Entry{Actor: res.name, Role: res.role.String(), Action: "login", Params: res.params, Outcome: audit.OK})
	http.SetCookie(w, s.auth.newSessionCookie(id))
	http.Redirect(w, r, s.path(res.next), http.StatusSeeOther)
}

// oidcResult is the outcome of a sign-in: a role, or the audit outcome,
// reason and login page message of a refusal.
type oidcResult struct {
	name    string
	role    Role
	next    string
	params  map[string]any
	outcome string
	reason  string
	page    string // the login page's message: failed or norole
}

// oidcLogin checks a callback: the state must be one this server issued
// to this browser and not used before; the code is exchanged with the
// PKCE verifier; the ID token must verify and carry the nonce; its role
// claim must map to a role.
func (s *Server) oidcLogin(r *http.Request) oidcResult {
	c := s.sso
	q := r.URL.Query()
	refuse := func(outcome, reason string) oidcResult {
		return oidcResult{name: "unknown", params: map[string]any{}, outcome: outcome, reason: reason, page: "failed"}
	}
	p := c.take(q.Get("state"))
	if p == nil {
		return refuse(audit.Denied, "unknown, expired or used sign-in state")
	}
	ck, err := r.Cookie(oidcBindCookie)
	if err != nil || subtle.ConstantTimeCompare(sha256Of(ck.Value), p.bind[:]) != 1 {
		return refuse(audit.Denied, "the sign-in was begun by another browser")
	}
	if e := q.Get("error"); e != "" {
		return refuse(audit.Denied, "the provider answered "+truncate(e+": "+q.Get("error_description"), 200))
	}
	ctx, cancel := context.WithTimeout(c.ctx, oidcTimeout)
	defer cancel()
	defer context.AfterFunc(r.Context(), cancel)()
	cfg := c.oauth
	cfg.RedirectURL = p.redirect
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		return refuse(audit.Denied, "the provider refused the code: "+oauthError(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse(audit.Failed, "the provider's answer has no ID token")
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return refuse(audit.Denied, "the ID token does not verify: "+truncate(err.Error(), 200))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.nonce)) != 1 {
		return refuse(audit.Denied, "the ID token's nonce is not this sign-in's")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return refuse(audit.Failed, "the ID token's claims do not decode: "+truncate(err.Error(), 200))
	}
	res := oidcResult{name: identity(claims, idt.Subject), next: p.next,
		params: map[string]any{"subject": truncate(idt.Subject, 200), "issuer": idt.Issuer}}
	values := claimValues(claims, c.opts.RoleClaim)
	if res.role = c.opts.Roles.Role(values); res.role == 0 {
		shown := values
		if len(shown) > 10 {
			shown = shown[:10]
		}
		res.params["claim"], res.params["values"] = c.opts.RoleClaim, shown
		res.outcome, res.page = audit.Denied, "norole"
		res.reason = "no role for the values " + fmt.Sprintf("%q", shown) + " of the claim " + c.opts.RoleClaim
	}
	return res
}

func sha256Of(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// oauthError describes a failed code exchange without the response body
// beyond the provider's error code and description.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := re.ErrorCode
		if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		}
		if msg == "" && re.Response != nil {
			msg = re.Response.Status
		}
		return truncate(msg, 200)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "the provider is unreachable: " + truncate(ne.Error(), 200)
	}
	return truncate(err.Error(), 200)
}

// hasPasswords reports whether the server has password accounts
// (--web-users or --web-auth) besides single sign-on.
func (s *Server) hasPasswords() bool {
	return s.opts.Username != "" || s.opts.UsersFile != ""
}
