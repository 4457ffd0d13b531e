package locust

import (
	"fmt"
	"math"
	"time"
)

// Ready-made load shapes: stages, steps and a spike, for users (closed
// model, [LoadShape]) and for arrival rates (open model, [RateStage]
// lists for Arrival.Stages).

// Stage is one stage of a [Stages] shape: ramp linearly to Users over
// Duration.
type Stage struct {
	// Duration of the stage, > 0.
	Duration time.Duration
	// Users at the end of the stage, >= 0.
	Users int
}

// stagesShape is the LoadShape of Stages.
type stagesShape struct {
	stages []Stage
	from   int
}

// Stages returns a load shape that starts from start users and ramps
// linearly, stage after stage, to each stage's Users over its Duration
// (k6's stages): the spawn rate of a stage is its change in users over
// its duration, so the ramp ends on time. A stage whose Users equals the
// previous count holds it. The test ends after the last stage. Invalid
// stages are an error naming the stage.
func Stages(start int, stages ...Stage) (LoadShape, error) {
	if start < 0 {
		return nil, fmt.Errorf("Stages: start is %d users; allowed 0 or more", start)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("Stages: no stage; give at least one")
	}
	for i, s := range stages {
		if s.Duration <= 0 || s.Users < 0 {
			return nil, fmt.Errorf("Stages: stage %d is %v to %d users; allowed a duration > 0 and 0 users or more", i+1, s.Duration, s.Users)
		}
	}
	return &stagesShape{stages: append([]Stage(nil), stages...), from: start}, nil
}

// Tick returns the target of the stage at elapsed: its end count, reached
// at the stage's own rate.
func (s *stagesShape) Tick(elapsed time.Duration) (ShapeStep, bool) {
	prev := s.from
	var t time.Duration
	for _, st := range s.stages {
		if elapsed < t+st.Duration {
			diff := math.Abs(float64(st.Users - prev))
			rate := max(diff/st.Duration.Seconds(), 1e-3)
			if diff == 0 {
				rate = 1
			}
			return ShapeStep{Users: st.Users, SpawnRate: rate}, true
		}
		t += st.Duration
		prev = st.Users
	}
	return ShapeStep{}, false
}

// Steps returns a load shape that adds step users every hold, from step
// users up to steps×step, each step spawned at rate users per second,
// and ends after the last step's hold. Invalid values are an error.
func Steps(step, steps int, hold time.Duration, rate float64) (LoadShape, error) {
	if step < 1 || steps < 1 || hold <= 0 || !validRate(rate) {
		return nil, fmt.Errorf("Steps(%d, %d, %v, %v): allowed step >= 1, steps >= 1, hold > 0, rate > 0", step, steps, hold, rate)
	}
	return ShapeFunc(func(elapsed time.Duration) (ShapeStep, bool) {
		i := int(elapsed / hold)
		if i >= steps {
			return ShapeStep{}, false
		}
		return ShapeStep{Users: (i + 1) * step, SpawnRate: rate}, true
	}), nil
}

// Spike returns a load shape that runs base users, jumps to peak users at
// `at` (spawned at rate per second), holds them for hold, falls back to
// base, and ends at total. Invalid values are an error.
func Spike(base, peak int, at, hold, total time.Duration, rate float64) (LoadShape, error) {
	if base < 0 || peak < base || at < 0 || hold <= 0 || total < at+hold || !validRate(rate) {
		return nil, fmt.Errorf("Spike(base %d, peak %d, at %v, hold %v, total %v, rate %v): allowed 0 <= base <= peak, at >= 0, hold > 0, total >= at+hold, rate > 0",
			base, peak, at, hold, total, rate)
	}
	return ShapeFunc(func(elapsed time.Duration) (ShapeStep, bool) {
		switch {
		case elapsed >= total:
			return ShapeStep{}, false
		case elapsed >= at && elapsed < at+hold:
			return ShapeStep{Users: peak, SpawnRate: rate}, true
		}
		return ShapeStep{Users: base, SpawnRate: rate}, true
	}), nil
}

// RateSteps returns arrival stages that raise the rate by step every
// hold, steps times (step, 2·step, ... steps·step per second), each
// change taking rise (0: 1 ms, a jump). Use it with Arrival{Rate: 0}.
func RateSteps(step float64, steps int, hold, rise time.Duration) ([]RateStage, error) {
	if !(step > 0) || math.IsInf(step, 0) || steps < 1 || hold <= 0 || rise < 0 || rise >= hold {
		return nil, fmt.Errorf("RateSteps(%v, %d, %v, %v): allowed step > 0, steps >= 1, hold > 0, 0 <= rise < hold", step, steps, hold, rise)
	}
	rise = max(rise, time.Millisecond)
	var out []RateStage
	for i := 1; i <= steps; i++ {
		r := step * float64(i)
		out = append(out, RateStage{Duration: rise, Target: r}, RateStage{Duration: hold - rise, Target: r})
	}
	return out, nil
}

// RateSpike returns arrival stages for Arrival{Rate: base}: base until
// at, a jump (1 ms) to peak held for hold, back to base until total.
func RateSpike(base, peak float64, at, hold, total time.Duration) ([]RateStage, error) {
	if !arrivalValidRate(base) || !arrivalValidRate(peak) || peak < base || at < time.Millisecond || hold <= time.Millisecond || total < at+hold+time.Millisecond {
		return nil, fmt.Errorf("RateSpike(base %v, peak %v, at %v, hold %v, total %v): allowed 0 <= base <= peak, at >= 1ms, hold > 1ms, total > at+hold", base, peak, at, hold, total)
	}
	ms := time.Millisecond
	out := []RateStage{{Duration: at, Target: base}, {Duration: ms, Target: peak}, {Duration: hold - ms, Target: peak}, {Duration: ms, Target: base}}
	if rest := total - at - hold - ms; rest > 0 {
		out = append(out, RateStage{Duration: rest, Target: base})
	}
	return out, nil
}
