package oidc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The whole sign-in in a real headless Chromium: the SSO button, the
// provider's login page, the dashboard with the mapped role. Skipped
// without a browser unless LOCUST_REQUIRE_BROWSER=1 (CI) makes that a
// failure, as the root module's browser tests. Screenshots go to
// $LOCUST_ARTIFACTS (or a temporary directory).

func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("LOCUST_BROWSER"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LOCUST_REQUIRE_BROWSER") == "1" {
		t.Fatal("no browser found (chromium, google-chrome) and LOCUST_REQUIRE_BROWSER=1: install Debian's chromium")
	}
	t.Skip("skipping browser test: no chromium or google-chrome found (apt-get install chromium; LOCUST_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := browserPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := os.Getenv("LOCUST_ARTIFACTS")
	if dir == "" || os.MkdirAll(dir, 0o755) != nil {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		t.Logf("screenshot: %s", p)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		screenshot(t, ctx, "oidc-failed-step")
		t.Fatal(err)
	}
}

func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		screenshot(t, ctx, "oidc-failed-"+regexp.MustCompile(`\W+`).ReplaceAllString(what, "-"))
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// browserSignIn signs user in: from the web UI's login page, the SSO
// button, the provider's login form, back to the web UI.
func browserSignIn(t *testing.T, ctx context.Context, w *ui, user string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(w.url), chromedp.WaitVisible(chromedp.ID("sso")))
	if p := evalJS[string](t, ctx, `location.pathname`); p != "/login" {
		t.Fatalf("not sent to the login page: %s", p)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("sso")), chromedp.WaitVisible(chromedp.ID("username")))
	if !strings.HasPrefix(evalJS[string](t, ctx, `location.href`), w.providerURL()) {
		t.Fatalf("the SSO button did not lead to the provider: %s", evalJS[string](t, ctx, `location.href`))
	}
	do(t, ctx, chromedp.SetValue(chromedp.ID("username"), user), chromedp.SetValue(chromedp.ID("password"), userPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
}

func TestSSOBrowser(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	p := startProvider(t)
	w := startUI(t, p)

	// Record the callback URLs the browser visits, to replay one.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var callbacks []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && strings.Contains(e.Request.URL, "/login/oidc/callback") {
			mu.Lock()
			callbacks = append(callbacks, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	// Single sign-on only: the login page has the button and no
	// password form.
	do(t, ctx, chromedp.Navigate(w.url+"login"), chromedp.WaitVisible(chromedp.ID("sso")))
	if evalJS[bool](t, ctx, `document.querySelector('input[name="password"]') !== null`) {
		t.Error("a password form without password accounts")
	}
	screenshot(t, ctx, "oidc-01-login")

	// An operator lands on the dashboard with the operator's rights.
	browserSignIn(t, ctx, w, "otto")
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("stats-table")))
	waitJS(t, ctx, "the dashboard", `location.pathname === '/' && document.getElementById('h-state')?.textContent === 'ready'`)
	who := evalJS[string](t, ctx, `fetch('/session').then(r => r.json()).then(s => s.user + ' ' + s.role + ' ' + s.can.join(','))`)
	if who != "otto@example.com operator view,control" {
		t.Errorf("session: %q", who)
	}
	if hidden := evalJS[bool](t, ctx, `document.getElementById('logout').hidden`); hidden {
		t.Error("no log out button")
	}
	if c := evalJS[string](t, ctx, `document.cookie`); c != "" {
		t.Errorf("cookies readable by script: %q", c)
	}
	reset := `fetch('/session').then(r => r.json()).then(s => fetch('/stats/reset', {method: 'POST', headers: {'X-CSRF-Token': s.csrf}})).then(r => r.status)`
	if st := evalJS[int](t, ctx, reset); st != 200 {
		t.Errorf("the operator's reset: %d", st)
	}
	screenshot(t, ctx, "oidc-02-operator")

	// The same callback URL again (a replay from the history, a proxy
	// log): refused, and the page says so.
	mu.Lock()
	if len(callbacks) != 1 {
		t.Fatalf("callbacks seen: %q", callbacks)
	}
	replay := callbacks[0]
	mu.Unlock()
	do(t, ctx, chromedp.Navigate(replay), chromedp.WaitVisible(chromedp.CSS(".login-error")))
	if msg := evalJS[string](t, ctx, `document.querySelector('.login-error').textContent`); !strings.Contains(msg, "Single sign-on failed") {
		t.Errorf("replayed callback: %q", msg)
	}

	// A viewer sees the dashboard and is refused an operator's action.
	browserSignIn(t, ctx, w, "vera")
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("stats-table")))
	waitJS(t, ctx, "the viewer's dashboard", `location.pathname === '/' && document.getElementById('h-state')?.textContent === 'ready'`)
	if who := evalJS[string](t, ctx, `fetch('/session').then(r => r.json()).then(s => s.user + ' ' + s.role)`); who != "vera@example.com viewer" {
		t.Errorf("viewer session: %q", who)
	}
	if st := evalJS[int](t, ctx, reset); st != 403 {
		t.Errorf("the viewer's reset: %d, want 403", st)
	}
	if e := w.findAudit(t, "deny", "denied", "role viewer may not POST /stats/reset"); e == nil || e.Actor != "vera@example.com" {
		t.Errorf("the viewer's refusal is not audited: %+v", e)
	}
	screenshot(t, ctx, "oidc-03-viewer")

	// A user whose groups map to no role is refused, and told why.
	browserSignIn(t, ctx, w, "nina")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".login-error")))
	waitJS(t, ctx, "the refusal", `location.pathname === '/login' && document.querySelector('.login-error') !== null`)
	if msg := evalJS[string](t, ctx, `document.querySelector('.login-error').textContent`); !strings.Contains(msg, "no role") {
		t.Errorf("unmapped user: %q", msg)
	}
	if st := evalJS[int](t, ctx, `fetch('/stats/requests').then(r => r.status)`); st != 401 {
		t.Errorf("the unmapped user reads the stats: %d", st)
	}
	if e := w.findAudit(t, "login", "denied", "no role"); e == nil || e.Actor != "nina@example.com" || !strings.Contains(e.Reason, "contractors") {
		t.Errorf("the unmapped user's refusal is not audited: %+v", e)
	}
	screenshot(t, ctx, "oidc-04-no-role")

	// Every sign-in is audited with the user as actor.
	var logins []string
	for _, e := range w.audit(t) {
		if e.Action == "login" {
			logins = append(logins, e.Actor+" "+e.Outcome)
		}
	}
	want := "otto@example.com ok,unknown denied,vera@example.com ok,nina@example.com denied"
	if got := strings.Join(logins, ","); got != want {
		t.Errorf("audited logins:\n got %s\nwant %s", got, want)
	}
}
