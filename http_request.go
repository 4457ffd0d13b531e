package locust

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golocust/locust/internal/redact"
)

// HTTPOptions configure the client of an [HTTPUser] or a [FastHTTPUser].
// Set them in the class's New; a nil *HTTPOptions means the defaults, and
// the client never changes the caller's struct.
type HTTPOptions struct {
	// Timeout bounds each request from its start until its body is read,
	// redirects included. 0 means 60 seconds; negative means no limit
	// (the task's context still ends it when the user stops).
	Timeout time.Duration
	// Headers are sent with every request, under per-request [Header]
	// options. [HTTPClient.SetHeader] changes them later (say, after a
	// login).
	Headers map[string]string
	// PerUserConnections gives each user its own connection pool, as
	// distinct browsers would have, instead of one pool per host shared
	// by all users of the test.
	PerUserConnections bool
	// MaxConnections bounds the open connections to each host of a
	// pool: the pool shared by all users of the test, or each user's own
	// with PerUserConnections. A request that finds them all busy waits
	// for one to be free rather than opening another; the wait is part of
	// its response time and of its Timeout. 0 means the default:
	// [DefaultMaxConnections] for the shared pool (it opens only as many
	// as requests are in flight at once), 4 for a user's own pool. Raise
	// it when the target is slow and more than that many requests must be
	// in flight at once (requests per second times response time in
	// seconds), within the open-file limit of the process.
	MaxConnections int
	// HTTP2 enables HTTP/2: negotiated by ALPN for https hosts, with
	// prior knowledge (h2c) for http hosts. The default is HTTP/1.1 only,
	// so that each user has connections of its own as in Locust.
	// FastHTTPUser does not support HTTP/2.
	HTTP2 bool
	// Insecure skips the verification of the target's TLS certificate.
	// Verification is on by default.
	Insecure bool
	// NoRedirects returns 3xx responses as they are instead of following
	// them. By default up to 10 redirects are followed and recorded as
	// one request under the first request's name; with an allow-list
	// (Config.AllowedHosts) a hop outside it is not followed and the
	// request fails.
	NoRedirects bool
}

// DefaultMaxConnections is the default of HTTPOptions.MaxConnections for
// the connection pool shared by the users of a test: enough for 4,096
// requests in flight to one host (40,000 requests per second at 100 ms),
// and far below the usual open-file limits, so that a generator that
// falls behind queues its requests instead of opening sockets until it
// runs out of file descriptors.
const DefaultMaxConnections = 4096

// httpDefaultTimeout is the request timeout when HTTPOptions.Timeout is 0.
const httpDefaultTimeout = 60 * time.Second

// httpMaxRedirects is how many redirects a request follows, as net/http.
const httpMaxRedirects = 10

// maxConns is MaxConnections with its default for a shared pool
// (shared) or a user's own.
func (o *HTTPOptions) maxConns(shared bool) int {
	switch {
	case o.MaxConnections > 0:
		return o.MaxConnections
	case shared:
		return DefaultMaxConnections
	}
	return 4
}

func (o *HTTPOptions) timeout() time.Duration {
	switch {
	case o == nil || o.Timeout == 0:
		return httpDefaultTimeout
	case o.Timeout < 0:
		return 0
	}
	return o.Timeout
}

// httpBase is a parsed host: the prefix that relative paths are appended
// to, and the credentials it carried.
type httpBase struct {
	prefix string // scheme://host[:port][/base/path], no trailing slash
	scheme string
	host   string // host[:port]
	auth   string // "Basic ..." from user:pass@ in the host, or ""
}

// httpParseHost checks the host of a user of class cls.
func httpParseHost(cls, host, userType string) (httpBase, error) {
	shown := redact.URL(host) // errors are logged: no password
	if host == "" {
		return httpBase{}, fmt.Errorf("%s of class %q: no host: set Config.Host / -H or Class.Host", userType, cls)
	}
	if !httpIsAbsolute(host) {
		return httpBase{}, fmt.Errorf("%s of class %q: host %q has no http:// or https:// scheme (HTTP users take only http and https hosts, from Config.Host / -H/--host, the web UI or Class.Host); write it as http://127.0.0.1:8080 or https://api.example/v1", userType, cls, shown)
	}
	u, err := url.Parse(host)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err // without the URL, which has the password
		}
		return httpBase{}, fmt.Errorf("%s of class %q: host %q is not a URL: %v", userType, cls, shown, err)
	}
	if u.Host == "" {
		return httpBase{}, fmt.Errorf("%s of class %q: host %q has no address; write it as http://127.0.0.1:8080 or https://api.example/v1", userType, cls, shown)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return httpBase{}, fmt.Errorf("%s of class %q: host %q has a query or fragment; allowed: scheme://address[/base/path]", userType, cls, shown)
	}
	b := httpBase{scheme: u.Scheme, host: u.Host}
	if u.User != nil {
		pw, _ := u.User.Password()
		b.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))
		u.User = nil
	}
	b.prefix = strings.TrimSuffix(u.String(), "/")
	return b, nil
}

// url returns the address of path: path itself if it is absolute, else
// the host's prefix followed by path.
func (b *httpBase) url(path string) string {
	if httpIsAbsolute(path) {
		return path
	}
	if path == "" || path[0] != '/' {
		return b.prefix + "/" + path
	}
	return b.prefix + path
}

func httpIsAbsolute(path string) bool {
	return strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://")
}

// RequestOption changes one request of an [HTTPClient] or a
// [FastHTTPClient]. Options apply in order; only [Header] and [Query]
// accumulate, for the others the last one wins.
type RequestOption struct {
	kind  httpOptKind
	key   string
	value string
	check func(*Response) error
}

type httpOptKind uint8

const (
	httpOptNone httpOptKind = iota
	httpOptName
	httpOptHeader
	httpOptQuery
	httpOptCatch
	httpOptCheck
	httpOptStream
)

// Name records the request under name instead of its path, so that
// requests to /items/1, /items/2, ... share one row: Name("/items/[id]").
func Name(name string) RequestOption { return RequestOption{kind: httpOptName, value: name} }

// Header sets a request header, over the client's default headers.
func Header(key, value string) RequestOption {
	return RequestOption{kind: httpOptHeader, key: key, value: value}
}

// Query adds key=value to the URL's query string, escaped. The default
// name of the request leaves the query string out.
func Query(key, value string) RequestOption {
	return RequestOption{kind: httpOptQuery, key: key, value: value}
}

// CatchResponse lets the task decide the outcome of the request, as
// Locust's catch_response: the request is not recorded when the client
// returns; the task inspects the [Response] and calls its Success or
// Failure method, which records it. A response left undecided is
// recorded with its default outcome (Response.Err) when the client starts
// its next request or the user stops, so forgetting costs nothing but the
// override.
func CatchResponse() RequestOption { return RequestOption{kind: httpOptCatch} }

// Check decides the outcome of the request: fn is called once the
// response is read (not after a transport error), with Response.Err set to
// the default outcome (an [HTTPStatusError] for a status >= 400, else
// nil). Its result is recorded: nil is a success, an error a failure with
// that error's text. Return r.Err to keep the default.
func Check(fn func(r *Response) error) RequestOption {
	return RequestOption{kind: httpOptCheck, check: fn}
}

// Stream records the request as soon as the response headers have
// arrived, with the Content-Length header as its size, and leaves the body
// unread in Response.BodyStream, which the task must close. Only
// [HTTPClient] supports it.
func Stream() RequestOption { return RequestOption{kind: httpOptStream} }

// httpReq is a request's options, gathered.
type httpReq struct {
	name     string
	catch    bool
	stream   bool
	check    func(*Response) error
	opts     []RequestOption // for Header and Query options
	nHeaders int
	nQuery   int
	// now is the time read when the request was handed to the backend
	// (Do's start, or later after a wait in line for a worker), so that
	// the backend knows the time left until its deadline without reading
	// the clock again.
	now time.Time
}

func (r *httpReq) apply(opts []RequestOption) {
	r.opts = opts
	for i := range opts {
		o := &opts[i]
		switch o.kind {
		case httpOptName:
			r.name = o.value
		case httpOptHeader:
			r.nHeaders++
		case httpOptQuery:
			r.nQuery++
		case httpOptCatch:
			r.catch = true
		case httpOptCheck:
			r.check = o.check
		case httpOptStream:
			r.stream = true
		}
	}
}

// httpAddQuery appends the Query options to the query string of u.
func httpAddQuery(u string, r *httpReq) string {
	if r.nQuery == 0 {
		return u
	}
	var b strings.Builder
	b.WriteString(u)
	sep := byte('?')
	if strings.IndexByte(u, '?') >= 0 {
		sep = '&'
	}
	for _, o := range r.opts {
		if o.kind != httpOptQuery {
			continue
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(url.QueryEscape(o.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(o.value))
	}
	return b.String()
}

// httpDefaultName is the name of a request without a Name option: the
// path (or absolute URL) without its query string and fragment.
func httpDefaultName(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return "/"
	}
	if httpIsAbsolute(path) {
		path = redact.URL(path) // names are shown everywhere
	}
	return path
}

type httpNameKey struct{}

// ContextWithName returns a copy of ctx under which every request of an
// HTTP client that has no [Name] option is recorded as name, as Locust's
// rename_request: group the requests of one step under one row.
func ContextWithName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, httpNameKey{}, name)
}

// httpRequestName picks the name of a request.
func httpRequestName(ctx context.Context, r *httpReq, path string) string {
	if r.name != "" {
		return r.name
	}
	if n, ok := ctx.Value(httpNameKey{}).(string); ok && n != "" {
		return n
	}
	return httpDefaultName(path)
}

// errHTTPNoStream is returned by clients without streaming.
var errHTTPNoStream = errors.New("the Stream option is not supported by FastHTTPClient; use HTTPClient")
