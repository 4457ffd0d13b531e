package locust_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// uiGetJSON reads a JSON answer of the web UI at ui+path.
func uiGetJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// uiRunOnce starts a two-second test (long enough to be seen running at a
// stats tick, which is when the web UI mode records a test) through POST /swarm and waits until
// the run store has want runs.
func uiRunOnce(t *testing.T, ui string, want int) {
	t.Helper()
	resp, err := http.PostForm(ui+"swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"20"}, "run_time": {"2s"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /swarm: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Runs []struct {
				Status string `json:"status"`
				Users  int    `json:"users"`
			} `json:"runs"`
		}
		uiGetJSON(t, ui+"history/runs", &list)
		if len(list.Runs) == want && list.Runs[0].Status == "finished" {
			if list.Runs[0].Users != 2 {
				t.Errorf("the run has %d users, want the form's 2", list.Runs[0].Users)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	var last any
	uiGetJSON(t, ui+"history/runs", &last)
	t.Fatalf("the run store does not have %d finished runs: %v", want, last)
}

// The History tab lists the runs of this program's store, opens one
// read-only with its statistics, charts and report, compares two and
// deletes one.
func TestBrowserHistoryPage(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	target := browserTarget(t)
	db := filepath.Join(t.TempDir(), "runs.db")
	ui := startUI(t, "-H", target.URL, "--history", db)
	uiRunOnce(t, ui, 1)
	uiRunOnce(t, ui, 2)

	do(t, ctx, chromedp.Navigate(ui+"#history"))
	waitJS(t, ctx, "History tab", `!document.getElementById('tab-btn-history').hidden`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="history"]`)))
	waitJS(t, ctx, "two runs", `document.querySelectorAll('#history-table tbody .history-open').length === 2`)
	if txt := evalJS[string](t, ctx, `document.querySelector('#history-table tbody').textContent`); !strings.Contains(txt, target.URL) {
		t.Errorf("the list does not show the host: %q", txt)
	}
	screenshot(t, ctx, "history-01-list")

	// Open the older run.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#history-table tbody tr:nth-child(2) .history-open`)))
	waitJS(t, ctx, "run view", `!document.getElementById('history-run').hidden &&
		[...document.querySelectorAll('#history-run-stats tbody tr.total td')][2].textContent !== '0'`)
	waitJS(t, ctx, "run charts", `document.querySelectorAll('#history-run .uplot canvas').length === 3`)
	href := evalJS[string](t, ctx, `document.getElementById('history-report').href`) // resolved: the page's links are relative
	resp, err := http.Get(href)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("report %s: %v %v", href, err, resp)
	}
	resp.Body.Close()
	screenshot(t, ctx, "history-02-run")

	// Compare the two runs.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#history-run .history-back`)))
	waitJS(t, ctx, "list again", `!document.getElementById('history-list').hidden`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#history-table tbody tr:nth-child(1) .history-select`)),
		chromedp.Click(chromedp.CSS(`#history-table tbody tr:nth-child(2) .history-select`)),
		chromedp.Click(chromedp.ID("history-compare-btn")))
	waitJS(t, ctx, "comparison", `!document.getElementById('history-compare').hidden &&
		document.querySelectorAll('#history-compare-table tbody tr').length >= 2 &&
		document.querySelectorAll('#history-compare .uplot').length === 2`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#history-compare-table tbody tr.total .delta').length`); n != 5 {
		t.Errorf("the Aggregated row shows %d deltas, want 5", n)
	}
	screenshot(t, ctx, "history-03-compare")

	// Delete the newer run.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#history-compare .history-back`)))
	waitJS(t, ctx, "list again", `!document.getElementById('history-list').hidden`)
	evalJS[bool](t, ctx, `(window.confirm = () => true, true)`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#history-table tbody tr:nth-child(1) .history-delete`)))
	waitJS(t, ctx, "one run left", `document.querySelectorAll('#history-table tbody .history-open').length === 1 &&
		document.getElementById('history-note').textContent.includes('deleted')`)
	var list struct {
		Total int `json:"total"`
	}
	uiGetJSON(t, ui+"history/runs", &list)
	if list.Total != 1 {
		t.Errorf("the store has %d runs after the deletion, want 1", list.Total)
	}
	screenshot(t, ctx, "history-04-deleted")
}
