package locust

// Conversions between the statistics and the run store's records
// (package history), both ways, exactly: a stored row keeps its counts,
// exact sums and extremes and its full histogram, so a run read back
// gives the same percentiles as the live statistics.

import (
	"encoding/json"
	"fmt"

	"github.com/golocust/locust/history"
)

// historyRow converts one row of the statistics.
func historyRow(e *EntryStats) (history.Row, error) {
	row := history.Row{Type: e.Type, Name: e.Name, Requests: e.Requests, Failures: e.Failures, Aborted: e.Aborted,
		TotalTime: e.TotalTime, Min: e.Min, Max: e.Max, ContentBytes: e.ContentBytes}
	if e.hist != nil && e.hist.TotalCount() > 0 {
		enc, err := e.hist.Encode()
		if err != nil {
			return row, fmt.Errorf("failed to encode the histogram of %s %s: %w", e.Type, e.Name, err)
		}
		row.Hist = string(enc)
	}
	return row, nil
}

// historyFillStats sets the statistics of run from s: rows, total,
// failures, exceptions, schedule and time series.
func historyFillStats(run *history.Run, s *Snapshot) error {
	run.StatsStart, run.StatsTime = s.Start.UTC(), s.Time.UTC()
	run.Rows = make([]history.Row, 0, len(s.Entries))
	for _, e := range s.Entries {
		row, err := historyRow(e)
		if err != nil {
			return err
		}
		run.Rows = append(run.Rows, row)
	}
	total := s.Total
	if total == nil {
		total = &EntryStats{Name: "Aggregated"}
	}
	row, err := historyRow(total)
	if err != nil {
		return err
	}
	run.Total = row
	run.Requests, run.Failures = total.Requests, total.Failures
	run.P95, run.RPS = total.Percentile(0.95), outputFinite(total.TotalRPS)
	run.Errors = run.Errors[:0]
	for _, f := range s.Failures {
		run.Errors = append(run.Errors, history.Failure{Type: f.Type, Name: f.Name, Error: f.Error,
			Occurrences: f.Occurrences, FirstSeen: f.FirstSeen.UTC(), LastSeen: f.LastSeen.UTC()})
	}
	run.Exceptions = run.Exceptions[:0]
	for _, x := range s.Exceptions {
		run.Exceptions = append(run.Exceptions, history.Exception{Message: x.Message, Traceback: x.Traceback,
			Count: x.Count, Nodes: x.Nodes})
	}
	run.Schedule = nil
	if !s.Schedule.Empty() {
		labels := make([]string, len(Percentiles))
		for i, q := range Percentiles {
			labels[i] = outputPercentileLabel(q)
		}
		b, err := json.Marshal(jsonNewSchedule(s.Schedule, labels))
		if err != nil {
			return fmt.Errorf("failed to encode the schedule statistics: %w", err)
		}
		run.Schedule = b
	}
	run.Points = run.Points[:0]
	for _, p := range s.History {
		run.Points = append(run.Points, history.Point{Time: p.Time.UTC(), Users: p.Users, Requests: p.Requests,
			Failures: p.Failures, RPS: outputFinite(p.CurrentRPS), FailPerSec: outputFinite(p.CurrentFailPerSec),
			P50: p.P50, P95: p.P95, P99: p.P99, AvgTime: p.AvgTime})
	}
	return nil
}

// HistorySnapshot rebuilds the final statistics of a stored run, with
// its histograms, so that thresholds (see [EvaluateThresholdsBaseline])
// and percentiles work on it as on a live run's. Current (windowed)
// rates and percentiles are not stored and are zero; the schedule
// statistics are not rebuilt.
func HistorySnapshot(r *history.Run) (*Snapshot, error) {
	s := &Snapshot{Start: r.StatsStart, Time: r.StatsTime}
	if s.Start.IsZero() {
		s.Start = r.Start
	}
	if s.Time.IsZero() {
		s.Time = r.Updated
	}
	el := s.Time.Sub(s.Start).Seconds()
	entry := func(row *history.Row) (*EntryStats, error) {
		e := &EntryStats{Type: row.Type, Name: row.Name, Requests: row.Requests, Failures: row.Failures,
			Aborted: row.Aborted, TotalTime: row.TotalTime, Min: row.Min, Max: row.Max, ContentBytes: row.ContentBytes}
		h, err := row.Histogram()
		if err != nil {
			return nil, err
		}
		if h == nil {
			h = newStatsPacked()
		}
		e.hist = h
		e.setTotalRates(el)
		return e, nil
	}
	for i := range r.Rows {
		e, err := entry(&r.Rows[i])
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.ID, err)
		}
		s.Entries = append(s.Entries, e)
	}
	statsSortEntries(s.Entries)
	total, err := entry(&r.Total)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.ID, err)
	}
	if total.Name == "" {
		total.Name = "Aggregated"
	}
	s.Total = total
	for _, f := range r.Errors {
		s.Failures = append(s.Failures, FailureStats{Type: f.Type, Name: f.Name, Error: f.Error,
			Occurrences: f.Occurrences, FirstSeen: f.FirstSeen, LastSeen: f.LastSeen})
	}
	for _, x := range r.Exceptions {
		s.Exceptions = append(s.Exceptions, ExceptionStats{Message: x.Message, Traceback: x.Traceback, Count: x.Count, Nodes: x.Nodes})
	}
	for _, p := range r.Points {
		s.History = append(s.History, HistoryPoint{Time: p.Time, Users: p.Users, CurrentRPS: p.RPS,
			CurrentFailPerSec: p.FailPerSec, P50: p.P50, P95: p.P95, P99: p.P99, AvgTime: p.AvgTime,
			Requests: p.Requests, Failures: p.Failures})
	}
	return s, nil
}

// historyThresholds converts a verdict's results.
func historyThresholds(v *Verdict) []history.ThresholdResult {
	if v == nil {
		return nil
	}
	out := make([]history.ThresholdResult, 0, len(v.Results))
	for _, r := range v.Results {
		t := history.ThresholdResult{Threshold: r.Threshold.String(), Pass: r.Pass, Observed: r.ObservedText(), Note: r.Note}
		if r.Threshold.Baseline > 0 {
			t.Baseline = r.BaselineText()
		}
		out = append(out, t)
	}
	return out
}
