package locust

import (
	"context"
	"errors"
	"time"
)

// ErrAborted is the error recorded for a sample cut short because its user
// was stopped (a ramp-down, the end of the test, or the stop timeout):
// [Record] replaces a cancellation error with it. Such samples are
// counted as requests (every request the target saw is in the statistics)
// and as aborted (EntryStats.Aborted), never as failures: the target did
// not fail, so they change neither the failure counts nor the exit code.
// A sample whose Err wraps ErrAborted (errors.Is) is aborted too, so code
// that passes such an error on keeps the status. Config.StopTimeout
// (--stop-timeout) lets running tasks finish instead.
var ErrAborted = errors.New("aborted: the user was stopped during the request (see --stop-timeout)")

// errUserStopped means the user was stopped: the cancellation cause of a
// stopped user's context, and what the task loop returns to unwind.
var errUserStopped = errors.New("locust: user stopped")

// Sample is one measured operation of any protocol: an HTTP request, a
// gRPC call, a database query.
type Sample struct {
	// Type is the kind of operation, e.g. "GET", "grpc", "sql".
	Type string
	// Name is the row the sample is counted in, e.g. "/items/[id]".
	Name string
	// Duration is the response time.
	Duration time.Duration
	// Size is the response size in bytes.
	Size int64
	// Err is nil for a success, else the failure's cause.
	Err error
}

type statsKey struct{}

// ContextWithStats returns a copy of ctx whose samples [Record] adds to st.
// The runner does this for every user; call it to record from code that
// runs outside a runner, such as a test of a custom client.
func ContextWithStats(ctx context.Context, st *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, st)
}

// statsFrom returns the stats that ctx records into, or nil.
func statsFrom(ctx context.Context) *Stats {
	st, _ := ctx.Value(statsKey{}).(*Stats)
	return st
}

// Record adds s to the statistics of the test that ctx belongs to (the
// context a task receives, or one made by [ContextWithStats]). Without
// such a test it does nothing. It is safe for concurrent use and cheap
// enough to call for every request.
func Record(ctx context.Context, s Sample) {
	if s.Err != nil && errors.Is(s.Err, context.Canceled) && errors.Is(context.Cause(ctx), errUserStopped) {
		s.Err = ErrAborted
	}
	if st := statsFrom(ctx); st != nil {
		st.Record(s)
	}
}

// Measure runs fn, times it and records a sample of the given type and
// name: a failure with fn's error, or a success. It returns fn's error.
// Under a request-rate ceiling (Config.MaxRPS) it first waits for
// [Throttle]; if ctx ends meanwhile, fn is not run and nothing is
// recorded.
func Measure(ctx context.Context, typ, name string, fn func(ctx context.Context) error) error {
	if err := Throttle(ctx); err != nil {
		return err
	}
	start := monoNow() // one clock read (clock.go)
	err := fn(ctx)
	Record(ctx, Sample{Type: typ, Name: name, Duration: time.Since(start), Err: err})
	return err
}
