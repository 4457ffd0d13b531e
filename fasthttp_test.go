package locust_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/valyala/fasthttp"
)

// TestFastHTTPUserAgainstFastHTTPServer runs the fast client against a
// fasthttp server, as in a benchmark setup.
func TestFastHTTPUserAgainstFastHTTPServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/missing" {
			ctx.SetStatusCode(404)
			return
		}
		ctx.WriteString("hi")
	}}
	go s.Serve(ln)
	defer s.Shutdown()
	u := &locust.FastHTTPUser{Options: &locust.HTTPOptions{PerUserConnections: true}}
	if err := u.InitUser(locust.UserEnv{Class: "f", Host: "http://" + ln.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	defer u.OnStop(context.Background())
	st, ctx := newStatsCtx()
	for range 10 {
		u.Client.Get(ctx, "/hi")
		u.Client.Get(ctx, "/missing")
	}
	snap := st.Snapshot()
	if e := entry(snap, "GET", "/hi"); e.Requests != 10 || e.Failures != 0 || e.ContentBytes != 20 {
		t.Errorf("GET /hi: %+v", e)
	}
	if e := entry(snap, "GET", "/missing"); e.Requests != 10 || e.Failures != 10 {
		t.Errorf("GET /missing: %+v", e)
	}
}

// TestFastHTTPRedirects checks the redirect rules the fast client applies
// itself: a POST answered by 303 goes on as a GET without body, cookies
// set on the way are kept, too many redirects are a failure.
func TestFastHTTPRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1", Path: "/"})
		http.Redirect(w, r, "/done", http.StatusSeeOther)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c, _ := r.Cookie("sid")
		io.WriteString(w, r.Method+" "+string(b)+" "+c.String())
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	u := &locust.FastHTTPUser{Options: &locust.HTTPOptions{Timeout: 2 * time.Second}}
	if err := u.InitUser(locust.UserEnv{Class: "f", Host: srv.URL}); err != nil {
		t.Fatal(err)
	}
	st, ctx := newStatsCtx()
	r := u.Client.Post(ctx, "/form", []byte("a=1"))
	if got, want := string(r.Body), "GET  sid=s1"; r.Err != nil || got != want {
		t.Errorf("POST /form -> %q, %v; want %q", got, r.Err, want)
	}
	if r := u.Client.Get(ctx, "/loop"); r.Err == nil || r.Err.Error() != "stopped after 10 redirects" {
		t.Errorf("GET /loop: Err = %v, want stopped after 10 redirects", r.Err)
	}
	snap := st.Snapshot()
	if e := entry(snap, "POST", "/form"); e.Requests != 1 || e.Failures != 0 {
		t.Errorf("POST /form: %+v", e)
	}
	if e := entry(snap, "GET", "/loop"); e.Requests != 1 || e.Failures != 1 {
		t.Errorf("GET /loop: %+v", e)
	}
}

// TestHTTPResponseHeaderAsSent: both clients give the header the target
// sent, its own Date included (fasthttp would write its own clock's), every
// value of a repeated field, and no field for the status line.
func TestHTTPResponseHeaderAsSent(t *testing.T) {
	const date = "Mon, 01 Jan 2001 00:00:00 GMT"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", date)
		w.Header().Add("X-Many", "a")
		w.Header().Add("X-Many", "b")
		w.Header().Set("Content-Type", "text/plain")
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1"})
		_, _ = io.WriteString(w, "hello")
	}))
	defer srv.Close()
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		_, ctx := newStatsCtx()
		c := mk(t, srv.URL, nil)
		for range 2 { // the second from a pooled exchange
			r := c.Get(ctx, "/")
			if r.Err != nil || string(r.Body) != "hello" {
				t.Fatalf("Get = %v %q", r.Err, r.Body)
			}
			h := r.Header()
			if got := h.Get("Date"); got != date {
				t.Errorf("Date = %q, want the target's %q", got, date)
			}
			if got := h.Values("X-Many"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
				t.Errorf("X-Many = %q, want [a b]", got)
			}
			if got := h.Get("Content-Type"); got != "text/plain" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := h.Get("Content-Length"); got != "5" {
				t.Errorf("Content-Length = %q", got)
			}
			if got := h.Get("Set-Cookie"); got != "sid=s1" {
				t.Errorf("Set-Cookie = %q", got)
			}
			for k := range h {
				if strings.HasPrefix(k, "Http/") || strings.HasPrefix(k, "HTTP/") {
					t.Errorf("field %q from the status line", k)
				}
			}
		}
	})
}
