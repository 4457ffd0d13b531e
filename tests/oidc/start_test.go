package oidc

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// runProgram runs a program with args to its end (at most 20 s) and
// returns its exit code and log.
func runProgram(t *testing.T, args ...string) (int, string) {
	t.Helper()
	logs := &lineWriter{}
	prog := &locust.Program{Classes: []locust.UserClass{idleClass()}, Stdout: io.Discard, Stderr: logs, Dir: t.TempDir(),
		Signals: make(chan os.Signal), Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := prog.Main(ctx, append([]string{"-P", "0", "--history", t.TempDir() + "/h.db"}, args...))
	return code, logs.String()
}

// TestSSOStartErrors: bad single sign-on settings stop the program at
// start (exit 2) with an error naming the option; an unreachable
// provider too, before the web UI listens.
func TestSSOStartErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--web-oidc-issuer", closed, "--web-oidc-client-id", "c", "--web-oidc-roles", "*=viewer"},
			"--web-oidc-issuer " + closed + ": cannot read the provider's discovery document"},
		{[]string{"--web-oidc-issuer", closed, "--web-oidc-client-id", "c", "--web-oidc-roles", "admins=superuser"},
			`--web-oidc-roles: rule "admins=superuser": unknown role "superuser": allowed viewer, operator, admin`},
		{[]string{"--web-oidc-issuer", "http://idp.example.com", "--web-oidc-client-id", "c", "--web-oidc-roles", "*=viewer"},
			"must be https (http only on loopback)"},
	} {
		code, logs := runProgram(t, c.args...)
		if code != 2 || !strings.Contains(logs, c.want) {
			t.Errorf("%q: exit %d, want 2 and %q in:\n%s", c.args, code, c.want, logs)
		}
		if strings.Contains(logs, "Starting web interface") {
			t.Errorf("%q: the web UI started", c.args)
		}
	}
}

// TestSSOWithPasswords: password accounts and single sign-on side by
// side, under a base path: the login page offers both, and both give
// sessions.
func TestSSOWithPasswords(t *testing.T) {
	p := startProvider(t)
	w := startUI(t, p, "--web-auth", "admin:pa55word-long", "--web-base-path", "/perf")
	if !strings.HasSuffix(w.url, "/perf/") {
		t.Fatalf("the UI is not under its base path: %s", w.url)
	}
	c := newClient(t)
	_, page := get(t, c, w.url+"login")
	if !strings.Contains(page, `id="sso"`) || !strings.Contains(page, `name="password"`) {
		t.Fatalf("the login page lacks the SSO button or the password form:\n%s", page)
	}
	resp, err := c.PostForm(w.url+"login", url.Values{"username": {"admin"}, "password": {"pa55word-long"}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if user, role, _, st := session(t, c, w); st != http.StatusOK || user != "admin" || role != "admin" {
		t.Errorf("password login: %q %q %d", user, role, st)
	}
	c2 := newClient(t)
	cb := signIn(t, c2, w, "otto")
	if !strings.Contains(cb, "/perf/login/oidc/callback?") {
		t.Errorf("the callback is not under the base path: %s", cb)
	}
	if loc := finish(t, c2, cb); loc != "/perf/" {
		t.Fatalf("single sign-on beside passwords: sent to %q", loc)
	}
	if user, role, _, _ := session(t, c2, w); user != "otto@example.com" || role != "operator" {
		t.Errorf("single sign-on session: %q %q", user, role)
	}
}
