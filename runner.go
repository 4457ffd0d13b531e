package locust

import (
	"context"
	"log/slog"
	"time"
)

// State is the lifecycle state of a runner.
type State int

// The states of a runner, as Locust's.
const (
	StateReady    State = iota // created, no test started yet
	StateSpawning              // ramping the user count up or down
	StateRunning               // at the target user count
	StateStopping              // stopping users
	StateStopped               // every user stopped; a new Start may follow
	StateMissing               // a worker that stopped heartbeating (distributed mode)
)

var stateNames = [...]string{"ready", "spawning", "running", "stopping", "stopped", "missing"}

// String returns Locust's name of the state: "ready", "spawning", ...
func (s State) String() string {
	if int(s) < len(stateNames) && s >= 0 {
		return stateNames[s]
	}
	return "unknown"
}

// Runner is what every runner (local, master or worker) does: it is what
// Program.Setup and the events receive. Starting a test is not in it: a
// worker's tests are started by its master; [LocalRunner] and
// [MasterRunner] have Start, StartShape and StartArrival. All methods are
// safe for concurrent use.
type Runner interface {
	// Stop stops every user (honouring the stop timeout) and returns when
	// they have stopped or ctx is done. The runner may be started again.
	Stop(ctx context.Context) error
	// Wait blocks until the test ends by itself (run time, iteration
	// limit, load shape) or ctx is done, and returns ctx's error if so.
	Wait(ctx context.Context) error
	// State returns the current state.
	State() State
	// UserCount returns the number of running users.
	UserCount() int
	// UserCounts returns the number of running users per class.
	UserCounts() map[string]int
	// Snapshot returns the current statistics.
	Snapshot() *Snapshot
	// ResetStats empties the statistics.
	ResetStats()
	// Events returns the runner's event hooks.
	Events() *Events
}

// Config describes a load test. The zero value of every field but Classes
// is a valid default.
type Config struct {
	// Classes are the user classes to run. At least one is required.
	Classes []UserClass
	// Users is the target user count (RunTest starts with it); >= 0.
	Users int
	// SpawnRate is users started (or stopped) per second, in batches of
	// max(1, floor(SpawnRate)) as Locust; required (> 0) when Users > 0.
	// A batch of more than 100 users counts at once but begins its first
	// tasks spread evenly over the second, so that the target never sees
	// thousands of new connections and requests in the same instant; the
	// ramp is complete (SpawningComplete, ResetStats) when the last one
	// started.
	SpawnRate float64
	// Host overrides every class's Host.
	Host string
	// RunTime stops the test that long after it starts; 0 = no limit.
	RunTime time.Duration
	// Iterations stops the test after that many task runs in total over
	// all users; 0 = no limit.
	Iterations int64
	// StopTimeout lets running tasks finish for up to this long when
	// users are stopped; waiting users stop at once. 0 cancels at once.
	StopTimeout time.Duration
	// Tags keeps only tasks having at least one of these tags (if any).
	Tags []string
	// ExcludeTags drops tasks having any of these tags.
	ExcludeTags []string
	// Shape, when set, drives the user count instead of Users and
	// SpawnRate.
	Shape LoadShape
	// Profile names the run's profile (Locust's --profile), to group runs
	// in reports and the run history; empty for none.
	Profile string
	// Seed seeds every user's random source for a reproducible run;
	// 0 picks a random seed.
	Seed uint64
	// ResetStats empties the statistics once the first ramp is done.
	ResetStats bool
	// Events, when set, is used as the runner's event hooks, so that
	// listeners (Init included) can be added before the runner exists.
	Events *Events
	// Logger receives the runner's log; nil means slog.Default().
	Logger *slog.Logger
	// StatsInterval is how often statistics are ticked (current rates,
	// history); 0 means one second.
	StatsInterval time.Duration
	// Arrival, when set, runs the test in the open model (RunTest and Run
	// start it with [LocalRunner.StartArrival]): iterations start at a
	// scheduled rate, taken by users from a pool; Users, SpawnRate and
	// the classes' Wait are then not used. It cannot be combined with
	// Shape.
	Arrival *Arrival
	// Thresholds are pass/fail criteria over the statistics (see
	// [Threshold] and [ParseThreshold]); the runner evaluates rolling and
	// abort thresholds while the test runs, and [LocalRunner.Verdict]
	// all of them at the end.
	Thresholds []Threshold
	// MaxRPS, when > 0, caps the rate of requests of this runner (HTTP
	// users, [Measure], and any client calling [Throttle]) at MaxRPS per
	// second. In a distributed test each worker gets a share (see
	// [SplitRate]).
	MaxRPS float64
	// AllowedHosts, when not empty, are the only targets of the test
	// (patterns: example.com, *.example.com, an IP address, a network
	// such as 10.0.0.0/8, each with an optional :port; "*" allows
	// everything). A test whose host is outside them does not start,
	// absolute request URLs of HTTP users outside them are not sent, a
	// worker refuses a master's host outside them and a master will not
	// dispatch one. See docs/security.md.
	AllowedHosts []string
	// Tracing, when set, makes the HTTP users create an OpenTelemetry
	// span per request and propagate its context to the target (see
	// [Tracing]); nil, the default, creates no spans and adds no headers.
	Tracing *Tracing
}
