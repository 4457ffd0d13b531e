package locust

import (
	"context"
	"math/rand/v2"
)

// randKey is the context key of a user's random source.
type randKey struct{}

// Rand returns the random source of the simulated user that ctx belongs
// to: the context a task, OnStart, OnStop or task set hook receives. It is
// the source the runner picks that user's tasks and think times with,
// seeded from Config.Seed (--seed) and the user's ID, so a run with the
// same seed, users and schedule makes the same choices again. It is the
// same source as UserEnv.Rand.
//
// The source belongs to the user's goroutine: use it in the user's own
// code, not from goroutines the task starts (it is not safe for
// concurrent use). Outside a user (a context that no runner made), Rand
// returns a new source with a random seed on every call.
func Rand(ctx context.Context) *rand.Rand {
	if r, ok := ctx.Value(randKey{}).(*rand.Rand); ok {
		return r
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}
