package locust

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// HTTPUser is embedded in a user type to give it an HTTP client, as
// Locust's HttpUser:
//
//	type Shopper struct{ locust.HTTPUser }
//
//	func (s *Shopper) Browse(ctx context.Context) error {
//		resp := s.Client.Get(ctx, "/items/"+id, locust.Name("/items/[id]"))
//		return resp.Err // nil, or the recorded failure (also returned as a task error, if wanted)
//	}
//
// Each user has its own client: its own cookies, default headers and
// timeout. Connections are pooled per host and shared by all users of
// the test unless Options.PerUserConnections is set; a pool opens at most
// Options.MaxConnections, and requests that find them all busy wait for
// one. Every request is recorded (see [HTTPClient.Do]).
//
// A user type that defines its own InitUser or OnStop must call the
// embedded ones (u.HTTPUser.InitUser(env), u.HTTPUser.OnStop(ctx)).
type HTTPUser struct {
	// Client is made by InitUser, before OnStart.
	Client *HTTPClient
	// Options configure Client; set them in the class's New. nil means
	// the defaults.
	Options *HTTPOptions
}

// InitUser makes the user's client for env.Host. It fails if the host is
// missing or is not an http(s) URL.
func (u *HTTPUser) InitUser(env UserEnv) error {
	c, err := httpNewClient(env, u.Options)
	if err != nil {
		return err
	}
	u.Client = c
	return nil
}

// OnStop records the responses still waiting for a [CatchResponse]
// decision and closes the user's own connections, if it has any.
func (u *HTTPUser) OnStop(ctx context.Context) {
	if u.Client != nil {
		u.Client.Close()
	}
}

// HTTPClient is the HTTP client of one simulated user, built on net/http.
// Paths are appended to the user's host (so a host with a base path such
// as https://api.example/v1 works); absolute http(s) URLs are used as
// they are. Its methods may be called concurrently, but [CatchResponse]
// decisions should be made before the next request (see there).
type HTTPClient struct {
	hc      http.Client
	base    httpBase
	timeout time.Duration
	headers atomic.Pointer[http.Header] // copy on write; nil when empty
	pend    httpPending
	own     *http.Transport // per-user connections, else nil
}

// httpTransportKey identifies a shared transport in UserEnv.Shared.
type httpTransportKey struct {
	host            string // scheme://host:port
	http2, insecure bool
	conns           int // MaxConnections
}

// httpSharedTransport is a shared transport, closed at the end of the test.
type httpSharedTransport struct{ t *http.Transport }

func (s httpSharedTransport) Close() error {
	s.t.CloseIdleConnections()
	return nil
}

func httpNewClient(env UserEnv, o *HTTPOptions) (*HTTPClient, error) {
	base, err := httpParseHost(env.Class, env.Host, "HTTPUser")
	if err != nil {
		return nil, err
	}
	if o == nil {
		o = &HTTPOptions{}
	}
	if err := httpCheckOptions(env.Class, "HTTPUser", o); err != nil {
		return nil, err
	}
	c := &HTTPClient{base: base, timeout: o.timeout()}
	if o.PerUserConnections {
		c.own = httpNewTransport(base.scheme, o, o.maxConns(false))
		c.hc.Transport = c.own
		runtime.AddCleanup(c, func(t *http.Transport) { t.CloseIdleConnections() }, c.own)
	} else {
		key := httpTransportKey{host: base.scheme + "://" + base.host, http2: o.HTTP2, insecure: o.Insecure, conns: o.maxConns(true)}
		st := env.Shared(key, func() any {
			return httpSharedTransport{httpNewTransport(base.scheme, o, key.conns)}
		}).(httpSharedTransport)
		c.hc.Transport = st.t
	}
	c.hc.Timeout = c.timeout
	c.hc.Jar = &httpLazyJar{}
	if o.NoRedirects {
		c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
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
	return c, nil
}

// httpIdleConnTimeout is how long a pooled connection may stay idle.
const httpIdleConnTimeout = 90 * time.Second

// httpCheckOptions rejects options out of range.
func httpCheckOptions(cls, userType string, o *HTTPOptions) error {
	if o.MaxConnections < 0 {
		return fmt.Errorf("%s of class %q: HTTPOptions.MaxConnections is %d; allowed: 0 (the default) or more", userType, cls, o.MaxConnections)
	}
	return nil
}

// httpNewTransport makes a transport opening at most conns connections
// per host; a request that finds them all busy waits for one (within its
// timeout). Idle connections are reused most recent first, so that those
// beyond what the load needs stay idle and are closed after a while.
func httpNewTransport(scheme string, o *HTTPOptions, conns int) *http.Transport {
	t := &http.Transport{
		// No proxy from the environment: the target is what is measured.
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:       conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       httpIdleConnTimeout,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: o.Insecure},
		Protocols:             new(http.Protocols),
	}
	switch {
	case !o.HTTP2:
		t.Protocols.SetHTTP1(true)
	case scheme == "http":
		t.Protocols.SetUnencryptedHTTP2(true)
		t.Protocols.SetHTTP2(true)
	default:
		t.Protocols.SetHTTP1(true)
		t.Protocols.SetHTTP2(true)
	}
	return t
}

// Close records the responses still waiting for a [CatchResponse]
// decision and closes the client's own idle connections (shared ones are
// closed at the end of the test). The client stays usable.
func (c *HTTPClient) Close() {
	c.pend.flush()
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// SetHeader sets a default header of the client's later requests, such as
// an Authorization header after a login; an empty value removes it.
func (c *HTTPClient) SetHeader(key, value string) {
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

// Get sends a GET request. See [HTTPClient.Do].
func (c *HTTPClient) Get(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodGet, path, nil, opts...)
}

// Head sends a HEAD request. See [HTTPClient.Do].
func (c *HTTPClient) Head(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodHead, path, nil, opts...)
}

// Delete sends a DELETE request. See [HTTPClient.Do].
func (c *HTTPClient) Delete(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodDelete, path, nil, opts...)
}

// Post sends a POST request with body. See [HTTPClient.Do].
func (c *HTTPClient) Post(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPost, path, body, opts...)
}

// Put sends a PUT request with body. See [HTTPClient.Do].
func (c *HTTPClient) Put(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPut, path, body, opts...)
}

// Patch sends a PATCH request with body. See [HTTPClient.Do].
func (c *HTTPClient) Patch(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPatch, path, body, opts...)
}

// PostJSON sends v encoded as JSON in a POST request, with Content-Type
// and Accept set to application/json. See [HTTPClient.DoJSON].
func (c *HTTPClient) PostJSON(ctx context.Context, path string, v any, opts ...RequestOption) *Response {
	return c.DoJSON(ctx, http.MethodPost, path, v, opts...)
}

// DoJSON sends v encoded as JSON, with Content-Type and Accept set to
// application/json (options may override them). If v cannot be encoded,
// nothing is sent or recorded and Response.Err says why. Decode the
// answer with [Response.JSON].
func (c *HTTPClient) DoJSON(ctx context.Context, method, path string, v any, opts ...RequestOption) *Response {
	body, err := json.Marshal(v)
	if err != nil {
		return httpNotSent(ctx, method, path, fmt.Errorf("failed to encode the JSON body of %s %s: %w", method, path, err))
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
// [CatchResponse] decides otherwise. The outcome is in Response.Err.
//
// A request that is never sent, because ctx is already done or the
// request is invalid, is not recorded; Response.Err says why (and wraps
// ctx's error if so).
func (c *HTTPClient) Do(ctx context.Context, method, path string, body []byte, opts ...RequestOption) *Response {
	var rq httpReq
	rq.apply(opts)
	c.pend.flush()
	r := &Response{Method: method, ctx: ctx}
	r.Name = httpRequestName(ctx, &rq, path)
	u := httpAddQuery(c.base.url(path), &rq)
	if err := ctx.Err(); err != nil {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	if err := httpAllowPath(ctx, path); err != nil {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	if err := Throttle(ctx); err != nil {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, err)
		return r
	}
	if h := c.headers.Load(); h != nil {
		req.Header = h.Clone()
	}
	if rq.nHeaders > 0 {
		for _, o := range rq.opts {
			if o.kind == httpOptHeader {
				req.Header.Set(o.key, o.value)
			}
		}
	}
	if h := req.Header["Host"]; len(h) > 0 {
		req.Host = h[0] // net/http sends req.Host, never the header
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		r.Duration = time.Since(start)
		r.Err = httpCleanError(ctx, err, c.timeout)
		r.httpFinish(&rq, &c.pend)
		return r
	}
	r.Status, r.Proto, r.header = resp.StatusCode, resp.Proto, resp.Header
	if rq.stream {
		r.Duration = time.Since(start)
		r.BodyStream = resp.Body
		r.Size = max(resp.ContentLength, 0)
		r.httpFinish(&rq, &c.pend)
		return r
	}
	r.Body, err = httpReadBody(resp)
	resp.Body.Close()
	r.Duration = time.Since(start)
	r.Size = int64(len(r.Body))
	if err != nil {
		r.Err = httpCleanError(ctx, err, c.timeout)
		rq.check = nil
	}
	r.httpFinish(&rq, &c.pend)
	return r
}

// httpNotSent is the response of a request that was not sent.
func httpNotSent(ctx context.Context, method, path string, err error) *Response {
	return &Response{Method: method, Name: httpDefaultName(path), ctx: ctx, Err: err}
}

// httpReadBody reads a whole body, in one allocation when its length is
// known.
func httpReadBody(resp *http.Response) ([]byte, error) {
	if resp.Body == http.NoBody {
		return nil, nil
	}
	n := resp.ContentLength
	if n < 0 || n > 16<<20 {
		return io.ReadAll(resp.Body)
	}
	// One byte more than announced, so that the read sees the end of
	// the body and the connection goes back to the pool at once.
	buf := make([]byte, n+1)
	k, err := io.ReadFull(resp.Body, buf)
	switch {
	case int64(k) == n && (err == io.ErrUnexpectedEOF || err == io.EOF):
		return buf[:n:n], nil
	case err == nil:
		rest, err := io.ReadAll(resp.Body)
		return append(buf, rest...), err
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return buf[:k], io.ErrUnexpectedEOF
	}
	return buf[:k], err
}

// httpLazyJar is a user's cookie jar, made when the first cookie arrives
// so that users without cookies pay nothing for it.
type httpLazyJar struct {
	mu  sync.Mutex
	jar atomic.Pointer[cookiejar.Jar]
}

func (j *httpLazyJar) get(create bool) *cookiejar.Jar {
	if jar := j.jar.Load(); jar != nil || !create {
		return jar
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.jar.Load() == nil {
		jar, _ := cookiejar.New(nil) // never fails without options
		j.jar.Store(jar)
	}
	return j.jar.Load()
}

// SetCookies implements http.CookieJar.
func (j *httpLazyJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) > 0 {
		j.get(true).SetCookies(u, cookies)
	}
}

// Cookies implements http.CookieJar.
func (j *httpLazyJar) Cookies(u *url.URL) []*http.Cookie {
	if jar := j.get(false); jar != nil {
		return jar.Cookies(u)
	}
	return nil
}
