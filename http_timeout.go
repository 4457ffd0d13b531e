package locust

import (
	"context"
	"net/http/httptrace"
	"reflect"
	"sync"
	"time"
)

// HTTPClient's request timeout, without net/http's Client.Timeout.
//
// Client.Timeout costs every request a context.WithDeadline (a context, a
// runtime timer started and stopped, closures, and a children map for
// the transport's own context under it) and a wrapper around the body:
// 10 allocations and a timer per request that a bare net/http loop does
// not pay. The client's requests instead run under a context kept from
// one request to the next (httpWatch): made once from the task's
// context, with the client's trace in it, and cancelled with
// errHTTPTimeout by one timer per client when a request passes its
// deadline. The timer is moved only when a request's deadline is earlier
// than the one it is set for, which, since every request of a client has
// the same timeout, happens about once per timeout: when it fires
// early (for a request that has finished since), it is set again for
// the deadline of the request in flight, if any. So a request still ends
// at its deadline exactly, as with Client.Timeout.
//
// The kept context serves one request at a time, made under the same
// task context as the last one (the user's own, as tasks get it, or one
// that only adds values to it, such as ContextWithName's, once per
// distinct context). Concurrent requests of one client, requests under
// another context, Stream requests and requests of users handed to
// workers (many users, where a few hundred bytes per user matter more
// than a microsecond per request) run under a context of their own with
// the deadline, as net/http's Client.Timeout did.

// errHTTPTimeout is the cause of a request cancelled by its timeout; its
// Timeout method tells httpCleanError so.
var errHTTPTimeout error = httpTimeoutError{}

type httpTimeoutError struct{}

func (httpTimeoutError) Error() string { return "request timeout" }
func (httpTimeoutError) Timeout() bool { return true }

// httpWatch keeps the context of a client's requests and enforces their
// timeout. Its zero value is ready; it is safe for concurrent use (one
// request at a time uses the kept context, the others make their own).
type httpWatch struct {
	mu       sync.Mutex
	busy     bool            // a request runs under ctx
	caller   context.Context // the task context ctx was made from
	ctx      context.Context // caller, cancellable, with st's trace; nil when none
	cancel   context.CancelCauseFunc
	st       *httpSendTrace
	deadline time.Time   // of the request under ctx; zero when none
	timer    *time.Timer // calls fire; made by the first request with a timeout
	armed    time.Time   // when timer fires; zero when it is stopped
}

// begin returns the kept context for a request under caller that must
// end by deadline (zero: no timeout), and its trace, whose got flag is
// cleared. ok is false when the request must make its own (the kept one
// is in use, or requests are handed to workers); else the request must
// call end when its response is read.
func (w *httpWatch) begin(caller context.Context, deadline time.Time) (ctx context.Context, st *httpSendTrace, ok bool) {
	if httpHandoff() {
		return nil, nil, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy {
		return nil, nil, false
	}
	if w.ctx == nil || w.caller != caller {
		if !reflect.TypeOf(caller).Comparable() {
			return nil, nil, false // a context type that == would panic on
		}
		w.drop()
		ctx, cancel := context.WithCancelCause(caller)
		st := &httpSendTrace{}
		st.trace.GotConn = st.gotConn
		w.caller, w.cancel, w.st = caller, cancel, st
		w.ctx = httptrace.WithClientTrace(ctx, &st.trace)
	}
	w.busy, w.deadline = true, deadline
	w.st.got.Store(false)
	if !deadline.IsZero() && (w.armed.IsZero() || deadline.Before(w.armed)) {
		w.arm(deadline)
	}
	return w.ctx, w.st, true
}

// end ends the request that began under the kept context. With many
// users the context is dropped rather than kept.
func (w *httpWatch) end() {
	w.mu.Lock()
	w.busy, w.deadline = false, time.Time{}
	if httpHandoff() {
		w.drop()
	}
	w.mu.Unlock()
}

// close drops the kept context and stops the timer.
func (w *httpWatch) close() {
	w.mu.Lock()
	if !w.busy {
		w.drop()
	}
	if w.timer != nil {
		w.timer.Stop()
		w.armed = time.Time{}
	}
	w.mu.Unlock()
}

// drop cancels the kept context, if any, so that it leaves its parent.
// w.mu is held.
func (w *httpWatch) drop() {
	if w.ctx != nil {
		w.cancel(context.Canceled)
		w.ctx, w.caller, w.cancel, w.st = nil, nil, nil, nil
	}
}

// arm sets the timer for t. w.mu is held.
func (w *httpWatch) arm(t time.Time) {
	w.armed = t
	d := time.Until(t)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
		return
	}
	w.timer.Reset(d)
}

// fire runs when the timer expires: it cancels the request in flight if
// it is past its deadline, or sets the timer for its deadline if not.
func (w *httpWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = time.Time{}
	if !w.busy || w.deadline.IsZero() {
		return
	}
	if time.Now().Before(w.deadline) {
		w.arm(w.deadline)
		return
	}
	w.cancel(errHTTPTimeout)
	w.ctx, w.caller, w.cancel, w.st = nil, nil, nil, nil
}
