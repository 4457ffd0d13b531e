package locust

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestHTTPWatchDeadline checks the kept request context of HTTPClient: a
// request is cancelled with errHTTPTimeout at its deadline exactly, also
// when the timer was set for an earlier request's deadline (which the
// next requests do not move), and the next request gets a fresh context.
func TestHTTPWatchDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w httpWatch
		armedAt := func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.armed }
		caller, stop := context.WithCancel(context.Background())
		defer stop()
		const timeout = 100 * time.Millisecond

		t0 := time.Now()
		ctx1, st1, ok := w.begin(caller, t0.Add(timeout))
		if !ok || ctx1 == nil || st1 == nil {
			t.Fatal("begin: want the kept context")
		}
		armed := armedAt()
		time.Sleep(10 * time.Millisecond)
		w.end()

		// The next requests reuse the context and leave the timer as it is.
		var ctx context.Context
		for i := range 3 {
			time.Sleep(20 * time.Millisecond)
			var st *httpSendTrace
			ctx, st, ok = w.begin(caller, time.Now().Add(timeout))
			if !ok || ctx != ctx1 || st != st1 {
				t.Fatalf("request %d: want the kept context and trace again", i+2)
			}
			if at := armedAt(); at != armed {
				t.Fatalf("request %d moved the timer from %v to %v", i+2, armed.Sub(t0), at.Sub(t0))
			}
			if i < 2 {
				w.end()
			}
		}
		// The last one stays in flight: the timer fires at the first
		// request's deadline, is set again for the last's, which
		// ends it then, exactly.
		deadline := t0.Add(10*time.Millisecond + 3*20*time.Millisecond + timeout)
		<-ctx.Done()
		if got := time.Since(t0); got != deadline.Sub(t0) {
			t.Errorf("cancelled %v after the start, want %v", got, deadline.Sub(t0))
		}
		if cause := context.Cause(ctx); !errors.Is(cause, errHTTPTimeout) {
			t.Errorf("cause %v, want errHTTPTimeout", cause)
		}
		if caller.Err() != nil {
			t.Error("the timeout cancelled the task's context")
		}
		// Meanwhile the client is busy: a concurrent request makes its own.
		if _, _, ok := w.begin(caller, time.Now().Add(timeout)); ok {
			t.Error("a second request in flight got the kept context")
		}
		w.end()
		ctx2, _, ok := w.begin(caller, time.Now().Add(timeout))
		if !ok || ctx2 == ctx1 || ctx2.Err() != nil {
			t.Fatal("after a timeout: want a fresh kept context")
		}
		w.end()
		w.close()
		if ctx2.Err() == nil {
			t.Error("close left the kept context alive")
		}
	})
}

// TestHTTPWatchCaller checks that the kept context follows the task's:
// values of a new task context are seen, its cancellation (the user
// stops) ends the request, and a context type that cannot be compared is
// served too (with a context of its own).
func TestHTTPWatchCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w httpWatch
		user, stop := context.WithCancelCause(context.Background())
		ctx, _, _ := w.begin(user, time.Time{})
		w.end()
		named := ContextWithName(user, "/x")
		ctx2, _, ok := w.begin(named, time.Time{})
		if !ok || ctx2 == ctx || ctx2.Value(httpNameKey{}) != "/x" {
			t.Fatal("another task context: want a kept context with its values")
		}
		if ctx.Err() == nil {
			t.Error("the replaced kept context was not released")
		}
		stop(errUserStopped)
		<-ctx2.Done()
		if !errors.Is(context.Cause(ctx2), errUserStopped) {
			t.Errorf("cause %v, want the user's", context.Cause(ctx2))
		}
		w.end()
		if _, _, ok := w.begin(uncomparableCtx{Context: context.Background()}, time.Time{}); ok {
			t.Error("an uncomparable context type was kept")
		}
		w.close()
	})
}

// uncomparableCtx is a context whose type == panics on.
type uncomparableCtx struct {
	context.Context
	_ []int
}
