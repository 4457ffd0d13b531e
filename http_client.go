package locust

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"sync/atomic"
	"time"
)

// The HTTP users live in the root package rather than in a subpackage:
// HTTPUser is the vocabulary of most load tests (Locust's HttpUser), the
// users, their options and [Response] are one API that task code switches
// between by changing one embedded type, and the linker already leaves out
// what a suite does not reach (a suite without FastHTTPUser keeps only the
// small package-level state of fasthttp). See docs/ARCHITECTURE.md.

// httpClient is the request path shared by [HTTPClient] and
// [FastHTTPClient], written once: the request's name, the throttle, the
// user's default headers, the timeout, [CatchResponse] and [Check], and
// the recording. The transport (net/http or fasthttp) is behind
// httpBackend. Its exported methods are those of both clients.
type httpClient struct {
	base    httpBase
	timeout time.Duration
	headers atomic.Pointer[http.Header] // copy on write; nil when empty
	pend    httpPending
	be      httpBackend // the embedding client itself
	tr      *httpTracer // Config.Tracing; nil when off (tracing.go)
}

// httpBackend sends requests for an httpClient.
type httpBackend interface {
	// send sends one request to path (relative to the client's host, or
	// absolute) and fills r's Status, Proto, header, Body or BodyStream
	// and Size. The error is the transport's, uncleaned; a response may
	// have arrived before it (a body that failed to read). headers are
	// the client's default headers (nil when none), under rq's.
	send(ctx context.Context, r *Response, rq *httpReq, path string, body []byte, headers *http.Header, deadline time.Time) error
	// canStream tells whether the backend supports the [Stream] option.
	canStream() bool
	// closeIdle closes the client's own idle connections, if it has any.
	closeIdle()
}

// init checks the user's host and options and sets the client's common
// state; it returns the options with their defaults.
func (c *httpClient) init(env UserEnv, o *HTTPOptions, userType string, be httpBackend) (*HTTPOptions, error) {
	base, err := httpParseHost(env.Class, env.Host, userType)
	if err != nil {
		return nil, err
	}
	if o == nil {
		o = &HTTPOptions{}
	}
	if o.MaxConnections < 0 {
		return nil, fmt.Errorf("%s of class %q: HTTPOptions.MaxConnections is %d; allowed: 0 (the default) or more", userType, env.Class, o.MaxConnections)
	}
	c.base, c.timeout, c.be, c.tr = base, o.timeout(), be, httpTracerOf(env)
	h := http.Header{}
	if base.auth != "" {
		h.Set("Authorization", base.auth)
	}
	for k, v := range o.Headers {
		h.Set(k, v)
	}
	if len(h) > 0 {
		c.headers.Store(&h)
	}
	return o, nil
}

// Close records the responses still waiting for a [CatchResponse]
// decision and closes the client's own idle connections (shared ones are
// closed at the end of the test). The client stays usable.
func (c *httpClient) Close() {
	c.pend.flush()
	c.be.closeIdle()
}

// SetHeader sets a default header of the client's later requests, such as
// an Authorization header after a login; an empty value removes it.
func (c *httpClient) SetHeader(key, value string) {
	h := http.Header{}
	if cur := c.headers.Load(); cur != nil {
		h = maps.Clone(*cur)
	}
	if value == "" {
		h.Del(key)
	} else {
		h.Set(key, value)
	}
	c.headers.Store(&h)
}

// Get sends a GET request. See Do.
func (c *httpClient) Get(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodGet, path, nil, opts...)
}

// Head sends a HEAD request. See Do.
func (c *httpClient) Head(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodHead, path, nil, opts...)
}

// Delete sends a DELETE request. See Do.
func (c *httpClient) Delete(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodDelete, path, nil, opts...)
}

// Post sends a POST request with body. See Do.
func (c *httpClient) Post(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPost, path, body, opts...)
}

// Put sends a PUT request with body. See Do.
func (c *httpClient) Put(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPut, path, body, opts...)
}

// Patch sends a PATCH request with body. See Do.
func (c *httpClient) Patch(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPatch, path, body, opts...)
}

// PostJSON sends v encoded as JSON in a POST request, with Content-Type
// and Accept set to application/json. See DoJSON.
func (c *httpClient) PostJSON(ctx context.Context, path string, v any, opts ...RequestOption) *Response {
	return c.DoJSON(ctx, http.MethodPost, path, v, opts...)
}

// DoJSON sends v encoded as JSON, with Content-Type and Accept set to
// application/json (options may override them). If v cannot be encoded,
// nothing is sent or recorded and Response.Err says why. Decode the
// answer with [Response.JSON].
func (c *httpClient) DoJSON(ctx context.Context, method, path string, v any, opts ...RequestOption) *Response {
	body, err := json.Marshal(v)
	if err != nil {
		return &Response{Method: method, Name: httpDefaultName(path), ctx: ctx, Err: fmt.Errorf("failed to encode the JSON body of %s %s: %w", method, httpDefaultName(path), err)}
	}
	return c.Do(ctx, method, path, body, append([]RequestOption{Header("Content-Type", "application/json"), Header("Accept", "application/json")}, opts...)...)
}

// Do sends a request and reads the whole response body, following
// redirects unless Options.NoRedirects. A nil body sends none.
//
// The request is recorded exactly once, under its [Name] (by default the
// path without its query string), with the time from the start of the
// request until the body was read, the body's size, and its outcome: a
// failure for a transport error (including a timeout or a context
// cancelled in flight) or a status >= 400, unless a [Check] or
// [CatchResponse] decides otherwise; aborted (an Err wrapping
// [ErrAborted], not a failure) when the user was stopped during the
// request. The outcome is in Response.Err.
//
// A request that is never sent, because ctx is already done, ctx ends
// while the request waits for a connection ([HTTPClient]; [FastHTTPClient]
// too when more than 1,000 users run, as requests then wait in line for
// the shared pool before they take any buffer), the request is invalid,
// or it asks for [Stream] from a [FastHTTPClient], is not recorded;
// Response.Err says why (and wraps ctx's error if so).
func (c *httpClient) Do(ctx context.Context, method, path string, body []byte, opts ...RequestOption) *Response {
	var rq httpReq
	rq.apply(opts)
	c.pend.flush()
	r := &Response{Method: method, ctx: ctx}
	r.Name = httpRequestName(ctx, &rq, path)
	if rq.stream && !c.be.canStream() {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, errHTTPNoStream)
		return r
	}
	if err := ctx.Err(); err != nil {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	if err := httpAllowPath(ctx, path); err != nil { // allowed_hosts.go
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	if err := Throttle(ctx); err != nil {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	start := monoNow() // one clock read (clock.go)
	rq.now = start
	var deadline time.Time
	if c.timeout > 0 {
		deadline = start.Add(c.timeout)
	}
	headers := c.headers.Load()
	if c.tr != nil {
		headers = c.traceStart(ctx, r, &rq, path, headers, time.Now())
	}
	var err error
	if httpHandoff() { // http_handoff.go
		err = httpSendHandoff(ctx, c.be, r, &rq, path, body, headers, deadline)
	} else {
		err = c.send(ctx, r, &rq, path, body, headers, deadline)
	}
	if nerr, ok := err.(httpNotSentError); ok {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, nerr.err)
		return r
	}
	r.Duration = time.Since(start)
	if err != nil {
		r.Err = httpCleanError(ctx, err, c.timeout)
		rq.check = nil // a check sees only complete responses
	}
	r.httpFinish(&rq, &c.pend)
	return r
}

// send calls the backend's send through its concrete type rather than
// the interface, so that the compiler sees that rq does not escape and
// keeps it on Do's stack: one allocation less per request.
func (c *httpClient) send(ctx context.Context, r *Response, rq *httpReq, path string, body []byte, headers *http.Header, deadline time.Time) error {
	switch be := c.be.(type) {
	case *FastHTTPClient:
		return be.send(ctx, r, rq, path, body, headers, deadline)
	case *HTTPClient:
		return be.send(ctx, r, rq, path, body, headers, deadline)
	}
	panic(fmt.Sprintf("locust: unknown HTTP backend %T", c.be))
}

// httpNotSentError is a backend's error for a request it could not build:
// nothing was sent, so nothing is recorded.
type httpNotSentError struct{ err error }

func (e httpNotSentError) Error() string { return e.err.Error() }
