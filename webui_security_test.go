package locust

// Security tests of the web UI's accounts, sessions and intent checks,
// written as an attacker would try them. Each one failed on the build
// before accounts with roles (issue 16).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/golocust/locust/audit"
	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/webui"
)

// Passwords of the test accounts.
const (
	viewerPW   = "viewer-pw-1"
	operatorPW = "operator-pw-2"
	adminPW    = "admin-pw-3"
)

// writeUsersFile writes a users file with one account of each role:
// viewer and operator with bcrypt (minimum cost, for speed), admin with
// argon2id from webui.HashPassword.
func writeUsersFile(t *testing.T) string {
	t.Helper()
	b1, _ := bcrypt.GenerateFromPassword([]byte(viewerPW), bcrypt.MinCost)
	b2, _ := bcrypt.GenerateFromPassword([]byte(operatorPW), bcrypt.MinCost)
	a3, err := webui.HashPassword(adminPW)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "users")
	data := fmt.Sprintf("# name role hash\nvera viewer %s\n\notto operator %s\nada\tadmin\t%s\n", b1, b2, a3)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// secServer serves the UI of a real LocalRunner with opts and returns the
// server too.
func secServer(t *testing.T, opts *webui.Options) (*httptest.Server, *webui.Server, *LocalRunner) {
	t.Helper()
	r, err := NewLocalRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	info := webui.Info{Program: "test", Version: "dev", Host: "http://127.0.0.1:1", Users: 1, SpawnRate: 1, Classes: []string{"Alpha", "Beta"}}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.AuthFailureDelay == 0 {
		opts.AuthFailureDelay = time.Millisecond
	}
	srv, err := webui.New(newWebUIBridge(r, info, opts.Logger), opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, srv, r
}

// login logs in through the form and returns the session cookie.
func login(t *testing.T, base, user, pw string, cookies ...*http.Cookie) *http.Cookie {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"username": {user}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, _ := webuiDo(t, req)
	for _, c := range resp.Cookies() {
		if c.Name == "golocust_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("login %s: %d %v", user, resp.StatusCode, resp.Header)
	return nil
}

func waitState(t *testing.T, r *LocalRunner, want State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.State() != want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if r.State() != want {
		t.Fatalf("state %v, want %v", r.State(), want)
	}
}

// TestWebUIRoleTable sends every route of the route table as every role
// and checks that exactly the roles at or above the route's declared role
// get past the role check. The route table is the only place routes are
// registered, so a new endpoint is covered here by construction.
func TestWebUIRoleTable(t *testing.T) {
	ts, srv, r := secServer(t, &webui.Options{UsersFile: writeUsersFile(t)})
	roles := []struct {
		role      webui.Role
		user, pw  string
		basicAuth bool
	}{
		{webui.RolePublic, "", "", false},
		{webui.RoleViewer, "vera", viewerPW, true},
		{webui.RoleOperator, "otto", operatorPW, true},
		{webui.RoleAdmin, "ada", adminPW, true},
	}
	routes := srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		for _, who := range roles {
			name := fmt.Sprintf("%s %s as %s", rt.Method, rt.Path, who.role)
			path := strings.ReplaceAll(strings.TrimSuffix(rt.Path, "{$}"), "{id}", "1")
			var body *strings.Reader
			if rt.Path == "/swarm" {
				body = strings.NewReader("user_count=1&spawn_rate=100")
			} else {
				body = strings.NewReader("")
			}
			req, _ := http.NewRequest(rt.Method, ts.URL+path, body)
			if rt.Method != "GET" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if who.basicAuth {
				req.SetBasicAuth(who.user, who.pw)
			}
			if rt.Path == "/ws" {
				continue // checked below: an upgrade needs a WebSocket client
			}
			resp, text := webuiDo(t, req)
			allowed := who.role >= rt.Role
			switch {
			case allowed && (resp.StatusCode == 401 || resp.StatusCode == 403):
				t.Errorf("%s: refused %d %s", name, resp.StatusCode, text)
			case !allowed && who.role == webui.RolePublic && resp.StatusCode != 401:
				t.Errorf("%s: %d %s, want 401", name, resp.StatusCode, text)
			case !allowed && who.role != webui.RolePublic && (resp.StatusCode != 403 || !strings.Contains(text, `"field":"role"`)):
				t.Errorf("%s: %d %s, want 403 for the role", name, resp.StatusCode, text)
			}
			if rt.Path == "/swarm" && allowed {
				waitState(t, r, StateRunning)
			}
		}
	}
	// The live feed: viewers may read it; strangers may not.
	for _, c := range []struct {
		user, pw string
		status   int
	}{{"", "", 401}, {"vera", viewerPW, 101}} {
		req, _ := http.NewRequest("GET", ts.URL+"/ws", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pw)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("/ws as %q: %d, want %d", c.user, resp.StatusCode, c.status)
		}
	}
}

// TestWebUIRouteMustDeclareRole: an endpoint added later (a history
// page's DELETE, /metrics) cannot be registered without a role, and a
// state change cannot be a GET.
func TestWebUIRouteMustDeclareRole(t *testing.T) {
	r, err := NewLocalRunner(Config{Classes: webuiTestClasses()})
	if err != nil {
		t.Fatal(err)
	}
	b := newWebUIBridge(r, webui.Info{}, slog.New(slog.DiscardHandler))
	h := http.NotFoundHandler()
	for _, c := range []struct {
		rt   webui.Route
		want string
	}{
		{webui.Route{Method: "DELETE", Path: "/history/{id}", ChangesState: true, Handler: h}, "declares no role"},
		{webui.Route{Method: "GET", Path: "/history/delete", Role: webui.RoleAdmin, ChangesState: true, Handler: h}, "must not be a GET"},
		{webui.Route{Method: "POST", Path: "/x", Role: webui.RolePublic, ChangesState: true, Handler: h}, "above public"},
		{webui.Route{Method: "GET", Path: "/stats/requests", Role: webui.RoleViewer, Handler: h}, "conflicts"},
	} {
		_, err := webui.New(b, &webui.Options{Routes: []webui.Route{c.rt}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.rt, err, c.want)
		}
	}
	srv, err := webui.New(b, &webui.Options{Routes: []webui.Route{{Method: "DELETE", Path: "/history/{id}", Role: webui.RoleAdmin, ChangesState: true, Handler: h}}})
	if err != nil || !slices.ContainsFunc(srv.Routes(), func(rt webui.Route) bool { return rt.Path == "/history/{id}" }) {
		t.Errorf("a declared route: %v", err)
	}
}

// TestWebUIHeadNeverChangesState: HEAD /stop used to stop the test.
func TestWebUIHeadNeverChangesState(t *testing.T) {
	ts, _, r := secServer(t, &webui.Options{})
	if resp, body := webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}}); resp.StatusCode != 200 {
		t.Fatalf("swarm: %d %s", resp.StatusCode, body)
	}
	waitState(t, r, StateRunning)
	for _, p := range []string{"/stop", "/stats/reset", "/swarm", "/logout"} {
		req, _ := http.NewRequest("HEAD", ts.URL+p, nil)
		resp, _ := webuiDo(t, req)
		if resp.StatusCode != 405 {
			t.Errorf("HEAD %s: %d", p, resp.StatusCode)
		}
	}
	if r.State() != StateRunning {
		t.Errorf("HEAD changed the state to %v", r.State())
	}
	// HEAD of a read-only route works.
	req, _ := http.NewRequest("HEAD", ts.URL+"/stats/requests", nil)
	if resp, _ := webuiDo(t, req); resp.StatusCode != 200 {
		t.Errorf("HEAD /stats/requests: %d", resp.StatusCode)
	}
}

// TestWebUIGetStopOnlyForAPIClients: Locust scripts keep GET /stop (curl
// with Basic credentials, or no auth on loopback); a browser's GET (an
// <img>, a navigation, cached Basic credentials) and a cookie alone are
// refused.
func TestWebUIGetStopOnlyForAPIClients(t *testing.T) {
	for _, withAuth := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", withAuth), func(t *testing.T) {
			opts := &webui.Options{}
			if withAuth {
				opts.Username, opts.Password = "admin", "pw"
			}
			ts, _, r := secServer(t, opts)
			start := func() {
				req, _ := http.NewRequest("POST", ts.URL+"/swarm", strings.NewReader("user_count=1&spawn_rate=100"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth("admin", "pw")
				if resp, body := webuiDo(t, req); resp.StatusCode != 200 {
					t.Fatalf("swarm: %d %s", resp.StatusCode, body)
				}
				waitState(t, r, StateRunning)
			}
			start()
			refused := []map[string]string{
				{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0", "Accept": "image/avif,image/webp,*/*"},
				{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
				{"User-Agent": "Mozilla/5.0", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"},
			}
			for _, hdr := range refused {
				req, _ := http.NewRequest("GET", ts.URL+"/stop", nil)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				req.SetBasicAuth("admin", "pw") // cached by a browser
				if resp, body := webuiDo(t, req); resp.StatusCode != 403 || !strings.Contains(body, "for API clients") {
					t.Errorf("browser GET /stop %v: %d %s", hdr, resp.StatusCode, body)
				}
			}
			if withAuth {
				ck := login(t, ts.URL, "admin", "pw")
				req, _ := http.NewRequest("GET", ts.URL+"/stop", nil)
				req.AddCookie(ck)
				if resp, body := webuiDo(t, req); resp.StatusCode != 403 || !strings.Contains(body, "only a session cookie") {
					t.Errorf("GET /stop with a cookie: %d %s", resp.StatusCode, body)
				}
			}
			if r.State() != StateRunning {
				t.Fatalf("a refused GET stopped the test: %v", r.State())
			}
			// curl: works.
			req, _ := http.NewRequest("GET", ts.URL+"/stop", nil)
			req.Header.Set("User-Agent", "curl/8.14.1")
			if withAuth {
				req.SetBasicAuth("admin", "pw")
			}
			if resp, body := webuiDo(t, req); resp.StatusCode != 200 {
				t.Errorf("curl GET /stop: %d %s", resp.StatusCode, body)
			}
			waitState(t, r, StateStopped)
		})
	}
}

// TestWebUINoBasicChallengeToBrowsers: a browser given a Basic challenge
// caches the password and sends it with cross-site requests too. On plain
// HTTP beyond loopback browsers send no Sec-Fetch-* headers, so the
// User-Agent must decide.
func TestWebUINoBasicChallengeToBrowsers(t *testing.T) {
	ts, _, _ := secServer(t, &webui.Options{Username: "admin", Password: "pw"})
	req, _ := http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36")
	resp, _ := webuiDo(t, req)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("browser: %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ = http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.Header.Set("User-Agent", "curl/8.14.1")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("API client: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestWebUICookieRevealsNothing plays an attacker who captured a session
// cookie and guesses passwords offline against it. The old cookie was an
// expiry and an HMAC keyed by the user name and password, so the right
// guess reproduced it; now the cookie is a random id with no relation to
// the password, and it works on no other instance with the same
// credentials.
func TestWebUICookieRevealsNothing(t *testing.T) {
	const user, pass = "admin", "correct horse"
	ts, _, _ := secServer(t, &webui.Options{Username: user, Password: pass})
	ck := login(t, ts.URL, user, pass)
	guesses := []string{"123456", "password", "letmein", pass, "admin"}
	oldScheme := func(pw string, value string) bool {
		raw, err := base64.RawURLEncoding.DecodeString(value)
		if err != nil || len(raw) < 8 {
			return false
		}
		k := hmac.New(sha256.New, []byte("golocust web session v1"))
		k.Write([]byte(user + "\x00" + pw))
		mac := hmac.New(sha256.New, k.Sum(nil))
		mac.Write(raw[:8])
		return hmac.Equal(mac.Sum(nil), raw[8:])
	}
	for _, g := range guesses {
		if oldScheme(g, ck.Value) {
			t.Errorf("the cookie confirms the guess %q offline", g)
		}
		// Nor any keyed hash of the password over the cookie's bytes.
		raw, _ := base64.RawURLEncoding.DecodeString(ck.Value)
		for _, key := range [][]byte{[]byte(g), []byte(user + "\x00" + g), []byte(user + ":" + g)} {
			mac := hmac.New(sha256.New, key)
			if len(raw) > 8 {
				mac.Write(raw[:8])
				if bytes.Equal(mac.Sum(nil), raw[8:]) {
					t.Errorf("the cookie is an HMAC keyed by %q", key)
				}
			}
		}
	}
	if raw, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || len(raw) != 32 {
		t.Errorf("the cookie is not a 32-byte random id: %q", ck.Value)
	} else if exp := int64(binary.BigEndian.Uint64(raw[:8])); exp > time.Now().Unix() && exp < time.Now().Add(24*time.Hour).Unix() {
		t.Errorf("the cookie carries its expiry: %d", exp)
	}
	// Same credentials, another instance: the cookie means nothing there.
	ts2, _, _ := secServer(t, &webui.Options{Username: user, Password: pass})
	req, _ := http.NewRequest("GET", ts2.URL+"/stats/requests", nil)
	req.AddCookie(ck)
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 {
		t.Errorf("the cookie works on another instance: %d", resp.StatusCode)
	}
}

// TestWebUISessionLifecycle: ids rotate at login (the session a browser
// had ends), logout ends the session on the server, and changing an
// account's password or role in the users file ends its sessions.
func TestWebUISessionLifecycle(t *testing.T) {
	usersFile := writeUsersFile(t)
	ts, srv, _ := secServer(t, &webui.Options{UsersFile: usersFile})
	get := func(ck *http.Cookie) int {
		req, _ := http.NewRequest("GET", ts.URL+"/stats/requests", nil)
		req.AddCookie(ck)
		resp, _ := webuiDo(t, req)
		return resp.StatusCode
	}
	a := login(t, ts.URL, "vera", viewerPW)
	b := login(t, ts.URL, "vera", viewerPW, a)
	if a.Value == b.Value || get(a) != 401 || get(b) != 200 {
		t.Errorf("rotation at login: old %d new %d", get(a), get(b))
	}
	// Logout: the copied cookie is dead.
	req, _ := http.NewRequest("POST", ts.URL+"/logout", nil)
	req.AddCookie(b)
	req.Header.Set("X-CSRF-Token", webuiCSRF(t, ts.URL, b))
	if resp, _ := webuiDo(t, req); resp.StatusCode != 200 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if get(b) != 401 {
		t.Error("a copy of the cookie works after logout")
	}
	// A password change ends the sessions of that account only.
	v := login(t, ts.URL, "vera", viewerPW)
	o := login(t, ts.URL, "otto", operatorPW)
	data, _ := os.ReadFile(usersFile)
	h, _ := bcrypt.GenerateFromPassword([]byte("new-pw"), bcrypt.MinCost)
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "vera ") {
			lines[i] = "vera viewer " + string(h)
		}
	}
	if err := os.WriteFile(usersFile, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadUsers(); err != nil {
		t.Fatal(err)
	}
	if get(v) != 401 || get(o) != 200 {
		t.Errorf("after vera's password change: vera %d, otto %d", get(v), get(o))
	}
	req, _ = http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.SetBasicAuth("vera", viewerPW)
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 {
		t.Errorf("the old password still works over Basic: %d", resp.StatusCode)
	}
	// A broken file leaves the accounts as they were, and says why.
	_ = os.WriteFile(usersFile, []byte("otto boss x\n"), 0o600)
	if err := srv.ReloadUsers(); err == nil || !strings.Contains(err.Error(), "line 1: unknown role \"boss\"") {
		t.Errorf("broken users file: %v", err)
	}
	if get(o) != 200 {
		t.Error("a broken users file ended the sessions")
	}
}

// TestWebUILoginLockout: a source that keeps guessing is locked out with
// growing delays, even for the right password, and every failure is in
// the audit log.
func TestWebUILoginLockout(t *testing.T) {
	ring := audit.NewRing(100)
	ts, _, _ := secServer(t, &webui.Options{Username: "admin", Password: "right", Audit: ring})
	try := func(pw string) int {
		req, _ := http.NewRequest("GET", ts.URL+"/stats/requests", nil)
		req.SetBasicAuth("admin", pw)
		resp, _ := webuiDo(t, req)
		return resp.StatusCode
	}
	for i := range 4 {
		if c := try(fmt.Sprintf("guess%d", i)); c != 401 {
			t.Fatalf("guess %d: %d", i, c)
		}
	}
	if c := try("right"); c != 429 {
		t.Errorf("the right password during the lockout: %d, want 429", c)
	}
	n := 0
	for _, e := range ring.Entries() {
		if e.Action == "login" && e.Outcome == audit.Denied {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d failed logins audited, want 4", n)
	}
}

// TestWebUIAuditEntries: every state change and denial is in the audit
// log with its actor, role, source and parameters (passwords redacted),
// the file's chain verifies, and only admins read it at GET /audit.
func TestWebUIAuditEntries(t *testing.T) {
	p := filepath.Join(t.TempDir(), "audit.log")
	f, err := audit.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ts, _, r := secServer(t, &webui.Options{UsersFile: writeUsersFile(t), Audit: f, AuditFile: p})
	basic := func(method, path, user, pw, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pw)
		return webuiDo(t, req)
	}
	basic("GET", "/stats/requests", "otto", "wrong", "")
	basic("POST", "/swarm", "vera", viewerPW, "user_count=1&spawn_rate=1")
	basic("POST", "/swarm", "otto", operatorPW, "user_count=2&spawn_rate=100&host=http://u:hunter2@127.0.0.1:1")
	waitState(t, r, StateRunning)
	basic("POST", "/swarm", "otto", operatorPW, "user_count=1&spawn_rate=100")
	basic("POST", "/stop", "otto", operatorPW, "")
	basic("POST", "/stats/reset", "otto", operatorPW, "")
	if resp, _ := basic("GET", "/audit", "otto", operatorPW, ""); resp.StatusCode != 403 {
		t.Errorf("operator read the audit log: %d", resp.StatusCode)
	}
	resp, body := basic("GET", "/audit", "ada", adminPW, "")
	if resp.StatusCode != 200 {
		t.Fatalf("admin GET /audit: %d %s", resp.StatusCode, body)
	}
	f.Close()
	data, _ := os.ReadFile(p)
	if strings.Contains(string(data), "hunter2") || strings.Contains(body, "hunter2") {
		t.Errorf("a URL password reached the audit log: %s", data)
	}
	if _, err := audit.Verify(bytes.NewReader(data)); err != nil {
		t.Errorf("chain: %v", err)
	}
	es, _ := audit.Read(bytes.NewReader(data), 0)
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s/%s/%s/%s", e.Actor, e.Role, e.Action, e.Outcome))
		if e.Source == "" || e.Time.IsZero() {
			t.Errorf("entry without source or time: %+v", e)
		}
	}
	want := []string{"unknown//login/denied", "vera/viewer/login/ok", "vera/viewer/deny/denied", "otto/operator/login/ok",
		"otto/operator/start/ok", "otto/operator/host/ok", "otto/operator/edit/ok", "otto/operator/stop/ok", "otto/operator/reset/ok",
		"otto/operator/deny/denied", "ada/admin/login/ok"}
	if !slices.Equal(got, want) {
		t.Errorf("audit entries\n got %q\nwant %q", got, want)
	}
	var page struct {
		Entries []audit.Entry
		File    string
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || page.File != p || len(page.Entries) < len(want)-1 {
		t.Errorf("GET /audit: %v %+v", err, page)
	}
}

// TestWebNoAuthBeyondLoopbackNeedsConfirmation: --web-no-auth alone no
// longer opens the UI to the network.
func TestWebNoAuthBeyondLoopbackNeedsConfirmation(t *testing.T) {
	o := &options{webNoAuth: true}
	wo := &webui.Options{Addr: "0.0.0.0:8089", AllowNoAuth: true}
	if err := webuiSecurity(o, wo); err == nil || !strings.Contains(err.Error(), "--web-no-auth-confirm") {
		t.Errorf("unconfirmed: %v", err)
	}
	o.sec.noAuthConfirm = true
	if err := webuiSecurity(o, wo); err != nil {
		t.Errorf("confirmed: %v", err)
	}
	if err := webuiSecurity(&options{}, &webui.Options{Addr: "127.0.0.1:8089", AllowNoAuth: true}); err != nil {
		t.Errorf("loopback: %v", err)
	}
}

// TestSecurityTools: --hash-password makes a hash a users file accepts;
// --verify-audit-log reports the first tampered entry.
func TestSecurityTools(t *testing.T) {
	var out, errb bytes.Buffer
	code, ok := runSecurityTool(&webSecOptions{hashPassword: true}, strings.NewReader("s3cret pass\n"), &out, &errb, "prog")
	if !ok || code != 0 || !strings.HasPrefix(out.String(), "$argon2id$v=19$") {
		t.Fatalf("hash: %d %q %q", code, out.String(), errb.String())
	}
	users := filepath.Join(t.TempDir(), "users")
	_ = os.WriteFile(users, []byte("me admin "+out.String()), 0o600)
	ts, _, _ := secServer(t, &webui.Options{UsersFile: users})
	login(t, ts.URL, "me", "s3cret pass")
	errb.Reset()
	if code, _ := runSecurityTool(&webSecOptions{hashPassword: true}, strings.NewReader(""), &out, &errb, "prog"); code != ExitUsage ||
		!strings.Contains(errb.String(), "no password on standard input") {
		t.Errorf("empty password: %d %s", code, errb.String())
	}

	p := filepath.Join(t.TempDir(), "audit.log")
	f, _ := audit.OpenFile(p)
	for i := range 3 {
		_ = f.Record(audit.Entry{Time: time.Now(), Actor: "a", Action: fmt.Sprint("act", i), Outcome: audit.OK})
	}
	f.Close()
	out.Reset()
	if code, _ := runSecurityTool(&webSecOptions{verifyAudit: p}, nil, &out, &errb, "prog"); code != 0 || !strings.Contains(out.String(), "3 entries, chain intact") {
		t.Errorf("verify: %d %s", code, out.String())
	}
	data, _ := os.ReadFile(p)
	_ = os.WriteFile(p, bytes.Replace(data, []byte("act1"), []byte("actX"), 1), 0o600)
	errb.Reset()
	if code, _ := runSecurityTool(&webSecOptions{verifyAudit: p}, nil, &out, &errb, "prog"); code != ExitError || !strings.Contains(errb.String(), "line 2") {
		t.Errorf("tampered: %d %s", code, errb.String())
	}
}

func TestRedactArgs(t *testing.T) {
	got := redactArgs([]string{"--web-auth", "a:b", "--cluster-token=xyz", "-H", "http://u:pw@h/", "-u", "5"})
	want := []string{"--web-auth", "[redacted]", "--cluster-token=[redacted]", "-H", "http://u:xxxxx@h/", "-u", "5"}
	if !slices.Equal(got, want) {
		t.Errorf("%q", got)
	}
}

// TestWebUISecureCookieWithTLS: under TLS the session cookie is Secure
// and the server sends HSTS.
func TestWebUISecureCookieWithTLS(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)

	r, err := NewLocalRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := webui.New(newWebUIBridge(r, webui.Info{Program: "test"}, log), &webui.Options{Addr: "127.0.0.1:0",
		Username: "admin", Password: "pw", TLSCert: certFile, TLSKey: keyFile, Logger: log, AuthFailureDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(srv.URL(ln.Addr())+"login", url.Values{"username": {"admin"}, "password": {"pw"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cks := resp.Cookies()
	if len(cks) != 1 || !cks[0].Secure || !cks[0].HttpOnly || cks[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("cookies %+v", cks)
	}
	if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS: %v", resp.Header)
	}
}

// TestMasterAuditsWorkers: workers joining, refused (a wrong token) and
// leaving are in the audit log with their address.
func TestMasterAuditsWorkers(t *testing.T) {
	ring := audit.NewRing(100)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMasterRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)},
		MasterOptions{Listener: ln, Token: "right", HeartbeatInterval: 200 * time.Millisecond, Audit: ring})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
	}()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+distributed.WorkerPath, nil)
	req.Header.Set("Authorization", "Bearer wrong")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	w, err := NewWorkerRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)},
		WorkerOptions{MasterAddr: ln.Addr().String(), Token: "right", ID: "w-audit", ReportInterval: 200 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := m.WaitWorkers(wctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	want := map[string]bool{"worker.refused": false, "worker.join": false}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		left := false
		for _, e := range ring.Entries() {
			if _, ok := want[e.Action]; ok && e.Source != "" && e.Role == "worker" {
				want[e.Action] = true
			}
			if e.Action == "worker.join" && e.Actor != "w-audit" {
				t.Errorf("join entry %+v", e)
			}
			if (e.Action == "worker.quit" || e.Action == "worker.lost") && e.Actor == "w-audit" {
				left = true
			}
		}
		if want["worker.refused"] && want["worker.join"] && left {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("audit entries: %+v", ring.Entries())
}

// TestWebUITOTP: an account with a one-time code logs in through the form
// with password and code; without the code, with a wrong one, with one
// already used, or over Basic, it does not.
func TestWebUITOTP(t *testing.T) {
	var out bytes.Buffer
	if code, _ := runSecurityTool(&webSecOptions{newTOTP: "ada"}, nil, &out, io.Discard, "prog"); code != 0 ||
		!strings.HasPrefix(out.String(), "totp=") || !strings.Contains(out.String(), "otpauth://totp/golocust:ada?") {
		t.Fatalf("--new-totp: %d %q", code, out.String())
	}
	field := strings.SplitN(out.String(), "\n", 2)[0]
	secret := strings.TrimPrefix(field, "totp=")
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	users := filepath.Join(t.TempDir(), "users")
	_ = os.WriteFile(users, []byte("ada admin "+string(h)+" "+field+"\n"), 0o600)
	ts, _, _ := secServer(t, &webui.Options{UsersFile: users})
	form := func(code string) *http.Response {
		req, _ := http.NewRequest("POST", ts.URL+"/login", strings.NewReader(url.Values{"username": {"ada"}, "password": {"pw"}, "code": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := webuiDo(t, req)
		return resp
	}
	if resp := form(""); len(resp.Cookies()) != 0 {
		t.Error("logged in without the code")
	}
	if resp := form("000000"); len(resp.Cookies()) != 0 {
		t.Error("logged in with a wrong code")
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp := form(code); len(resp.Cookies()) != 1 {
		t.Fatalf("the right code was refused: %v", resp.Header)
	}
	if resp := form(code); len(resp.Cookies()) != 0 {
		t.Error("a used code was accepted again")
	}
	req, _ := http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.SetBasicAuth("ada", "pw")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 && resp.StatusCode != 429 {
		t.Errorf("Basic without the code: %d", resp.StatusCode)
	}
	_ = os.WriteFile(users, []byte("ada admin "+string(h)+" totp=short\n"), 0o600)
	lr, err := NewLocalRunner(Config{Classes: webuiTestClasses()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webui.New(newWebUIBridge(lr, webui.Info{}, slog.New(slog.DiscardHandler)), &webui.Options{UsersFile: users}); err == nil ||
		!strings.Contains(err.Error(), "line 1: the fourth field must be totp=SECRET") {
		t.Errorf("bad secret: %v", err)
	}
}
