package locust

import (
	"context"
	"math/rand/v2"
)

// Class describes a kind of simulated user, as a Locust User class: how to
// make one, what it does and how often it rests. U is the type of one
// user's own value, usually a pointer to a struct that keeps state such as a
// login token between tasks. Each simulated user gets a fresh value from
// New and runs on its own goroutine, so tasks need no locking for it.
//
// A user value may implement [OnStarter], [OnStopper] and [Initializer].
type Class[U any] struct {
	// Name identifies the class in output, on the command line and in
	// user-count maps. Required and unique within a test.
	Name string
	// New makes the value of one new user. Required.
	New func() U
	// Weight is the class's relative share of the users that are not
	// fixed. Zero means 1 unless FixedCount is set; negative is an error.
	Weight int
	// FixedCount, when > 0, runs exactly this many users of the class
	// (spawned before weighted classes) whatever the total, as Locust's
	// fixed_count. Weight is then ignored.
	FixedCount int
	// Wait is the think time after each task; nil means no wait.
	Wait WaitTime
	// Host is the default base address for this class, overridden by
	// Config.Host.
	Host string
	// Tags apply to every task of the class.
	Tags []string
	// Tasks are picked by weight after each wait. At least one task must
	// remain enabled after tag filtering.
	Tasks []Task[U]
}

// UserClass is a class the runner can spawn. [*Class] implements it; the
// interface is sealed so that the runner can rely on its contract.
type UserClass interface {
	// ClassName returns the class's name.
	ClassName() string
	// compile validates the class and filters its tasks by tags.
	compile(f tagFilter) (compiledClass, error)
}

// ClassName returns c.Name.
func (c *Class[U]) ClassName() string { return c.Name }

// OnStarter is implemented by user values that prepare themselves (log
// in, open a connection) before their first task. An error stops that user
// and is recorded as an exception; its OnStop does not run.
type OnStarter interface {
	OnStart(ctx context.Context) error
}

// OnStopper is implemented by user values that clean up when they stop.
// OnStop runs whenever OnStart succeeded, also when the user is stopped by
// a ramp-down, the end of the test or a stop timeout. Its context is not
// cancelled by the stop itself, only after a grace period of StopTimeout
// plus 5 seconds.
type OnStopper interface {
	OnStop(ctx context.Context)
}

// Initializer is implemented by user values that need their environment
// before OnStart, typically through an embedded client such as [HTTPUser].
// InitUser is called once, on the user's goroutine, right after New.
type Initializer interface {
	InitUser(env UserEnv) error
}

// UserEnv is what a user is told about itself by [Initializer].
type UserEnv struct {
	// Class is the name of the user's class.
	Class string
	// ID numbers the users of a runner from 0 in spawn order.
	ID int64
	// Host is the base address: Config.Host, else the class's Host.
	Host string
	// Rand is the user's own random source, seeded from Config.Seed; tasks
	// reach it with [Rand](ctx) too.
	Rand *rand.Rand
	// Users is the number of users the runner was last asked for, which
	// clients use to size shared connection pools.
	Users int

	shared  *sharedStore
	tracing *Tracing // Config.Tracing
}

// Shared returns the value stored under key for the whole test, calling
// create to make it on first use. Clients use it to share one connection
// pool (such as an http.Transport) among all users of a runner. Values
// that implement io.Closer are closed when the test stops. Key must be
// comparable; use an unexported type to avoid collisions.
func (e UserEnv) Shared(key any, create func() any) any {
	if e.shared == nil {
		return create()
	}
	return e.shared.get(key, create)
}
