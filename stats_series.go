package locust

// The time series of the charts beyond the Aggregated row's fixed
// percentiles: the chart percentiles of every history point (Locust's
// PERCENTILES_TO_CHART) and, for the web UI's per-row charts, a bounded
// series per request row.

import (
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Bounds of the chart series.
const (
	// MaxChartPercentiles is how many chart percentiles
	// [Stats.SetChartPercentiles] accepts, as Locust's
	// PERCENTILES_TO_CHART.
	MaxChartPercentiles = 6
	// RowSeriesPoints is how many points a row's series keeps: the
	// latest 30 minutes at the default one-second stats interval.
	RowSeriesPoints = 1800
	// RowSeriesRows is how many rows get a series: the first ones to
	// see a tick; later rows have none.
	RowSeriesRows = 50
)

// statsSeries is the part of [Stats] that keeps the chart series. Its
// fields are guarded by Stats.mu.
type statsSeries struct {
	quantiles []float64 // chart percentiles, 0 < q <= 1
	rowsOn    bool      // keep per-row series
	rows      map[statsRowKey]*statsRing
	scratch   *hdr.PackedHistogram
}

// statsRing is a row's series: up to RowSeriesPoints points, the oldest
// overwritten first.
type statsRing struct {
	pts  []seriesPoint
	next int // where the next point goes once pts is full
}

// seriesPoint is one compact point of a row's series (40 bytes):
// RowSeriesRows*RowSeriesPoints of them bound the memory at 3.6 MB.
type seriesPoint struct {
	t        int64 // Unix milliseconds
	rps, fps float32
	p        [MaxChartPercentiles]uint32 // µs (histograms stop at 1 h < 2^32 µs)
}

func (r *statsRing) add(p seriesPoint) {
	if len(r.pts) < RowSeriesPoints {
		r.pts = append(r.pts, p)
		return
	}
	r.pts[r.next] = p
	r.next = (r.next + 1) % RowSeriesPoints
}

// CheckChartPercentiles checks a list of chart percentiles: quantiles
// with 0 < q <= 1, at most MaxChartPercentiles, none twice.
func CheckChartPercentiles(qs []float64) error {
	if len(qs) > MaxChartPercentiles {
		return fmt.Errorf("%d chart percentiles: at most %d allowed", len(qs), MaxChartPercentiles)
	}
	return checkQuantiles(qs)
}

// checkQuantiles requires 0 < q <= 1 and no duplicates.
func checkQuantiles(qs []float64) error {
	for i, q := range qs {
		if math.IsNaN(q) || q <= 0 || q > 1 {
			return fmt.Errorf("quantile %v: allowed 0 < q <= 1 (percentile 0 < p <= 100)", q)
		}
		for _, o := range qs[:i] {
			if o == q {
				return fmt.Errorf("quantile %v is given twice", q)
			}
		}
	}
	return nil
}

// SetChartPercentiles sets the quantiles (0 < q <= 1, at most
// [MaxChartPercentiles]) whose current (windowed) values each later
// [HistoryPoint] holds in Percentiles, in this order, as Locust's
// PERCENTILES_TO_CHART; nil keeps none besides P50, P95 and P99. Points
// already taken keep what they hold.
func (s *Stats) SetChartPercentiles(qs []float64) error {
	if err := CheckChartPercentiles(qs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series.quantiles = append([]float64(nil), qs...)
	return nil
}

// ChartPercentiles returns the quantiles set by
// [Stats.SetChartPercentiles].
func (s *Stats) ChartPercentiles() []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]float64(nil), s.series.quantiles...)
}

// KeepRowSeries makes the statistics keep, from the next tick on, a time
// series per request row for the web UI's per-row charts: at each tick
// the row's current requests and failures per second and its current
// chart percentiles. The memory is bounded: the first [RowSeriesRows]
// rows get a series, each of the latest [RowSeriesPoints] points (40
// bytes each, 3.6 MB at most in all).
func (s *Stats) KeepRowSeries() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series.rowsOn = true
}

// RowSeries returns the series of the row (typ, name), oldest first: each
// point has Time, CurrentRPS, CurrentFailPerSec and Percentiles (at the
// chart percentiles); its other fields are zero. ok is false when the
// row has no series (series not kept, no such row, or beyond
// [RowSeriesRows]).
func (s *Stats) RowSeries(typ, name string) (points []HistoryPoint, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.series.rows[statsRowKey{typ, name}]
	if r == nil {
		return nil, false
	}
	n := len(s.series.quantiles)
	out := make([]HistoryPoint, 0, len(r.pts))
	add := func(p seriesPoint) {
		h := HistoryPoint{Time: time.UnixMilli(p.t), CurrentRPS: float64(p.rps), CurrentFailPerSec: float64(p.fps),
			Percentiles: make([]time.Duration, n)}
		for i := range n {
			h.Percentiles[i] = time.Duration(p.p[i]) * time.Microsecond
		}
		out = append(out, h)
	}
	for _, p := range r.pts[r.next:] {
		add(p)
	}
	for _, p := range r.pts[:r.next] {
		add(p)
	}
	return out, true
}

// seriesTickLocked completes the history point just appended (its chart
// percentiles, from the total's entry t) and adds a point to every row's
// series. span is the current window's length in seconds. Call with
// s.mu held, before the tick advances.
func (s *Stats) seriesTickLocked(now time.Time, t *EntryStats, span float64) {
	ss := &s.series
	if len(ss.quantiles) > 0 && len(s.history) > 0 {
		h := &s.history[len(s.history)-1]
		h.Percentiles = make([]time.Duration, len(ss.quantiles))
		for i, q := range ss.quantiles {
			h.Percentiles[i] = t.CurrentPercentile(q)
		}
	}
	if !ss.rowsOn {
		return
	}
	if ss.rows == nil {
		ss.rows = map[statsRowKey]*statsRing{}
		ss.scratch = newStatsPacked()
	}
	for k, r := range s.rows {
		ring := ss.rows[k]
		if ring == nil {
			if len(ss.rows) >= RowSeriesRows {
				continue
			}
			ring = &statsRing{}
			ss.rows[k] = ring
		}
		p := seriesPoint{t: now.UnixMilli()}
		ss.scratch.Reset()
		req, fail := r.window(func(h *hdr.PackedHistogram) { ss.scratch.Merge(h) })
		if span > 0 {
			p.rps, p.fps = float32(float64(req)/span), float32(float64(fail)/span)
		}
		if ss.scratch.TotalCount() > 0 {
			for i, q := range ss.quantiles {
				p.p[i] = uint32(min(statsHistPercentile(ss.scratch, q)/time.Microsecond, math.MaxUint32))
			}
		}
		ring.add(p)
	}
}

// resetSeries drops the rows' series (a new statistics period).
func (s *statsSeries) reset() {
	clear(s.rows)
}
