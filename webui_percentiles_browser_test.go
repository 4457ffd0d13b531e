package locust_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPercentileColumns picks the statistics table's percentile
// columns among --percentiles: the choice changes the columns, survives
// a reload (localStorage), and the charts draw the --chart-percentiles.
func TestBrowserPercentileColumns(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui := startUI(t, "-H", target.URL, "-u", "2", "-r", "20", "--autostart",
		"--percentiles", "50,90,95,99,99.9", "--chart-percentiles", "50,90,99.9")
	do(t, ctx, chromedp.Navigate(ui))
	waitJS(t, ctx, "rows", `document.querySelectorAll('#stats-table tbody tr').length >= 3 &&
		[...document.querySelectorAll('#stats-table tbody tr.total td')][2].textContent !== '0'`)
	heads := func() string {
		return evalJS[string](t, ctx, `[...document.querySelectorAll('#stats-table th')].map(th => th.textContent).join('|')`)
	}
	if h := heads(); !strings.Contains(h, "Median (ms)|95%ile (ms)|99%ile (ms)|Average") {
		t.Errorf("default columns: %s", h)
	}
	offered := evalJS[string](t, ctx, `[...document.querySelectorAll('#pct-picker .pct-choice')].map(c => c.value).join(',')`)
	if offered != "0.5,0.9,0.95,0.99,0.999" {
		t.Errorf("offered percentiles %q, want those of --percentiles", offered)
	}
	// Show the 99.9th, hide the 95th.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#pct-picker summary`)),
		chromedp.Click(chromedp.CSS(`#pct-picker .pct-choice[value="0.999"]`)),
		chromedp.Click(chromedp.CSS(`#pct-picker .pct-choice[value="0.95"]`)))
	waitJS(t, ctx, "99.9 column", `[...document.querySelectorAll('#stats-table th')].map(th => th.textContent).join('|').includes('Median (ms)|99%ile (ms)|99.9%ile (ms)|Average')`)
	// The Aggregated row's 99.9th is the server's.
	i := evalJS[int](t, ctx, `[...document.querySelectorAll('#stats-table th')].findIndex(th => th.textContent === '99.9%ile (ms)')`)
	if v := evalJS[string](t, ctx, `[...document.querySelectorAll('#stats-table tbody tr.total td')][`+strconv.Itoa(i)+`].textContent`); v == "" || v == "—" {
		t.Errorf("the 99.9th percentile cell is %q", v)
	}
	screenshot(t, ctx, "pct-01-columns")
	do(t, ctx, chromedp.Reload())
	waitJS(t, ctx, "choice kept after a reload", `[...document.querySelectorAll('#stats-table th')].map(th => th.textContent).join('|').includes('Median (ms)|99%ile (ms)|99.9%ile (ms)|Average')`)

	// The response time chart has one line per chart percentile, and the
	// average.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="charts"]`)))
	waitJS(t, ctx, "charts", `document.querySelectorAll('#tab-charts .uplot canvas').length === 3`)
	legend := `[...document.querySelectorAll('#chart-rt .u-legend .u-series')].slice(1).map(l => l.querySelector('.u-label').textContent).join('|')`
	if got := evalJS[string](t, ctx, legend); got != "50th percentile|90th percentile|99.9th percentile|Average" {
		t.Errorf("response time chart lines: %q", got)
	}
}

// TestBrowserRowChart ticks a row of the statistics table and sees its
// own charts in the Charts tab, from the server's per-row series.
func TestBrowserRowChart(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	target := browserTarget(t)
	ui := startUI(t, "-H", target.URL, "-u", "2", "-r", "20", "--autostart")
	do(t, ctx, chromedp.Navigate(ui))
	waitJS(t, ctx, "item row", `[...document.querySelectorAll('#stats-table tbody tr')].some(r => r.cells.length > 1 && r.cells[1].textContent === '/item/[id]')`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('#stats-table tbody tr.total .row-chart').length`); n != 0 {
		t.Errorf("the Aggregated row has %d chart boxes", n)
	}
	// The table is redrawn every second: click in one event, not a
	// mouse press and release that a redraw may split.
	tick := `document.querySelector('#stats-table .row-chart[data-name="/item/[id]"]').click()`
	evalJS[any](t, ctx, tick)
	waitJS(t, ctx, "the box ticked", `document.querySelector('#stats-table .row-chart[data-name="/item/[id]"]').checked`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="charts"]`)))
	waitJS(t, ctx, "the row's charts", `(() => {
		const card = document.querySelector('#row-charts .row-chart-card[data-name="/item/[id]"]');
		return card && card.querySelector('h4').textContent === 'GET /item/[id]' && card.querySelectorAll('.uplot canvas').length === 2;
	})()`)
	// Its request rate is drawn: green pixels of the RPS line.
	waitJS(t, ctx, "row chart data", `(() => { const c = document.querySelector('#row-charts .row-chart-card canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+1] > 120 && d[i] < 60 && d[i+2] < 110) n++;
		return n > 10; })()`)
	screenshot(t, ctx, "rowchart-01")
	// Unticking removes it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="stats"]`)))
	evalJS[any](t, ctx, tick)
	do(t, ctx, chromedp.Click(chromedp.CSS(`.tabs [data-tab="charts"]`)))
	waitJS(t, ctx, "no row charts", `document.querySelectorAll('#row-charts .row-chart-card').length === 0`)
}
