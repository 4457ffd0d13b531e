package webui

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golocust/locust/audit"
	"github.com/golocust/locust/history"
)

// History is the run store the History page browses: a
// [*history.Store] and a way to show a stored run as the live pages show
// a test. Package locust implements it over the store the program
// opened. Its methods must be safe for concurrent use.
type History interface {
	// List, Count, Get and Delete are those of [history.Store].
	List(ctx context.Context, f history.Filter) ([]history.Summary, error)
	Count(ctx context.Context, f history.Filter) (int, error)
	Get(ctx context.Context, id string) (*history.Run, error)
	Delete(ctx context.Context, id string) error
	// View returns a stored run as the view of a stopped test: its
	// final statistics per row, failures, exceptions, thresholds and
	// time series.
	View(r *history.Run) (*View, error)
}

// historyBox holds the History of a server, set at any time.
type historyBox struct{ h History }

// SetHistory gives the server a run store, or none with nil: without
// one the /history endpoints answer 404 and the page hides its History
// tab. It is safe to call while the server runs.
func (s *Server) SetHistory(h History) {
	if h == nil {
		s.hist.Store(nil)
		return
	}
	s.hist.Store(&historyBox{h})
}

// historyOf returns the server's History, or answers 404 and nil.
func (s *Server) historyOf(w http.ResponseWriter) History {
	b := s.hist.Load()
	if b == nil {
		writeJSON(w, http.StatusNotFound, errorBody{Message: "this program keeps no run history: start it with --history PATH|DSN (on by default with the web UI unless --no-history)"})
		return nil
	}
	return b.h
}

// historyPageMax bounds the runs of one page of the list.
const historyPageMax = 500

// historyListItem is a run of the list.
type historyListItem struct {
	history.Summary
	DurationSecs float64 `json:"duration"`
	FailRatio    float64 `json:"fail_ratio"`
}

func historyItem(s history.Summary) historyListItem {
	return historyListItem{Summary: s, DurationSecs: s.Duration().Seconds(), FailRatio: s.FailRatio()}
}

// historyDate parses a since/until parameter: a date (2006-01-02, UTC) or
// an RFC 3339 time.
func historyDate(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, badField(name, "%s must be a date (2006-01-02) or an RFC 3339 time, got %q", name, truncate(v, 100))
}

// historyFilter reads the filters and the page of GET /history/runs.
func historyFilter(r *http.Request) (history.Filter, error) {
	var f history.Filter
	q := r.URL.Query()
	for k, vs := range q {
		if len(vs) > 1 && k != "label" {
			return f, badField(k, "parameter %s given %d times: give it once", truncate(k, 100), len(vs))
		}
		v := vs[0]
		switch k {
		case "label":
			for _, kv := range vs {
				key, val, ok := strings.Cut(kv, "=")
				if !ok || key == "" {
					return f, badField("label", "label must be KEY=VALUE, got %q", truncate(kv, 100))
				}
				if f.Labels == nil {
					f.Labels = map[string]string{}
				}
				f.Labels[key] = val
			}
		case "host":
			f.Host = v
		case "profile":
			f.Profile = v
		case "since", "until":
			if v == "" {
				continue
			}
			t, err := historyDate(k, v)
			if err != nil {
				return f, err
			}
			if k == "since" {
				f.Since = t
			} else {
				if len(v) == len(time.DateOnly) {
					t = t.AddDate(0, 0, 1) // the whole day
				}
				f.Until = t
			}
		case "limit", "offset":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || k == "limit" && (n == 0 || n > historyPageMax) {
				if k == "limit" {
					return f, badField(k, "limit must be a whole number from 1 to %d, got %q", historyPageMax, truncate(v, 100))
				}
				return f, badField(k, "offset must be a whole number from 0, got %q", truncate(v, 100))
			}
			if k == "limit" {
				f.Limit = n
			} else {
				f.Offset = n
			}
		default:
			return f, badField(k, "unknown parameter %q: allowed label, host, profile, since, until, limit, offset", truncate(k, 100))
		}
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	return f, nil
}

// historyError answers an error of the store: 404 for a missing run.
func historyError(w http.ResponseWriter, err error) {
	if errors.Is(err, history.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorBody{Field: "id", Message: err.Error()})
		return
	}
	writeError(w, err)
}

// handleHistoryList serves GET /history/runs: a page of the runs the
// filters select, newest first, and how many they select in all.
func (s *Server) handleHistoryList(w http.ResponseWriter, r *http.Request) {
	h := s.historyOf(w)
	if h == nil {
		return
	}
	f, err := historyFilter(r)
	if err != nil {
		writeError(w, err)
		return
	}
	runs, err := h.List(r.Context(), f)
	if err != nil {
		historyError(w, err)
		return
	}
	total, err := h.Count(r.Context(), f)
	if err != nil {
		historyError(w, err)
		return
	}
	items := make([]historyListItem, len(runs))
	for i, sum := range runs {
		items[i] = historyItem(sum)
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": items, "total": total, "limit": f.Limit, "offset": f.Offset})
}

// historyRunBody is GET /history/runs/{id}: the run's summary and
// settings, and its statistics as the live pages show them.
type historyRunBody struct {
	Run  historyListItem   `json:"run"`
	Info *historyRunDetail `json:"detail"`
	View *View             `json:"view"`
	// History is the run's time series (View.History).
	History []HistoryPoint `json:"history"`
}

// historyRunDetail is what the page shows of a run besides its
// statistics.
type historyRunDetail struct {
	SpawnRate   float64                   `json:"spawn_rate"`
	RunTimeSecs float64                   `json:"run_time"`
	Classes     []history.Class           `json:"classes,omitempty"`
	Shape       string                    `json:"shape,omitempty"`
	Options     map[string]string         `json:"options,omitempty"`
	Build       history.Build             `json:"build"`
	Nodes       []string                  `json:"nodes,omitempty"`
	Thresholds  []history.ThresholdResult `json:"thresholds,omitempty"`
	Baseline    string                    `json:"baseline,omitempty"`
	AbortReason string                    `json:"abort_reason,omitempty"`
}

// getRun reads the run of the path's id and its view, for a request that
// takes no query; it answers the error itself and returns nil.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request) (*history.Run, *View) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return nil, nil
	}
	h := s.historyOf(w)
	if h == nil {
		return nil, nil
	}
	run, err := h.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		historyError(w, err)
		return nil, nil
	}
	v, err := h.View(run)
	if err != nil {
		historyError(w, err)
		return nil, nil
	}
	return run, v
}

// handleHistoryRun serves GET /history/runs/{id}.
func (s *Server) handleHistoryRun(w http.ResponseWriter, r *http.Request) {
	run, v := s.getRun(w, r)
	if run == nil {
		return
	}
	d := &historyRunDetail{SpawnRate: run.SpawnRate, RunTimeSecs: run.RunTime.Seconds(), Classes: run.Classes,
		Shape: run.Shape, Options: run.Options, Build: run.Build, Nodes: run.Nodes, Thresholds: run.Thresholds,
		Baseline: run.Baseline, AbortReason: run.AbortReason}
	pts := v.History
	if pts == nil {
		pts = []HistoryPoint{}
	}
	writeJSON(w, http.StatusOK, historyRunBody{Run: historyItem(run.Summary), Info: d, View: v, History: pts})
}

// handleHistoryReport serves GET /history/runs/{id}/report: the HTML
// report of a stored run.
func (s *Server) handleHistoryReport(w http.ResponseWriter, r *http.Request) {
	run, v := s.getRun(w, r)
	if run == nil {
		return
	}
	info := s.ctrl.Info()
	info.Host, info.Users, info.SpawnRate, info.RunTime = run.Host, run.Users, run.SpawnRate, run.RunTime
	info.Classes = nil
	for _, c := range run.Classes {
		info.Classes = append(info.Classes, c.Name)
	}
	gen := run.End
	if gen.IsZero() {
		gen = run.Updated
	}
	rep := &Report{Info: info, View: v, Generated: gen}
	nonce := newNonce()
	w.Header().Set("Content-Security-Policy", reportCSP(nonce))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := writeReport(w, rep, "", nonce); err != nil {
		s.log.Warn("writing the HTML report of a stored run", "run", run.ID, "error", err)
	}
}

// handleHistoryDelete serves DELETE /history/runs/{id}.
func (s *Server) handleHistoryDelete(w http.ResponseWriter, r *http.Request) {
	h := s.historyOf(w)
	if h == nil {
		return
	}
	id := r.PathValue("id")
	params := map[string]any{"run": id}
	if err := h.Delete(r.Context(), id); err != nil {
		s.Audit(r, audit.Entry{Action: "history.delete", Params: params, Outcome: audit.Failed, Reason: err.Error()})
		historyError(w, err)
		return
	}
	s.Audit(r, audit.Entry{Action: "history.delete", Params: params, Outcome: audit.OK})
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "run " + id + " deleted"})
}

// DefaultHistoryTolerance is the relative change beyond which a compared
// figure is marked.
const DefaultHistoryTolerance = 0.10

// historyCompareStat is one figure of one row of one run, with its
// change from the reference run (the first).
type historyCompareStat struct {
	Present   bool    `json:"present"`
	Requests  int64   `json:"requests"`
	Aborted   int64   `json:"aborted"` // requests the stop cut short
	RPS       float64 `json:"rps"`
	FailRatio float64 `json:"fail_ratio"`
	P50       float64 `json:"p50"` // milliseconds
	P95       float64 `json:"p95"`
	P99       float64 `json:"p99"`
	// Delta has the relative changes from the reference of rps,
	// fail_ratio, p50, p95 and p99 (null: infinite); Beyond lists those
	// beyond the tolerance.
	Delta  map[string]*float64 `json:"delta"`
	Beyond []string            `json:"beyond"`
}

// historyCompareRow is a request row across the compared runs.
type historyCompareRow struct {
	Method string               `json:"method"`
	Name   string               `json:"name"`
	Runs   []historyCompareStat `json:"runs"`
}

// historyPoints is a compared run's time series on a time-since-start
// axis.
type historyPoints struct {
	ID     string    `json:"id"`
	Secs   []float64 `json:"t"` // seconds since the run's start
	RPS    []float64 `json:"rps"`
	P95    []float64 `json:"p95"` // milliseconds
	Users  []int     `json:"users"`
	Errors []float64 `json:"fail_per_sec"`
}

// handleHistoryCompare serves GET /history/compare?id=A&id=B[&id=...]
// [&tolerance=0.1]: the rows of the runs side by side, compared with the
// first.
func (s *Server) handleHistoryCompare(w http.ResponseWriter, r *http.Request) {
	h := s.historyOf(w)
	if h == nil {
		return
	}
	q := r.URL.Query()
	tol := DefaultHistoryTolerance
	for k, vs := range q {
		switch k {
		case "id":
		case "tolerance":
			t, err := strconv.ParseFloat(vs[0], 64)
			if err != nil || len(vs) > 1 || !(t >= 0) || math.IsInf(t, 0) {
				writeError(w, badField(k, "tolerance must be a number from 0 (0.1 marks changes beyond 10%%), got %q", truncate(vs[0], 100)))
				return
			}
			tol = t
		default:
			writeError(w, badField(k, "unknown parameter %q: allowed id (two or more), tolerance", truncate(k, 100)))
			return
		}
	}
	ids := q["id"]
	if len(ids) < 2 || len(ids) > 10 {
		writeError(w, badField("id", "compare needs from 2 to 10 runs (id=A&id=B), got %d", len(ids)))
		return
	}
	runs := make([]*history.Run, len(ids))
	for i, id := range ids {
		run, err := h.Get(r.Context(), id)
		if err != nil {
			historyError(w, err)
			return
		}
		runs[i] = run
	}
	c, err := history.Compare(runs...)
	if err != nil {
		historyError(w, err)
		return
	}
	out := struct {
		Tolerance float64             `json:"tolerance"`
		Runs      []historyListItem   `json:"runs"`
		Rows      []historyCompareRow `json:"rows"`
		Series    []historyPoints     `json:"series"`
	}{Tolerance: tol}
	for _, sum := range c.Runs {
		out.Runs = append(out.Runs, historyItem(sum))
	}
	for _, row := range c.Rows {
		cr := historyCompareRow{Method: row.Type, Name: row.Name}
		ref := row.Runs[0]
		for _, st := range row.Runs {
			cs := historyCompareStat{Present: st.Present, Requests: st.Requests, Aborted: st.Aborted, RPS: st.RPS, FailRatio: st.FailRatio,
				P50: ms(st.P50), P95: ms(st.P95), P99: ms(st.P99), Delta: map[string]*float64{}, Beyond: []string{}}
			for _, f := range []struct {
				name   string
				ref, v float64
			}{{"rps", ref.RPS, st.RPS}, {"fail_ratio", ref.FailRatio, st.FailRatio},
				{"p50", float64(ref.P50), float64(st.P50)}, {"p95", float64(ref.P95), float64(st.P95)},
				{"p99", float64(ref.P99), float64(st.P99)}} {
				d := history.Delta(f.ref, f.v)
				if math.IsInf(d, 0) || math.IsNaN(d) {
					cs.Delta[f.name] = nil
				} else {
					cs.Delta[f.name] = &d
				}
				if ref.Present && st.Present && math.Abs(d) > tol {
					cs.Beyond = append(cs.Beyond, f.name)
				}
			}
			cr.Runs = append(cr.Runs, cs)
		}
		out.Rows = append(out.Rows, cr)
	}
	for _, run := range runs {
		p := historyPoints{ID: run.ID, Secs: []float64{}, RPS: []float64{}, P95: []float64{}, Users: []int{}, Errors: []float64{}}
		for _, pt := range run.Points {
			p.Secs = append(p.Secs, pt.Time.Sub(run.Start).Seconds())
			p.RPS = append(p.RPS, finiteOr0(pt.RPS))
			p.P95 = append(p.P95, ms(pt.P95))
			p.Users = append(p.Users, pt.Users)
			p.Errors = append(p.Errors, finiteOr0(pt.FailPerSec))
		}
		out.Series = append(out.Series, p)
	}
	writeJSON(w, http.StatusOK, out)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func finiteOr0(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
