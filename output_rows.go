package locust

import "log/slog"

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
