package locust

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Response is the outcome of one request of an [HTTPClient] or a
// [FastHTTPClient]. The same type serves both, so task code does not
// change when a class switches clients. A Response belongs to the task
// that made the request; only Success, Failure and Fail may be called
// from other goroutines.
type Response struct {
	// Method and Name are the request's type and name in the statistics.
	Method, Name string
	// Status is the HTTP status code of the final response; 0 when no
	// response arrived (see Err).
	Status int
	// Proto is the protocol of the response, such as "HTTP/1.1".
	Proto string
	// Body is the whole response body (nil with the Stream option).
	Body []byte
	// BodyStream is the unread body with the [Stream] option, else nil.
	// The task must close it.
	BodyStream io.ReadCloser
	// Size is the recorded response size: the length of Body, or the
	// Content-Length header when streaming.
	Size int64
	// Duration is the recorded response time: from the start of the
	// request until its body was read (until its headers with Stream),
	// redirects included.
	Duration time.Duration
	// Err is the recorded outcome: nil for a success, else the failure:
	// a transport error (Status 0, the text grouped without per-request
	// details), an [HTTPStatusError] for a status >= 400, or the error
	// of a [Check] or [Response.Failure]. A request cut short because its
	// user was stopped has an Err wrapping [ErrAborted] (recorded as
	// aborted, not as a failure). With [CatchResponse] it holds the
	// default outcome until the task decides.
	Err error

	header    http.Header
	rawHeader []byte // FastHTTPClient: the header's lines, parsed by Header
	ctx       context.Context
	pending   atomic.Bool // CatchResponse: not yet recorded
	span      *httpSpan   // Config.Tracing: ended by record
}

// Header returns the response's header (nil when no response arrived).
// The task may read it but must not change it.
func (r *Response) Header() http.Header {
	if r.header == nil && r.rawHeader != nil {
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(r.rawHeader)))
		h, _ := tp.ReadMIMEHeader()
		r.header = http.Header(h)
		r.rawHeader = nil
	}
	return r.header
}

// JSON decodes the body into v. Its error says what failed: no response,
// or an invalid body.
func (r *Response) JSON(v any) error {
	if r.Status == 0 {
		return fmt.Errorf("failed to decode JSON response of %s %s: no response: %w", r.Method, r.Name, r.Err)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("failed to decode JSON response of %s %s (status %d, %d bytes): %w", r.Method, r.Name, r.Status, len(r.Body), err)
	}
	return nil
}

// Success records a request made with [CatchResponse] as a success, with
// Err set to nil. It does nothing if the request was already recorded.
func (r *Response) Success() {
	if r.pending.CompareAndSwap(true, false) {
		r.Err = nil
		r.record()
	}
}

// Failure records a request made with [CatchResponse] as a failure whose
// error text is reason; Err is set to that error. It does nothing if the
// request was already recorded. Keep reason free of per-request details
// (ids, timestamps) so that failures group into few rows.
//
// When reason is the text of the response's own Err (Locust's habit
// "if resp.Err != nil { resp.Failure(resp.Err.Error()) }"), Err is kept
// as it is, so a request cut short by the stop stays aborted rather than
// becoming a failure. [Response.Fail] passes any error through.
func (r *Response) Failure(reason string) {
	if r.pending.CompareAndSwap(true, false) {
		if r.Err == nil || r.Err.Error() != reason {
			r.Err = errors.New(reason)
		}
		r.record()
	}
}

// Fail records a request made with [CatchResponse] with err as its
// outcome and sets Err to it: a success if err is nil, an aborted request
// (counted in EntryStats.Aborted, not a failure) if err wraps
// [ErrAborted], as the Err of a request cut short by the stop does, else
// a failure with err's text. It does nothing if the request was already
// recorded. Keep err's text free of per-request details so that failures
// group into few rows.
func (r *Response) Fail(err error) {
	if r.pending.CompareAndSwap(true, false) {
		r.Err = err
		r.record()
	}
}

// record adds the response to the statistics of its context.
func (r *Response) record() {
	if r.span != nil {
		r.span.end(r)
	}
	Record(r.ctx, Sample{Type: r.Method, Name: r.Name, Duration: r.Duration, Size: r.Size, Err: r.Err})
}

// httpFinish decides and records the outcome of a response whose Status
// (or transport Err), Body, Size and Duration are set.
func (r *Response) httpFinish(req *httpReq, pend *httpPending) {
	if r.Err == nil && r.Status >= 400 {
		r.Err = HTTPStatusError{Status: r.Status}
	}
	if req.catch {
		r.pending.Store(true)
		pend.add(r)
		return
	}
	if req.check != nil && r.Status != 0 {
		defer r.record() // also when the check panics
		r.Err = req.check(r)
		return
	}
	r.record()
}

// HTTPStatusError is the default failure of a response whose status is
// 400 or more. Its text, such as "HTTP 404 Not Found", has nothing
// request-specific, so failures group by status in the failures table.
type HTTPStatusError struct {
	// Status is the HTTP status code.
	Status int
}

func (e HTTPStatusError) Error() string {
	if t := http.StatusText(e.Status); t != "" {
		return "HTTP " + strconv.Itoa(e.Status) + " " + t
	}
	return "HTTP " + strconv.Itoa(e.Status)
}

// httpPending tracks a client's CatchResponse responses that the task has
// not decided yet.
type httpPending struct {
	n    atomic.Int32
	mu   sync.Mutex
	list []*Response
}

func (p *httpPending) add(r *Response) {
	p.mu.Lock()
	p.list = append(p.list, r)
	p.n.Add(1)
	p.mu.Unlock()
}

// flush records every undecided response with its default outcome.
func (p *httpPending) flush() {
	if p.n.Load() == 0 {
		return
	}
	p.mu.Lock()
	list := p.list
	p.list = nil
	p.n.Store(0)
	p.mu.Unlock()
	for i, r := range list {
		if r.pending.CompareAndSwap(true, false) {
			r.record()
		}
		list[i] = nil
	}
}

// httpError is a transport failure whose text is free of per-request
// details (URL, query string, local port), so that it groups well.
type httpError struct {
	msg string
	err error
}

func (e *httpError) Error() string { return e.msg }
func (e *httpError) Unwrap() error { return e.err }

// httpCleanError turns the error of a request into a recorded failure.
func httpCleanError(ctx context.Context, err error, timeout time.Duration) error {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(context.Cause(ctx), errUserStopped) {
			// The stop cut the request short: the target did not fail.
			return &httpError{msg: ErrAborted.Error(), err: fmt.Errorf("%w: %w: %w", ErrAborted, cerr, err)}
		}
		return &httpError{msg: "request canceled: " + cerr.Error(), err: fmt.Errorf("%w: %w", cerr, err)}
	}
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var te interface{ Timeout() bool }
	if errors.As(inner, &te) && te.Timeout() {
		if timeout > 0 {
			return &httpError{msg: "timeout: no complete response within " + timeout.String(), err: err}
		}
	}
	var oe *net.OpError
	if errors.As(inner, &oe) {
		c := *oe
		c.Source = nil // the local address has an ephemeral port
		return &httpError{msg: c.Error(), err: err}
	}
	return &httpError{msg: inner.Error(), err: err}
}
