package locust

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// FastHTTPUser is embedded in a user type to give it a client built on
// github.com/valyala/fasthttp, as Locust's FastHttpUser: fewer
// allocations and less CPU per request than [HTTPUser], for tests where
// the load generator's CPU is the limit. Its client has the same methods,
// options and [Response] as HTTPUser's, so switching is changing the
// embedded type. Differences: no HTTP/2, no [Stream] option, and a
// cancelled context does not abort a request in flight (it ends by
// Options.Timeout at the latest, and is then recorded).
//
// A user type that defines its own InitUser or OnStop must call the
// embedded ones.
type FastHTTPUser struct {
	// Client is made by InitUser, before OnStart.
	Client *FastHTTPClient
	// Options configure Client; set them in the class's New. nil means
	// the defaults.
	Options *HTTPOptions
}

// InitUser makes the user's client for env.Host. It fails if the host is
// missing or is not an http(s) URL, or if the options ask for HTTP/2.
func (u *FastHTTPUser) InitUser(env UserEnv) error {
	c, err := fastNewClient(env, u.Options)
	if err != nil {
		return err
	}
	u.Client = c
	return nil
}

// OnStop records the responses still waiting for a [CatchResponse]
// decision and closes the user's own connections, if it has any.
func (u *FastHTTPUser) OnStop(ctx context.Context) {
	if u.Client != nil {
		u.Client.Close()
	}
}

// FastHTTPClient is the HTTP client of one simulated user, built on
// fasthttp. It behaves as [HTTPClient] (same paths, options, recording
// and outcomes) except as said at [FastHTTPUser]. Its methods may be
// called concurrently.
type FastHTTPClient struct {
	fc          *fasthttp.Client
	own         bool // fc is this user's own
	base        httpBase
	timeout     time.Duration
	noRedirects bool
	headers     atomic.Pointer[http.Header] // copy on write; nil when empty
	jar         httpLazyJar
	pend        httpPending
}

// fastClientKey identifies a shared fasthttp client in UserEnv.Shared.
type fastClientKey struct {
	host     string // scheme://host:port
	insecure bool
	conns    int // MaxConnections
}

// fastSharedClient is a shared client, closed at the end of the test,
// and the URL prefix of the user that made it.
type fastSharedClient struct {
	c      *fasthttp.Client
	prefix string
}

func (s fastSharedClient) Close() error {
	s.c.CloseIdleConnections()
	return nil
}

func fastNewClient(env UserEnv, o *HTTPOptions) (*FastHTTPClient, error) {
	base, err := httpParseHost(env.Class, env.Host, "FastHTTPUser")
	if err != nil {
		return nil, err
	}
	if o == nil {
		o = &HTTPOptions{}
	}
	if o.HTTP2 {
		return nil, fmt.Errorf("FastHTTPUser of class %q: HTTPOptions.HTTP2 is not supported by fasthttp; use HTTPUser", env.Class)
	}
	if err := httpCheckOptions(env.Class, "FastHTTPUser", o); err != nil {
		return nil, err
	}
	c := &FastHTTPClient{base: base, timeout: o.timeout(), noRedirects: o.NoRedirects}
	if o.PerUserConnections {
		c.fc = fastNewFasthttp(o, o.maxConns(false), c.timeout)
		c.own = true
		runtime.AddCleanup(c, func(fc *fasthttp.Client) { fc.CloseIdleConnections() }, c.fc)
	} else {
		key := fastClientKey{host: base.scheme + "://" + base.host, insecure: o.Insecure, conns: o.maxConns(true)}
		sc := env.Shared(key, func() any {
			return fastSharedClient{fastNewFasthttp(o, key.conns, c.timeout), base.prefix}
		}).(fastSharedClient)
		c.fc = sc.c
		if sc.prefix == c.base.prefix {
			// One copy for all users: it is read by every request.
			c.base.prefix = sc.prefix
		}
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

// fastNoTimeoutWait bounds the wait for a free connection when requests
// have no timeout (fasthttp needs a bound to wait at all).
const fastNoTimeoutWait = 24 * time.Hour

// fastNewFasthttp makes a client opening at most conns connections per
// host. A request that finds them all busy waits for one (within its
// timeout) instead of failing; the pool hands out the most recently used
// idle connection first, so that connections beyond what the load needs
// stay idle and are closed after a while.
func fastNewFasthttp(o *HTTPOptions, conns int, timeout time.Duration) *fasthttp.Client {
	wait := timeout
	if wait <= 0 {
		wait = fastNoTimeoutWait
	}
	return &fasthttp.Client{
		MaxConnsPerHost:     conns,
		MaxConnWaitTimeout:  wait,
		ConnPoolStrategy:    fasthttp.LIFO,
		MaxIdleConnDuration: httpIdleConnTimeout,
		// Never resend a request: the target would see requests that
		// are recorded once.
		MaxIdemponentCallAttempts: 1,
		TLSConfig:                 &tls.Config{InsecureSkipVerify: o.Insecure},
		DialDualStack:             true,
	}
}

// Close records the responses still waiting for a [CatchResponse]
// decision and closes the client's own idle connections (shared ones are
// closed at the end of the test). The client stays usable.
func (c *FastHTTPClient) Close() {
	c.pend.flush()
	if c.own {
		c.fc.CloseIdleConnections()
	}
}

// SetHeader sets a default header of the client's later requests, such as
// an Authorization header after a login; an empty value removes it.
func (c *FastHTTPClient) SetHeader(key, value string) {
	h := http.Header{}
	if cur := c.headers.Load(); cur != nil {
		h = cur.Clone()
	}
	if value == "" {
		h.Del(key)
	} else {
		h.Set(key, value)
	}
	c.headers.Store(&h)
}

// Get sends a GET request. See [FastHTTPClient.Do].
func (c *FastHTTPClient) Get(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodGet, path, nil, opts...)
}

// Head sends a HEAD request. See [FastHTTPClient.Do].
func (c *FastHTTPClient) Head(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodHead, path, nil, opts...)
}

// Delete sends a DELETE request. See [FastHTTPClient.Do].
func (c *FastHTTPClient) Delete(ctx context.Context, path string, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodDelete, path, nil, opts...)
}

// Post sends a POST request with body. See [FastHTTPClient.Do].
func (c *FastHTTPClient) Post(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPost, path, body, opts...)
}

// Put sends a PUT request with body. See [FastHTTPClient.Do].
func (c *FastHTTPClient) Put(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPut, path, body, opts...)
}

// Patch sends a PATCH request with body. See [FastHTTPClient.Do].
func (c *FastHTTPClient) Patch(ctx context.Context, path string, body []byte, opts ...RequestOption) *Response {
	return c.Do(ctx, http.MethodPatch, path, body, opts...)
}

// PostJSON sends v encoded as JSON in a POST request. See
// [FastHTTPClient.DoJSON].
func (c *FastHTTPClient) PostJSON(ctx context.Context, path string, v any, opts ...RequestOption) *Response {
	return c.DoJSON(ctx, http.MethodPost, path, v, opts...)
}

// DoJSON sends v encoded as JSON, as [HTTPClient.DoJSON].
func (c *FastHTTPClient) DoJSON(ctx context.Context, method, path string, v any, opts ...RequestOption) *Response {
	body, err := json.Marshal(v)
	if err != nil {
		return httpNotSent(ctx, method, path, fmt.Errorf("failed to encode the JSON body of %s %s: %w", method, path, err))
	}
	return c.Do(ctx, method, path, body, append([]RequestOption{Header("Content-Type", "application/json"), Header("Accept", "application/json")}, opts...)...)
}

// fastURLPool holds buffers to build request URLs in.
var fastURLPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Do sends a request and reads the whole response, as [HTTPClient.Do]:
// same recording, outcomes and options.
func (c *FastHTTPClient) Do(ctx context.Context, method, path string, body []byte, opts ...RequestOption) *Response {
	var rq httpReq
	rq.apply(opts)
	c.pend.flush()
	r := &Response{Method: method, ctx: ctx}
	r.Name = httpRequestName(ctx, &rq, path)
	if rq.stream {
		r.Err = fmt.Errorf("%s %s not sent: %w", method, r.Name, errHTTPNoStream)
		return r
	}
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
	start := time.Now()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	bp := fastURLPool.Get().(*[]byte)
	u := *bp
	if !httpIsAbsolute(path) {
		u = append(u[:0], c.base.prefix...)
		if path == "" || path[0] != '/' {
			u = append(u, '/')
		}
		u = append(u, path...)
	} else {
		u = append(u[:0], path...)
	}
	if rq.nQuery > 0 {
		u = append(u[:0], httpAddQuery(string(u), &rq)...)
	}
	req.SetRequestURIBytes(u)
	*bp = u
	fastURLPool.Put(bp)

	req.Header.SetMethod(method)
	if h := c.headers.Load(); h != nil {
		for k, vs := range *h {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	for _, o := range rq.opts {
		if o.kind == httpOptHeader {
			req.Header.Set(o.key, o.value)
		}
	}
	if body != nil {
		req.SetBodyRaw(body)
	}
	var deadline time.Time
	if c.timeout > 0 {
		deadline = start.Add(c.timeout)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	err := c.fastDo(req, resp, deadline)
	r.Duration = time.Since(start)
	if err != nil {
		r.Err = httpCleanError(ctx, err, c.timeout)
		r.httpFinish(&rq, &c.pend)
		return r
	}
	r.Status = resp.StatusCode()
	r.Proto = "HTTP/1.1"
	if !resp.Header.IsHTTP11() {
		r.Proto = "HTTP/1.0"
	}
	// One allocation holds the body and the raw header, which Header
	// parses if it is ever asked for.
	b, hdr := resp.Body(), resp.Header.Header()
	buf := make([]byte, len(b)+len(hdr))
	n := copy(buf, b)
	copy(buf[n:], hdr)
	if n > 0 {
		r.Body = buf[:n:n]
	}
	r.rawHeader = buf[n:]
	r.Size = int64(n)
	r.httpFinish(&rq, &c.pend)
	return r
}

// fastDo sends req, following redirects unless disabled, and keeps the
// cookies of every response in the user's jar.
func (c *FastHTTPClient) fastDo(req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time) error {
	for hops := 0; ; hops++ {
		if jar := c.jar.get(false); jar != nil {
			req.Header.DelAllCookies()
			if u, err := url.Parse(string(req.URI().FullURI())); err == nil {
				for _, ck := range jar.Cookies(u) {
					req.Header.SetCookie(ck.Name, ck.Value)
				}
			}
		}
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return fasthttp.ErrTimeout
			}
			req.SetTimeout(left)
		}
		if err := c.fc.Do(req, resp); err != nil {
			return err
		}
		c.fastKeepCookies(req, resp)
		st := resp.StatusCode()
		if c.noRedirects || !fasthttp.StatusCodeIsRedirect(st) {
			return nil
		}
		loc := resp.Header.Peek("Location")
		if len(loc) == 0 {
			return nil
		}
		if hops >= httpMaxRedirects {
			return fmt.Errorf("stopped after %d redirects", httpMaxRedirects)
		}
		req.URI().UpdateBytes(loc)
		if st == http.StatusSeeOther || (st == http.StatusMovedPermanently || st == http.StatusFound) && string(req.Header.Method()) == http.MethodPost {
			req.Header.SetMethod(http.MethodGet)
			req.ResetBody()
			req.Header.Del("Content-Type")
			req.Header.Del("Content-Length") // else kept from the first hop
		}
		resp.Reset()
	}
}

// fastKeepCookies stores the cookies that resp sets.
func (c *FastHTTPClient) fastKeepCookies(req *fasthttp.Request, resp *fasthttp.Response) {
	var cookies []*http.Cookie
	for _, v := range resp.Header.Cookies() {
		if ck, err := http.ParseSetCookie(string(v)); err == nil {
			cookies = append(cookies, ck)
		}
	}
	if len(cookies) == 0 {
		return
	}
	u, err := url.Parse(string(req.URI().FullURI()))
	if err != nil {
		return
	}
	c.jar.SetCookies(u, cookies)
}
