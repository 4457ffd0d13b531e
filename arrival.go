package locust

// Arrival-rate (open model) mode: iterations start on a schedule that does
// not depend on how long earlier ones take.
//
// What an iteration is: one task pick of a pooled user, that is one run of
// one leaf task's Fn (a task of a nested TaskSet counts, the set itself
// does not). Each arrival of the schedule is handed to a free user of the
// pool, which runs exactly one task and then waits for the next arrival
// handed to it: the class's Wait is not used in this mode. A pooled user is
// made once (New, InitUser, OnStart) and runs many iterations; OnStop runs
// when the test stops. TaskSet OnStart/OnStop hooks run when a set is
// entered or left, as in the closed model, outside any iteration.
//
// The pool starts with PreAllocated users and grows, one user per arrival
// that finds no free user, up to MaxUsers. An arrival that finds no free
// user when the pool is at MaxUsers is dropped: it is counted in
// ScheduleStats.Dropped, never silently skipped.

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/golocust/locust/internal/dispatch"
)

// Arrival runs a test in the open model: Rate iterations per second (then
// the ramp of Stages), taken by users from a pool. See Config.Arrival.
type Arrival struct {
	// Rate is the arrival rate at the start of the test, in iterations per
	// second (>= 0). Without Stages it stays so until the test ends (by
	// RunTime, Iterations or a stop).
	Rate float64
	// Stages ramp the rate linearly, stage after stage, from the previous
	// stage's target (the first from Rate) to Target over Duration. The
	// test ends after the last stage. A stage whose Target equals the
	// previous rate holds it.
	Stages []RateStage
	// PreAllocated is the number of users made when the test starts.
	// 0 means ceil(peak rate / 10), at least 1, at most MaxUsers.
	PreAllocated int
	// MaxUsers bounds the pool. 0 means max(PreAllocated, 100,
	// ceil(peak rate × 10)): enough for iterations of 10 s at the peak.
	MaxUsers int
	// Part selects this runner's share of a schedule split among several
	// runners (workers of a distributed test); the zero value runs all of
	// it. See [Arrival.Split].
	Part ArrivalPart
}

// RateStage is one linear ramp of an arrival-rate schedule.
type RateStage struct {
	// Duration of the ramp, > 0.
	Duration time.Duration
	// Target is the rate at the end of the stage, iterations per second
	// (>= 0).
	Target float64
}

// ArrivalPart is one runner's share of a split schedule: of the global
// sequence of arrivals 0, 1, 2, ... it runs those whose index n has
// n % Of == Index. The union over Index 0..Of-1 is exactly the global
// schedule, whatever the rate, so the cluster total never drifts.
type ArrivalPart struct {
	// Index of this runner, 0 <= Index < Of.
	Index int
	// Of is the number of runners; 0 and 1 both mean the whole schedule.
	Of int
}

// Split returns the schedule of n runners (workers of a distributed test),
// indexed 0..n-1: the same rate and stages, each runner taking every n-th
// arrival from its index (see [ArrivalPart]), and the pool sizes divided
// so that their sum is the original (each at least 1). n < 1 is an error.
// Splitting a part again is not supported and is an error.
func (a Arrival) Split(n int) ([]Arrival, error) {
	if n < 1 {
		return nil, fmt.Errorf("arrival split among %d runners: allowed 1 or more", n)
	}
	if a.Part.Of > 1 {
		return nil, errors.New("arrival split: the schedule is already a part of a split")
	}
	pre, mx := a.poolSizes()
	out := make([]Arrival, n)
	for i := range out {
		p := a
		p.Stages = append([]RateStage(nil), a.Stages...)
		p.Part = ArrivalPart{Index: i, Of: n}
		p.PreAllocated = max(1, splitCount(pre, n)[i])
		p.MaxUsers = max(p.PreAllocated, splitCount(mx, n)[i])
		out[i] = p
	}
	return out, nil
}

// splitCount divides total into n integer shares whose sum is total: the
// first total%n shares get one more. It returns nil for n < 1.
func splitCount(total, n int) []int {
	if n < 1 {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = total / n
		if i < total%n {
			out[i]++
		}
	}
	return out
}

// SplitRate divides a per-second rate (such as --max-rps) among n
// runners: rate/n each. A ceiling enforced so on every runner holds the
// cluster total at rate; rates are not counts, so no rounding drifts.
// It returns nil for n < 1.
func SplitRate(rate float64, n int) []float64 {
	if n < 1 {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = rate / float64(n)
	}
	return out
}

// PeakRate returns the highest rate of the schedule, iterations per
// second.
func (a Arrival) PeakRate() float64 {
	p := a.Rate
	for _, s := range a.Stages {
		p = max(p, s.Target)
	}
	return p
}

// Duration returns the length of the schedule: the sum of the stages'
// durations, or 0 (no end) without stages.
func (a Arrival) Duration() time.Duration {
	var d time.Duration
	for _, s := range a.Stages {
		d += s.Duration
	}
	return d
}

// poolSizes returns PreAllocated and MaxUsers with their defaults.
func (a Arrival) poolSizes() (pre, mx int) {
	peak := a.PeakRate()
	mx = a.MaxUsers
	if mx == 0 {
		mx = max(a.PreAllocated, 100, int(math.Ceil(peak*10)))
	}
	pre = a.PreAllocated
	if pre == 0 {
		pre = min(mx, max(1, int(math.Ceil(peak/10))))
	}
	return pre, mx
}

// validate checks the fields, naming the first one at fault.
func (a *Arrival) validate() error {
	if !arrivalValidRate(a.Rate) {
		return fmt.Errorf("Config.Arrival.Rate is %v: allowed a finite number of iterations per second >= 0", a.Rate)
	}
	for i, s := range a.Stages {
		if s.Duration <= 0 {
			return fmt.Errorf("Config.Arrival.Stages[%d].Duration is %v: allowed more than 0", i, s.Duration)
		}
		if !arrivalValidRate(s.Target) {
			return fmt.Errorf("Config.Arrival.Stages[%d].Target is %v: allowed a finite number of iterations per second >= 0", i, s.Target)
		}
	}
	if a.PeakRate() == 0 {
		return errors.New("Config.Arrival: the rate is 0 throughout; set Rate or a stage Target above 0")
	}
	switch {
	case a.PreAllocated < 0:
		return fmt.Errorf("Config.Arrival.PreAllocated is %d: allowed 0 (default) or more", a.PreAllocated)
	case a.MaxUsers < 0:
		return fmt.Errorf("Config.Arrival.MaxUsers is %d: allowed 0 (default) or more", a.MaxUsers)
	case a.MaxUsers > 0 && a.PreAllocated > a.MaxUsers:
		return fmt.Errorf("Config.Arrival.PreAllocated (%d) exceeds MaxUsers (%d)", a.PreAllocated, a.MaxUsers)
	case a.Part.Of < 0 || a.Part.Index < 0 || (a.Part.Of > 0 && a.Part.Index >= a.Part.Of) || (a.Part.Of == 0 && a.Part.Index != 0):
		return fmt.Errorf("Config.Arrival.Part is %d of %d: allowed 0 <= Index < Of", a.Part.Index, a.Part.Of)
	}
	return nil
}

func arrivalValidRate(r float64) bool { return r >= 0 && !math.IsInf(r, 0) && !math.IsNaN(r) }

// arrivalPlan is the cumulative count of arrivals over time of a rate
// schedule, and its inverse: the time of the n-th arrival. It is a pure
// function of the schedule: arrival n (from 0) is due at the first time
// t where the integral of the rate from 0 to t reaches n, so arrival 0 is
// due at once and a constant rate r puts arrival n at n/r seconds.
type arrivalPlan struct {
	segs    []arrivalSeg
	forever bool // no stages: the initial rate never ends
	rate    float64
}

// arrivalSeg is one stage: rate r0 to r1 over dur seconds, starting at
// time t0 (seconds) with c0 arrivals' worth of integral behind it.
type arrivalSeg struct {
	t0, dur, r0, r1, c0 float64
}

func newArrivalPlan(a Arrival) *arrivalPlan {
	p := &arrivalPlan{forever: len(a.Stages) == 0, rate: a.Rate}
	t, c, r := 0.0, 0.0, a.Rate
	for _, s := range a.Stages {
		d := s.Duration.Seconds()
		p.segs = append(p.segs, arrivalSeg{t0: t, dur: d, r0: r, r1: s.Target, c0: c})
		c += (r + s.Target) / 2 * d
		t += d
		r = s.Target
	}
	return p
}

// at returns when arrival n is due, from the start of the test, and false
// when the schedule ends before it.
func (p *arrivalPlan) at(n float64) (time.Duration, bool) {
	if p.forever {
		if p.rate <= 0 {
			return 0, false
		}
		return arrivalSeconds(n / p.rate), true
	}
	for _, s := range p.segs {
		cEnd := s.c0 + (s.r0+s.r1)/2*s.dur
		if n > cEnd {
			continue
		}
		c := n - s.c0 // integral still to go within this stage
		if c <= 0 {
			return arrivalSeconds(s.t0), true
		}
		// r0·x + k·x² = c with k = (r1-r0)/(2·dur); the root in
		// [0, dur] written without cancellation.
		k := (s.r1 - s.r0) / (2 * s.dur)
		disc := s.r0*s.r0 + 4*k*c
		if disc < 0 {
			disc = 0
		}
		den := s.r0 + math.Sqrt(disc)
		if den <= 0 {
			continue
		}
		x := min(2*c/den, s.dur)
		return arrivalSeconds(s.t0 + x), true
	}
	return 0, false
}

func arrivalSeconds(s float64) time.Duration {
	if s < 0 {
		return -dispatch.Seconds(-s)
	}
	return dispatch.Seconds(s)
}
