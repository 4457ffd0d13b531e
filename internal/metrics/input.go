// Package metrics exports a load test's statistics to Prometheus (a
// [Collector] for /metrics) and over OTLP. It knows nothing of the
// engine: the locust package builds a [Snapshot] from its own statistics
// on each scrape and passes it in, so that this package does not import
// the root package (which imports it) and recording a sample never
// touches it.
//
// Every count in a Snapshot is cumulative over the life of the process:
// statistics resets are folded in by the engine, so counters never go
// down (see docs/metrics.md).
package metrics

import "time"

// Snapshot is the state of a test as the exporters see it. The engine
// builds a new one for every scrape; exporters never change it.
type Snapshot struct {
	// Rows are the request rows, one per (Type, Name), lifetime counts.
	Rows []Row
	// Failures are the failed samples grouped by (Type, Name, Error),
	// lifetime counts.
	Failures []Failure
	// Users is the number of running users per class.
	Users map[string]int
	// Workers counts the workers per state ("ready", "running",
	// "missing", ...); nil when the process is not a master.
	Workers map[string]int
	// Schedule holds the open model's counters; nil when nothing was
	// scheduled.
	Schedule *Schedule
	// Thresholds are the thresholds' current results, in order.
	Thresholds []Threshold
	// State is the runner's state: "ready", "spawning", "running",
	// "stopping", "stopped".
	State string
	// Resets counts the statistics resets folded into the counts.
	Resets int64
	// Start is when the statistics started (the process's first test).
	Start time.Time
}

// Row is one request row: counts and the response time histogram.
type Row struct {
	// Type is the request type ("GET", "grpc", ...), Name the row's name.
	Type, Name string
	// Requests counts every sample, failures included.
	Requests int64
	// Failures counts the failed samples.
	Failures int64
	// ContentBytes is the total response size.
	ContentBytes int64
	// Duration is the response time distribution.
	Duration Histogram
}

// Histogram is a distribution of durations: the populated buckets of an
// HDR histogram, each given by the exclusive upper end of the durations
// it holds, in ascending order.
type Histogram struct {
	// Count is the number of samples; the buckets' counts add up to it.
	Count int64
	// Sum is the exact sum of the samples, in seconds.
	Sum float64
	// Buckets are the populated HDR buckets in ascending order.
	Buckets []Bucket
}

// Bucket is one populated bucket of an HDR histogram: Count samples
// shorter than Upper seconds and at least as long as the previous
// bucket's upper end.
type Bucket struct {
	Upper float64
	Count int64
}

// Failure is a group of failed samples with the same type, name and
// error text.
type Failure struct {
	Type, Name, Error string
	Count             int64
}

// Schedule is the open model's iteration counters and schedule lag.
type Schedule struct {
	// Scheduled counts the arrivals that fell due; Dropped those that
	// found no free user; Missed the paced starts that never happened.
	Scheduled, Dropped, Missed int64
	// Lag is how late iterations started compared with their schedule.
	Lag Histogram
}

// Threshold is the result of one threshold.
type Threshold struct {
	// Name is the threshold as written, e.g. "p95 < 200ms".
	Name string
	// Pass reports whether it holds now.
	Pass bool
}
