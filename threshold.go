package locust

// Thresholds: pass/fail criteria over the statistics, checked at the end
// of a test (and, for rolling ones, every second while it runs), giving a
// Verdict that the console, the JSON output and the exit code show and
// that a `go test` can assert on.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/golocust/locust/internal/dispatch"
)

// Threshold is a pass/fail criterion: Metric of the row Entry compared
// with a limit by Op must hold. Write one with [ParseThreshold]:
//
//	p95<200ms                        the Aggregated row's 95th percentile
//	GET /checkout: p99<1s            one row (type and name)
//	/checkout: max<=2s               every row of that name, merged
//	fail_ratio<1%
//	rps>=950
//	dropped==0                       (arrival-rate mode; also dropped<1)
//	fail_ratio<20% for 10s abort     rolling, and stops the test when broken
//
// Metrics of request rows: "avg", "min", "max", "med", "pN" (p50, p90,
// p95, p99, p99.9, p100, ...), "fail_ratio", "requests", "failures",
// "rps" and "fail_per_sec" (whole-run rates). Schedule metrics (Aggregated
// only; see [ScheduleStats]): "dropped", "dropped_ratio", "missed", and
// the timings "lag_*", "iteration_*" (response time from the scheduled
// start) and "service_*" with the suffixes avg, min, max, med or pN
// (e.g. "lag_p99", "iteration_max").
type Threshold struct {
	// Entry selects the row: "" for the Aggregated row, "NAME" for every
	// row of that name (merged), "TYPE NAME" for one row.
	Entry string
	// Metric is what is compared, see above.
	Metric string
	// Op is "<", "<=", ">", ">=" or "==".
	Op string
	// Value is the limit of ratio (0..1), count and rate (per second)
	// metrics.
	Value float64
	// Duration is the limit of time metrics.
	Duration time.Duration
	// Window, when > 0, makes the threshold rolling: while the test runs
	// it is checked every second over the last Window (counts, ratios,
	// rates and the mean exactly; percentiles, min and max of request rows
	// over the current window of about 10 s; schedule timings over the
	// whole run), from the moment the test has run for Window; it fails
	// if any check fails.
	Window time.Duration
	// Abort stops the test as soon as the threshold fails: at a rolling
	// check, or, without Window, at a check of the whole run's statistics
	// made every second.
	Abort bool
	// Baseline, when > 0, makes the limit relative to a baseline run
	// (--baseline): it is the baseline's value of the metric times
	// Baseline, and Value and Duration are not used ("p95 <
	// baseline*1.10"). Such a threshold is checked once, at the end, by
	// [Threshold.CheckBaseline].
	Baseline float64
}

// thKind is the kind of a metric's value.
type thKind int

const (
	thTime  thKind = iota // a duration
	thRatio               // 0..1, written as a percentage
	thCount               // a number of events
	thRate                // events per second
)

// thMetric is a parsed metric name.
type thMetric struct {
	kind     thKind
	sched    string  // "", "lag", "iteration", "service"; or "counter" for schedule counters
	stat     string  // avg, min, max, pct, fail_ratio, requests, ...
	quantile float64 // for stat "pct"
}

// thParseMetric parses a metric name.
func thParseMetric(m string) (thMetric, error) {
	switch m {
	case "fail_ratio":
		return thMetric{kind: thRatio, stat: m}, nil
	case "requests", "failures":
		return thMetric{kind: thCount, stat: m}, nil
	case "rps", "fail_per_sec":
		return thMetric{kind: thRate, stat: m}, nil
	case "dropped", "missed":
		return thMetric{kind: thCount, sched: "counter", stat: m}, nil
	case "dropped_ratio":
		return thMetric{kind: thRatio, sched: "counter", stat: m}, nil
	}
	var tm thMetric
	rest := m
	for _, p := range []string{"lag_", "iteration_", "service_"} {
		if s, ok := strings.CutPrefix(m, p); ok {
			tm.sched, rest = strings.TrimSuffix(p, "_"), s
		}
	}
	switch rest {
	case "avg", "mean":
		tm.stat = "avg"
	case "min", "max":
		tm.stat = rest
	case "med", "median":
		tm.stat, tm.quantile = "pct", 0.5
	default:
		num, ok := strings.CutPrefix(rest, "p")
		q, err := strconv.ParseFloat(num, 64)
		if !ok || err != nil || q < 0 || q > 100 || math.IsNaN(q) {
			return thMetric{}, fmt.Errorf("unknown metric %q; allowed: avg, min, max, med, pN (p50, p95, p99.9, ...), fail_ratio, requests, failures, rps, fail_per_sec, dropped, dropped_ratio, missed, and lag_/iteration_/service_ with avg, min, max, med or pN", m)
		}
		tm.stat, tm.quantile = "pct", q/100
	}
	tm.kind = thTime
	return tm, nil
}

// ParseThreshold parses "[ENTRY:] METRIC OP VALUE [for WINDOW] [abort]"
// (see [Threshold] for the metrics). VALUE is a duration for time
// metrics ("200ms", "1.5s"; a bare number is milliseconds), a percentage
// or a ratio in 0..1 for ratios ("1%", "0.01"), a number for counts, and
// a rate for rates ("1000", "1000/s", "60/m"). WINDOW is a duration
// ("10s"). ENTRY is "TYPE NAME" or "NAME", up to the last colon. Errors
// name the part at fault and what is allowed.
func ParseThreshold(s string) (Threshold, error) {
	fail := func(format string, a ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("threshold %q: %s", s, fmt.Sprintf(format, a...))
	}
	rest := strings.TrimSpace(s)
	if rest == "" {
		return fail("empty; want [ENTRY:] METRIC OP VALUE [for WINDOW] [abort], e.g. p95<200ms")
	}
	var th Threshold
	if r, ok := strings.CutSuffix(rest, " abort"); ok {
		th.Abort, rest = true, strings.TrimSpace(r)
	}
	if i := strings.LastIndex(rest, " for "); i >= 0 && !strings.ContainsAny(rest[i:], "<>=:") {
		w := strings.TrimSpace(rest[i+5:])
		d, err := time.ParseDuration(w)
		if err != nil || d < time.Second {
			return fail("window %q: want a duration of 1s or more, e.g. for 10s", w)
		}
		th.Window, rest = d, strings.TrimSpace(rest[:i])
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		th.Entry, rest = strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+1:])
		if th.Entry == "" {
			return fail("nothing before the colon; write the row as TYPE NAME or NAME, e.g. GET /checkout: p99<1s")
		}
	}
	opAt, op := -1, ""
	for _, o := range []string{"<=", ">=", "==", "<", ">"} {
		if i := strings.Index(rest, o); i >= 0 && (opAt < 0 || i < opAt || (i == opAt && len(o) > len(op))) {
			opAt, op = i, o
		}
	}
	if opAt < 0 {
		return fail("no comparison; want METRIC OP VALUE with OP one of <, <=, >, >=, ==, e.g. p95<200ms")
	}
	th.Op = op
	th.Metric = strings.ToLower(strings.TrimSpace(rest[:opAt]))
	val := strings.TrimSpace(rest[opAt+len(op):])
	if th.Metric == "" {
		return fail("no metric before %q", op)
	}
	if val == "" {
		return fail("no value after %q", op)
	}
	m, err := thParseMetric(th.Metric)
	if err != nil {
		return fail("%v", err)
	}
	if m.sched != "" && th.Entry != "" {
		return fail("metric %q is about the whole schedule: it takes no row before the colon", th.Metric)
	}
	if f, ok, err := thParseBaseline(val); ok {
		switch {
		case err != nil:
			return fail("%v", err)
		case m.sched != "":
			return fail("a baseline limit is for request metrics; %q is a schedule metric", th.Metric)
		case th.Window > 0 || th.Abort:
			return fail("a baseline limit is checked once at the end of the test: drop \"for\" and \"abort\"")
		}
		th.Baseline = f
		return th, nil
	}
	switch m.kind {
	case thTime:
		d, err := time.ParseDuration(val)
		if err != nil {
			ms, err2 := strconv.ParseFloat(val, 64)
			if err2 != nil || math.IsInf(ms, 0) || math.IsNaN(ms) || ms < 0 {
				return fail("value %q: %s takes a duration such as 200ms or 1.5s (a bare number is milliseconds)", val, th.Metric)
			}
			d = dispatch.Seconds(ms / 1000)
		}
		if d < 0 {
			return fail("value %q: a duration must be 0 or more", val)
		}
		th.Duration = d
	case thRatio:
		v, isPct := strings.CutSuffix(val, "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if isPct {
			f /= 100
		}
		if err != nil || !(f >= 0 && f <= 1) {
			return fail("value %q: %s takes a percentage from 0%% to 100%% (e.g. 1%%) or a ratio from 0 to 1", val, th.Metric)
		}
		th.Value = f
	case thCount:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) {
			return fail("value %q: %s takes a number 0 or more", val, th.Metric)
		}
		th.Value = f
	case thRate:
		f, err := parseRate(val)
		if err != nil {
			return fail("value: %v", err)
		}
		th.Value = f
	}
	return th, nil
}

// thParseBaseline parses a relative limit, "baseline" or
// "baseline*FACTOR" (FACTOR > 0, e.g. 1.10); ok is false for other
// values.
func thParseBaseline(val string) (factor float64, ok bool, err error) {
	v := strings.ReplaceAll(strings.ToLower(val), " ", "")
	rest, ok := strings.CutPrefix(v, "baseline")
	if !ok {
		return 0, false, nil
	}
	if rest == "" {
		return 1, true, nil
	}
	num, star := strings.CutPrefix(rest, "*")
	f, perr := strconv.ParseFloat(num, 64)
	if !star || perr != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, true, fmt.Errorf("value %q: want baseline or baseline*FACTOR with FACTOR above 0, e.g. baseline*1.10", val)
	}
	return f, true, nil
}

// ParseAbortRule parses an abort rule (--abort-on): the same syntax as
// [ParseThreshold], but the expression is the condition that stops the
// test, e.g. "fail_ratio>20% for 10s". It returns the equivalent
// threshold (the negated comparison, Abort set): "fail_ratio<=20% for 10s
// abort". A rule with "==" cannot be negated as one threshold and is an
// error.
func ParseAbortRule(s string) (Threshold, error) {
	th, err := ParseThreshold(s)
	if err != nil {
		return Threshold{}, fmt.Errorf("abort rule: %w", err)
	}
	if th.Baseline > 0 {
		return Threshold{}, fmt.Errorf("abort rule %q: a baseline limit is checked at the end, not while the test runs", s)
	}
	neg := map[string]string{"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[th.Op]
	if neg == "" {
		return Threshold{}, fmt.Errorf("abort rule %q: %q cannot be used; use <, <=, > or >=", s, th.Op)
	}
	th.Op, th.Abort = neg, true
	return th, nil
}

// MustParseThreshold is [ParseThreshold] for thresholds written in code;
// it panics on a syntax error.
func MustParseThreshold(s string) Threshold {
	th, err := ParseThreshold(s)
	if err != nil {
		panic(err)
	}
	return th
}

// validate checks a threshold built in code.
func (th Threshold) validate() error {
	m, err := thParseMetric(th.Metric)
	if err != nil {
		return err
	}
	switch {
	case th.Op != "<" && th.Op != "<=" && th.Op != ">" && th.Op != ">=" && th.Op != "==":
		return fmt.Errorf("threshold %s: Op %q; allowed <, <=, >, >=, ==", th, th.Op)
	case m.sched != "" && th.Entry != "":
		return fmt.Errorf("threshold %s: metric %q takes no Entry", th, th.Metric)
	case th.Window < 0 || (th.Window > 0 && th.Window < time.Second):
		return fmt.Errorf("threshold %s: Window %v; allowed 0 (end of test) or 1s or more", th, th.Window)
	case m.kind == thTime && th.Duration < 0, m.kind != thTime && !(th.Value >= 0):
		return fmt.Errorf("threshold %s: the limit must be 0 or more", th)
	case th.Baseline < 0 || math.IsNaN(th.Baseline) || math.IsInf(th.Baseline, 0):
		return fmt.Errorf("threshold %s: Baseline %v; allowed 0 (an absolute limit) or a factor above 0", th, th.Baseline)
	case th.Baseline > 0 && (th.Window > 0 || th.Abort || m.sched != ""):
		return fmt.Errorf("threshold %s: a Baseline limit is for request metrics checked at the end (no Window, no Abort)", th)
	}
	return nil
}

// String returns the threshold in the syntax of [ParseThreshold].
func (th Threshold) String() string {
	var b strings.Builder
	if th.Entry != "" {
		b.WriteString(th.Entry + ": ")
	}
	b.WriteString(th.Metric + th.Op)
	m, err := thParseMetric(th.Metric)
	if err != nil {
		m.kind = thCount
	}
	if th.Baseline > 0 {
		b.WriteString("baseline*" + strconv.FormatFloat(th.Baseline, 'f', -1, 64))
	} else if m.kind == thTime {
		b.WriteString(th.Duration.String())
	} else {
		b.WriteString(thFormat(m.kind, th.Value, 0))
	}
	if th.Window > 0 {
		b.WriteString(" for " + th.Window.String())
	}
	if th.Abort {
		b.WriteString(" abort")
	}
	return b.String()
}

// thFormat formats a value of kind k (d for times).
func thFormat(k thKind, v float64, d time.Duration) string {
	switch k {
	case thTime:
		return strconv.FormatFloat(jsonMS(d), 'f', -1, 64) + "ms"
	case thRatio:
		return strconv.FormatFloat(math.Round(v*1e6)/1e4, 'f', -1, 64) + "%"
	case thRate:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ThresholdResult is the outcome of one threshold.
type ThresholdResult struct {
	// Threshold is the criterion.
	Threshold Threshold
	// Pass reports whether it held.
	Pass bool
	// Observed is the value found for ratio, count and rate metrics;
	// ObservedDuration for time metrics. For a failed rolling threshold
	// it is the value at the first failed check.
	Observed         float64
	ObservedDuration time.Duration
	// Note explains a result that is not a plain comparison: a row with
	// no samples, the time of a failed rolling check, an abort, the
	// baseline's value.
	Note string
	// BaselineValue and BaselineDuration are the baseline run's value of
	// the metric, for a threshold with a Baseline factor.
	BaselineValue    float64
	BaselineDuration time.Duration
}

// BaselineText returns the baseline's value formatted as ObservedText.
func (r ThresholdResult) BaselineText() string {
	m, err := thParseMetric(r.Threshold.Metric)
	if err != nil {
		return ""
	}
	return thFormat(m.kind, r.BaselineValue, r.BaselineDuration)
}

// ObservedText returns the observed value formatted as in the verdict
// table: "123.4ms", "1.5%", "998.2/s", "12".
func (r ThresholdResult) ObservedText() string {
	m, err := thParseMetric(r.Threshold.Metric)
	if err != nil {
		return ""
	}
	return thFormat(m.kind, r.Observed, r.ObservedDuration)
}

// Verdict is the outcome of a test's thresholds.
type Verdict struct {
	// Pass is true when every threshold held and no abort rule stopped
	// the test (also when there are no thresholds).
	Pass bool
	// Aborted is true when an abort threshold stopped the test.
	Aborted bool
	// AbortReason is the threshold that stopped it, in text.
	AbortReason string
	// Results has one entry per threshold, in the order given.
	Results []ThresholdResult
}

// Failed returns the results of the thresholds that did not hold.
func (v Verdict) Failed() []ThresholdResult {
	var out []ThresholdResult
	for _, r := range v.Results {
		if !r.Pass {
			out = append(out, r)
		}
	}
	return out
}

// Err returns nil when the verdict passes, else an error listing the
// failed thresholds, for t.Fatal or a program's exit.
func (v Verdict) Err() error {
	if v.Pass {
		return nil
	}
	var parts []string
	for _, r := range v.Failed() {
		p := fmt.Sprintf("%s (observed %s)", r.Threshold, r.ObservedText())
		if r.Note != "" {
			p += ": " + r.Note
		}
		parts = append(parts, p)
	}
	msg := "thresholds failed: " + strings.Join(parts, "; ")
	if v.Aborted {
		msg = "test aborted by " + v.AbortReason + "; " + msg
	}
	return errors.New(msg)
}

// EvaluateThresholds checks every threshold against the statistics s
// (a final snapshot, of one process or merged from workers) and returns
// the verdict. Rolling thresholds (Window > 0) need the running test's
// history: here they are checked over the whole of s, as end-of-test
// thresholds; [LocalRunner.Verdict] reports their rolling checks.
func EvaluateThresholds(s *Snapshot, ths []Threshold) Verdict {
	v := Verdict{Pass: true, Results: make([]ThresholdResult, 0, len(ths))}
	for _, th := range ths {
		r := th.Check(s)
		v.Results = append(v.Results, r)
		v.Pass = v.Pass && r.Pass
	}
	return v
}

// Check evaluates the threshold over the whole of s (its Window is not
// used). A time metric of a row without samples fails with a note, as
// does a row that does not exist: a criterion that could not be checked
// is not met.
func (th Threshold) Check(s *Snapshot) ThresholdResult {
	res := ThresholdResult{Threshold: th}
	m, err := thParseMetric(th.Metric)
	if err != nil {
		res.Note = err.Error()
		return res
	}
	if th.Baseline > 0 {
		res.Note = "needs a baseline run (--baseline)"
		return res
	}
	if s == nil {
		res.Note = "no statistics"
		return res
	}
	if m.sched != "" {
		return th.checkSchedule(m, s.Schedule, res)
	}
	e := thSelect(s, th.Entry)
	if e == nil {
		res.Note = fmt.Sprintf("no row %q in the statistics", th.Entry)
		return res
	}
	el := s.Time.Sub(s.Start).Seconds()
	if m.kind != thTime {
		// Requests cut short by the stop itself are not failures of the
		// target, nor answered requests: ratios and counts leave them out.
		if e.Aborted > 0 {
			c := *e
			c.Requests -= c.Aborted
			e = &c
		}
	}
	switch m.kind {
	case thTime:
		if e.Requests == 0 {
			res.Note = "no samples"
			return res
		}
		res.ObservedDuration = m.duration(e, e.Min, e.Max)
	case thRatio:
		res.Observed = e.FailRatio()
	case thCount:
		res.Observed = float64(e.Requests)
		if m.stat == "failures" {
			res.Observed = float64(e.Failures)
		}
	case thRate:
		n := e.Requests
		if m.stat == "fail_per_sec" {
			n = e.Failures
		}
		if el > 0 {
			res.Observed = float64(n) / el
		}
	}
	res.Pass = th.holds(m.kind, res.Observed, res.ObservedDuration)
	return res
}

// CheckBaseline evaluates a threshold with a Baseline factor over the
// whole of s, its limit being the value of its metric in base (the
// baseline run's statistics, see [HistorySnapshot]) times the factor.
// The result's Note shows the baseline's value. A threshold without a
// Baseline factor is [Threshold.Check]ed; a nil base, or a metric the
// baseline has no value for, fails with a note.
func (th Threshold) CheckBaseline(s, base *Snapshot) ThresholdResult {
	if th.Baseline <= 0 {
		return th.Check(s)
	}
	if base == nil {
		return ThresholdResult{Threshold: th, Note: "no baseline run"}
	}
	abs := th
	abs.Baseline = 0
	b := abs.Check(base)
	if b.Note != "" {
		return ThresholdResult{Threshold: th, Note: "baseline: " + b.Note}
	}
	abs.Value = b.Observed * th.Baseline
	abs.Duration = time.Duration(math.Round(float64(b.ObservedDuration) * th.Baseline))
	res := abs.Check(s)
	res.Threshold, res.BaselineValue, res.BaselineDuration = th, b.Observed, b.ObservedDuration
	m, _ := thParseMetric(th.Metric)
	note := fmt.Sprintf("baseline %s, limit %s", res.BaselineText(), thFormat(m.kind, abs.Value, abs.Duration))
	if res.Note != "" {
		note += "; " + res.Note
	}
	res.Note = note
	return res
}

// EvaluateThresholdsBaseline is [EvaluateThresholds] with the
// thresholds that have a Baseline factor checked against base (nil: they
// fail, noting that there is no baseline).
func EvaluateThresholdsBaseline(s, base *Snapshot, ths []Threshold) Verdict {
	v := Verdict{Pass: true, Results: make([]ThresholdResult, 0, len(ths))}
	for _, th := range ths {
		r := th.CheckBaseline(s, base)
		v.Results = append(v.Results, r)
		v.Pass = v.Pass && r.Pass
	}
	return v
}

func (th Threshold) checkSchedule(m thMetric, ss *ScheduleStats, res ThresholdResult) ThresholdResult {
	if ss == nil {
		ss = &ScheduleStats{}
	}
	if m.sched == "counter" {
		switch m.stat {
		case "dropped":
			res.Observed = float64(ss.Dropped)
		case "missed":
			res.Observed = float64(ss.Missed)
		case "dropped_ratio":
			res.Observed = ss.DroppedRatio()
		}
		res.Pass = th.holds(m.kind, res.Observed, 0)
		return res
	}
	t := map[string]*Timing{"lag": &ss.Lag, "iteration": &ss.ResponseTime, "service": &ss.ServiceTime}[m.sched]
	if t.Count == 0 {
		res.Note = "no samples"
		return res
	}
	res.ObservedDuration = m.duration(t, t.Min, t.Max)
	res.Pass = th.holds(thTime, 0, res.ObservedDuration)
	return res
}

// holds compares an observed value with the limit.
func (th Threshold) holds(k thKind, v float64, d time.Duration) bool {
	a, b := v, th.Value
	if k == thTime {
		a, b = float64(d), float64(th.Duration)
	}
	switch th.Op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	}
	return false
}

// thSelect returns the row a threshold is about: the total for "", the
// row "TYPE NAME", or every row named name merged; nil if none.
// durations is a series of durations a threshold can measure: a request
// row's response times or one of the schedule's timings.
type durations interface {
	Mean() time.Duration
	Percentile(q float64) time.Duration
}

// duration returns m's statistic (avg, min, max or a percentile) of d,
// whose extremes are lo and hi.
func (m thMetric) duration(d durations, lo, hi time.Duration) time.Duration {
	switch m.stat {
	case "avg":
		return d.Mean()
	case "min":
		return lo
	case "max":
		return hi
	}
	return d.Percentile(m.quantile)
}

func thSelect(s *Snapshot, entry string) *EntryStats {
	if entry == "" {
		if s.Total == nil {
			return &EntryStats{Name: "Aggregated"}
		}
		return s.Total
	}
	for _, e := range s.Entries {
		if e.Type+" "+e.Name == entry {
			return e
		}
	}
	var m *EntryStats
	for _, e := range s.Entries {
		if e.Name == entry {
			if m == nil {
				m = e
			} else {
				m = statsMergeEntry(m, e)
			}
		}
	}
	return m
}
