package locust

import (
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
	// Failures counts failed samples.
	Failures int64
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
}
