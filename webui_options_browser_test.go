package locust_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/golocust/locust"
)

// optTarget records what the users of optProgram ask for: path, query
// and the X-Token header.
type optTarget struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int
}

func newOptTarget(t *testing.T) *optTarget {
	ot := &optTarget{seen: map[string]int{}}
	ot.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ot.mu.Lock()
		ot.seen[r.URL.RequestURI()+" token="+r.Header.Get("X-Token")]++
		ot.mu.Unlock()
	}))
	t.Cleanup(ot.Close)
	return ot
}

func (ot *optTarget) saw(key string) int {
	ot.mu.Lock()
	defer ot.mu.Unlock()
	return ot.seen[key]
}

func (ot *optTarget) keys() []string {
	ot.mu.Lock()
	defer ot.mu.Unlock()
	var out []string
	for k := range ot.seen {
		out = append(out, k)
	}
	return out
}

type optUser struct{ locust.HTTPUser }

// optProgram is a program with one option of each kind; its users ask
// for /opt/REGION?basket=N&vip=B with the token in X-Token. Each call has
// its own variables, as separate processes would.
func optProgram() *locust.Program {
	region := &locust.Choice{Choices: []string{"us", "eu"}, Value: "us"}
	token := locust.NewSecret("default-token")
	basket, vip, note := 1, false, "plain"
	task := func(u *optUser, ctx context.Context) error {
		u.Client.Get(ctx, "/opt/"+region.Value+"?basket="+strconv.Itoa(basket)+"&vip="+strconv.FormatBool(vip)+"&note="+note,
			locust.Name("/opt"), locust.Header("X-Token", token.Value()))
		return nil
	}
	return &locust.Program{
		Classes: []locust.UserClass{&locust.Class[*optUser]{Name: "Opt", New: func() *optUser { return &optUser{} },
			Wait: locust.Constant(20 * time.Millisecond), Tasks: []locust.Task[*optUser]{{Name: "get", Weight: 1, Fn: task}}}},
		Flags: func(fs *flag.FlagSet) {
			fs.Var(region, "region", "Region of the shop.")
			fs.Var(token, "api-token", "Token of the shop's API.")
			fs.IntVar(&basket, "basket", basket, "Items in the basket.")
			fs.BoolVar(&vip, "vip", vip, "Shop as a VIP.")
			fs.StringVar(&note, "note", note, "A note.")
		},
	}
}

// fillOptionsAndStart fills the start form's custom options and starts.
func fillOptionsAndStart(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("f-options")))
	if typ := evalJS[string](t, ctx, `document.getElementById('f-opt-api-token').type + ' ' + document.getElementById('f-opt-api-token').value`); typ != "password " {
		t.Errorf("the secret field is %q; want an empty password field", typ)
	}
	if kinds := evalJS[string](t, ctx, `['region','basket','vip','note'].map(n => { const e = document.getElementById('f-opt-' + n); return e.tagName + ':' + (e.type || '') + ':' + (e.type === 'checkbox' ? e.checked : e.value); }).join(' ')`); kinds != "SELECT:select-one:us INPUT:number:1 INPUT:checkbox:false INPUT:text:plain" {
		t.Errorf("option fields %q", kinds)
	}
	screenshot(t, ctx, "options-01-form")
	// A bad number is refused, naming the field.
	do(t, ctx, chromedp.SetValue(chromedp.ID("f-users"), "2"), chromedp.SetValue(chromedp.ID("f-rate"), "20"),
		chromedp.SetValue(chromedp.ID("f-opt-basket"), "2.5"), chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "form error", `document.getElementById('form-error').textContent.includes('basket') &&
		document.querySelector('.field[data-for="basket"]').classList.contains('invalid')`)
	do(t, ctx, chromedp.SetValue(chromedp.ID("f-opt-basket"), "3"),
		chromedp.SetValue(chromedp.ID("f-opt-region"), "eu"),
		chromedp.SetValue(chromedp.ID("f-opt-api-token"), "s3cr3t-from-form"),
		chromedp.Click(chromedp.ID("f-opt-vip")),
		chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "dialog closed", `!document.getElementById('start-dialog').open`)
	waitJS(t, ctx, "2 users", `document.getElementById('h-users').textContent === '2'`)
}

const optWant = "/opt/eu?basket=3&vip=true&note=plain token=s3cr3t-from-form"

// checkOptionsSeen waits for the target to see the form's values, then
// stops the test and checks the page never got the secret back.
func checkOptionsSeen(t *testing.T, ctx context.Context, target *optTarget, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for target.saw(optWant) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if target.saw(optWant) == 0 {
		t.Fatalf("the target never saw the form's values; it saw %q", target.keys())
	}
	do(t, ctx, chromedp.Click(chromedp.ID("btn-stop")))
	waitJS(t, ctx, "stopped", `document.getElementById('h-state').textContent === 'stopped'`)
	// Reloaded, the form shows the run's values but not the secret.
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("btn-new")), chromedp.Click(chromedp.ID("btn-new")),
		chromedp.WaitVisible(chromedp.ID("f-opt-region")))
	waitJS(t, ctx, "the run's values", `document.getElementById('f-opt-region').value === 'eu' && document.getElementById('f-opt-vip').checked`)
	if v := evalJS[string](t, ctx, `document.getElementById('f-opt-api-token').value`); v != "" {
		t.Errorf("the secret field shows %q", v)
	}
	screenshot(t, ctx, "options-02-after-run")
	if strings.Contains(logs(), "s3cr3t-from-form") {
		t.Error("the secret is in the program's log")
	}
}

// TestBrowserCustomOptions: the program's own options appear in the start
// form by kind, a bad value is refused at its field, and the values the
// form sends are what the users use (the target sees them).
func TestBrowserCustomOptions(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := newOptTarget(t)
	ui, _, logs := startUIProgramLogs(t, optProgram(), "-H", target.URL)
	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("start-dialog")))
	fillOptionsAndStart(t, ctx)
	checkOptionsSeen(t, ctx, target, logs)
}

// TestBrowserCustomOptionsMaster: on a master, the form's values reach
// the programs of its workers (separate program instances, each with its
// own variables) for the test.
func TestBrowserCustomOptionsMaster(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := newOptTarget(t)
	ui, _, logs := startUIProgramLogs(t, optProgram(), "--master", "--master-bind-port", "0", "-H", target.URL)
	port := distMasterPort(t, 5*time.Second, logs)
	for range 2 {
		p := optProgram()
		p.Stdout, p.Stderr, p.Dir, p.Signals = io.Discard, io.Discard, t.TempDir(), make(chan os.Signal)
		p.Getenv = func(string) string { return "" }
		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Main(wctx, []string{"--worker", "--master-port", strconv.Itoa(port), "--master-host", "127.0.0.1"})
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("start-dialog")))
	waitJS(t, ctx, "2 workers", `document.getElementById('h-workers').textContent === '2'`)
	fillOptionsAndStart(t, ctx)
	checkOptionsSeen(t, ctx, target, logs)
}
