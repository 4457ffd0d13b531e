package locust

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Hook is a typed event to which listeners subscribe. The zero value is
// ready to use and safe for concurrent use. A listener that panics is
// recovered and logged; the other listeners still run.
type Hook[T any] struct {
	mu        sync.Mutex
	listeners atomic.Pointer[[]*listener[T]]
	log       *slog.Logger
}

type listener[T any] struct{ fn func(T) }

// Add subscribes fn and returns a function that unsubscribes it.
func (h *Hook[T]) Add(fn func(T)) (remove func()) {
	l := &listener[T]{fn: fn}
	h.mu.Lock()
	defer h.mu.Unlock()
	var next []*listener[T]
	if cur := h.listeners.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, l)
	h.listeners.Store(&next)
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		cur := h.listeners.Load()
		if cur == nil {
			return
		}
		var kept []*listener[T]
		for _, x := range *cur {
			if x != l {
				kept = append(kept, x)
			}
		}
		h.listeners.Store(&kept)
	}
}

// Active reports whether any listener is subscribed; firing code on hot
// paths checks it before building an event value.
func (h *Hook[T]) Active() bool {
	cur := h.listeners.Load()
	return cur != nil && len(*cur) > 0
}

// Fire calls every listener with v, in the order they were added.
func (h *Hook[T]) Fire(v T) {
	cur := h.listeners.Load()
	if cur == nil {
		return
	}
	for _, l := range *cur {
		h.call(l.fn, v)
	}
}

func (h *Hook[T]) call(fn func(T), v T) {
	defer func() {
		if r := recover(); r != nil {
			log := h.log
			if log == nil {
				log = slog.Default()
			}
			log.Error("event listener panicked", "event", fmt.Sprintf("%T", v), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(v)
}

// Events are the hooks of one runner, in the spirit of Locust's events.
// Listeners run on the goroutine that fires the event: the Request
// listeners on the user's own goroutine, so they must be fast.
type Events struct {
	// Init fires once when the runner has been created.
	Init Hook[InitEvent]
	// TestStart fires when a test starts from the ready or stopped state.
	TestStart Hook[TestEvent]
	// TestStopping fires when a stop begins, before users are stopped.
	TestStopping Hook[TestEvent]
	// TestStop fires when every user has stopped.
	TestStop Hook[TestEvent]
	// Request fires for every recorded sample, success or failure.
	Request Hook[Sample]
	// UserError fires when a task or hook returns an error or panics.
	UserError Hook[UserErrorEvent]
	// SpawningComplete fires when a ramp has reached its target and its
	// last user started (Config.SpawnRate).
	SpawningComplete Hook[SpawnEvent]
	// ResetStats fires when the statistics are reset.
	ResetStats Hook[struct{}]
	// Quitting fires when the runner is shutting down for good.
	Quitting Hook[TestEvent]
}

// InitEvent is passed to Events.Init listeners.
type InitEvent struct {
	// Runner is the runner that was created.
	Runner Runner
}

// TestEvent is passed to the test lifecycle listeners.
type TestEvent struct {
	// Runner is the runner whose test changes state.
	Runner Runner
}

// SpawnEvent is passed to Events.SpawningComplete listeners.
type SpawnEvent struct {
	// Users is the number of running users.
	Users int
	// Classes is the number of running users per class.
	Classes map[string]int
}

// UserErrorEvent is passed to Events.UserError listeners.
type UserErrorEvent struct {
	// Class is the class of the user whose code failed.
	Class string
	// Task is the name of the task or hook that failed.
	Task string
	// Err is the error returned, or a [*PanicError].
	Err error
	// Stack is the stack trace of a panic, or where the error surfaced.
	Stack string
}

// PanicError is the error recorded when user code panics.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

func (e *Events) setLogger(l *slog.Logger) {
	e.Init.log, e.TestStart.log, e.TestStopping.log, e.TestStop.log = l, l, l, l
	e.Request.log, e.UserError.log, e.SpawningComplete.log = l, l, l
	e.ResetStats.log, e.Quitting.log = l, l
}
