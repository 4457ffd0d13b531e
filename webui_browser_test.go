package locust_test

// Real-browser tests of the web UI and the HTML report, with chromedp and
// Debian's chromium. They skip when no browser is found, unless
// LOCUST_REQUIRE_BROWSER=1 (CI) makes that a failure. Screenshots go to
// $LOCUST_ARTIFACTS (or a temporary directory).

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/golocust/locust"
)

// browserPath finds a Chromium or Chrome binary.
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

// sharedBrowser is the one headless Chromium the browser tests of this
// test binary share: starting one costs seconds, a tab in a browser
// context of its own (cookies, storage and downloads apart, like a fresh
// profile) a fraction of that. It starts on the first newBrowser call,
// again if it has died, and browserCleanup (TestMain) stops it.
var sharedBrowser struct {
	mu      sync.Mutex
	ctx     context.Context // the browser's first tab: its life is the browser's
	cancel  func()
	dataDir string
}

// browserCleanup stops the shared browser, if one was started.
func browserCleanup() {
	sharedBrowser.mu.Lock()
	defer sharedBrowser.mu.Unlock()
	if sharedBrowser.cancel != nil {
		sharedBrowser.cancel()
		os.RemoveAll(sharedBrowser.dataDir)
		sharedBrowser.ctx, sharedBrowser.cancel = nil, nil
	}
}

// startSharedBrowser returns the shared browser, starting it if none runs.
func startSharedBrowser(t *testing.T) context.Context {
	t.Helper()
	path := browserPath(t)
	sharedBrowser.mu.Lock()
	defer sharedBrowser.mu.Unlock()
	if sharedBrowser.ctx != nil && sharedBrowser.ctx.Err() == nil {
		return sharedBrowser.ctx
	}
	if sharedBrowser.cancel != nil { // it died: start another
		sharedBrowser.cancel()
		os.RemoveAll(sharedBrowser.dataDir)
	}
	dir, err := os.MkdirTemp("", "locust-chromium")
	if err != nil {
		t.Fatal(err)
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
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1440, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancelC()
		cancelA()
		os.RemoveAll(dir)
		t.Fatalf("starting %s: %v", path, err)
	}
	sharedBrowser.ctx, sharedBrowser.dataDir = ctx, dir
	sharedBrowser.cancel = func() {
		cancelC()
		cancelA()
	}
	return ctx
}

// newBrowser opens a tab for one test, bounded in time, in a browser
// context of its own in the shared headless browser; the end of the test
// closes both.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	parent := startSharedBrowser(t)
	ctx, cancelC := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelT()
		cancelC()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// allowDownloads saves what the test's tab downloads into dir.
func allowDownloads(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID}); err != nil {
		t.Fatal(err)
	}
}

func artifactsDir(t *testing.T) string {
	if d := os.Getenv("LOCUST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			return d
		}
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("screenshot: %s", p)
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		screenshot(t, ctx, "failed-"+regexp.MustCompile(`\W+`).ReplaceAllString(what, "-"))
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		screenshot(t, ctx, "failed-step")
		t.Fatal(err)
	}
}

// xssBody is what the target answers on /xss: markup that would run
// script if the UI parsed it as HTML.
const xssBody = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`

func browserTarget(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/xss" {
			w.WriteHeader(500)
			io.WriteString(w, xssBody)
			return
		}
		io.WriteString(w, "hello")
	}))
	t.Cleanup(ts.Close)
	return ts
}

type shopUser struct{ locust.HTTPUser }

func (u *shopUser) index(ctx context.Context) error {
	u.Client.Get(ctx, "/")
	return nil
}

func (u *shopUser) item(ctx context.Context) error {
	u.Client.Get(ctx, "/item/1", locust.Name("/item/[id]"))
	return nil
}

// xss fails with the target's answer as the error text.
func (u *shopUser) xss(ctx context.Context) error {
	_ = locust.Measure(ctx, "GET", "/xss <i>name</i>", func(ctx context.Context) error {
		resp := u.Client.Get(ctx, "/xss", locust.Name("/xss-raw"))
		return errors.New(string(resp.Body))
	})
	return nil
}

func shopClass() *locust.Class[*shopUser] {
	return &locust.Class[*shopUser]{
		Name: "Shopper",
		New:  func() *shopUser { return &shopUser{} },
		Wait: locust.Constant(50 * time.Millisecond),
		Tasks: []locust.Task[*shopUser]{
			{Name: "index", Weight: 3, Fn: (*shopUser).index},
			{Name: "item", Weight: 2, Fn: (*shopUser).item},
			{Name: "xss", Weight: 1, Fn: (*shopUser).xss},
		},
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

// startUI runs a test program with the web UI on a free port and returns
// its address; the program ends with the test.
func startUI(t *testing.T, args ...string) string {
	t.Helper()
	ui, _ := startUIProgram(t, &locust.Program{Classes: []locust.UserClass{shopClass()}}, args...)
	return ui
}

// startUIProgram runs p (its output captured) with the web UI on a free
// port and returns its address and a function that waits for its exit
// code.
func startUIProgram(t *testing.T, p *locust.Program, args ...string) (string, func(time.Duration) (int, bool)) {
	t.Helper()
	url, wait, _ := startUIProgramLogs(t, p, args...)
	return url, wait
}

// startUIProgramLogs is startUIProgram that also returns the program's
// log so far.
func startUIProgramLogs(t *testing.T, p *locust.Program, args ...string) (string, func(time.Duration) (int, bool), func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lineWriter{}
	p.Stdout, p.Stderr, p.Dir, p.Signals = io.Discard, logs, t.TempDir(), make(chan os.Signal)
	p.Getenv = func(string) string { return "" }
	var code int
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		code = p.Main(ctx, append([]string{"-P", "0"}, args...))
	}()
	wait := func(d time.Duration) (int, bool) {
		select {
		case <-ended:
			return code, true
		case <-time.After(d):
			return 0, false
		}
	}
	t.Cleanup(func() {
		cancel()
		if _, ok := wait(15 * time.Second); !ok {
			t.Error("the program did not end")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := uiURL.FindStringSubmatch(logs.String()); m != nil {
			return m[1], wait, logs.String
		}
		if code, ok := wait(20 * time.Millisecond); ok {
			t.Fatalf("the program ended with %d: %s", code, logs.String())
		}
	}
	t.Fatalf("no web UI address in the log: %s", logs.String())
	return "", nil, nil
}

func TestBrowserDashboard(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui := startUI(t, "-H", target.URL, "-u", "3", "-r", "10")
	downloads := t.TempDir()
	allowDownloads(t, ctx, downloads)

	// Start a test from the form.
	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("start-dialog")))
	if v := evalJS[string](t, ctx, `document.getElementById('f-host').value`); v != target.URL {
		t.Errorf("host field %q, want %q", v, target.URL)
	}
	screenshot(t, ctx, "01-start-form")
	do(t, ctx, chromedp.SetValue(chromedp.ID("f-users"), "4"), chromedp.SetValue(chromedp.ID("f-rate"), "40"),
		chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "dialog closed", `!document.getElementById('start-dialog').open`)
	waitJS(t, ctx, "4 users", `document.getElementById('h-users').textContent === '4'`)
	waitJS(t, ctx, "rows", `document.querySelectorAll('#stats-table tbody tr').length >= 5 &&
		[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent !== '0'`)
	waitJS(t, ctx, "state running", `document.getElementById('h-state').textContent === 'running'`)
	screenshot(t, ctx, "02-statistics")

	// Sorting by # Requests keeps Aggregated last.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#stats-table th[data-key="num_requests"]`)))
	if last := evalJS[string](t, ctx, `[...document.querySelectorAll('#stats-table tbody tr')].pop().cells[1].textContent`); last != "Aggregated" {
		t.Errorf("last row after sorting: %q", last)
	}

	// Charts fill as history points arrive.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="charts"]`)))
	waitJS(t, ctx, "three charts", `document.querySelectorAll('#tab-charts .uplot canvas').length === 3`)
	// waitJS polls while more history points arrive.
	waitJS(t, ctx, "chart data", `(() => { const c = document.querySelector('#chart-rps canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+1] > 120 && d[i] < 60 && d[i+2] < 110) n++;
		return n > 20; })()`)
	screenshot(t, ctx, "03-charts")

	// The target's markup is shown as text and runs nothing.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="failures"]`)))
	waitJS(t, ctx, "failure row", `document.querySelector('#failures-table tbody').textContent.includes('onerror')`)
	if txt := evalJS[string](t, ctx, `document.querySelector('#failures-table tbody').textContent`); !strings.Contains(txt, xssBody) || !strings.Contains(txt, "/xss <i>name</i>") {
		t.Errorf("failures table text %q lacks the literal markup", txt)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#failures-table img, #failures-table script, #stats-table i').length`); n != 0 {
		t.Errorf("%d elements were made from the target's text", n)
	}
	if x := evalJS[string](t, ctx, `String(window.__xss)`); x != "undefined" {
		t.Errorf("script from the target ran: window.__xss = %s", x)
	}
	screenshot(t, ctx, "04-failures")

	// Edit the user count.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="stats"]`)), chromedp.Click(chromedp.ID("btn-edit")),
		chromedp.WaitVisible(chromedp.ID("start-dialog")), chromedp.SetValue(chromedp.ID("f-users"), "2"),
		chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "2 users", `document.getElementById('h-users').textContent === '2'`)

	// A bad value is refused with the server's message at the field.
	do(t, ctx, chromedp.Click(chromedp.ID("btn-edit")), chromedp.WaitVisible(chromedp.ID("start-dialog")),
		chromedp.SetValue(chromedp.ID("f-rate"), "0"), chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "form error", `document.getElementById('form-error').textContent.includes('spawn_rate must be a number greater than 0')`)
	if !evalJS[bool](t, ctx, `document.querySelector('.field[data-for="spawn_rate"]').classList.contains('invalid')`) {
		t.Error("the spawn rate field is not marked invalid")
	}
	screenshot(t, ctx, "05-form-error")
	do(t, ctx, chromedp.Click(chromedp.ID("start-cancel")))

	// Download a CSV.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="download"]`)), chromedp.Click(chromedp.ID("dl-requests")))
	var csvPath string
	deadline := time.Now().Add(8 * time.Second)
	for csvPath == "" && time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(downloads, "Locust_*_requests.csv"))
		if len(m) > 0 {
			csvPath = m[0]
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if csvPath == "" {
		t.Fatal("no CSV downloaded")
	}
	data, _ := os.ReadFile(csvPath)
	if !strings.HasPrefix(string(data), "Type,Name,Request Count,Failure Count") || !strings.Contains(string(data), "GET,/item/[id],") {
		t.Errorf("downloaded CSV:\n%s", data)
	}

	// Stop, then reset.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="stats"]`)), chromedp.Click(chromedp.ID("btn-stop")))
	waitJS(t, ctx, "stopped", `document.getElementById('h-state').textContent === 'stopped'`)
	waitJS(t, ctx, "new test button", `!document.getElementById('btn-new').hidden && document.getElementById('btn-stop').hidden`)
	do(t, ctx, chromedp.Click(chromedp.ID("btn-reset")))
	waitJS(t, ctx, "reset", `[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent === '0'`)
	screenshot(t, ctx, "06-stopped-reset")
}

func TestBrowserLogin(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	target := browserTarget(t)
	ui := startUI(t, "-H", target.URL, "--web-auth", "admin:pa55word")

	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if loc := evalJS[string](t, ctx, `location.pathname`); loc != "/login" {
		t.Fatalf("not sent to the login page: %s", loc)
	}
	// Refused without credentials, and with wrong ones.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/stats/requests').then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 401 {
		t.Errorf("API without login: %d %v", status, err)
	}
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "wrong"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".login-error")))
	screenshot(t, ctx, "07-login-refused")
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "pa55word"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("stats-table")))
	waitJS(t, ctx, "dashboard", `location.pathname === '/' && document.getElementById('h-state').textContent === 'ready'`)
	if hidden := evalJS[bool](t, ctx, `document.getElementById('logout').hidden`); hidden {
		t.Error("no log out button")
	}
	if httpOnly := evalJS[string](t, ctx, `document.cookie`); httpOnly != "" {
		t.Errorf("the session cookie is readable by script: %q", httpOnly)
	}
	screenshot(t, ctx, "08-logged-in")
}

func TestBrowserHTMLReport(t *testing.T) {
	target := browserTarget(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report_{u}.html")
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{shopClass()}},
		"--headless", "-u", "3", "-r", "30", "-t", "3s", "-H", target.URL, "--html", report, "--only-summary")
	file := filepath.Join(dir, "report_3.html")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", res.code, err, res.stderr)
	}
	ctx := newBrowser(t, 30*time.Second)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate("file://"+file))
	waitJS(t, ctx, "report rendered", `document.body.dataset.rendered === 'true'`)
	waitJS(t, ctx, "charts drawn", `document.querySelectorAll('.uplot canvas').length === 3`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#report-stats tbody tr').length`); n != 5 {
		t.Errorf("request statistics rows: %d, want 4 entries and Aggregated", n)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#report-percentiles tbody tr').length`); n != 5 {
		t.Errorf("percentile rows: %d", n)
	}
	if txt := evalJS[string](t, ctx, `document.querySelector('#failures-table tbody').textContent`); !strings.Contains(txt, xssBody) {
		t.Errorf("failures in the report: %q", txt)
	}
	if x := evalJS[string](t, ctx, `String(window.__xss)`); x != "undefined" {
		t.Errorf("script from the target ran in the report: %s", x)
	}
	if n := evalJS[int](t, ctx, `performance.getEntriesByType('resource').length`); n != 0 {
		t.Errorf("the report loaded %d resources; it must be self-contained", n)
	}
	waitJS(t, ctx, "users chart drawn", `(() => { const c = document.querySelector('#chart-users canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 40 && d[i+1] > 100 && d[i+2] > 100 && d[i+3] > 0) n++;
		return n > 20; })()`)
	meta := evalJS[string](t, ctx, `document.querySelector('.report-meta').textContent`)
	for _, want := range []string{target.URL, "Shopper", "During"} {
		if !strings.Contains(meta, want) {
			t.Errorf("report header %q lacks %q", meta, want)
		}
	}
	screenshot(t, ctx, "09-html-report")
}

// slowUser's only task takes 30 ms: two pooled users take about 66 of
// 100 arrivals per second, the others are dropped.
type slowUser struct{}

func (slowUser) work(ctx context.Context) error {
	return locust.Measure(ctx, "rpc", "slow <b>op</b>", func(ctx context.Context) error {
		select {
		case <-ctx.Done():
		case <-time.After(30 * time.Millisecond):
		}
		return nil
	})
}

// An arrival-rate test with one passing and one failing threshold: the
// dashboard shows the verdict and the dropped iterations live, and the
// HTML report written at the end shows them offline.
func TestBrowserVerdictAndSchedule(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.html")
	p := &locust.Program{Classes: []locust.UserClass{&locust.Class[*slowUser]{Name: "Slow", New: func() *slowUser { return &slowUser{} },
		Tasks: []locust.Task[*slowUser]{{Name: "work", Weight: 1, Fn: (*slowUser).work}}}}}
	ui, wait := startUIProgram(t, p, "--autostart", "-t", "4s", "--autoquit", "1", "--html", report,
		"--arrival-rate", "100/s", "--arrival-users", "1", "--arrival-max-users", "2",
		"--threshold", "rpc slow <b>op</b>: max<5s", "--threshold", "dropped==0")

	// The address asks for the Thresholds tab, shown once the server
	// says there are thresholds.
	do(t, ctx, chromedp.Navigate(ui+"#thresholds"))
	waitJS(t, ctx, "thresholds tab", `!document.getElementById('tab-thresholds').hidden`)
	waitJS(t, ctx, "running", `document.getElementById('h-state').textContent === 'running'`)
	waitJS(t, ctx, "header verdict", `document.getElementById('h-verdict').textContent === '1/2 passing' &&
		document.getElementById('h-verdict').classList.contains('fail')`)
	waitJS(t, ctx, "dropped in the header", `+document.getElementById('h-dropped').textContent.replace(/,/g, '') > 0 &&
		document.getElementById('h-dropped').classList.contains('bad')`)
	rows := evalJS[[]string](t, ctx, `[...document.querySelectorAll('#thresholds-table tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('|'))`)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "pass|rpc slow <b>op</b>: max<5s|") || !strings.HasPrefix(rows[1], "FAIL|dropped==0|") {
		t.Errorf("verdict rows %q", rows)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#thresholds-table b, #stats-table b').length`); n != 0 {
		t.Errorf("%d elements were made from the test's names", n)
	}
	if txt := evalJS[string](t, ctx, `document.getElementById('verdict-summary').textContent`); !strings.Contains(txt, "FAIL") || !strings.Contains(txt, "so far") {
		t.Errorf("verdict summary while running: %q", txt)
	}
	if n := evalJS[string](t, ctx, `document.getElementById('n-thresholds').textContent`); n != "1" {
		t.Errorf("failing thresholds badge %q", n)
	}
	screenshot(t, ctx, "10-thresholds")

	// The Statistics tab leads with the schedule.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="stats"]`)))
	waitJS(t, ctx, "schedule summary", `!document.getElementById('schedule').hidden &&
		document.querySelectorAll('#schedule-table tbody tr').length === 3`)
	if txt := evalJS[string](t, ctx, `document.getElementById('schedule-dropped').textContent`); !regexp.MustCompile(`^[1-9][\d,]* dropped \(\d+%\)$`).MatchString(txt) {
		t.Errorf("dropped counter %q", txt)
	}
	if !evalJS[bool](t, ctx, `document.getElementById('schedule-dropped').classList.contains('bad')`) {
		t.Error("dropped iterations are not marked")
	}
	screenshot(t, ctx, "11-schedule")

	// The final verdict, then the program quits and writes the report.
	waitJS(t, ctx, "stopped", `document.getElementById('h-state').textContent === 'stopped'`)
	if txt := evalJS[string](t, ctx, `document.getElementById('verdict-summary').textContent`); strings.Contains(txt, "so far") || !strings.Contains(txt, "1 of 2") {
		t.Errorf("final verdict summary %q", txt)
	}
	if code, ok := wait(10 * time.Second); !ok || code != locust.ExitThresholds {
		t.Fatalf("exit code %d (ended %v), want %d", code, ok, locust.ExitThresholds)
	}

	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate("file://"+report))
	waitJS(t, ctx, "report rendered", `document.body.dataset.rendered === 'true'`)
	meta := evalJS[string](t, ctx, `document.querySelector('.report-meta').textContent`)
	if !strings.Contains(meta, "FAIL: 1 of 2 thresholds passing") || !strings.Contains(meta, "dropped") {
		t.Errorf("report header %q", meta)
	}
	rows = evalJS[[]string](t, ctx, `[...document.querySelectorAll('#thresholds-table tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('|'))`)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "pass|rpc slow <b>op</b>: max<5s|") || !strings.HasPrefix(rows[1], "FAIL|dropped==0|") {
		t.Errorf("report verdict rows %q", rows)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#schedule-table tbody tr').length`); n != 3 {
		t.Errorf("report schedule rows: %d", n)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#report b').length`); n != 0 {
		t.Errorf("%d elements were made from the test's names in the report", n)
	}
	screenshot(t, ctx, "12-report-verdict")
}
