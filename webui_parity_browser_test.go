package locust_test

// Browser tests of the web UI features that match current Locust's: the
// start form's run time, the Download Report link and its titled report,
// and the dark theme that follows the system setting.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The run time typed in the start form's advanced options ends the test,
// as -t does; the Download Report link then downloads the report titled
// "Test Report for <program>".
func TestBrowserRunTimeAndReportLink(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui := startUI(t, "-H", target.URL, "-u", "2", "-r", "20")
	downloads := t.TempDir()
	allowDownloads(t, ctx, downloads)
	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("start-dialog")),
		chromedp.Click(chromedp.CSS("#advanced summary")), chromedp.WaitVisible(chromedp.ID("f-runtime")),
		chromedp.SetValue(chromedp.ID("f-runtime"), "2s"), chromedp.Click(chromedp.ID("start-submit")))
	waitJS(t, ctx, "dialog closed", `!document.getElementById('start-dialog').open`)
	waitJS(t, ctx, "state running", `document.getElementById('h-state').textContent === 'running'`)
	waitJS(t, ctx, "stopped by the run time", `document.getElementById('h-state').textContent === 'stopped'`)
	if txt := evalJS[string](t, ctx, `document.getElementById('btn-report').textContent`); txt != "Download Report" {
		t.Errorf("report link text %q", txt)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("btn-report")))
	var report string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && report == ""; time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(downloads, "*.html"))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			if err == nil && strings.Contains(string(b), "</html>") {
				report = string(b)
			}
		}
	}
	if report == "" {
		t.Fatal("the Download Report link downloaded no report")
	}
	if !strings.Contains(report, "<title>Test Report for ") {
		t.Errorf("the report has no Locust-style title: %.300s", report)
	}
	screenshot(t, ctx, "parity-01-stopped-by-run-time")
}

// The UI and the report follow the system's dark setting.
func TestBrowserDarkTheme(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	ui := startUI(t, "-u", "1", "-r", "1")
	bg := `getComputedStyle(document.body).backgroundColor`
	do(t, ctx, chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("start-dialog")))
	if c := evalJS[string](t, ctx, bg); c != "rgb(246, 247, 249)" {
		t.Errorf("light background %q", c)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "dark background", bg+` === 'rgb(11, 17, 32)'`)
	screenshot(t, ctx, "parity-02-dark")
	do(t, ctx, chromedp.Navigate(ui+"stats/report"))
	waitJS(t, ctx, "report rendered", `document.body.dataset.rendered === 'true'`)
	waitJS(t, ctx, "dark report", bg+` === 'rgb(11, 17, 32)'`)
	if title := evalJS[string](t, ctx, `document.getElementById('report-title').textContent`); !strings.HasPrefix(title, "Test Report") {
		t.Errorf("report heading %q", title)
	}
}

// The Logs tab shows the lines the program logged, as text.
func TestBrowserLogsTab(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	ui := startUI(t, "-u", "1", "-r", "1")
	do(t, ctx, chromedp.Navigate(ui+"#logs"), chromedp.WaitVisible(chromedp.ID("start-dialog")),
		chromedp.Click(chromedp.ID("start-cancel")))
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="logs"]`)))
	waitJS(t, ctx, "the program's line", `document.getElementById('log-lines').textContent.includes('/INFO/locust: Starting web interface at ')`)
	screenshot(t, ctx, "parity-03-logs")
}
