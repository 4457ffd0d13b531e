package locust

// A real browser attacks the web UI from another site. Chromium resolves
// evil.test and ui.test to 127.0.0.1 (--host-resolver-rules), so the UI
// is reached under a name that is not loopback over plain HTTP: there the
// browser sends no Sec-Fetch-* headers and no Origin with GETs, the case
// where an <img> or a link used to stop the test and reset the stats.
// Skips without a browser unless LOCUST_REQUIRE_BROWSER=1.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/golocust/locust/webui"
)

// attackBrowser starts headless Chromium that resolves the test names to
// loopback, for the whole test; attackTab opens one tab of it per subtest.
func attackBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{os.Getenv("LOCUST_BROWSER"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("LOCUST_REQUIRE_BROWSER") == "1" {
			t.Fatal("no browser found and LOCUST_REQUIRE_BROWSER=1: install Debian's chromium")
		}
		t.Skip("skipping browser test: no chromium or google-chrome found")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1, MAP ui.test 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// attackTab opens a tab of browser for one subtest, in a browser context
// of its own (no cookie of another subtest), bounded in time.
func attackTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancelC := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelT()
		cancelC()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// seenLog records the requests the UI received and its answers.
type seenLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *seenLog) add(s string) {
	l.mu.Lock()
	l.seen = append(l.seen, s)
	l.mu.Unlock()
}

func (l *seenLog) has(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.seen {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(c int) {
	s.code = c
	s.ResponseWriter.WriteHeader(c)
}

// Hijack lets the live feed's WebSocket through.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.code = http.StatusSwitchingProtocols
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// evilPage tries everything a page of another site can do without
// JavaScript access to the UI: images, a form POST into a hidden frame,
// and finally a top-level navigation.
const evilPage = `<!doctype html><html><body>
<img src="UI/stop"><img src="UI/stats/reset">
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="post" action="UI/stop" target="sink"></form>
<form id="g" method="post" action="UI/stats/reset" target="sink"></form>
<script>
document.getElementById('f').submit();
setTimeout(() => document.getElementById('g').submit(), 300);
setTimeout(() => { location.href = 'UI/stop'; }, 1200);
</script></body></html>`

func TestBrowserCrossSiteAttack(t *testing.T) {
	browser := attackBrowser(t)
	for _, mode := range []string{"no-auth", "logged-in"} {
		t.Run(mode, func(t *testing.T) {
			ctx := attackTab(t, browser)
			r, err := NewLocalRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Stop(context.Background()) })
			info := webui.Info{Program: "test", Version: "dev", Host: "http://127.0.0.1:1", Users: 1, SpawnRate: 1, Classes: []string{"Alpha", "Beta"}}
			// A UI meant for the network (the Host check of loopback UIs
			// is off), served on loopback only for the test.
			opts := &webui.Options{Addr: "0.0.0.0:0", AllowNoAuth: true, Logger: slog.New(slog.DiscardHandler), AuthFailureDelay: time.Millisecond}
			if mode == "logged-in" {
				opts.AllowNoAuth, opts.Username, opts.Password = false, "admin", "pa55word"
			}
			bridge := newWebUIBridge(r, info, opts.Logger)
			srv, err := webui.New(bridge, opts)
			if err != nil {
				t.Fatal(err)
			}
			seen := &seenLog{}
			ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				rec := &statusRecorder{ResponseWriter: w, code: 200}
				srv.Handler().ServeHTTP(rec, req)
				seen.add(fmt.Sprintf("%s %s %d", req.Method, req.URL.Path, rec.code))
			}))
			t.Cleanup(ui.Close)
			uiURL := "http://ui.test:" + ui.URL[strings.LastIndexByte(ui.URL, ':')+1:]
			evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, strings.ReplaceAll(evilPage, "UI/", uiURL+"/"))
			}))
			t.Cleanup(evil.Close)
			evilURL := "http://evil.test:" + evil.URL[strings.LastIndexByte(evil.URL, ':')+1:] + "/"

			if err := bridge.Start(webui.StartRequest{Users: 2, SpawnRate: 100}); err != nil {
				t.Fatal(err)
			}
			waitState(t, r, StateRunning)
			if mode == "logged-in" {
				// The victim logs in to the UI in this browser; a
				// failed attempt first puts markup in the audit log.
				if err := chromedp.Do(ctx, chromedp.Navigate(uiURL+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
					chromedp.SetValue(chromedp.CSS(`input[name="username"]`), `<img src=x onerror="window.__xss=1">`),
					chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "wrong"),
					chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".login-error")),
					chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "admin"),
					chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "pa55word"),
					chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("stats-table"))); err != nil {
					seen.mu.Lock()
					t.Fatalf("logging in: %v\n%s", err, strings.Join(seen.seen, "\n"))
				}
			}
			time.Sleep(100 * time.Millisecond) // some requests to count
			before := r.Snapshot().Total.Requests

			if err := chromedp.Do(ctx, chromedp.Navigate(evilURL)); err != nil {
				t.Fatal(err)
			}
			// Wait until the attack has reached the UI: both images, both
			// forms, and the navigation.
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) && !(seen.has("GET /stop ") && seen.has("GET /stats/reset ") && seen.has("POST /stop ") &&
				seen.has("POST /stats/reset ")) {
				time.Sleep(50 * time.Millisecond)
			}
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, _ = chromedp.Run(pctx, chromedp.Poll[bool](`location.host.startsWith('ui.test')`, chromedp.WithPollingInterval(50*time.Millisecond)))
			seen.mu.Lock()
			log := strings.Join(seen.seen, "\n")
			seen.mu.Unlock()
			for _, want := range []string{"GET /stop ", "GET /stats/reset ", "POST /stop ", "POST /stats/reset "} {
				if !seen.has(want) {
					t.Errorf("the attack's %q never reached the UI:\n%s", want, log)
				}
			}
			if n := strings.Count(log, "GET /stop "); n < 2 {
				t.Errorf("the navigation to /stop did not reach the UI:\n%s", log)
			}
			for _, line := range strings.Split(log, "\n") {
				if (strings.Contains(line, "/stop") || strings.Contains(line, "/stats/reset")) && strings.HasSuffix(line, " 200") {
					t.Errorf("the UI obeyed another site: %s", line)
				}
			}
			if r.State() != StateRunning {
				t.Errorf("another site stopped the test: %v", r.State())
			}
			if after := r.Snapshot().Total.Requests; after < before {
				t.Errorf("another site reset the statistics: %d requests before, %d after", before, after)
			}

			if mode == "logged-in" {
				// The admin reads the audit log: the attacker's markup is
				// text, and the session's own controls still work.
				if err := chromedp.Do(ctx, chromedp.Navigate(uiURL+"/#audit"), chromedp.WaitVisible(chromedp.ID("audit-table"))); err != nil {
					t.Fatal(err)
				}
				waitTrue := func(expr string) {
					pctx, cancel := context.WithTimeout(ctx, 8*time.Second)
					defer cancel()
					if _, err := chromedp.Run(pctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
						st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('h-state').textContent + ' ' + location.href`))
						seen.mu.Lock()
						t.Fatalf("waiting for %s: %v (page: %s)\n%s", expr, err, st, strings.Join(seen.seen[max(0, len(seen.seen)-15):], "\n"))
					}
				}
				waitTrue(`document.getElementById('audit-table').textContent.includes('onerror=')`)
				if v, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss === undefined && !document.querySelector('#audit-table img')`)); !v {
					t.Error("markup from a user name ran in the audit tab")
				}
				waitTrue(`!document.getElementById('btn-stop').hidden`)
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("btn-stop"))); err != nil {
					t.Fatal(err)
				}
				waitState(t, r, StateStopped)
			}
		})
	}
}
