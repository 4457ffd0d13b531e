package webui

// View types of the open workload model and of the thresholds: the
// schedule statistics (arrival-rate mode, paced users) and the verdict.
// They are new fields of GET /stats/requests and of the live feed;
// Locust's fields are unchanged.

// ScheduleView are the statistics of scheduled iterations: the
// arrival-rate mode's arrivals, and the schedule lag of paced users.
// Durations are milliseconds.
type ScheduleView struct {
	// Scheduled counts the arrivals that fell due.
	Scheduled int64 `json:"scheduled"`
	// Dropped counts the arrivals that found no free user while the pool
	// was at its maximum: iterations that were due and never ran.
	Dropped int64 `json:"dropped"`
	// DroppedRatio is Dropped/Scheduled, 0..1.
	DroppedRatio float64 `json:"dropped_ratio"`
	// Missed counts the starts of paced users that never happened because
	// a task took longer than the pace.
	Missed int64 `json:"missed"`
	// Lag is how late iterations started compared with their schedule.
	Lag TimingView `json:"lag"`
	// ResponseTime is from an iteration's scheduled start to its end;
	// ServiceTime from its actual start to its end (arrival-rate mode).
	ResponseTime TimingView `json:"response_time"`
	ServiceTime  TimingView `json:"service_time"`
}

// TimingView summarizes durations, in milliseconds; all zero when Count
// is 0.
type TimingView struct {
	Count int64   `json:"count"`
	Avg   float64 `json:"avg"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
}

// VerdictView is the outcome of a test's thresholds: while the test runs,
// the verdict so far (end-of-test thresholds over the statistics now,
// rolling ones as checked); once it has stopped, the final verdict.
type VerdictView struct {
	// Pass is true when every threshold holds and no abort rule stopped
	// the test.
	Pass bool `json:"pass"`
	// Aborted is true when an abort threshold stopped the test, and
	// AbortReason names it.
	Aborted     bool   `json:"aborted"`
	AbortReason string `json:"abort_reason"`
	// Results has one entry per threshold, in the order given.
	Results []ThresholdView `json:"results"`
}

// ThresholdView is the outcome of one threshold, with the field names of
// the "thresholds" results of --json.
type ThresholdView struct {
	// Threshold is the expression, e.g. "GET /checkout: p99<1s".
	Threshold string `json:"threshold"`
	// Entry is the row ("" for Aggregated), Metric, Op and Limit the
	// comparison, in Unit ("ms", "ratio", "1/s" or "count").
	Entry  string  `json:"entry"`
	Metric string  `json:"metric"`
	Op     string  `json:"op"`
	Limit  float64 `json:"limit"`
	Unit   string  `json:"unit"`
	// Observed is the value found, in Unit; ObservedText the same as
	// text ("123.4ms", "1.5%", "998.2/s", "12").
	Observed     float64 `json:"observed"`
	ObservedText string  `json:"observed_text"`
	// WindowSecs is the window of a rolling threshold; 0 for an
	// end-of-test one.
	WindowSecs float64 `json:"window_s"`
	// Abort marks a threshold that stops the test when it fails.
	Abort bool `json:"abort"`
	// Pass reports whether it holds.
	Pass bool `json:"pass"`
	// Note explains a result that is not a plain comparison.
	Note string `json:"note"`
}
