package history

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// RowStats are the figures of one row of one run that a comparison
// shows.
type RowStats struct {
	// Present is false when the run has no such row.
	Present  bool
	Requests int64
	// Aborted counts the requests the test's stop cut short (in
	// Requests, not in the fail ratio).
	Aborted   int64
	RPS       float64 // whole-run requests per second
	FailRatio float64 // 0..1
	P50       time.Duration
	P95       time.Duration
	P99       time.Duration
}

// CompareRow is one request row across the compared runs.
type CompareRow struct {
	Type, Name string
	// Runs has one entry per compared run, in their order.
	Runs []RowStats
}

// Comparison puts the rows of several runs side by side.
type Comparison struct {
	// Runs are the compared runs' summaries, the reference first.
	Runs []Summary
	// Rows are the Aggregated row first, then every row of any run,
	// sorted by name then type.
	Rows []CompareRow
}

// Compare compares runs with the first one (the reference). Percentiles
// come from the stored histograms, so they are exact. A run compared
// with itself has zero deltas.
func Compare(runs ...*Run) (*Comparison, error) {
	c := &Comparison{}
	type key struct{ typ, name string }
	at := map[key]int{}
	c.Rows = append(c.Rows, CompareRow{Name: "Aggregated", Runs: make([]RowStats, len(runs))})
	for i, r := range runs {
		c.Runs = append(c.Runs, r.Summary)
		el := r.StatsTime.Sub(r.StatsStart).Seconds()
		stats := func(row *Row) (RowStats, error) {
			st := RowStats{Present: true, Requests: row.Requests, Aborted: row.Aborted}
			if row.Requests > 0 {
				st.FailRatio = float64(row.Failures) / float64(row.Requests)
			}
			if el > 0 {
				st.RPS = float64(row.Requests) / el
			}
			for _, p := range []struct {
				q   float64
				dst *time.Duration
			}{{0.5, &st.P50}, {0.95, &st.P95}, {0.99, &st.P99}} {
				v, err := row.Percentile(p.q)
				if err != nil {
					return st, err
				}
				*p.dst = v
			}
			return st, nil
		}
		st, err := stats(&r.Total)
		if err != nil {
			return nil, err
		}
		c.Rows[0].Runs[i] = st
		for j := range r.Rows {
			row := &r.Rows[j]
			k := key{row.Type, row.Name}
			n, ok := at[k]
			if !ok {
				n = len(c.Rows)
				at[k] = n
				c.Rows = append(c.Rows, CompareRow{Type: row.Type, Name: row.Name, Runs: make([]RowStats, len(runs))})
			}
			if c.Rows[n].Runs[i], err = stats(row); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(c.Rows[1:], func(a, b CompareRow) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
	return c, nil
}

// Delta returns the relative change from ref to v: (v-ref)/ref, 0 when
// both are 0 and +Inf when only ref is 0.
func Delta(ref, v float64) float64 {
	switch {
	case ref == v:
		return 0
	case ref == 0:
		return math.Inf(1)
	}
	return (v - ref) / ref
}
