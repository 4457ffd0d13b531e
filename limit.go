package locust

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/golocust/locust/internal/dispatch"
)

// Throttle waits until the request-rate ceiling of the test that ctx
// belongs to (Config.MaxRPS, --max-rps) lets one more request go, and
// returns nil; or returns ctx's error if ctx is done first. Without a
// ceiling it returns nil at once, at the cost of one context lookup. The
// HTTP users and [Measure] call it before every request; call it in
// custom clients before each operation that [Record] will count.
func Throttle(ctx context.Context) error {
	l, _ := ctx.Value(limitKey{}).(*rateLimiter)
	if l == nil {
		return nil
	}
	return l.wait(ctx)
}

type limitKey struct{}

// rateLimiter spaces events at least 1/rate apart without bursts: each
// caller reserves the next free slot of a grid (a GCRA with zero
// tolerance) with one atomic compare-and-swap and sleeps until it. Idle
// time earns no credit, so the rate over any interval never exceeds the
// ceiling by more than one event.
type rateLimiter struct {
	base     time.Time    // monotonic origin
	interval atomic.Int64 // ns between slots; changed by setRate
	next     atomic.Int64 // ns since base of the next free slot
}

func newRateLimiter(perSec float64) *rateLimiter {
	l := &rateLimiter{base: time.Now()}
	l.setRate(perSec)
	return l
}

// setRate changes the ceiling (a worker's share when workers join or
// leave); slots already taken keep their time.
func (l *rateLimiter) setRate(perSec float64) {
	l.interval.Store(max(1, int64(dispatch.Seconds(1/perSec))))
}

// reserve takes the next slot and returns how long to wait for it.
func (l *rateLimiter) reserve() time.Duration {
	now := int64(time.Since(l.base))
	for {
		n := l.next.Load()
		slot := max(n, now)
		if l.next.CompareAndSwap(n, slot+l.interval.Load()) {
			return time.Duration(slot - now)
		}
	}
}

func (l *rateLimiter) wait(ctx context.Context) error {
	d := l.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the request-rate ceiling (--max-rps): %w", ctx.Err())
	}
}
