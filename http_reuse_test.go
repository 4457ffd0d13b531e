package locust_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golocust/locust"
)

// FastHTTPClient sends a pooled request as it was last sent when the next
// one is the same plain request (fasthttp.go, fastExchange): nothing of a
// request (header, body, method, URL, cookie, host) may leak into the
// next one. Every step checks what the server saw; both clients run it.
func TestHTTPRequestsDoNotLeakIntoTheNext(t *testing.T) {
	echo := func(tag string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/redirect" {
				http.Redirect(w, r, "/echo?from=redirect", http.StatusFound)
				return
			}
			if r.URL.Path == "/cookie" {
				http.SetCookie(w, &http.Cookie{Name: "who", Value: "me", Path: "/"})
			}
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s|x=%s|body=%d|cookie=%s", tag, r.Method, r.URL.RequestURI(), r.Header.Get("X-Test"), len(body), r.Header.Get("Cookie"))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	one, two := echo("one"), echo("two")
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		_, ctx := newStatsCtx()
		c1, c2 := mk(t, one.URL, nil), mk(t, two.URL, &locust.HTTPOptions{Timeout: -1})
		for i, step := range []struct {
			do   func() *locust.Response
			want string
		}{
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo", locust.Header("X-Test", "a")) }, "one GET /echo|x=a|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Post(ctx, "/echo", []byte("xyz")) }, "one POST /echo|x=|body=3|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c2.Get(ctx, "/echo") }, "two GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo", locust.Query("q", "1")) }, "one GET /echo?q=1|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/redirect") }, "one GET /echo?from=redirect|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/redirect") }, "one GET /echo?from=redirect|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Do(ctx, http.MethodDelete, "/echo", nil) }, "one DELETE /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { c1.SetHeader("X-Test", "d"); return c1.Get(ctx, "/echo") }, "one GET /echo|x=d|body=0|cookie="},
			{func() *locust.Response { c1.SetHeader("X-Test", ""); return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
			{func() *locust.Response { return c2.Get(ctx, "/cookie") }, "two GET /cookie|x=|body=0|cookie="},
			{func() *locust.Response { return c2.Get(ctx, "/echo") }, "two GET /echo|x=|body=0|cookie=who=me"},
			{func() *locust.Response { return c1.Get(ctx, "/echo") }, "one GET /echo|x=|body=0|cookie="},
		} {
			r := step.do()
			if r.Err != nil || string(r.Body) != step.want {
				t.Fatalf("step %d: %q, %v; want %q", i, r.Body, r.Err, step.want)
			}
		}
	})
}
