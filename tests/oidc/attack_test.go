package oidc

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// An attacker's view of the sign-in, with plain HTTP clients (each with
// its own cookie jar, as separate browsers): callback URLs carried to
// another browser, tampered with, or replayed are refused, and audited.

// get sends GET u with c and returns the response, its body read.
func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// follow follows redirects from u with c until the next one would go to
// stop (a path of the web UI, under any base path), and returns that URL; or returns the last
// response's URL and body when a page answers instead.
func follow(t *testing.T, c *http.Client, u, stop string) (next string, page string) {
	t.Helper()
	for range 20 {
		resp, body := get(t, c, u)
		loc := resp.Header.Get("Location")
		if loc == "" {
			return u, body
		}
		base, _ := url.Parse(u)
		ref, err := base.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		if stop != "" && strings.HasSuffix(ref.Path, stop) {
			return ref.String(), ""
		}
		u = ref.String()
	}
	t.Fatal("too many redirects")
	return "", ""
}

// beginSignIn starts a sign-in at the web UI with c and returns the
// state it was given and the URL of the provider's login page.
func beginSignIn(t *testing.T, c *http.Client, w *ui) (state, loginPage string) {
	t.Helper()
	resp, _ := get(t, c, w.url+"login/oidc?next=/")
	authz, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("GET /login/oidc: %d %v", resp.StatusCode, err)
	}
	q := authz.Query()
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("the authorization request lacks state, nonce or PKCE: %s", authz)
	}
	loginPage, _ = follow(t, c, authz.String(), "")
	return q.Get("state"), loginPage
}

// signIn runs a sign-in of user at the provider with c up to the
// provider's redirect back, and returns the callback URL (with code and
// state) without visiting it.
func signIn(t *testing.T, c *http.Client, w *ui, user string) string {
	t.Helper()
	_, loginPage := beginSignIn(t, c, w)
	lp, _ := url.Parse(loginPage)
	id := lp.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("not at the provider's login page: %s", loginPage)
	}
	resp, err := c.PostForm(lp.Scheme+"://"+lp.Host+"/login/username", url.Values{"id": {id}, "username": {user}, "password": {userPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	next, err := lp.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("the provider's login: %d %v", resp.StatusCode, err)
	}
	cb, page := follow(t, c, next.String(), "/login/oidc/callback")
	if page != "" {
		t.Fatalf("the provider did not send the browser back: %s", page)
	}
	return cb
}

// finish visits the callback URL with c and returns where the web UI
// sends the browser.
func finish(t *testing.T, c *http.Client, callback string) string {
	t.Helper()
	resp, _ := get(t, c, callback)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return noRedirect(jar)
}

// session returns GET /session as c sees it.
func session(t *testing.T, c *http.Client, w *ui) (user, role, csrf string, status int) {
	t.Helper()
	req, _ := http.NewRequest("GET", w.url+"session", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ User, Role, CSRF string }
	_ = json.NewDecoder(resp.Body).Decode(&s)
	return s.User, s.Role, s.CSRF, resp.StatusCode
}

func TestSSOCallbackAttacks(t *testing.T) {
	p := startProvider(t)
	w := startUI(t, p)

	// A callback URL carried to another browser (an attacker logging a
	// victim in as themselves, or a leaked URL) is refused; so is the
	// URL afterwards, as its state is spent.
	victim, attacker := newClient(t), newClient(t)
	cb := signIn(t, attacker, w, "vera")
	if loc := finish(t, victim, cb); loc != "/login?sso=failed" {
		t.Errorf("another browser's callback: sent to %q", loc)
	}
	if _, _, _, st := session(t, victim, w); st != http.StatusUnauthorized {
		t.Errorf("the victim has a session: %d", st)
	}
	if w.findAudit(t, "login", "denied", "begun by another browser") == nil {
		t.Error("not audited: a callback from another browser")
	}
	if loc := finish(t, attacker, cb); loc != "/login?sso=failed" {
		t.Errorf("a spent state: sent to %q", loc)
	}
	if w.findAudit(t, "login", "denied", "unknown, expired or used sign-in state") == nil {
		t.Error("not audited: a spent state")
	}

	// A tampered state is refused; the genuine one still works.
	c := newClient(t)
	cb = signIn(t, c, w, "alice")
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("state", strings.Repeat("A", 43))
	u.RawQuery = q.Encode()
	if loc := finish(t, c, u.String()); loc != "/login?sso=failed" {
		t.Errorf("a tampered state: sent to %q", loc)
	}
	if _, _, _, st := session(t, c, w); st != http.StatusUnauthorized {
		t.Errorf("a tampered state gave a session: %d", st)
	}
	if loc := finish(t, c, cb); loc != "/" {
		t.Fatalf("the genuine callback: sent to %q", loc)
	}
	user, role, csrf, st := session(t, c, w)
	if user != "alice@example.com" || role != "admin" || csrf == "" || st != 200 {
		t.Errorf("session after sign-in: %q %q csrf %q %d", user, role, csrf, st)
	}
	ok := w.findAudit(t, "login", "ok", "")
	if ok == nil || ok.Actor != "alice@example.com" || ok.Role != "admin" || ok.Params["method"] != "oidc" || ok.Params["subject"] != "u-alice" {
		t.Errorf("the sign-in's audit entry: %+v", ok)
	}

	// A code replayed into a new sign-in of the same browser (valid
	// state, its own PKCE verifier) is refused by the provider.
	code := u.Query().Get("code")
	state2, _ := beginSignIn(t, c, w)
	replay := w.url + "login/oidc/callback?" + url.Values{"code": {code}, "state": {state2}}.Encode()
	if loc := finish(t, c, replay); loc != "/login?sso=failed" {
		t.Errorf("a replayed code: sent to %q", loc)
	}
	if w.findAudit(t, "login", "denied", "the provider refused the code") == nil {
		t.Error("not audited: a replayed code")
	}

	// The provider's own refusal (the user cancelled) is refused too.
	state3, _ := beginSignIn(t, c, w)
	if loc := finish(t, c, w.url+"login/oidc/callback?"+url.Values{"error": {"access_denied"}, "state": {state3}}.Encode()); loc != "/login?sso=failed" {
		t.Errorf("a provider error: sent to %q", loc)
	}

	// Logging out ends the single sign-on session on the server: a copy
	// of the cookie is worthless afterwards.
	uiURL, _ := url.Parse(w.url)
	cookies := c.Jar.Cookies(uiURL)
	req, _ := http.NewRequest("POST", w.url+"logout", nil)
	req.Header.Set("X-CSRF-Token", csrf)
	req.Header.Set("Origin", strings.TrimSuffix(w.url, "/"))
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("logout: %v %v", resp, err)
	}
	resp.Body.Close()
	copyJar, _ := cookiejar.New(nil)
	copyJar.SetCookies(uiURL, cookies)
	if _, _, _, st := session(t, noRedirect(copyJar), w); st != http.StatusUnauthorized {
		t.Errorf("a copied cookie works after logout: %d", st)
	}

	// No secret reaches the log or the audit log.
	data, _ := readFile(w.auditLog)
	for _, secret := range []string{clientSecret, code} {
		if strings.Contains(w.logs.String(), secret) || strings.Contains(data, secret) {
			t.Errorf("a secret (%q) is in the log or the audit log", secret)
		}
	}
}
