package locust

// JSON output (--json): the final statistics as one JSON object, for
// scripts. See writeJSON for the schema in short, docs/json-schema.md for
// every field with its type, unit and meaning.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"
)

// jsonSchemaVersion is incremented on any incompatible change of the
// JSON output (a removed or renamed key, a changed unit).
const jsonSchemaVersion = 1

// jsonTimeLayout is RFC 3339 in UTC with microseconds, readable by
// Python's datetime.fromisoformat (3.11+), JavaScript's Date and jq.
const jsonTimeLayout = "2006-01-02T15:04:05.000000Z"

type jsonReport struct {
	SchemaVersion int             `json:"schema_version"`
	StartTime     string          `json:"start_time"`
	EndTime       string          `json:"end_time"`
	DurationS     float64         `json:"duration_s"`
	Users         int             `json:"users"`
	Entries       []jsonEntry     `json:"entries"`
	Total         jsonEntry       `json:"total"`
	Failures      []jsonFailure   `json:"failures"`
	Exceptions    []jsonException `json:"exceptions"`
	Schedule      jsonSchedule    `json:"schedule"`
	Thresholds    jsonThresholds  `json:"thresholds"`
}

type jsonEntry struct {
	Type                 string          `json:"type"`
	Name                 string          `json:"name"`
	NumRequests          int64           `json:"num_requests"`
	NumFailures          int64           `json:"num_failures"`
	NumAborted           int64           `json:"num_aborted"`
	FailRatio            float64         `json:"fail_ratio"`
	AvgResponseTimeMS    float64         `json:"avg_response_time_ms"`
	MinResponseTimeMS    float64         `json:"min_response_time_ms"`
	MaxResponseTimeMS    float64         `json:"max_response_time_ms"`
	MedianResponseTimeMS float64         `json:"median_response_time_ms"`
	TotalContentLength   int64           `json:"total_content_length"`
	AvgContentLength     float64         `json:"avg_content_length"`
	TotalRPS             float64         `json:"total_rps"`
	TotalFailPerSec      float64         `json:"total_fail_per_sec"`
	CurrentRPS           float64         `json:"current_rps"`
	CurrentFailPerSec    float64         `json:"current_fail_per_sec"`
	Percentiles          jsonPercentiles `json:"response_time_percentiles_ms"`
}

type jsonFailure struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Error       string `json:"error"`
	Occurrences int64  `json:"occurrences"`
	FirstSeen   string `json:"first_seen"`
	LastSeen    string `json:"last_seen"`
}

type jsonException struct {
	Count     int64    `json:"count"`
	Message   string   `json:"message"`
	Traceback string   `json:"traceback"`
	Nodes     []string `json:"nodes"`
}

// jsonPercentiles are the percentiles of one entry in the order of
// [Percentiles]; they encode as one object keyed by label ("50", "99.9").
type jsonPercentiles struct {
	labels []string
	ms     []float64
}

// MarshalJSON encodes p as an object whose keys keep the order of
// [Percentiles] (a Go map would sort "100" before "50").
func (p jsonPercentiles) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, l := range p.labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, l)
		b = append(b, ':')
		b = strconv.AppendFloat(b, p.ms[i], 'f', -1, 64)
	}
	return append(b, '}'), nil
}

// writeJSON writes the final statistics s, with users running at the
// end, to w as one JSON object (indented, followed by a newline):
//
//	{
//	  "schema_version": 1,
//	  "start_time": "2026-01-02T15:04:05.000000Z",   // UTC, µs
//	  "end_time":   "2026-01-02T15:05:05.000000Z",
//	  "duration_s": 60,                              // seconds, µs precision
//	  "users": 10,                                   // running at the end
//	  "entries": [ENTRY, ...],                       // sorted by name, then type
//	  "total": ENTRY,                                // the Aggregated row
//	  "failures": [{"type", "name", "error", "occurrences", "first_seen", "last_seen"}, ...],
//	  "exceptions": [{"count", "message", "traceback", "nodes"}, ...]
//	}
//
// where ENTRY is
//
//	{"type", "name", "num_requests", "num_failures", "num_aborted", "fail_ratio",
//	 "avg_response_time_ms", "min_response_time_ms", "max_response_time_ms",
//	 "median_response_time_ms", "total_content_length", "avg_content_length",
//	 "total_rps", "total_fail_per_sec", "current_rps", "current_fail_per_sec",
//	 "response_time_percentiles_ms": {"50": ..., "66": ..., ..., "99.99": ..., "100": ...}}
//
// Durations are milliseconds as floats rounded to the microsecond, 0 in
// rows without requests; percentiles (those of [Percentiles]) are clamped
// into the exact [min, max] range. Keys always appear, in this order;
// lists are [] when empty; failures and exceptions are most frequent
// first. Locust's own --json prints its internal per-entry state instead
// (raw histograms, no Aggregated row); this format carries the computed
// figures and is meant to be read rather than merged.
func writeJSON(w io.Writer, s *Snapshot, users int) error {
	return writeJSONVerdict(w, s, users, nil)
}

// writeJSONVerdict is writeJSON with the verdict of the thresholds (nil:
// none), and is what --json prints. Both add "schedule" (the
// arrival-rate and pacing statistics, zeros without a schedule) and
// "thresholds" ({"pass", "aborted", "abort_reason", "results"}) after
// "exceptions"; see docs/json-schema.md.
func writeJSONVerdict(w io.Writer, s *Snapshot, users int, v *Verdict) error {
	labels := make([]string, len(Percentiles))
	for i, q := range Percentiles {
		labels[i] = outputPercentileLabel(q)
	}
	r := jsonReport{
		SchemaVersion: jsonSchemaVersion,
		StartTime:     jsonTime(s.Start),
		EndTime:       jsonTime(s.Time),
		DurationS:     float64(s.Time.Sub(s.Start).Round(time.Microsecond)/time.Microsecond) / 1e6,
		Users:         users,
		Entries:       make([]jsonEntry, 0, len(s.Entries)),
		Failures:      make([]jsonFailure, 0, len(s.Failures)),
		Exceptions:    make([]jsonException, 0, len(s.Exceptions)),
	}
	for _, e := range s.Entries {
		r.Entries = append(r.Entries, jsonNewEntry(e, labels))
	}
	total := s.Total
	if total == nil {
		total = &EntryStats{Name: "Aggregated"}
	}
	r.Total = jsonNewEntry(total, labels)
	for _, f := range outputSortedFailures(s.Failures) {
		r.Failures = append(r.Failures, jsonFailure{Type: f.Type, Name: f.Name, Error: f.Error,
			Occurrences: f.Occurrences, FirstSeen: jsonTime(f.FirstSeen), LastSeen: jsonTime(f.LastSeen)})
	}
	for _, e := range outputSortedExceptions(s.Exceptions) {
		nodes := e.Nodes
		if nodes == nil {
			nodes = []string{}
		}
		r.Exceptions = append(r.Exceptions, jsonException{Count: e.Count, Message: e.Message,
			Traceback: e.Traceback, Nodes: nodes})
	}
	r.Schedule = jsonNewSchedule(s.Schedule, labels)
	r.Thresholds = jsonNewThresholds(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("failed to encode JSON stats: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func jsonNewEntry(e *EntryStats, labels []string) jsonEntry {
	j := jsonEntry{
		Type:               e.Type,
		Name:               e.Name,
		NumRequests:        e.Requests,
		NumFailures:        e.Failures,
		NumAborted:         e.Aborted,
		FailRatio:          outputFailRatio(e),
		TotalContentLength: e.ContentBytes,
		AvgContentLength:   e.AvgContentSize(),
		TotalRPS:           outputFinite(e.TotalRPS),
		TotalFailPerSec:    outputFinite(e.TotalFailPerSec),
		CurrentRPS:         outputFinite(e.CurrentRPS),
		CurrentFailPerSec:  outputFinite(e.CurrentFailPerSec),
		Percentiles:        jsonPercentiles{labels: labels, ms: make([]float64, len(labels))},
	}
	if e.Requests > 0 {
		j.AvgResponseTimeMS = jsonMS(e.Mean())
		j.MinResponseTimeMS = jsonMS(e.Min)
		j.MaxResponseTimeMS = jsonMS(e.Max)
		j.MedianResponseTimeMS = jsonMS(outputMedian(e))
		for i, q := range Percentiles {
			j.Percentiles.ms[i] = jsonMS(outputPercentile(e, q))
		}
	}
	return j
}

// jsonMS returns d in milliseconds rounded to the microsecond.
func jsonMS(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)/time.Microsecond) / 1e3
}

// jsonTime returns t in jsonTimeLayout, or "" for the zero time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(jsonTimeLayout)
}

// The schedule and verdict pieces of the document.

type jsonSchedule struct {
	Scheduled    int64      `json:"scheduled"`
	Dropped      int64      `json:"dropped"`
	DroppedRatio float64    `json:"dropped_ratio"`
	Missed       int64      `json:"missed"`
	Lag          jsonTiming `json:"lag"`
	ResponseTime jsonTiming `json:"response_time"`
	ServiceTime  jsonTiming `json:"service_time"`
}

type jsonTiming struct {
	Count       int64           `json:"count"`
	AvgMS       float64         `json:"avg_ms"`
	MinMS       float64         `json:"min_ms"`
	MaxMS       float64         `json:"max_ms"`
	Percentiles jsonPercentiles `json:"percentiles_ms"`
}

type jsonThresholds struct {
	Pass        bool                  `json:"pass"`
	Aborted     bool                  `json:"aborted"`
	AbortReason string                `json:"abort_reason"`
	Results     []jsonThresholdResult `json:"results"`
}

type jsonThresholdResult struct {
	Threshold  string  `json:"threshold"`
	Entry      string  `json:"entry"`
	Metric     string  `json:"metric"`
	Op         string  `json:"op"`
	Limit      float64 `json:"limit"`
	Observed   float64 `json:"observed"`
	Unit       string  `json:"unit"`
	WindowS    float64 `json:"window_s"`
	Abort      bool    `json:"abort"`
	Pass       bool    `json:"pass"`
	ObservedTx string  `json:"observed_text"`
	Note       string  `json:"note"`
}

func jsonNewTiming(t *Timing, labels []string) jsonTiming {
	j := jsonTiming{Count: t.Count, Percentiles: jsonPercentiles{labels: labels, ms: make([]float64, len(labels))}}
	if t.Count > 0 {
		j.AvgMS, j.MinMS, j.MaxMS = jsonMS(t.Mean()), jsonMS(t.Min), jsonMS(t.Max)
		for i, q := range Percentiles {
			j.Percentiles.ms[i] = jsonMS(t.Percentile(q))
		}
	}
	return j
}

func jsonNewSchedule(ss *ScheduleStats, labels []string) jsonSchedule {
	if ss == nil {
		ss = &ScheduleStats{}
	}
	return jsonSchedule{Scheduled: ss.Scheduled, Dropped: ss.Dropped, DroppedRatio: ss.DroppedRatio(), Missed: ss.Missed,
		Lag: jsonNewTiming(&ss.Lag, labels), ResponseTime: jsonNewTiming(&ss.ResponseTime, labels),
		ServiceTime: jsonNewTiming(&ss.ServiceTime, labels)}
}

func jsonNewThresholds(v *Verdict) jsonThresholds {
	j := jsonThresholds{Pass: true, Results: []jsonThresholdResult{}}
	if v == nil {
		return j
	}
	j.Pass, j.Aborted, j.AbortReason = v.Pass, v.Aborted, v.AbortReason
	for _, r := range v.Results {
		th := r.Threshold
		jr := jsonThresholdResult{Threshold: th.String(), Entry: th.Entry, Metric: th.Metric, Op: th.Op,
			WindowS: th.Window.Seconds(), Abort: th.Abort, Pass: r.Pass, ObservedTx: r.ObservedText(), Note: r.Note}
		m, _ := thParseMetric(th.Metric)
		switch m.kind {
		case thTime:
			jr.Unit, jr.Limit, jr.Observed = "ms", jsonMS(th.Duration), jsonMS(r.ObservedDuration)
		case thRatio:
			jr.Unit, jr.Limit, jr.Observed = "ratio", th.Value, r.Observed
		case thRate:
			jr.Unit, jr.Limit, jr.Observed = "1/s", th.Value, outputFinite(r.Observed)
		default:
			jr.Unit, jr.Limit, jr.Observed = "count", th.Value, r.Observed
		}
		j.Results = append(j.Results, jr)
	}
	return j
}

// jsonOutput is the JSON document (--json) as a session output: written
// once at the end of a test that ran and stopped in order.
type jsonOutput struct {
	w   io.Writer
	log *slog.Logger
}

func (j *jsonOutput) onTick(*Snapshot, int) {}

func (j *jsonOutput) onFinish(res *runResult) {
	if !res.ran || res.abrupt {
		return
	}
	if err := writeJSONVerdict(j.w, res.snapshot, res.users, res.verdict); err != nil {
		j.log.Error("writing JSON", "error", err)
	}
}
