package locust

// Outputs of the open model and thresholds: the schedule table and the
// verdict table of the console, the schedule CSV file, and the pieces of
// the JSON report (see output_json.go and docs/json-schema.md).

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Exit codes of [Run] for thresholds and abort rules. Locust has no
// convention for them (1 is --exit-code-on-error, 2 bad usage).
const (
	// ExitThresholds: at least one threshold (--threshold) failed.
	ExitThresholds = 3
	// ExitAborted: an abort rule (--abort-on, or a threshold marked
	// abort) stopped the test early.
	ExitAborted = 4
)

// openQuantiles are the percentiles of the schedule table.
var openQuantiles = []float64{0.5, 0.9, 0.99, 0.999, 1}

// writeScheduleTable writes the schedule statistics of s, if any: the
// counters and the lag, response-time and service-time percentiles.
func writeScheduleTable(w io.Writer, s *Snapshot) error {
	ss := s.Schedule
	if ss.Empty() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Schedule: %d arrivals scheduled, %d dropped (%.2f%%), %d paced starts missed\n",
		ss.Scheduled, ss.Dropped, ss.DroppedRatio()*100, ss.Missed)
	fmt.Fprintf(&b, "%-32s %9s %7s %7s %7s", "Timing (ms)", "# iters", "Avg", "Min", "Max")
	widths := []int{32, 9, 7, 7, 7}
	for _, q := range openQuantiles {
		fmt.Fprintf(&b, " %7s", outputPercentileLabel(q)+"%")
		widths = append(widths, 7)
	}
	b.WriteString("\n")
	sep := consoleSeparator(widths...)
	b.WriteString(sep)
	for _, row := range []struct {
		name string
		t    *Timing
	}{{"Schedule lag", &ss.Lag}, {"Response time (from schedule)", &ss.ResponseTime}, {"Service time", &ss.ServiceTime}} {
		if row.t.Count == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-32s %9d %7d %7d %7d", row.name, row.t.Count, consoleMS(row.t.Mean()), consoleMS(row.t.Min), consoleMS(row.t.Max))
		for _, q := range openQuantiles {
			fmt.Fprintf(&b, " %7d", consoleMS(row.t.Percentile(q)))
		}
		b.WriteString("\n")
	}
	b.WriteString(sep)
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeScheduleLine writes the one-line schedule summary of the periodic
// console output, if there is a schedule.
func writeScheduleLine(w io.Writer, s *Snapshot) error {
	ss := s.Schedule
	if ss.Empty() {
		return nil
	}
	_, err := fmt.Fprintf(w, "Schedule: %d scheduled, %d dropped, %d missed; lag p99 %d ms, max %d ms\n\n",
		ss.Scheduled, ss.Dropped, ss.Missed, consoleMS(ss.Lag.Percentile(0.99)), consoleMS(ss.Lag.Max))
	return err
}

// writeVerdictTable writes one line per threshold and the verdict.
func writeVerdictTable(w io.Writer, v Verdict) error {
	if len(v.Results) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Thresholds\n")
	tw := len("Threshold")
	for _, r := range v.Results {
		tw = max(tw, len(consoleSanitize(r.Threshold.String())))
	}
	tw = min(tw, 70)
	fmt.Fprintf(&b, "%-6s %-*s %12s  %s\n", "Result", tw, "Threshold", "Observed", "Note")
	sep := consoleSeparator(6, tw+1, 13, 30)
	b.WriteString(sep)
	for _, r := range v.Results {
		res := "pass"
		if !r.Pass {
			res = "FAIL"
		}
		line := fmt.Sprintf("%-6s %-*s %12s  %s", res, tw, consoleCell(r.Threshold.String(), tw, true), r.ObservedText(), consoleSanitize(r.Note))
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	b.WriteString(sep)
	failed := len(v.Failed())
	switch {
	case v.Aborted:
		fmt.Fprintf(&b, "Verdict: FAIL, the test was aborted by %s (%d of %d thresholds failed)\n", consoleSanitize(v.AbortReason), failed, len(v.Results))
	case !v.Pass:
		fmt.Fprintf(&b, "Verdict: FAIL (%d of %d thresholds failed)\n", failed, len(v.Results))
	default:
		fmt.Fprintf(&b, "Verdict: PASS (%d thresholds)\n", len(v.Results))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// openExitCode is the exit code of a test with thresholds: 4 when an abort
// rule stopped it, 3 when a threshold failed. Otherwise, when thresholds
// other than abort rules were given they decide: failed requests no
// longer set the exit code by themselves (a fail_ratio threshold does
// that), exceptions of user code still do (--exit-code-on-error). With
// abort rules alone, Locust's rule applies (base).
func openExitCode(v Verdict, ths []Threshold, s *Snapshot, base, onError int) int {
	switch {
	case v.Aborted:
		return ExitAborted
	case !v.Pass:
		return ExitThresholds
	}
	for _, th := range ths {
		if !th.Abort {
			if len(s.Exceptions) > 0 {
				return onError
			}
			return ExitOK
		}
	}
	return base
}

// csvScheduleHeader is the header of PREFIX_schedule.csv.
var csvScheduleHeader = append([]string{"Metric", "Count", "Average (ms)", "Min (ms)", "Max (ms)"}, csvPercentileHeaders()...)

// writeScheduleCSV writes PREFIX_schedule.csv: the counters (Scheduled,
// Dropped, Missed: Count only) and one row per timing (Schedule Lag,
// Response Time, Service Time). It writes nothing without a schedule.
// The file is new to golocust; Locust's four files are unchanged.
func writeScheduleCSV(prefix string, s *Snapshot) error {
	ss := s.Schedule
	if ss.Empty() {
		return nil
	}
	var b strings.Builder
	line := func(fields []string) { b.WriteString(strings.Join(fields, ",") + "\r\n") }
	line(csvScheduleHeader)
	empty := make([]string, len(csvScheduleHeader)-2)
	for i := range empty {
		empty[i] = ""
	}
	for _, c := range []struct {
		name string
		n    int64
	}{{"Scheduled", ss.Scheduled}, {"Dropped", ss.Dropped}, {"Missed", ss.Missed}} {
		line(append([]string{c.name, strconv.FormatInt(c.n, 10)}, empty...))
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(jsonMS(d), 'f', -1, 64) }
	for _, row := range []struct {
		name string
		t    *Timing
	}{{"Schedule Lag", &ss.Lag}, {"Response Time", &ss.ResponseTime}, {"Service Time", &ss.ServiceTime}} {
		f := []string{row.name, strconv.FormatInt(row.t.Count, 10), ms(row.t.Mean()), ms(row.t.Min), ms(row.t.Max)}
		for _, q := range Percentiles {
			if row.t.Count == 0 {
				f = append(f, "N/A")
			} else {
				f = append(f, strconv.FormatInt(consoleMS(row.t.Percentile(q)), 10))
			}
		}
		line(f)
	}
	path := prefix + "_schedule.csv"
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// JSON pieces.

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
