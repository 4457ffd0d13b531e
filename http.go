package locust

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
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
	httpClient
	hc    http.Client
	own   *http.Transport // per-user connections, else nil
	gt    *httpGate       // the shared transport's gate; nil with own connections
	watch httpWatch       // the requests' context and timeout (http_timeout.go)
}

// httpTransportKey identifies a shared transport in UserEnv.Shared.
type httpTransportKey struct {
	host            string // scheme://host:port
	http2, insecure bool
	conns           int // MaxConnections
}

// httpSharedTransport is a shared transport, closed at the end of the test.
type httpSharedTransport struct {
	t    *http.Transport
	gate *httpGate
}

func (s httpSharedTransport) Close() error {
	s.t.CloseIdleConnections()
	return nil
}

func httpNewClient(env UserEnv, o *HTTPOptions) (*HTTPClient, error) {
	c := &HTTPClient{}
	o, err := c.init(env, o, "HTTPUser", c)
	if err != nil {
		return nil, err
	}
	base := c.base
	if o.PerUserConnections {
		c.own = httpNewTransport(base.scheme, o, o.maxConns(false), nil)
		c.hc.Transport = c.own
		runtime.AddCleanup(c, func(t *http.Transport) { t.CloseIdleConnections() }, c.own)
	} else {
		key := httpTransportKey{host: base.scheme + "://" + base.host, http2: o.HTTP2, insecure: o.Insecure, conns: o.maxConns(true)}
		st := env.Shared(key, func() any {
			// HTTP/1 only: one connection per request in flight, which the
			// gate counts (HTTP/2 carries many requests on one).
			g := newHTTPGate(key.conns, !o.HTTP2)
			return httpSharedTransport{httpNewTransport(base.scheme, o, key.conns, g), g}
		}).(httpSharedTransport)
		c.hc.Transport, c.gt = st.t, st.gate
	}
	c.hc.Jar = &httpLazyJar{}
	c.hc.CheckRedirect = httpCheckRedirect
	if o.NoRedirects {
		c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c, nil
}

// httpCheckRedirect follows up to httpMaxRedirects redirects, as
// net/http's default, and only to hosts the test's allow-list permits
// (allowed_hosts.go): req carries the context of the first request.
func httpCheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= httpMaxRedirects {
		return fmt.Errorf("stopped after %d redirects", httpMaxRedirects)
	}
	return allowRedirect(req.Context(), req.URL.String())
}

// httpIdleConnTimeout is how long a pooled connection may stay idle.
const httpIdleConnTimeout = 90 * time.Second

// httpNewTransport makes a transport opening at most conns connections
// per host; a request that finds them all busy waits for one (within its
// timeout). When g counts connections, the transport reports its own to g.
// Idle connections are reused most recent first, so that those
// beyond what the load needs stay idle and are closed after a while.
func httpNewTransport(scheme string, o *HTTPOptions, conns int, g *httpGate) *http.Transport {
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if g != nil && g.track {
		plain := dial
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := plain(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return g.countConn(c), nil
		}
	}
	t := &http.Transport{
		// No proxy from the environment: the target is what is measured.
		DialContext:           dial,
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

func (c *HTTPClient) canStream() bool { return true }

func (c *HTTPClient) closeIdle() {
	c.watch.close()
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// gate implements httpGated.
func (c *HTTPClient) gate() *httpGate { return c.gt }

// send implements httpBackend with net/http. The request runs under a
// context that ends at deadline (http_timeout.go).
func (c *HTTPClient) send(ctx context.Context, r *Response, rq *httpReq, path string, body []byte, headers *http.Header, deadline time.Time) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var (
		rctx   context.Context
		st     *httpSendTrace
		kept   bool
		cancel context.CancelFunc
	)
	if !rq.stream {
		rctx, st, kept = c.watch.begin(ctx, deadline)
	}
	if kept {
		defer c.watch.end()
	} else {
		rctx, cancel, st = httpOwnContext(ctx, deadline)
	}
	req, err := http.NewRequestWithContext(rctx, r.Method, httpAddQuery(c.base.url(path), rq), rd)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return httpNotSentError{err}
	}
	if headers != nil {
		req.Header = headers.Clone()
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
	// A request whose context ends while it waits for a connection (the
	// pool is full, or the dial is slow) never reached the target: it is
	// not sent, so not counted. Once a connection is in hand the request
	// may have been written, and it is recorded.
	resp, err := c.hc.Do(req)
	if err != nil {
		notSent := ctx.Err() != nil && !st.got.Load()
		if !kept {
			if cancel != nil {
				cancel()
			}
			st.release()
		}
		if notSent {
			return httpNotSentError{err}
		}
		return err
	}
	r.Status, r.Proto, r.header = resp.StatusCode, resp.Proto, resp.Header
	if rq.stream {
		r.BodyStream = resp.Body
		if cancel != nil {
			r.BodyStream = &httpStreamBody{resp.Body, cancel}
		}
		r.Size = max(resp.ContentLength, 0)
		return nil // st is not reused while the body is open
	}
	r.Body, err = httpReadBody(resp)
	resp.Body.Close()
	if !kept {
		if cancel != nil {
			cancel()
		}
		st.release()
	}
	r.Size = int64(len(r.Body))
	return err
}

// httpOwnContext makes the context of a request that does not run under
// its client's kept one: ctx, ending at deadline (unless zero; then
// cancel is nil), with a trace (see below).
func httpOwnContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc, *httpSendTrace) {
	var cancel context.CancelFunc
	if !deadline.IsZero() {
		ctx, cancel = context.WithDeadlineCause(ctx, deadline, errHTTPTimeout)
	}
	st := httpGetSendTrace(ctx)
	return httptrace.WithClientTrace(ctx, &st.trace), cancel, st
}

// httpStreamBody is the body of a Stream request, whose timeout runs
// until it is closed.
type httpStreamBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *httpStreamBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// httpSendTrace tells whether a request got a connection (GotConn). It is
// pooled: a request takes one from the pool and gives it back when its
// body is read and closed, after which net/http calls none of its hooks.
type httpSendTrace struct {
	trace  httptrace.ClientTrace
	got    atomic.Bool
	pooled bool
}

var httpSendTracePool = sync.Pool{New: func() any {
	st := &httpSendTrace{pooled: true}
	st.trace.GotConn = st.gotConn
	return st
}}

func (st *httpSendTrace) gotConn(httptrace.GotConnInfo) { st.got.Store(true) }

// httpGetSendTrace returns a trace for a request under ctx: a pooled one,
// unless ctx has a trace of its own, which WithClientTrace would compose
// into it (it changes the trace it is given).
func httpGetSendTrace(ctx context.Context) *httpSendTrace {
	if httptrace.ContextClientTrace(ctx) != nil {
		st := &httpSendTrace{}
		st.trace.GotConn = st.gotConn
		return st
	}
	st := httpSendTracePool.Get().(*httpSendTrace)
	st.got.Store(false)
	return st
}

func (st *httpSendTrace) release() {
	if st.pooled {
		httpSendTracePool.Put(st)
	}
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
