package locust

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
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
	httpClient
	fc          *fasthttp.Client
	own         bool      // fc is this user's own
	gt          *httpGate // the shared pool's gate; nil with own connections
	noRedirects bool
	jar         httpLazyJar
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
	gate   *httpGate
}

func (s fastSharedClient) Close() error {
	s.c.CloseIdleConnections()
	return nil
}

func fastNewClient(env UserEnv, o *HTTPOptions) (*FastHTTPClient, error) {
	if o != nil && o.HTTP2 {
		return nil, fmt.Errorf("FastHTTPUser of class %q: HTTPOptions.HTTP2 is not supported by fasthttp; use HTTPUser", env.Class)
	}
	c := &FastHTTPClient{}
	o, err := c.init(env, o, "FastHTTPUser", c)
	if err != nil {
		return nil, err
	}
	c.noRedirects = o.NoRedirects
	if o.PerUserConnections {
		c.fc = fastNewFasthttp(o, o.maxConns(false), c.timeout, nil)
		c.own = true
		runtime.AddCleanup(c, func(fc *fasthttp.Client) { fc.CloseIdleConnections() }, c.fc)
	} else {
		key := fastClientKey{host: c.base.scheme + "://" + c.base.host, insecure: o.Insecure, conns: o.maxConns(true)}
		sc := env.Shared(key, func() any {
			g := newHTTPGate(key.conns, true)
			return fastSharedClient{fastNewFasthttp(o, key.conns, c.timeout, g), c.base.prefix, g}
		}).(fastSharedClient)
		c.fc, c.gt = sc.c, sc.gate
		if sc.prefix == c.base.prefix {
			// One copy for all users: it is read by every request.
			c.base.prefix = sc.prefix
		}
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
// stay idle and are closed after a while. When g is not nil, the client
// reports its connections to g.
func fastNewFasthttp(o *HTTPOptions, conns int, timeout time.Duration, g *httpGate) *fasthttp.Client {
	wait := timeout
	if wait <= 0 {
		wait = fastNoTimeoutWait
	}
	dial := fastDialer
	if g != nil {
		dial = func(addr string, timeout time.Duration) (net.Conn, error) {
			c, err := fastDialer(addr, timeout)
			if err != nil {
				return nil, err
			}
			return g.countConn(c), nil
		}
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
		// Dual stack, with deadlines that move coarsely (fasthttp_conn.go).
		DialTimeout: dial,
	}
}

func (c *FastHTTPClient) canStream() bool { return false }

func (c *FastHTTPClient) gate() *httpGate { return c.gt }

func (c *FastHTTPClient) closeIdle() {
	if c.own {
		c.fc.CloseIdleConnections()
	}
}

// fastExchange is a fasthttp request and response, pooled. A request
// goes back to the pool as it was sent, not reset: when the next one from
// the pool has the same method and URL and nothing else (no header, body
// or cookie), as most requests of a load test do, it is sent as it is,
// without parsing its URL and writing its header again.
type fastExchange struct {
	req   fasthttp.Request
	resp  fasthttp.Response
	url   []byte // the URL req was set to while plain
	plain bool   // req has only its method and url set
}

var fastExchangePool = sync.Pool{New: func() any { return &fastExchange{url: make([]byte, 0, 128)} }}

// fastExchangeMaxBody is the largest body kept in a pooled exchange;
// a larger one is released with it (see fastExchange.release).
const fastExchangeMaxBody = 64 << 10

// release puts x back into the pool, unless a response or request
// body made it too large to keep.
func (x *fastExchange) release() {
	if cap(x.resp.Body()) > fastExchangeMaxBody || len(x.req.Body()) > 0 {
		x.resp.Reset()
		x.req.Reset()
		x.plain = false
	}
	fastExchangePool.Put(x)
}

// prepare sets x.req for a request of method to url (owned by the
// caller) with no header, body or cookie of its own: if it is not what
// x.req already is, it is reset and set.
func (x *fastExchange) prepare(method string, url []byte) {
	if x.plain && string(x.req.Header.Method()) == method && string(x.url) == string(url) {
		return
	}
	x.req.Reset()
	x.req.SetRequestURIBytes(url)
	x.req.Header.SetMethod(method)
	x.url = append(x.url[:0], url...)
	x.plain = true
}

// send implements httpBackend with fasthttp. A cancelled ctx does not
// abort a request in flight; ctx's deadline and the client's timeout
// (deadline) bound it.
func (c *FastHTTPClient) send(ctx context.Context, r *Response, rq *httpReq, path string, body []byte, headers *http.Header, deadline time.Time) error {
	x := fastExchangePool.Get().(*fastExchange)
	defer x.release()
	req, resp := &x.req, &x.resp

	var ub [256]byte // the URL, on the stack unless long
	u := ub[:0]
	if !httpIsAbsolute(path) {
		u = append(u, c.base.prefix...)
		if path == "" || path[0] != '/' {
			u = append(u, '/')
		}
		u = append(u, path...)
	} else {
		u = append(u, path...)
	}
	if rq.nQuery > 0 {
		u = append(u[:0], httpAddQuery(string(u), rq)...)
	}
	x.prepare(r.Method, u)
	if headers != nil || rq.nHeaders > 0 || body != nil || c.jar.get(false) != nil {
		x.plain = false // reset by the next prepare
	}
	if headers != nil {
		for k, vs := range *headers {
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
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if err := c.fastDo(ctx, x, deadline, rq.now); err != nil {
		x.plain = false // whatever state the failure left req in
		return err
	}
	r.Status = resp.StatusCode()
	r.Proto = "HTTP/1.1"
	if !resp.Header.IsHTTP11() {
		r.Proto = "HTTP/1.0"
	}
	// One allocation holds the raw header, which Header parses if it is
	// ever asked for, and the body. The header is written straight into
	// it, sized by the longest header seen so far.
	b := resp.Body()
	buf := fastAppendHeader(make([]byte, 0, int(fastHeaderHint.Load())+len(b)), &resp.Header)
	h := len(buf)
	if h > int(fastHeaderHint.Load()) && h <= fastHeaderHintMax {
		fastHeaderHint.Store(int32(h))
	}
	buf = append(buf, b...)
	r.rawHeader = buf[:h:h]
	if len(b) > 0 {
		r.Body = buf[h:len(buf):len(buf)]
	}
	r.Size = int64(len(b))
	return nil
}

// fastAppendHeader appends h's fields as "Key: value" lines and the empty
// line that ends them, as received: the target's own Date (fasthttp's
// AppendBytes would put its own clock's instead) and no status line
// (Status and Proto hold it), which costs a formatting per request.
func fastAppendHeader(dst []byte, h *fasthttp.ResponseHeader) []byte {
	for k, v := range h.All() {
		dst = append(dst, k...)
		dst = append(dst, ": "...)
		dst = append(dst, v...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// fastHeaderHint is the length of the longest response header seen (up
// to fastHeaderHintMax), to size a Response's buffer in one allocation.
var fastHeaderHint atomic.Int32

const fastHeaderHintMax = 4 << 10

// fastDo sends x's request, following redirects unless disabled (only to
// hosts the allow-list of ctx's test permits), and keeps the cookies of
// every response in the user's jar. now is the time read when the request
// was handed over (httpReq.now): the first hop's time left is counted from
// it rather than from a clock read of its own, so that it may time out
// that little (our own work before fasthttp reads the clock) late.
func (c *FastHTTPClient) fastDo(ctx context.Context, x *fastExchange, deadline, now time.Time) error {
	req, resp := &x.req, &x.resp
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
			left := deadline.Sub(now)
			if hops > 0 || now.IsZero() {
				left = time.Until(deadline)
			}
			if left <= 0 {
				return fasthttp.ErrTimeout
			}
			req.SetTimeout(left)
		} else {
			req.SetTimeout(0) // none, whatever the pooled request had
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
		x.plain = false // the request changed: reset by the next prepare
		req.URI().UpdateBytes(loc)
		if err := allowRedirect(ctx, string(req.URI().FullURI())); err != nil { // allowed_hosts.go
			return err
		}
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
