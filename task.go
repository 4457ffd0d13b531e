package locust

import (
	"context"
	"errors"
)

// Task is one weighted action of a user of type U.
//
// Exactly one of Fn and Set is set: Fn runs the action on the user's own
// value, Set hands control to a nested [TaskSet] until it is interrupted.
// Fn is usually a method expression such as (*Shopper).Browse.
type Task[U any] struct {
	// Name identifies the task in the task ratio output and in errors.
	Name string
	// Weight is the relative frequency of the task among its siblings.
	// A task with weight 0 is disabled; negative weights are an error.
	Weight int
	// Tags select tasks with Config.Tags and Config.ExcludeTags.
	Tags []string
	// Fn runs the task. Its context is cancelled when the user must stop.
	// A non-nil error other than the control errors ([ErrInterrupt],
	// [ErrRescheduleNow], [ErrStopUser]) is recorded as an exception and the
	// user goes on with its next task.
	Fn func(u U, ctx context.Context) error
	// Set is a nested task set run in place of Fn.
	Set *TaskSet[U]
}

// TaskSet groups tasks that run together until the set is interrupted, as
// Locust's TaskSet and SequentialTaskSet.
type TaskSet[U any] struct {
	// Name identifies the set in task ratio output and errors.
	Name string
	// Tasks are the set's tasks. With Sequential false one is picked by
	// weight each time; with Sequential true they run in order, a task of
	// weight N running N times in a row, and the sequence cycles.
	Tasks []Task[U]
	// Sequential runs Tasks in order instead of at random.
	Sequential bool
	// Wait is the think time between the set's tasks; nil means the
	// parent's (ultimately the class's) wait time.
	Wait WaitTime
	// OnStart runs when the set is entered. An error is recorded as an
	// exception and control returns to the parent.
	OnStart func(u U, ctx context.Context) error
	// OnStop runs when the set is left: interrupted, or the user stops.
	OnStop func(u U, ctx context.Context)
	// Tags apply to every task in the set.
	Tags []string
}

// Control errors that a task returns to steer its user.
var (
	// ErrInterrupt leaves the current task set: the parent set picks its
	// next task after its wait time. Use [Interrupt] to choose.
	ErrInterrupt = errors.New("locust: interrupt task set")
	// ErrRescheduleNow ends the current task and starts the next one
	// without waiting.
	ErrRescheduleNow = errors.New("locust: reschedule immediately")
	// ErrStopUser stops this user (its OnStop hooks still run).
	ErrStopUser = errors.New("locust: stop user")
)

// errInterruptNow is ErrInterrupt with an immediate reschedule.
var errInterruptNow = errors.New("locust: interrupt task set, reschedule immediately")

// Interrupt returns the error a task returns to leave its task set. With
// reschedule true the parent picks its next task at once, otherwise it
// waits first (Locust's interrupt(reschedule=...)).
func Interrupt(reschedule bool) error {
	if reschedule {
		return errInterruptNow
	}
	return ErrInterrupt
}
