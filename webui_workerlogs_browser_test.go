package locust_test

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/golocust/locust"
)

// TestBrowserWorkerLogs runs a master program with the web UI and a real
// worker over loopback that forwards its log: the worker's lines show in
// the Logs tab after its id, with the master's own.
func TestBrowserWorkerLogs(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui, _, logs := startUIProgramLogs(t, &locust.Program{Classes: []locust.UserClass{shopClass()}},
		"--master", "--master-bind-port", "0", "-H", target.URL)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(distMasterPort(t, 5*time.Second, logs)))
	w, err := locust.NewWorkerRunner(locust.Config{Classes: []locust.UserClass{shopClass()}, Logger: slog.New(slog.DiscardHandler)},
		locust.WorkerOptions{MasterAddr: addr, ID: "logw_1", ForwardLogs: true, HeartbeatInterval: 250 * time.Millisecond})
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

	do(t, ctx, chromedp.Navigate(ui+"#logs"), chromedp.WaitVisible(chromedp.ID("start-dialog")),
		chromedp.Click(chromedp.ID("start-cancel")))
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="logs"]`)))
	// The Logs tab refreshes every 5 s while shown.
	pctx, pcancel := context.WithTimeout(ctx, 15*time.Second)
	defer pcancel()
	expr := `(() => { const t = document.getElementById('log-lines').textContent;
		return t.includes('/INFO/locust: Starting web interface at ') && /(^|\n)logw_1: \[[^\]]+\] [^\n]*\/INFO\/locust: connected to the master/.test(t); })()`
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		screenshot(t, ctx, "failed-worker-logs")
		t.Fatalf("the worker's line is not in the Logs tab: %v\n%s", err, evalJS[string](t, ctx, `document.getElementById('log-lines').textContent`))
	}
	screenshot(t, ctx, "worker-logs")
}
