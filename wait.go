package locust

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/golocust/locust/internal/dispatch"
)

// WaitTime computes a user's think time after each task. It is called on
// the user's own goroutine and must not block; the user's wait is
// interrupted at once when the user is stopped.
type WaitTime func(w WaitInfo) time.Duration

// WaitInfo is what a [WaitTime] may base its decision on.
type WaitInfo struct {
	// Rand is the user's own random source (seeded by Config.Seed).
	Rand *rand.Rand
	// SinceLastWait is the time since the previous wait ended, that is how
	// long the task (or tasks) just run took. It is what pacing uses.
	SinceLastWait time.Duration

	// pace, when set, receives the pace of ConstantPacing (and
	// ConstantThroughput), so that the runner can record schedule lag.
	pace *time.Duration
}

// Between waits a uniformly random duration in [min, max].
// It panics if min > max or min < 0: that is a programming error.
func Between(min, max time.Duration) WaitTime {
	if min < 0 || max < min {
		panic(fmt.Sprintf("locust.Between(%v, %v): need 0 <= min <= max", min, max))
	}
	span := int64(max - min)
	return func(w WaitInfo) time.Duration {
		if span == 0 {
			return min
		}
		return min + time.Duration(w.Rand.Int64N(span+1))
	}
}

// Constant waits d after every task.
func Constant(d time.Duration) WaitTime {
	if d < 0 {
		panic(fmt.Sprintf("locust.Constant(%v): need d >= 0", d))
	}
	return func(WaitInfo) time.Duration { return d }
}

// ConstantPacing starts a task every d at most: it waits d minus the time
// the task took, or not at all when the task took longer than d.
func ConstantPacing(d time.Duration) WaitTime {
	if d < 0 {
		panic(fmt.Sprintf("locust.ConstantPacing(%v): need d >= 0", d))
	}
	return func(w WaitInfo) time.Duration {
		if w.pace != nil {
			*w.pace = d
		}
		return max(0, d-w.SinceLastWait)
	}
}

// ConstantThroughput runs at most perSec tasks per second per user; it is
// ConstantPacing(1s/perSec). It panics unless perSec > 0.
func ConstantThroughput(perSec float64) WaitTime {
	if !(perSec > 0) || math.IsInf(perSec, 0) {
		panic(fmt.Sprintf("locust.ConstantThroughput(%v): need a finite rate > 0", perSec))
	}
	return ConstantPacing(dispatch.Seconds(1 / perSec))
}

// Poisson waits exponentially distributed times with mean 1/meanRate
// seconds, so that a user's task starts form a Poisson process of
// meanRate per second when tasks take little time. It panics unless
// meanRate > 0.
func Poisson(meanRate float64) WaitTime {
	if !(meanRate > 0) || math.IsInf(meanRate, 0) {
		panic(fmt.Sprintf("locust.Poisson(%v): need a finite rate > 0", meanRate))
	}
	mean := 1 / meanRate
	return func(w WaitInfo) time.Duration {
		return dispatch.Seconds(w.Rand.ExpFloat64() * mean)
	}
}
