package locust_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// basePathProxy is a reverse proxy on loopback that forwards prefix/ to
// the web UI at ui (without rewriting paths, as an ingress does) and
// answers everything else itself with 404, recording the paths.
func basePathProxy(t *testing.T, ui, prefix string) (*httptest.Server, func() []string) {
	t.Helper()
	target, err := url.Parse(ui)
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // as nginx's proxy_set_header Host $host
		r.SetXForwarded()
	}}
	var mu sync.Mutex
	var outside []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix+"/") {
			rp.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		outside = append(outside, r.URL.Path)
		mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), outside...)
	}
}

// TestBrowserBasePath: with --web-base-path behind a real reverse proxy
// that forwards only the prefix, a browser logs in, starts a test from
// the form, sees live statistics over the WebSocket, stops the test and
// logs out, and the page never asks for anything outside the prefix.
func TestBrowserBasePath(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui := startUI(t, "-H", target.URL, "-u", "3", "-r", "10", "--web-base-path", "/team/load", "--web-auth", "admin:pa55word")
	if !strings.HasSuffix(ui, "/team/load/") {
		t.Fatalf("the logged address %s lacks the base path", ui)
	}
	proxy, outside := basePathProxy(t, ui, "/team/load")

	do(t, ctx, chromedp.Navigate(proxy.URL+"/team/load/"), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if loc := evalJS[string](t, ctx, `location.pathname`); loc != "/team/load/login" {
		t.Fatalf("not sent to the login page under the prefix: %s", loc)
	}
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "admin"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "pa55word"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("start-dialog")))
	waitJS(t, ctx, "dashboard", `location.pathname === '/team/load/' && document.getElementById('h-state').textContent === 'ready'`)
	screenshot(t, ctx, "basepath-01-start-form")

	do(t, ctx, chromedp.SetValue(chromedp.ID("f-users"), "2"), chromedp.SetValue(chromedp.ID("f-rate"), "20"),
		chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "2 users", `document.getElementById('h-users').textContent === '2'`)
	waitJS(t, ctx, "live rows", `document.querySelectorAll('#stats-table tbody tr').length >= 3 &&
		[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent !== '0'`)
	waitJS(t, ctx, "running", `document.getElementById('h-state').textContent === 'running'`)
	// The counts move: the live feed (the WebSocket through the proxy)
	// pushes updates.
	first := evalJS[string](t, ctx, `[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent`)
	waitJS(t, ctx, "updates", `[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent !== '`+first+`'`)
	screenshot(t, ctx, "basepath-02-running")

	// The report link is under the prefix.
	if href := evalJS[string](t, ctx, `document.getElementById('btn-report').href`); href != proxy.URL+"/team/load/stats/report?download=1" {
		t.Errorf("report link %s", href)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("btn-stop")))
	waitJS(t, ctx, "stopped", `document.getElementById('h-state').textContent === 'stopped'`)

	do(t, ctx, chromedp.Click(chromedp.CSS(`#logout button`)), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if loc := evalJS[string](t, ctx, `location.pathname`); loc != "/team/load/login" {
		t.Errorf("after logging out: %s", loc)
	}
	for _, p := range outside() {
		if p != "/favicon.ico" {
			t.Errorf("the page asked the proxy for %s, outside the base path", p)
		}
	}
}
