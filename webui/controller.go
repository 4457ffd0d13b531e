package webui

import (
	"io"
	"time"
)

// Controller is what the web UI drives: a local runner or the master of a
// distributed test, adapted by the caller (package locust does it for its
// runners). All methods must be safe for concurrent use; none may block
// for long, as they run inside HTTP handlers.
type Controller interface {
	// Info describes the test program; it does not change while the
	// server runs.
	Info() Info
	// Start starts a test, or changes the user count and spawn rate of
	// the running one. The request has been validated against Info. A
	// [*FieldError] is answered 400 naming its field, any other error
	// 409.
	Start(req StartRequest) error
	// Stop asks the running test to stop and returns at once; the state
	// goes through "stopping" to "stopped".
	Stop() error
	// ResetStats empties the statistics and the exceptions.
	ResetStats()
	// View returns the current statistics and state.
	View() *View
	// Ratios returns the class and task ratios of the current user
	// distribution (of the class weights before a test has run).
	Ratios() *Ratios
	// WriteCSV writes one of the CSV downloads.
	WriteCSV(w io.Writer, kind CSVKind) error
	// WriteJSON writes the statistics in the JSON format of --json.
	WriteJSON(w io.Writer) error
}

// CSVKind names a CSV download.
type CSVKind int

// The CSV downloads, with the content of Locust's files of the same name.
const (
	CSVRequests   CSVKind = iota // PREFIX_stats.csv
	CSVFailures                  // PREFIX_failures.csv
	CSVExceptions                // PREFIX_exceptions.csv
)

// Info describes the test program to the start form.
type Info struct {
	// Program is the name of the test program, used in download names.
	Program string `json:"program"`
	// Version is the version of golocust.
	Version string `json:"version"`
	// Mode is "local" or "master".
	Mode string `json:"mode"`
	// Host is the default target host (may be empty when every class
	// has its own).
	Host string `json:"host"`
	// Users and SpawnRate are the defaults of the start form.
	Users     int     `json:"users"`
	SpawnRate float64 `json:"spawn_rate"`
	// RunTime is the default run time; 0 means no limit.
	RunTime time.Duration `json:"-"`
	// Classes are the names of the user classes the program can run.
	Classes []string `json:"classes"`
	// ClassPicker shows the class picker in the start form.
	ClassPicker bool `json:"class_picker"`
	// Shape is true when a load shape drives the user count: the form
	// then asks for no users and spawn rate.
	Shape bool `json:"shape"`
	// Options are the program's own options (Locust's custom arguments),
	// shown in the start form and accepted by POST /swarm.
	Options []OptionInfo `json:"options,omitempty"`
	// Percentiles are the quantiles (0 < q <= 1) of the statistics
	// table's percentile columns, which the user picks from
	// (--percentiles); EntryView.Quantiles holds their values. Empty:
	// only the 95th and 99th.
	Percentiles []float64 `json:"percentiles,omitempty"`
	// ChartPercentiles are the quantiles of the charts' response time
	// lines (--chart-percentiles); HistoryPoint.P holds their values.
	// Empty: the 50th, 95th and 99th of HistoryPoint.
	ChartPercentiles []float64 `json:"chart_percentiles,omitempty"`
}

// The kinds of an [OptionInfo], which decide its form field.
const (
	OptionText     = "text"     // a text box
	OptionNumber   = "number"   // a number box; the value parses as a float
	OptionCheckbox = "checkbox" // a check box; the value is "true" or "false"
	OptionChoice   = "choice"   // a drop-down of Choices
)

// OptionInfo describes one of the program's own options to the start
// form.
type OptionInfo struct {
	// Name is the option's name without dashes, also its POST /swarm
	// field.
	Name string `json:"name"`
	// Kind is OptionText, OptionNumber, OptionCheckbox or OptionChoice.
	Kind string `json:"kind"`
	// Choices are the allowed values of an OptionChoice.
	Choices []string `json:"choices,omitempty"`
	// Secret masks the field; its Value is never sent to the browser.
	Secret bool `json:"secret,omitempty"`
	// Value is the current value ("" for a secret).
	Value string `json:"value"`
	// Help is the option's usage text.
	Help string `json:"help,omitempty"`
}

// FieldError is a start refused because of one field of the form, such as
// a missing host: POST /swarm answers it with 400 and the field's name.
type FieldError struct {
	// Field is the form field at fault, e.g. "host".
	Field string
	// Message says what is wrong and what is allowed.
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// StartRequest is a validated POST /swarm.
type StartRequest struct {
	// Users is the target user count, >= 0.
	Users int
	// SpawnRate is users started or stopped per second, > 0.
	SpawnRate float64
	// Host is the new target host; empty keeps the current one.
	Host string
	// RunTime stops the test that long after it starts; 0 = no limit.
	RunTime time.Duration
	// Classes restricts the test to these user classes; empty means all.
	// Only set when Info.ClassPicker is on.
	Classes []string
	// Options are new values of the program's own options (Info.Options)
	// by name, validated against their kind.
	Options map[string]string
}

// View is the state and the statistics of a test at one moment. Its JSON
// form is GET /stats/requests, with Locust's field names; the exceptions
// and the history are served separately.
type View struct {
	// State is the runner state: "ready", "spawning", "running",
	// "stopping", "stopped".
	State string `json:"state"`
	// UserCount is the number of running users.
	UserCount int `json:"user_count"`
	// Host is the current target host.
	Host string `json:"host"`
	// Stats has one row per (type, name), then the "Aggregated" row.
	Stats []EntryView `json:"stats"`
	// Errors are the failures grouped by type, name and error text.
	Errors []ErrorView `json:"errors"`
	// TotalRPS, TotalFailPerSec, CurrentRPS and CurrentFailPerSec are
	// the Aggregated row's rates.
	TotalRPS          float64 `json:"total_rps"`
	TotalFailPerSec   float64 `json:"total_fail_per_sec"`
	CurrentRPS        float64 `json:"current_rps"`
	CurrentFailPerSec float64 `json:"current_fail_per_sec"`
	// FailRatio is failures/requests of the Aggregated row, 0..1.
	FailRatio float64 `json:"fail_ratio"`
	// CurrentResponseTimePercentiles are the Aggregated row's current
	// (last ~10 s) percentiles in ms, keyed
	// "response_time_percentile_0.5", "..._0.95", "..._0.99".
	CurrentResponseTimePercentiles map[string]float64 `json:"current_response_time_percentiles"`
	// Workers are the workers of a distributed test (master mode).
	Workers []WorkerView `json:"workers,omitempty"`
	// WorkerCount is len(Workers).
	WorkerCount int `json:"worker_count"`
	// UserClasses is the number of running users per class.
	UserClasses map[string]int `json:"user_classes"`
	// StartTime and Time bound the statistics period (Unix seconds).
	StartTime float64 `json:"start_time"`
	Time      float64 `json:"time"`
	// Schedule are the statistics of the open model (arrival rate) and of
	// paced users; nil (left out) without a schedule. Not in Locust.
	Schedule *ScheduleView `json:"schedule,omitempty"`
	// Thresholds is the verdict of the test's thresholds; nil (left out)
	// without thresholds. Not in Locust.
	Thresholds *VerdictView `json:"thresholds,omitempty"`

	// Exceptions are the errors and panics of user code.
	Exceptions []ExceptionView `json:"-"`
	// History has one point per stats tick since StartTime.
	History []HistoryPoint `json:"-"`
}

// EntryView is one row of the statistics, with Locust's field names.
// Durations are milliseconds.
type EntryView struct {
	Method      string `json:"method"`
	Name        string `json:"name"`
	NumRequests int64  `json:"num_requests"`
	NumFailures int64  `json:"num_failures"`
	// NumAborted counts the requests cut short by the end of the test (a
	// golocust addition): in NumRequests, not in NumFailures.
	NumAborted         int64   `json:"num_aborted"`
	AvgResponseTime    float64 `json:"avg_response_time"`
	MinResponseTime    float64 `json:"min_response_time"`
	MaxResponseTime    float64 `json:"max_response_time"`
	MedianResponseTime float64 `json:"median_response_time"`
	P95                float64 `json:"response_time_percentile_0.95"`
	P99                float64 `json:"response_time_percentile_0.99"`
	CurrentRPS         float64 `json:"current_rps"`
	CurrentFailPerSec  float64 `json:"current_fail_per_sec"`
	TotalRPS           float64 `json:"total_rps"`
	TotalFailPerSec    float64 `json:"total_fail_per_sec"`
	AvgContentLength   float64 `json:"avg_content_length"`
	// Percentiles are the response times (ms) at ReportQuantiles, for
	// the HTML report.
	Percentiles []float64 `json:"percentiles,omitempty"`
	// Quantiles are the response times (ms) at Info.Percentiles, for the
	// live table's percentile columns. Not in GET /stats/requests.
	Quantiles []float64 `json:"quantiles,omitempty"`
}

// ReportQuantiles are the columns of the HTML report's response time
// table, as Locust's.
var ReportQuantiles = []float64{0.50, 0.60, 0.70, 0.80, 0.90, 0.95, 0.99, 1.0}

// ErrorView is a group of failures.
type ErrorView struct {
	Method      string  `json:"method"`
	Name        string  `json:"name"`
	Error       string  `json:"error"`
	Occurrences int64   `json:"occurrences"`
	FirstSeen   float64 `json:"first_seen"` // Unix seconds
	LastSeen    float64 `json:"last_seen"`  // Unix seconds
}

// ExceptionView is a group of errors or panics of user code, as Locust's
// GET /exceptions rows.
type ExceptionView struct {
	Count     int64    `json:"count"`
	Msg       string   `json:"msg"`
	Traceback string   `json:"traceback"`
	Nodes     []string `json:"nodes"`
}

// HistoryPoint is one point of the charts. Durations are milliseconds.
type HistoryPoint struct {
	Time  float64 `json:"t"`   // Unix seconds
	Users int     `json:"u"`   // running users
	RPS   float64 `json:"rps"` // current requests per second
	FPS   float64 `json:"fps"` // current failures per second
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Avg   float64 `json:"avg"` // cumulative mean response time
	// P are the current response times at Info.ChartPercentiles, in
	// their order; empty without chart percentiles.
	P []float64 `json:"p,omitempty"`
}

// WorkerView is one worker of a distributed test, as the master sees it.
type WorkerView struct {
	ID            string  `json:"id"`
	State         string  `json:"state"`
	UserCount     int     `json:"user_count"`
	CPUUsage      float64 `json:"cpu_usage"`      // percent of one core
	MemoryUsage   int64   `json:"memory_usage"`   // bytes
	LastHeartbeat float64 `json:"last_heartbeat"` // Unix seconds
}

// Ratios are the shares of classes and tasks, as Locust's GET /tasks:
// PerClass has each task's share within its class, Total each task's
// share of all task runs.
type Ratios struct {
	PerClass map[string]ClassRatio `json:"per_class"`
	Total    map[string]ClassRatio `json:"total"`
}

// ClassRatio is a class's share of the users and its tasks' shares.
type ClassRatio struct {
	Ratio float64              `json:"ratio"`
	Tasks map[string]TaskRatio `json:"tasks"`
}

// TaskRatio is a task's share.
type TaskRatio struct {
	Ratio float64 `json:"ratio"`
}

// Report is the content of an HTML report.
type Report struct {
	// Info describes the program; View has the final statistics,
	// exceptions and history.
	Info Info
	View *View
	// Ratios are the final class and task ratios; nil leaves them out.
	Ratios *Ratios
	// Generated is when the report was made.
	Generated time.Time
}
