package locust

// The supervisor shared by LocalRunner and MasterRunner: one goroutine per
// test that ticks the load shape, the statistics and the rolling
// thresholds, enforces the run time, and ends the test for the first
// reason that comes (see EndReason).

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// EndReason says why a test ended; [LocalRunner.EndReason],
// [MasterRunner.EndReason] and [Result.Reason] return one.
type EndReason string

// The reasons a test ends. An abort rule's reason is EndAborted followed
// by the rule ("aborted: fail_ratio>0.1"); see [EndReason.Aborted].
const (
	EndStopped     EndReason = "stopped"                // Stop, the web UI's stop button
	EndRunTime     EndReason = "run time limit"         // Config.RunTime, --run-time
	EndIterations  EndReason = "iteration limit"        // Config.Iterations, --iterations
	EndShape       EndReason = "load shape ended"       // the LoadShape returned false
	EndShapeError  EndReason = "load shape error"       // the LoadShape returned an invalid step
	EndArrival     EndReason = "arrival schedule ended" // the last stage of Config.Arrival ended
	EndAborted     EndReason = "aborted: "              // prefix: an abort rule stopped the test
	EndInterrupted EndReason = "interrupted"            // an interrupt (Program.Main only)
)

// Aborted reports whether an abort rule ended the test.
func (e EndReason) Aborted() bool { return strings.HasPrefix(string(e), string(EndAborted)) }

// testEnd is how one test ends: the first request wins; ended is closed
// once the runner has stopped, after reason is written.
type testEnd struct {
	req    chan struct{}
	once   sync.Once
	why    EndReason // the first request; written before req is closed
	ended  chan struct{}
	reason EndReason // written before ended is closed
}

func newTestEnd() *testEnd {
	return &testEnd{req: make(chan struct{}), ended: make(chan struct{})}
}

// request asks the supervisor to end the test for reason; only the
// first request counts.
func (e *testEnd) request(reason EndReason) {
	e.once.Do(func() {
		e.why = reason
		close(e.req)
	})
}

// close records the reason and marks the test ended.
func (e *testEnd) close(reason EndReason) {
	e.reason = reason
	close(e.ended)
}

// stop asks the test to stop and waits until it has ended or ctx is
// done. A nil testEnd (no test yet) returns at once, as do wait and
// result.
func (e *testEnd) stop(ctx context.Context) error {
	if e == nil {
		return nil
	}
	e.request(EndStopped)
	return e.wait(ctx)
}

// wait waits until the test has ended or ctx is done.
func (e *testEnd) wait(ctx context.Context) error {
	if e == nil {
		return nil
	}
	select {
	case <-e.ended:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// result returns the reason once the test has ended, "" while it runs.
func (e *testEnd) result() EndReason {
	if e == nil {
		return ""
	}
	select {
	case <-e.ended:
		return e.reason
	default:
		return ""
	}
}

// verdictOf evaluates ths over s, with the rolling thresholds and abort
// rules as w checked them while the test ran (w may be nil).
func verdictOf(s *Snapshot, ths []Threshold, w *thWatch) Verdict {
	v := EvaluateThresholds(s, ths)
	if w != nil {
		w.apply(&v)
	}
	return v
}

// shapeInterval is how often a load shape is ticked.
const shapeInterval = time.Second

// checkShapeStep validates a step a load shape returned.
func checkShapeStep(step ShapeStep) error {
	if step.Users < 0 || !validRate(step.SpawnRate) {
		return fmt.Errorf("the load shape returned an invalid step: users %d (allowed 0 or more), spawn rate %v (allowed a finite number > 0)", step.Users, step.SpawnRate)
	}
	return nil
}

// firstShapeStep ticks shape at 0 and validates the step; reason is not
// empty when the test must end instead of starting.
func firstShapeStep(shape LoadShape) (step ShapeStep, reason EndReason, err error) {
	step, ok := shape.Tick(0)
	if !ok {
		return step, EndShape, nil
	}
	if err := checkShapeStep(step); err != nil {
		return step, EndShapeError, err
	}
	return step, "", nil
}

// supervisor is the loop of one test, shared by the local runner and
// the master. The runner sets the fields, then calls run in the test's
// own goroutine; apply and onCmd/onStep run in that goroutine too.
type supervisor struct {
	log   *slog.Logger
	end   *testEnd
	start time.Time
	// runTime ends the test that long after start; 0: no limit.
	runTime time.Duration
	// stats is ticked every statsInterval with users() users.
	stats         *Stats
	statsInterval time.Duration
	users         func() int
	// watch checks the rolling thresholds and abort rules every
	// monitorInterval over snapshot(), when it has any.
	watch    *thWatch
	snapshot func() *Snapshot
	// apply makes a shape step the test's target. Every step a shape
	// returns reaches the runner through it, classes included.
	apply func(step ShapeStep)

	// cmds and onCmd, stepC and onStep are the local runner's ramp.
	cmds   <-chan rampCmd
	onCmd  func(c rampCmd)
	stepC  <-chan time.Time
	onStep func()

	shape  LoadShape
	last   ShapeStep
	shapeT *time.Ticker
}

// startShape makes shape drive the test from its step first (the result
// of firstShapeStep, already applied).
func (s *supervisor) startShape(shape LoadShape, first ShapeStep) {
	s.shape, s.last = shape, first
	if s.shapeT == nil {
		s.shapeT = time.NewTicker(shapeInterval)
	}
}

// shapeTick ticks the shape and applies a changed step.
func (s *supervisor) shapeTick() {
	step, ok := s.shape.Tick(time.Since(s.start))
	if !ok {
		s.end.request(EndShape)
		return
	}
	if step.Users == s.last.Users && step.SpawnRate == s.last.SpawnRate && slices.Equal(step.Classes, s.last.Classes) {
		return
	}
	if err := checkShapeStep(step); err != nil {
		s.log.Error(err.Error() + "; stopping")
		s.end.request(EndShapeError)
		return
	}
	s.last = step
	s.apply(step)
}

// run runs the loop until the first end request and returns its reason.
// The statistics and threshold tickers run in their own goroutines until
// the returned stop is called, so that they go on while the runner stops
// its users.
func (s *supervisor) run() (reason EndReason, stopTickers func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.tickStats(ctx) })
	if s.watch.active() {
		wg.Go(func() { s.checkThresholds(ctx) })
	}
	stopTickers = func() {
		cancel()
		wg.Wait()
	}
	var runC <-chan time.Time
	if s.runTime > 0 {
		rt := time.NewTimer(time.Until(s.start.Add(s.runTime)))
		defer rt.Stop()
		runC = rt.C
	}
	defer func() {
		if s.shapeT != nil {
			s.shapeT.Stop()
		}
	}()
	for {
		var shapeC <-chan time.Time
		if s.shapeT != nil {
			shapeC = s.shapeT.C
		}
		select {
		case c := <-s.cmds:
			s.onCmd(c)
		case <-s.stepC:
			s.onStep()
		case <-shapeC:
			s.shapeTick()
		case <-runC:
			s.end.request(EndRunTime)
		case <-s.end.req:
			s.logEnd(s.end.why)
			return s.end.why, stopTickers
		}
	}
}

func (s *supervisor) logEnd(reason EndReason) {
	switch {
	case reason == EndRunTime:
		s.log.Info("run time limit reached, stopping", "run_time", s.runTime)
	case reason == EndIterations:
		s.log.Info("iteration limit reached, stopping")
	case reason == EndArrival:
		s.log.Info("the arrival-rate schedule has ended, stopping")
	case reason.Aborted():
		s.log.Error("abort rule triggered, stopping the test", "rule", strings.TrimPrefix(string(reason), string(EndAborted)))
	}
}

func (s *supervisor) tickStats(ctx context.Context) {
	iv := s.statsInterval
	if iv == 0 {
		iv = time.Second
	}
	every(ctx, iv, func(time.Time) bool {
		s.stats.advance(s.users())
		return true
	})
}

// checkThresholds checks the rolling thresholds and abort rules over
// the runner's view (a master's is as fresh as the workers' last
// reports) and ends the test when an abort rule fails.
func (s *supervisor) checkThresholds(ctx context.Context) {
	every(ctx, monitorInterval, func(now time.Time) bool {
		if why := s.watch.check(s.snapshot(), now); why != "" {
			s.end.request(EndAborted + EndReason(why))
			return false
		}
		return true
	})
}

// every calls f with the time of every tick of a ticker of period iv,
// until ctx is done or f returns false: the loop of the runners'
// periodic jobs (stats, thresholds, CPU, GC tuning, the lost master).
func every(ctx context.Context, iv time.Duration, f func(now time.Time) bool) {
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !f(now) {
				return
			}
		}
	}
}
