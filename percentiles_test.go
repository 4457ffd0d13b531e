package locust

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/internal/cli"
)

func TestPercentileOptions(t *testing.T) {
	o, _ := optParse(t, "", nil, "--headless")
	if _, err := o.config(optTestClasses("A")); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.pct.reportQ, Percentiles) || !slices.Equal(o.pct.chartQ, []float64{0.5, 0.95, 0.99}) {
		t.Errorf("defaults: %v and %v, want Locust's PERCENTILES_TO_REPORT and 50,95,99", o.pct.reportQ, o.pct.chartQ)
	}
	o, _ = optParse(t, "", map[string]string{"LOCUST_CHART_PERCENTILES": "50, 99.9"}, "--headless", "--percentiles", "50,90,95,99,99.9,100")
	if _, err := o.config(optTestClasses("A")); err != nil {
		t.Fatal(err)
	}
	if want := []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1}; !slices.Equal(o.pct.reportQ, want) {
		t.Errorf("--percentiles: %v, want %v", o.pct.reportQ, want)
	}
	if want := []float64{0.5, 0.999}; !slices.Equal(o.pct.chartQ, want) {
		t.Errorf("LOCUST_CHART_PERCENTILES: %v, want %v", o.pct.chartQ, want)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--percentiles", "0"}, `--percentiles "0": "0" is not a percentile: allowed a number with 0 < p <= 100`},
		{[]string{"--percentiles", "50,100.5"}, `"100.5" is not a percentile`},
		{[]string{"--percentiles", "-5"}, `"-5" is not a percentile`},
		{[]string{"--percentiles", "NaN"}, `"NaN" is not a percentile`},
		{[]string{"--percentiles", "p95"}, `"p95" is not a percentile`},
		{[]string{"--percentiles", "50,,95"}, "an empty item"},
		{[]string{"--percentiles", ""}, "an empty item"},
		{[]string{"--percentiles", "95,95.0"}, "95.0 is given twice"},
		{[]string{"--chart-percentiles", "0.0"}, `--chart-percentiles "0.0": "0.0" is not a percentile`},
		{[]string{"--chart-percentiles", "10,20,30,40,50,60,70"}, "--chart-percentiles \"10,20,30,40,50,60,70\": 7 percentiles, at most 6 allowed"},
	} {
		o, _ := optParse(t, "", nil, append([]string{"--headless"}, tt.args...)...)
		_, err := o.config(optTestClasses("A"))
		var ue *cli.UsageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
}

func TestPercentileColumnsCSVAndConsole(t *testing.T) {
	s := outputTestSnapshot(t)
	qs := []float64{0.5, 0.9, 0.999}
	prefix := filepath.Join(t.TempDir(), "run")
	c, err := newCSVWriterQuantiles(prefix, false, defaultOutputMode, qs)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.close(s, 1); err != nil {
		t.Fatal(err)
	}
	recs := csvTestParse(t, csvTestRead(t, prefix+"_stats.csv"))
	if h := strings.Join(recs[0][11:], ","); h != "50%,90%,99.9%" {
		t.Errorf("stats.csv percentile columns %q", h)
	}
	for _, r := range recs[1:] {
		if r[1] == "GET /" || r[0]+" "+r[1] == "GET /" {
			if got := strings.Join(r[11:], ","); got != "50,90,100" {
				t.Errorf("GET / percentiles %q, want 50,90,100", got)
			}
		}
	}
	hist := csvTestParse(t, csvTestRead(t, prefix+"_stats_history.csv"))
	if h := strings.Join(hist[0][6:9], ","); h != "50%,90%,99.9%" || hist[0][9] != "Total Request Count" {
		t.Errorf("stats_history.csv header %q", hist[0])
	}
	for _, r := range hist[1:] {
		if len(r) != len(hist[0]) {
			t.Errorf("history record of %d fields, header %d", len(r), len(hist[0]))
		}
	}
	var b bytes.Buffer
	if err := writePercentileTableOf(&b, s, 40, qs); err != nil {
		t.Fatal(err)
	}
	head := strings.Fields(strings.Split(b.String(), "\n")[1])
	if got := strings.Join(head, " "); got != "Type Name 50% 90% 99.9% # reqs" {
		t.Errorf("console percentile table header %q", got)
	}
}

func TestStatsChartPercentiles(t *testing.T) {
	s := NewStats("local")
	if err := s.SetChartPercentiles([]float64{0.5, 0.9, 1.5}); err == nil {
		t.Error("a quantile above 1 was accepted")
	}
	if err := s.SetChartPercentiles(make([]float64, 7)); err == nil {
		t.Error("7 chart percentiles were accepted")
	}
	if err := s.SetChartPercentiles([]float64{0.5, 0.999}); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		s.Record(Sample{Type: "GET", Name: "/a", Duration: time.Duration(i+1) * time.Millisecond})
	}
	s.advance(1)
	h := s.Snapshot().History
	if len(h) != 1 || len(h[0].Percentiles) != 2 {
		t.Fatalf("history %+v, want one point with 2 chart percentiles", h)
	}
	// HDR histograms: exact to 3 significant digits.
	if p := h[0].Percentiles; p[0] < 499*time.Millisecond || p[0] > 501*time.Millisecond || p[1] < 998*time.Millisecond || p[1] > 1000*time.Millisecond {
		t.Errorf("chart percentiles %v, want 500ms and 999ms", p)
	}
}

// TestStatsRowSeriesBounded checks the per-row series: one point per
// tick with the row's own rates and percentiles, at most RowSeriesRows
// rows and RowSeriesPoints points each, none without KeepRowSeries,
// emptied by a reset.
func TestStatsRowSeriesBounded(t *testing.T) {
	s := NewStats("local")
	_ = s.SetChartPercentiles([]float64{0.5, 0.99})
	s.Record(Sample{Type: "GET", Name: "/a", Duration: 10 * time.Millisecond})
	s.advance(1)
	if _, ok := s.RowSeries("GET", "/a"); ok {
		t.Error("a series without KeepRowSeries")
	}
	s.KeepRowSeries()
	for tick := range 3 {
		s.Record(Sample{Type: "GET", Name: "/a", Duration: 10 * time.Millisecond})
		s.Record(Sample{Type: "GET", Name: "/a", Duration: 30 * time.Millisecond, Err: errors.New("boom")})
		s.advance(1)
		if tick == 0 {
			// More rows than the bound, after /a has its series: which of
			// the rows first seen at one tick get one is not ordered.
			for i := range RowSeriesRows + 5 {
				s.Record(Sample{Type: "GET", Name: "/r" + string(rune('A'+i)), Duration: time.Millisecond})
			}
		}
	}
	pts, ok := s.RowSeries("GET", "/a")
	if !ok || len(pts) != 3 {
		t.Fatalf("series of /a: %d points, %v", len(pts), ok)
	}
	last := pts[2]
	if last.CurrentRPS <= 0 || last.CurrentFailPerSec <= 0 || last.CurrentFailPerSec >= last.CurrentRPS || len(last.Percentiles) != 2 ||
		last.Percentiles[0] < 9*time.Millisecond || last.Percentiles[0] > 11*time.Millisecond ||
		last.Percentiles[1] < 29*time.Millisecond || last.Percentiles[1] > 31*time.Millisecond {
		t.Errorf("last point %+v", last)
	}
	rows := 0
	s.mu.Lock()
	rows = len(s.series.rows)
	s.mu.Unlock()
	if rows != RowSeriesRows {
		t.Errorf("%d rows with a series, want the bound %d", rows, RowSeriesRows)
	}
	for range RowSeriesPoints + 10 {
		s.advance(1)
	}
	pts, _ = s.RowSeries("GET", "/a")
	if len(pts) != RowSeriesPoints || !pts[0].Time.Before(pts[len(pts)-1].Time) && !pts[0].Time.Equal(pts[len(pts)-1].Time) {
		t.Errorf("%d points after %d ticks, want the bound %d, oldest first", len(pts), RowSeriesPoints+13, RowSeriesPoints)
	}
	s.Reset()
	if _, ok := s.RowSeries("GET", "/a"); ok {
		t.Error("a series survived a reset")
	}
}
