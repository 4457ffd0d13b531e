package locust_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/golocust/locust"
)

// TestBrowserMaster runs a master program without --headless and two
// in-process workers: the dashboard started from the form shows the
// cluster's statistics, the header counts 2 workers and the Workers tab
// lists them with their users.
func TestBrowserMaster(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui, _, logs := startUIProgramLogs(t, &locust.Program{Classes: []locust.UserClass{shopClass()}},
		"--master", "--master-bind-port", "0", "-H", target.URL)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(distMasterPort(t, 5*time.Second, logs)))
	for range 2 {
		w, err := locust.NewWorkerRunner(locust.Config{Classes: []locust.UserClass{shopClass()}},
			locust.WorkerOptions{MasterAddr: addr, ReportInterval: 250 * time.Millisecond, HeartbeatInterval: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = w.Run(wctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}

	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("start-dialog")))
	if !evalJS[bool](t, ctx, `document.getElementById('f-classes').hidden`) {
		t.Error("the master's form shows a class picker")
	}
	waitJS(t, ctx, "2 workers in the header", `!document.getElementById('h-workers-box').hidden &&
		document.getElementById('h-workers').textContent === '2'`)
	do(t, ctx, chromedp.SetValue(chromedp.ID("f-users"), "4"), chromedp.SetValue(chromedp.ID("f-rate"), "40"),
		chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "dialog closed", `!document.getElementById('start-dialog').open`)
	waitJS(t, ctx, "4 users", `document.getElementById('h-users').textContent === '4'`)
	waitJS(t, ctx, "rows", `document.querySelectorAll('#stats-table tbody tr').length >= 4 &&
		[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent !== '0'`)

	do(t, ctx, chromedp.Click(chromedp.ID("tab-btn-workers")))
	waitJS(t, ctx, "two worker rows with 2 users each", `(() => {
		const rows = [...document.querySelectorAll('#workers-table tbody tr')];
		return rows.length === 2 && rows.every(r => r.textContent.includes('running') && [...r.cells].some(c => c.textContent === '2'));
	})()`)
	rows := evalJS[[]string](t, ctx, `[...document.querySelectorAll('#workers-table tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('|'))`)
	for _, r := range rows {
		if !strings.Contains(r, "_") { // ids are hostname_random
			t.Errorf("worker row %q", r)
		}
	}
	screenshot(t, ctx, "20-master-workers")

	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="stats"]`)), chromedp.Click(chromedp.ID("btn-stop")))
	waitJS(t, ctx, "stopped", `document.getElementById('h-state').textContent === 'stopped'`)
}
