package locust

import (
	"cmp"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range and precision shared by every histogram of the project,
// so that any two can be merged exactly: 1 µs to 1 hour, 3 significant
// digits. Longer samples are clamped to the highest value, never dropped.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
)

// Percentiles are the quantiles reported in the console, CSV and JSON
// outputs, as Locust's PERCENTILES_TO_REPORT.
var Percentiles = []float64{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0}

// Snapshot is the state of the statistics at one moment. It is immutable:
// methods never change it and the runner never reuses it. Snapshots of
// different processes merge exactly with [Snapshot.Merge].
type Snapshot struct {
	// Start is when the statistics began (test start or last reset).
	Start time.Time
	// Time is when the snapshot was taken.
	Time time.Time
	// Entries has one row per (Type, Name), sorted by Name then Type.
	Entries []*EntryStats
	// Total is the Aggregated row over every entry.
	Total *EntryStats
	// Failures groups failed samples by (Type, Name, error text), sorted
	// by decreasing occurrences.
	Failures []FailureStats
	// Exceptions groups errors and panics from user code by message and
	// stack, sorted by decreasing count.
	Exceptions []ExceptionStats
	// History has one point per stats tick since Start (about one per
	// second), oldest first.
	History []HistoryPoint
	// Schedule holds the arrival-rate mode's iteration counters and
	// timings and the schedule lag of paced users; nil when nothing was
	// scheduled.
	Schedule *ScheduleStats
}

// EntryStats are the statistics of one (Type, Name) row, or of the
// Aggregated total.
type EntryStats struct {
	// Type is the request type, e.g. "GET" or "grpc"; empty for the total.
	Type string
	// Name is the row's name; "Aggregated" for the total.
	Name string
	// Requests counts every sample, failures included (as Locust).
	Requests int64
	// Failures counts failed samples. Aborted samples are not failures.
	Failures int64
	// Aborted counts samples cut short because their user was stopped
	// (recorded with an error wrapping [ErrAborted]): requests the target
	// saw but whose answer the test did not wait for. They are counted in
	// Requests, TotalTime and the percentiles (with the time until the
	// abort), never in Failures.
	Aborted int64
	// TotalTime is the exact sum of the samples' durations.
	TotalTime time.Duration
	// Min and Max are the exact shortest and longest durations.
	Min, Max time.Duration
	// ContentBytes is the total response size.
	ContentBytes int64
	// TotalRPS and TotalFailPerSec are rates over the whole period from
	// the snapshot's Start to its Time.
	TotalRPS, TotalFailPerSec float64
	// CurrentRPS and CurrentFailPerSec are rates over the last ~10 s.
	CurrentRPS, CurrentFailPerSec float64

	hist    *hdr.PackedHistogram // every sample, µs
	current *hdr.PackedHistogram // samples of the current window, µs
}

// FailureStats is a group of failures with the same type, name and error.
type FailureStats struct {
	// Type is the request type (Locust's "Method").
	Type string
	// Name is the request name.
	Name string
	// Error is the error text.
	Error string
	// Occurrences counts the failures of the group.
	Occurrences int64
	// FirstSeen and LastSeen bound when they happened.
	FirstSeen, LastSeen time.Time
}

// ExceptionStats is a group of errors or panics raised by user code.
type ExceptionStats struct {
	// Message is the error text.
	Message string
	// Traceback is the stack trace (of a panic) or where the error was
	// returned.
	Traceback string
	// Count is how many times it happened.
	Count int64
	// Nodes are the processes it happened on: "local", or worker ids.
	Nodes []string
}

// HistoryPoint is one tick of the stats history.
type HistoryPoint struct {
	// Time of the tick.
	Time time.Time
	// Users running at the tick.
	Users int
	// CurrentRPS and CurrentFailPerSec of the Aggregated row.
	CurrentRPS, CurrentFailPerSec float64
	// P50, P95 and P99 are current (windowed) percentiles of the
	// Aggregated row.
	P50, P95, P99 time.Duration
	// AvgTime is the cumulative mean response time.
	AvgTime time.Duration
	// Requests and Failures are cumulative counts at the tick.
	Requests, Failures int64
	// Percentiles are the current (windowed) percentiles of the
	// Aggregated row at the chart percentiles ([Stats.SetChartPercentiles]),
	// in their order; nil without chart percentiles.
	Percentiles []time.Duration
}

// statsWindowTicks is how many ticks the current window spans: the open
// interval plus the statsWindowTicks-1 last closed ones, about 10 s at the
// default one-second tick, as Locust's current rates.
const statsWindowTicks = 10

// statsMicros converts a duration into a histogram value: microseconds,
// clamped into [histLowest, histHighest] so that no sample is ever dropped.
func statsMicros(d time.Duration) int64 {
	return min(max(d.Microseconds(), histLowest), histHighest)
}

// statsQuantile clamps q into [0, 1] (NaN is 0) and converts it into the
// 0..100 percentile the histogram library takes.
func statsQuantile(q float64) float64 {
	if !(q > 0) { // also NaN
		return 0
	}
	return min(q, 1) * 100
}

func statsHistPercentile(h *hdr.PackedHistogram, q float64) time.Duration {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.ValueAtPercentile(statsQuantile(q))) * time.Microsecond
}

// Percentile returns the duration below which a fraction q (0..1, clamped)
// of the samples fall, zero without samples. It is the histogram's value
// (3 significant digits) bounded by the exact Min and Max, so
// Percentile(1) is Max.
func (e *EntryStats) Percentile(q float64) time.Duration {
	if e == nil || e.Requests == 0 {
		return 0
	}
	return min(max(statsHistPercentile(e.hist, q), e.Min), e.Max)
}

// CurrentPercentile is [EntryStats.Percentile] over the samples of the
// current window (the last ~10 s), zero without samples there.
func (e *EntryStats) CurrentPercentile(q float64) time.Duration {
	if e == nil {
		return 0
	}
	return statsHistPercentile(e.current, q)
}

// Median returns Percentile(0.5).
func (e *EntryStats) Median() time.Duration { return e.Percentile(0.5) }

// Mean returns the exact mean duration, TotalTime/Requests, zero without
// samples.
func (e *EntryStats) Mean() time.Duration {
	if e == nil || e.Requests == 0 {
		return 0
	}
	return e.TotalTime / time.Duration(e.Requests)
}

// FailRatio returns Failures/Requests (0..1), zero without samples.
func (e *EntryStats) FailRatio() float64 {
	if e == nil || e.Requests == 0 {
		return 0
	}
	return float64(e.Failures) / float64(e.Requests)
}

// AvgContentSize returns the mean response size in bytes, zero without
// samples.
func (e *EntryStats) AvgContentSize() float64 {
	if e == nil || e.Requests == 0 {
		return 0
	}
	return float64(e.ContentBytes) / float64(e.Requests)
}

// Merge returns a new snapshot combining s and o, as if one process had
// recorded the samples of both: entries are merged by (Type, Name) and
// their histograms exactly; failures by (Type, Name, Error) with summed
// occurrences and the earliest first and latest last seen; exceptions by
// (Message, Traceback) with summed counts and their nodes united. Start
// is the earlier start, Time the later time, and total rates are
// recomputed over that period while current rates add up. History is
// the receiver's. Neither s nor o is changed; a nil side returns the
// other.
func (s *Snapshot) Merge(o *Snapshot) *Snapshot {
	if s == nil {
		return o
	}
	if o == nil {
		return s
	}
	m := &Snapshot{Start: s.Start, Time: s.Time, History: s.History}
	if o.Start.Before(m.Start) {
		m.Start = o.Start
	}
	if o.Time.After(m.Time) {
		m.Time = o.Time
	}
	el := m.Time.Sub(m.Start).Seconds()

	byKey := make(map[statsRowKey]*EntryStats, len(s.Entries)+len(o.Entries))
	for _, list := range [][]*EntryStats{s.Entries, o.Entries} {
		for _, e := range list {
			k := statsRowKey{e.Type, e.Name}
			if cur := byKey[k]; cur != nil {
				byKey[k] = statsMergeEntry(cur, e)
			} else {
				c := *e
				byKey[k] = &c
			}
		}
	}
	for _, e := range byKey {
		e.setTotalRates(el)
		m.Entries = append(m.Entries, e)
	}
	statsSortEntries(m.Entries)
	switch {
	case s.Total != nil && o.Total != nil:
		m.Total = statsMergeEntry(s.Total, o.Total)
	case s.Total != nil:
		c := *s.Total
		m.Total = &c
	case o.Total != nil:
		c := *o.Total
		m.Total = &c
	}
	m.Total.setTotalRates(el)

	m.Failures = statsMergeFailures(s.Failures, o.Failures)
	statsSortFailures(m.Failures)
	m.Exceptions = statsMergeExceptions(s.Exceptions, o.Exceptions)
	statsSortExceptions(m.Exceptions)
	m.Schedule = s.Schedule.Merge(o.Schedule)
	return m
}

// setTotalRates sets the whole-period rates for a period of el seconds.
func (e *EntryStats) setTotalRates(el float64) {
	if e == nil {
		return
	}
	e.TotalRPS, e.TotalFailPerSec = 0, 0
	if el > 0 {
		e.TotalRPS = float64(e.Requests) / el
		e.TotalFailPerSec = float64(e.Failures) / el
	}
}

// statsMergeEntry returns a new entry with the samples of a and b; a's
// histograms are cloned, never changed.
func statsMergeEntry(a, b *EntryStats) *EntryStats {
	m := *a
	switch {
	case a.Requests == 0:
		m.Min, m.Max = b.Min, b.Max
	case b.Requests > 0:
		m.Min, m.Max = min(a.Min, b.Min), max(a.Max, b.Max)
	}
	m.Requests += b.Requests
	m.Failures += b.Failures
	m.Aborted += b.Aborted
	m.TotalTime += b.TotalTime
	m.ContentBytes += b.ContentBytes
	m.CurrentRPS += b.CurrentRPS
	m.CurrentFailPerSec += b.CurrentFailPerSec
	m.hist = statsMergeHist(a.hist, b.hist)
	m.current = statsMergeHist(a.current, b.current)
	return &m
}

// statsMergeHist returns a histogram of a and b's counts: one of them if
// the other is empty (they are immutable), else a new one.
func statsMergeHist(a, b *hdr.PackedHistogram) *hdr.PackedHistogram {
	switch {
	case b == nil || b.TotalCount() == 0:
		return a
	case a == nil || a.TotalCount() == 0:
		return b
	}
	m := a.Clone()
	m.Merge(b)
	return m
}

// statsMergeFailures returns the failure groups of a and b merged; a
// and b are not changed.
func statsMergeFailures(a, b []FailureStats) []FailureStats {
	out := make([]FailureStats, 0, len(a)+len(b))
	at := make(map[statsFailKey]int, len(a)+len(b))
	for _, list := range [][]FailureStats{a, b} {
		for _, f := range list {
			k := statsFailKey{f.Type, f.Name, f.Error}
			if i, ok := at[k]; ok {
				out[i].add(f)
				continue
			}
			at[k] = len(out)
			out = append(out, f)
		}
	}
	return out
}

// add merges the failures of o (same group) into f.
func (f *FailureStats) add(o FailureStats) {
	f.Occurrences += o.Occurrences
	if f.FirstSeen.IsZero() || (!o.FirstSeen.IsZero() && o.FirstSeen.Before(f.FirstSeen)) {
		f.FirstSeen = o.FirstSeen
	}
	if o.LastSeen.After(f.LastSeen) {
		f.LastSeen = o.LastSeen
	}
}

// statsMergeExceptions returns the exception groups of a and b merged,
// with fresh Nodes slices; a and b are not changed.
func statsMergeExceptions(a, b []ExceptionStats) []ExceptionStats {
	out := make([]ExceptionStats, 0, len(a)+len(b))
	at := make(map[statsExcKey]int, len(a)+len(b))
	for _, list := range [][]ExceptionStats{a, b} {
		for _, x := range list {
			k := statsExcKey{x.Message, x.Traceback}
			if i, ok := at[k]; ok {
				out[i].add(x)
				continue
			}
			at[k] = len(out)
			x.Nodes = slices.Clone(x.Nodes)
			out = append(out, x)
		}
	}
	return out
}

// add merges o (same group) into x: counts add up, nodes are united.
func (x *ExceptionStats) add(o ExceptionStats) {
	x.Count += o.Count
	for _, n := range o.Nodes {
		if !slices.Contains(x.Nodes, n) {
			x.Nodes = append(x.Nodes, n)
		}
	}
}

func statsSortEntries(es []*EntryStats) {
	slices.SortFunc(es, func(a, b *EntryStats) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
}

func statsSortFailures(fs []FailureStats) {
	slices.SortFunc(fs, func(a, b FailureStats) int {
		return cmp.Or(cmp.Compare(b.Occurrences, a.Occurrences), cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.Error, b.Error))
	})
}

func statsSortExceptions(xs []ExceptionStats) {
	slices.SortFunc(xs, func(a, b ExceptionStats) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message),
			cmp.Compare(a.Traceback, b.Traceback))
	})
}
