package oidc

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// The web UI under test: a golocust program with single sign-on at the
// provider, its audit log in a file.

type idleUser struct{ locust.HTTPUser }

func (u *idleUser) noop(ctx context.Context) error { return nil }

func idleClass() *locust.Class[*idleUser] {
	return &locust.Class[*idleUser]{
		Name:  "Idle",
		New:   func() *idleUser { return &idleUser{} },
		Wait:  locust.Constant(100 * time.Millisecond),
		Tasks: []locust.Task[*idleUser]{{Name: "noop", Weight: 1, Fn: (*idleUser).noop}},
	}
}

// lineWriter collects a program's log, safe for concurrent use.
type lineWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

var uiURL = regexp.MustCompile(`Starting web interface at (http://[^ "\n]+/)`)

// ui is a running web UI.
type ui struct {
	url      string // http://127.0.0.1:PORT/
	auditLog string
	logs     *lineWriter
	issuer   string // the provider's
}

// providerURL returns the provider's address.
func (u *ui) providerURL() string { return u.issuer }

// startUI runs a program with single sign-on at p (and args) until the
// test ends, and registers its callback at the provider.
func startUI(t *testing.T, p *provider, args ...string) *ui {
	t.Helper()
	dir := t.TempDir()
	u := &ui{auditLog: filepath.Join(dir, "audit.log"), logs: &lineWriter{}}
	prog := &locust.Program{Classes: []locust.UserClass{idleClass()}, Stdout: io.Discard, Stderr: u.logs, Dir: dir,
		Signals: make(chan os.Signal), Getenv: func(string) string { return "" }}
	all := append([]string{"-P", "0", "-H", "http://127.0.0.1:9", "--history", filepath.Join(dir, "history.db"),
		"--audit-log", u.auditLog,
		"--web-oidc-issuer", p.issuer, "--web-oidc-client-id", clientID, "--web-oidc-client-secret", clientSecret,
		"--web-oidc-roles", roleRules}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan int, 1)
	go func() { ended <- prog.Main(ctx, all) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ended:
		case <-time.After(15 * time.Second):
			t.Error("the program did not end")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := uiURL.FindStringSubmatch(u.logs.String()); m != nil {
			u.url, u.issuer = m[1], p.issuer
			p.store.setRedirect(u.url + "login/oidc/callback")
			return u
		}
		select {
		case code := <-ended:
			t.Fatalf("the program ended with %d: %s", code, u.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no web UI address in the log: %s", u.logs.String())
	return nil
}

// auditEntry is a line of the audit log, the fields the tests read.
type auditEntry struct {
	Actor   string         `json:"actor"`
	Role    string         `json:"role"`
	Action  string         `json:"action"`
	Outcome string         `json:"outcome"`
	Reason  string         `json:"reason"`
	Params  map[string]any `json:"params"`
}

// audit returns the entries of the audit log so far.
func (u *ui) audit(t *testing.T) []auditEntry {
	t.Helper()
	f, err := os.Open(u.auditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e auditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// findAudit returns the last entry of action with outcome whose reason
// contains reason, or nil.
func (u *ui) findAudit(t *testing.T, action, outcome, reason string) *auditEntry {
	t.Helper()
	es := u.audit(t)
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; e.Action == action && e.Outcome == outcome && strings.Contains(e.Reason, reason) {
			return &e
		}
	}
	return nil
}

// noRedirect is a client that stops at every redirect.
func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func readFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}
