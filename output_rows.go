package locust

import (
	"cmp"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// manyRows is how many distinct rows (request types and names) make the
// session warn that requests should be grouped under fewer names.
const manyRows = 1000

// rowsWarning is an output that warns once when the statistics have more
// than manyRows rows: usually URLs with ids or query strings recorded
// under their own names. Each row keeps its own counters and histograms
// (about 2.5 KB for a row with a few samples a second, see BENCHMARKS.md),
// and tables of thousands of rows help no one.
type rowsWarning struct {
	log    *slog.Logger
	warned bool
}

func (w *rowsWarning) onTick(s *Snapshot, _ int) {
	if w.warned || len(s.Entries) <= manyRows {
		return
	}
	w.warned = true
	w.log.Warn("more than 1,000 distinct request names: group them, for example with locust.Name(\"/items/[id]\") or locust.ContextWithName",
		"rows", len(s.Entries))
}

func (w *rowsWarning) onFinish(*runResult) {}

// The helpers below derive Locust's computed columns from an entry and
// order the error reports; they are shared by the console, CSV, HTML and
// JSON outputs.

// outputFailRatio returns failures/requests as Locust does: 1 with
// failures but no requests, 0 with neither.
func outputFailRatio(e *EntryStats) float64 {
	switch {
	case e.Requests > 0:
		return float64(e.Failures) / float64(e.Requests)
	case e.Failures > 0:
		return 1
	}
	return 0
}

// outputPercentile returns the duration of quantile q (0..1) of e, zero
// without requests. It is clamped into the exact [Min, Max] range: the
// histogram's buckets would otherwise report, say, a 100% of 100.031 ms
// for a maximum of exactly 100 ms.
func outputPercentile(e *EntryStats, q float64) time.Duration {
	if e.Requests == 0 {
		return 0
	}
	return min(max(e.Percentile(q), e.Min), e.Max)
}

// outputMedian returns the median duration, zero without requests.
func outputMedian(e *EntryStats) time.Duration {
	return outputPercentile(e, 0.5)
}

// outputMin returns the shortest duration, zero without requests.
func outputMin(e *EntryStats) time.Duration {
	if e.Requests == 0 {
		return 0
	}
	return e.Min
}

// outputFinite returns x, or 0 when x is NaN or infinite (which no
// output format can show).
func outputFinite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// outputPercentileLabel returns the label of quantile q as Locust writes
// it without the "%": "50", "99.9", "99.99", "100".
func outputPercentileLabel(q float64) string {
	p := q * 100
	if p == math.Trunc(p) {
		return strconv.FormatFloat(p, 'f', 0, 64)
	}
	p = math.Round(p*1e6) / 1e6
	s := strconv.FormatFloat(p, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0" // Python prints the rounded float, e.g. "29.0"
	}
	return s
}

// outputSortedFailures returns the failures most frequent first, then by
// name, type and error, so that every output lists them in the same,
// reproducible order.
func outputSortedFailures(fs []FailureStats) []FailureStats {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b FailureStats) int {
		return cmp.Or(cmp.Compare(b.Occurrences, a.Occurrences), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Type, b.Type), cmp.Compare(a.Error, b.Error))
	})
	return fs
}

// outputSortedExceptions returns the exceptions most frequent first, then
// by message and traceback.
func outputSortedExceptions(es []ExceptionStats) []ExceptionStats {
	es = slices.Clone(es)
	slices.SortStableFunc(es, func(a, b ExceptionStats) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message),
			cmp.Compare(a.Traceback, b.Traceback))
	})
	return es
}
