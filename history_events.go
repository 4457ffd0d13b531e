package locust

// The tests of a web UI session as the run history sees them: the
// runner's TestStart and TestStop events, queued as they fire and
// recorded at the next stats tick, so that every test is stored with its
// final statistics, also one that started and stopped between two ticks
// (a test stopped within a second, or stopped and started again).

import (
	"sync"
	"time"
)

// historyEvent is a test that started (snap nil) or stopped (snap its
// final statistics).
type historyEvent struct {
	at    time.Time
	users int       // a start's target user count, when the runner has one
	snap  *Snapshot // a stop's final statistics
	// verdict is a stop's verdict, nil without thresholds.
	verdict *Verdict
}

// historyEvents queues the runner's test starts and stops; the
// listeners run on the runner's goroutines, take is called from the
// session's.
type historyEvents struct {
	mu     sync.Mutex
	queue  []historyEvent
	remove []func()
}

// historyTargeter is a runner that knows the user count of the test it
// starts (a LocalRunner).
type historyTargeter interface{ targetUsers() int }

// subscribe listens to r's test events until unsubscribe.
func (q *historyEvents) subscribe(r sessionRunner) {
	ev := r.Events()
	q.remove = append(q.remove, ev.TestStart.Add(func(TestEvent) {
		e := historyEvent{at: time.Now()}
		if t, ok := r.(historyTargeter); ok {
			e.users = t.targetUsers()
		}
		q.push(e)
	}), ev.TestStop.Add(func(TestEvent) {
		e := historyEvent{at: time.Now(), snap: r.Snapshot()}
		if len(r.testConfig().Thresholds) > 0 {
			v := r.Verdict()
			e.verdict = &v
		}
		q.push(e)
	}))
}

func (q *historyEvents) push(e historyEvent) {
	q.mu.Lock()
	q.queue = append(q.queue, e)
	q.mu.Unlock()
}

// take returns the queued events, oldest first, and empties the queue.
func (q *historyEvents) take() []historyEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.queue
	q.queue = nil
	return out
}

func (q *historyEvents) unsubscribe() {
	for _, f := range q.remove {
		f()
	}
	q.remove = nil
}

// drainEvents records the tests that started and stopped since the last
// call: a start begins a run, a stop saves it with its final statistics.
// final, when set (the session's end), gives the last stop its reason
// and exit code.
func (h *historyOutput) drainEvents(final *runResult) {
	evs := h.events.take()
	for i, e := range evs {
		if e.snap == nil {
			if h.cur != nil {
				// A start without the previous test's stop: cannot
				// happen with a runner that fires both; keep what the
				// last checkpoint has.
				h.finish(nil, nil, 0, EndStopped)
			}
			h.begin(e.at)
			h.cur.Users = max(h.cur.Users, e.users)
			continue
		}
		reason := h.r.EndReason()
		if reason == "" {
			reason = EndStopped // the next test has started already
		}
		v := e.verdict
		if ths := h.r.testConfig().Thresholds; v != nil {
			vv := h.verdict(*v, e.snap, ths)
			v = &vv
		}
		code := exitCode(h.o.exitCodeOnError, h.r.testConfig().Thresholds, e.snap, v)
		if final != nil && i == len(evs)-1 {
			reason, v, code = final.reason, final.verdict, final.exitCode
		}
		if h.cur == nil {
			h.begin(e.snap.Start)
		}
		h.finish(e.snap, v, code, reason)
	}
}
