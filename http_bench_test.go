package locust_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/valyala/fasthttp"
)

// The benchmarks send one GET at a time to a server on loopback that
// answers "hello", so that the difference between a bare client loop and
// the user's client is the per-request overhead: building the request,
// reading the body into a Response, and recording the sample.

func benchNetHTTPServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchFastHTTPServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.WriteString("hello") }}
	go s.Serve(ln)
	b.Cleanup(func() { s.Shutdown() })
	return "http://" + ln.Addr().String()
}

// BenchmarkBareNetHTTP is the loop a Go programmer would write with
// net/http: a shared transport, a client with a timeout, the body read
// whole.
func BenchmarkBareNetHTTP(b *testing.B) {
	srv := benchNetHTTPServer(b)
	c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	ctx := context.Background()
	url := srv.URL + "/ok"
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkHTTPUser is the same request through HTTPUser's client,
// recorded into Stats (or, with nostats, into no test at all).
func BenchmarkHTTPUser(b *testing.B) {
	srv := benchNetHTTPServer(b)
	for _, tc := range []struct {
		name  string
		stats bool
	}{{"stats", true}, {"nostats", false}} {
		b.Run(tc.name, func(b *testing.B) {
			u := &locust.HTTPUser{}
			if err := u.InitUser(locust.UserEnv{Class: "bench", Host: srv.URL, Users: 1}); err != nil {
				b.Fatal(err)
			}
			defer u.Client.Close()
			ctx := context.Background()
			if tc.stats {
				ctx = locust.ContextWithStats(ctx, locust.NewStats("local"))
			}
			b.ReportAllocs()
			for b.Loop() {
				if r := u.Client.Get(ctx, "/ok"); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		})
	}
}

// BenchmarkBareFastHTTP is the fasthttp loop with pooled request and
// response objects and a timeout.
func BenchmarkBareFastHTTP(b *testing.B) {
	url := benchFastHTTPServer(b) + "/ok"
	c := &fasthttp.Client{MaxIdemponentCallAttempts: 1}
	b.ReportAllocs()
	for b.Loop() {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(url)
		req.Header.SetMethod(fasthttp.MethodGet)
		if err := c.DoTimeout(req, resp, time.Minute); err != nil {
			b.Fatal(err)
		}
		if len(resp.Body()) != 5 {
			b.Fatal("short body")
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
}

// BenchmarkFastHTTPUser is the same request through FastHTTPUser's
// client.
func BenchmarkFastHTTPUser(b *testing.B) {
	host := benchFastHTTPServer(b)
	for _, tc := range []struct {
		name  string
		stats bool
	}{{"stats", true}, {"nostats", false}} {
		b.Run(tc.name, func(b *testing.B) {
			u := &locust.FastHTTPUser{}
			if err := u.InitUser(locust.UserEnv{Class: "bench", Host: host, Users: 1}); err != nil {
				b.Fatal(err)
			}
			defer u.Client.Close()
			ctx := context.Background()
			if tc.stats {
				ctx = locust.ContextWithStats(ctx, locust.NewStats("local"))
			}
			b.ReportAllocs()
			for b.Loop() {
				if r := u.Client.Get(ctx, "/ok"); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		})
	}
}
