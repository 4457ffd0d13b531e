package history

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Status is the state of a stored run.
type Status string

// The states of a run. A run whose process stopped checkpointing without
// finishing it (killed, crashed, machine lost) reads as Interrupted once
// its last checkpoint is older than [StaleAfter].
const (
	Running     Status = "running"
	Finished    Status = "finished"
	Interrupted Status = "interrupted"
)

// StaleAfter is how old the last checkpoint of an unfinished run must be
// for it to read as [Interrupted]. Runs checkpoint at every stats tick
// (about once a second).
const StaleAfter = 30 * time.Second

// Summary is what a run list shows of a run.
type Summary struct {
	// ID identifies the run; see [NewID].
	ID string `json:"id"`
	// Start is when the test started; End when it ended (zero while it
	// runs or if it was interrupted).
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitzero"`
	// Updated is the time of the last checkpoint.
	Updated time.Time `json:"updated"`
	// Status is derived when the run is read: Finished once End is set,
	// else Running or, after StaleAfter without a checkpoint, Interrupted.
	Status Status `json:"status"`
	// EndReason says why the test ended ("run time reached", "stopped",
	// "interrupted", ...), as the program logs it.
	EndReason string `json:"end_reason,omitempty"`
	// ExitCode is the program's exit code.
	ExitCode int `json:"exit_code"`
	// Verdict is "pass", "fail" or "aborted" when the run had thresholds,
	// else "".
	Verdict string `json:"verdict,omitempty"`
	// Host is the base address of the system under test.
	Host string `json:"host,omitempty"`
	// Users is the peak number of users asked for.
	Users int `json:"users"`
	// Profile is Locust's --profile name.
	Profile string `json:"profile,omitempty"`
	// Labels are the run's --label key=value pairs.
	Labels map[string]string `json:"labels,omitempty"`
	// Requests, Failures, P95 and RPS are the Aggregated row's totals,
	// 95th percentile and whole-run rate.
	Requests int64         `json:"requests"`
	Failures int64         `json:"failures"`
	P95      time.Duration `json:"p95_ns"`
	RPS      float64       `json:"rps"`
}

// FailRatio returns Failures/Requests, 0 without requests.
func (s Summary) FailRatio() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Failures) / float64(s.Requests)
}

// Duration returns End-Start, or Updated-Start for an unfinished run.
func (s Summary) Duration() time.Duration {
	if !s.End.IsZero() {
		return s.End.Sub(s.Start)
	}
	return s.Updated.Sub(s.Start)
}

// Run is everything a run keeps. Its zero value is not useful: set at
// least ID and Start before saving it. A Run is a plain value; it is not
// safe for concurrent mutation.
type Run struct {
	Summary
	Detail

	// Rows are the per-request statistics, sorted by name then type;
	// Total is the Aggregated row.
	Rows  []Row `json:"rows"`
	Total Row   `json:"total"`
	// Points is the time series behind the charts, oldest first.
	Points []Point `json:"points,omitempty"`
}

// Detail is what a run keeps besides its [Summary], its rows and its time
// series: how it was configured and what it found. It is embedded in
// [Run], whose JSON form has its fields at the top level.
type Detail struct {
	// StatsStart and StatsTime bound the period of the statistics (the
	// snapshot's Start and Time): rates are over this period.
	StatsStart time.Time `json:"stats_start"`
	StatsTime  time.Time `json:"stats_time"`
	// SpawnRate and RunTime are the -r and -t options (zero if unset).
	SpawnRate float64       `json:"spawn_rate"`
	RunTime   time.Duration `json:"run_time_ns"`
	// Classes are the user classes run, with their weights.
	Classes []Class `json:"classes,omitempty"`
	// Shape describes the load shape or arrival schedule, "" if none.
	Shape string `json:"shape,omitempty"`
	// Options holds every option that was set, by long name, with
	// secrets redacted.
	Options map[string]string `json:"options,omitempty"`
	// Build identifies the test program.
	Build Build `json:"build"`
	// Nodes are the processes that generated load: "local", or the
	// workers' ids.
	Nodes []string `json:"nodes,omitempty"`
	// Workers are the workers at the end of a distributed run.
	Workers []Worker `json:"workers,omitempty"`
	// Errors are the failed requests grouped by row and error (Locust's
	// Failures tab); Exceptions the errors and panics of user code.
	Errors     []Failure   `json:"errors,omitempty"`
	Exceptions []Exception `json:"exceptions,omitempty"`
	// Thresholds are the thresholds' results, in the order given.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Aborted is set when an abort rule stopped the test; AbortReason
	// names it.
	Aborted     bool   `json:"aborted,omitempty"`
	AbortReason string `json:"abort_reason,omitempty"`
	// Schedule holds the arrival-rate and pacing statistics in the JSON
	// output's "schedule" form; empty when nothing was scheduled.
	Schedule json.RawMessage `json:"schedule,omitempty"`
	// Baseline is the id of the run the thresholds were compared with.
	Baseline string `json:"baseline,omitempty"`
}

// Class is a user class of a run.
type Class struct {
	Name       string `json:"name"`
	Weight     int    `json:"weight"`
	FixedCount int    `json:"fixed_count,omitempty"`
}

// Build identifies the program that ran the test, from its build
// information.
type Build struct {
	// Module and Version are the main module's path and version.
	Module  string `json:"module,omitempty"`
	Version string `json:"version,omitempty"`
	// Revision, Time and Modified are the VCS revision, commit time and
	// whether the work tree had changes.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// GoVersion is the toolchain; Golocust golocust's module version.
	GoVersion string `json:"go_version,omitempty"`
	Golocust  string `json:"golocust,omitempty"`
}

// Worker is a worker of a distributed run.
type Worker struct {
	ID    string `json:"id"`
	State string `json:"state,omitempty"`
	Users int    `json:"users"`
}

// Row is the final statistics of one request row. Type and Name identify
// it as in the live statistics (method or protocol, and the request's
// name); Requests counts every request and Failures those that failed;
// TotalTime sums the response times, which Min and Max bound; ContentBytes
// sums the responses' content lengths.
type Row struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Requests int64  `json:"requests"`
	Failures int64  `json:"failures"`
	// Aborted counts the requests cut short by the test's stop (Locust's
	// num_aborted): counted in Requests, not in Failures.
	Aborted      int64         `json:"aborted,omitempty"`
	TotalTime    time.Duration `json:"total_time_ns"`
	Min          time.Duration `json:"min_ns"`
	Max          time.Duration `json:"max_ns"`
	ContentBytes int64         `json:"content_bytes"`
	// Hist is every sample's duration in microseconds, as an
	// HdrHistogram in the standard base64 V2 compressed encoding
	// (hdrhistogram-go's Encode), "" without samples.
	Hist string `json:"hist,omitempty"`
}

// Histogram decodes Hist; nil without samples.
func (r *Row) Histogram() (*hdr.PackedHistogram, error) {
	if r.Hist == "" {
		return nil, nil
	}
	h, err := hdr.DecodePacked([]byte(r.Hist))
	if err != nil {
		return nil, fmt.Errorf("failed to decode the histogram of row %q: %w", r.Type+" "+r.Name, err)
	}
	return h, nil
}

// Percentile returns the duration below which a fraction q (0..1) of the
// row's samples fall, bounded by Min and Max as in the live statistics;
// zero without samples.
func (r *Row) Percentile(q float64) (time.Duration, error) {
	if r.Requests == 0 {
		return 0, nil
	}
	h, err := r.Histogram()
	if err != nil || h == nil {
		return 0, err
	}
	if !(q > 0) {
		q = 0
	}
	v := time.Duration(h.ValueAtPercentile(min(q, 1)*100)) * time.Microsecond
	return min(max(v, r.Min), r.Max), nil
}

// Mean returns TotalTime/Requests, 0 without requests.
func (r *Row) Mean() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.TotalTime / time.Duration(r.Requests)
}

// Failure is a group of failed requests with one error.
type Failure struct {
	Type        string    `json:"type"`
	Name        string    `json:"name"`
	Error       string    `json:"error"`
	Occurrences int64     `json:"occurrences"`
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
}

// Exception is a group of errors or panics raised by user code.
type Exception struct {
	Message   string   `json:"message"`
	Traceback string   `json:"traceback"`
	Count     int64    `json:"count"`
	Nodes     []string `json:"nodes,omitempty"`
}

// ThresholdResult is the outcome of one threshold, as text.
type ThresholdResult struct {
	Threshold string `json:"threshold"`
	Pass      bool   `json:"pass"`
	Observed  string `json:"observed"`
	// Baseline is the baseline run's value for a threshold relative to
	// a baseline.
	Baseline string `json:"baseline,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Point is one stats tick of the time series.
type Point struct {
	Time       time.Time     `json:"t"`
	Users      int           `json:"users"`
	Requests   int64         `json:"requests"`
	Failures   int64         `json:"failures"`
	RPS        float64       `json:"rps"`
	FailPerSec float64       `json:"fail_per_sec"`
	P50        time.Duration `json:"p50_ns"`
	P95        time.Duration `json:"p95_ns"`
	P99        time.Duration `json:"p99_ns"`
	AvgTime    time.Duration `json:"avg_ns"`
}

// NewID returns a new run id for a run started at t: its UTC date and
// time and a random suffix, "20260102-150405-3fa9c1", so that ids sort
// by start time.
func NewID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102-150405-") + hex.EncodeToString(b[:])
}
