package distributed

import "context"

// Leave ends the worker for good, as when the master tells it to quit but
// on the worker's own initiative (an orchestrator stopping its container,
// say): the load is stopped (users get the load's stop timeout), the
// final statistics are sent, the master is told the worker is going away
// with reason, and Run returns nil. The master then no longer counts the
// worker and moves its users to the others, with no statistics lost.
// Without a connection the final report stays unsent. Leave returns when
// that is done, or with ctx's error.
func (w *Worker) Leave(ctx context.Context, reason string) error {
	l := &leave{reason: reason, done: make(chan struct{})}
	select {
	case w.cmds <- l:
	case <-w.quit:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-l.done:
		return nil
	case <-w.quit:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave is an internal command: the worker quits of its own accord.
type leave struct {
	reason string
	done   chan struct{}
}

func (*leave) Kind() Kind   { return 0 }
func (*leave) check() error { return nil }
func (*leave) data() []byte { return nil }
