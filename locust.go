package locust

import (
	"context"
	"time"
)

// Result is the outcome of [RunTest].
type Result struct {
	// Stats are the final statistics.
	Stats *Snapshot
	// Reason says why the test ended: EndRunTime, EndIterations,
	// EndShape, EndArrival, an abort rule (Reason.Aborted()), or
	// EndStopped (ctx was cancelled).
	Reason EndReason
	// UserCounts are the users per class at the end of the ramp (in
	// arrival-rate mode: nil; the pool's size is in Stats' history).
	UserCounts map[string]int
	// Verdict is the outcome of Config.Thresholds (Pass without any).
	Verdict Verdict
	// Health says whether the generator itself was overloaded.
	Health Health
}

// RunTest runs the test described by cfg in this process and returns its
// final statistics. It starts cfg.Users users at cfg.SpawnRate (or follows
// cfg.Shape) and ends at cfg.RunTime, after cfg.Iterations task runs, when
// the shape says so, or when ctx is cancelled, whichever comes first; at
// least one of them must be able to happen. The stop honours
// cfg.StopTimeout. A cancelled ctx is not an error: the result is that of
// the interrupted test. A class of HTTP users without a host (neither
// cfg.Host nor its Class.Host) is an error, before anything starts.
func RunTest(ctx context.Context, cfg Config) (*Result, error) {
	if err := checkHosts(cfg.Classes, cfg.Host, "Config.Host"); err != nil {
		return nil, err
	}
	r, err := NewLocalRunner(cfg)
	if err != nil {
		return nil, err
	}
	var peak map[string]int
	remove := r.events.SpawningComplete.Add(func(e SpawnEvent) { peak = e.Classes })
	defer remove()
	switch {
	case cfg.Arrival != nil:
		err = r.StartArrival(*cfg.Arrival)
	case cfg.Shape != nil:
		err = r.StartShape(cfg.Shape)
	default:
		err = r.Start(cfg.Users, cfg.SpawnRate)
	}
	if err != nil {
		return nil, err
	}
	_ = r.Wait(ctx)
	stopCtx, cancel := context.WithTimeout(context.Background(), cfg.StopTimeout+onStopGrace+time.Minute)
	defer cancel()
	if err := r.Stop(stopCtx); err != nil {
		return nil, err
	}
	return &Result{Stats: r.Snapshot(), Reason: r.EndReason(), UserCounts: peak, Verdict: r.Verdict(), Health: r.Health()}, nil
}
