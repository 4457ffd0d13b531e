package locust_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// httpTestClient is what HTTPClient and FastHTTPClient have in common,
// so that every test runs against both.
type httpTestClient interface {
	Get(ctx context.Context, path string, opts ...locust.RequestOption) *locust.Response
	Post(ctx context.Context, path string, body []byte, opts ...locust.RequestOption) *locust.Response
	PostJSON(ctx context.Context, path string, v any, opts ...locust.RequestOption) *locust.Response
	Do(ctx context.Context, method, path string, body []byte, opts ...locust.RequestOption) *locust.Response
	SetHeader(key, value string)
	Close()
}

// httpKinds are the two HTTP users, built for a host with options.
var httpKinds = []struct {
	name string
	make func(env locust.UserEnv, o *locust.HTTPOptions) (httpTestClient, error)
}{
	{"net/http", func(env locust.UserEnv, o *locust.HTTPOptions) (httpTestClient, error) {
		u := &locust.HTTPUser{Options: o}
		err := u.InitUser(env)
		return u.Client, err
	}},
	{"fasthttp", func(env locust.UserEnv, o *locust.HTTPOptions) (httpTestClient, error) {
		u := &locust.FastHTTPUser{Options: o}
		err := u.InitUser(env)
		return u.Client, err
	}},
}

func forEachHTTPKind(t *testing.T, fn func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient)) {
	for _, k := range httpKinds {
		t.Run(strings.ReplaceAll(k.name, "/", "_"), func(t *testing.T) {
			fn(t, func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient {
				t.Helper()
				c, err := k.make(locust.UserEnv{Class: "test", Host: host, Users: 4}, o)
				if err != nil {
					t.Fatalf("InitUser(%q): %v", host, err)
				}
				t.Cleanup(c.Close)
				return c
			})
		})
	}
}

// countingServer counts the requests it answers per path and status.
type countingServer struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]map[int]int
	seen   atomic.Int64  // requests that reached a handler
	hold   chan struct{} // /hold waits for it to close
	inHold atomic.Int64  // requests waiting in /hold
	mux    *http.ServeMux
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.ResponseWriter.Write(b)
}

func newCountingServer(t *testing.T) *countingServer {
	cs := &countingServer{counts: map[string]map[int]int{}, hold: make(chan struct{}), mux: http.NewServeMux()}
	m := cs.mux
	m.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	m.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q}`, r.PathValue("id"))
	})
	m.HandleFunc("/missing", http.NotFound)
	m.HandleFunc("/expected404", http.NotFound)
	m.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	m.HandleFunc("/checked", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"error":"out of stock"}`) })
	m.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect-target", http.StatusFound)
	})
	m.HandleFunc("/redirect-target", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "landed") })
	m.HandleFunc("POST /json", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
			return
		}
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"echo": in})
	})
	m.HandleFunc("/cookie/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "who", Value: r.URL.Query().Get("v"), Path: "/"})
	})
	m.HandleFunc("/cookie/get", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("who"); err == nil {
			io.WriteString(w, c.Value)
		}
	})
	m.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Test")+"|"+r.Header.Get("Authorization"))
	})
	m.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	m.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		cs.inHold.Add(1)
		defer cs.inHold.Add(-1)
		select {
		case <-r.Context().Done():
		case <-cs.hold:
		case <-time.After(5 * time.Second):
		}
	})
	m.HandleFunc("/v1/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v1") })
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.seen.Add(1)
		sw := &statusWriter{ResponseWriter: w}
		cs.mux.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = 200
		}
		cs.mu.Lock()
		if cs.counts[r.URL.Path] == nil {
			cs.counts[r.URL.Path] = map[int]int{}
		}
		cs.counts[r.URL.Path][sw.status]++
		cs.mu.Unlock()
	}))
	t.Cleanup(cs.Close)
	return cs
}

// finish closes the server, waiting for its handlers, and returns the
// counts per path and status.
func (cs *countingServer) finish() map[string]map[int]int {
	cs.Close()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.counts
}

func newStatsCtx() (*locust.Stats, context.Context) {
	st := locust.NewStats("local")
	return st, locust.ContextWithStats(context.Background(), st)
}

// entry returns the row (typ, name) of snap, or an empty one.
func entry(snap *locust.Snapshot, typ, name string) locust.EntryStats {
	for _, e := range snap.Entries {
		if e.Type == typ && e.Name == name {
			return *e
		}
	}
	return locust.EntryStats{Type: typ, Name: name}
}

// failures returns the failure groups of snap as "TYPE name: error" -> count.
func failures(snap *locust.Snapshot) map[string]int64 {
	out := map[string]int64{}
	for _, f := range snap.Failures {
		out[f.Type+" "+f.Name+": "+f.Error] += f.Occurrences
	}
	return out
}

// TestHTTPConservation drives several users through every kind of outcome
// and checks that the stats hold exactly what the server saw.
func TestHTTPConservation(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, ctx := newStatsCtx()
		const users, iters = 4, 25
		var wg sync.WaitGroup
		var taskErrs atomic.Int64
		for u := range users {
			c := mk(t, srv.URL, nil)
			wg.Go(func() {
				for i := range iters {
					c.Get(ctx, "/ok")
					c.Get(ctx, fmt.Sprintf("/items/%d?user=%d", i, u), locust.Name("/items/[id]"))
					c.Get(ctx, "/missing")
					c.Get(ctx, "/boom")
					if r := c.Get(ctx, "/expected404", locust.CatchResponse()); r.Status == 404 {
						r.Success()
					}
					c.Get(ctx, "/checked", locust.Check(func(r *locust.Response) error {
						var body struct{ Error string }
						if err := r.JSON(&body); err != nil {
							return err
						}
						if body.Error != "" {
							return fmt.Errorf("app error: %s", body.Error)
						}
						return r.Err
					}))
					c.Get(ctx, "/redirect")
					r := c.PostJSON(ctx, "/json", map[string]int{"i": i})
					var out struct{ Echo map[string]int }
					if err := r.JSON(&out); err != nil || out.Echo["i"] != i {
						taskErrs.Add(1)
					}
					// A catch response left undecided: recorded by the
					// next request or by Close.
					c.Get(ctx, "/ok", locust.Name("undecided"), locust.CatchResponse())
				}
				c.Close()
			})
		}
		wg.Wait()
		counts := srv.finish()
		if n := taskErrs.Load(); n != 0 {
			t.Errorf("%d JSON round trips failed", n)
		}
		snap := st.Snapshot()
		n := users * iters
		for _, tc := range []struct {
			name, path string
			status     int
			requests   int
			failures   int
		}{
			{"/ok", "/ok", 200, n, 0},
			{"undecided", "/ok", 200, n, 0},
			{"/items/[id]", "", 200, n, 0},
			{"/missing", "/missing", 404, n, n},
			{"/boom", "/boom", 500, n, n},
			{"/expected404", "/expected404", 404, n, 0},
			{"/checked", "/checked", 200, n, n},
			{"/redirect", "/redirect", 302, n, 0},
			{"/json", "/json", 200, n, 0},
		} {
			typ := "GET"
			if tc.name == "/json" {
				typ = "POST"
			}
			e := entry(snap, typ, tc.name)
			if e.Requests != int64(tc.requests) || e.Failures != int64(tc.failures) {
				t.Errorf("%s %s: recorded %d requests, %d failures; want %d, %d", typ, tc.name, e.Requests, e.Failures, tc.requests, tc.failures)
			}
			if tc.path != "" && tc.name != "/ok" && tc.name != "undecided" && counts[tc.path][tc.status] != tc.requests {
				t.Errorf("server saw %d %s with status %d; recorded %d", counts[tc.path][tc.status], tc.path, tc.status, e.Requests)
			}
		}
		if got, want := counts["/ok"][200], 2*n; got != want {
			t.Errorf("server saw %d /ok; recorded %d", got, want)
		}
		if got := counts["/redirect-target"][200]; got != n {
			t.Errorf("server saw %d /redirect-target, want one per /redirect (%d)", got, n)
		}
		items := 0
		for p, c := range counts {
			if strings.HasPrefix(p, "/items/") {
				items += c[200]
			}
		}
		if items != n {
			t.Errorf("server saw %d /items/..., want %d", items, n)
		}
		if snap.Total.Requests != int64(srv.seen.Load()-int64(n)) { // minus redirect hops
			t.Errorf("recorded %d requests in total; server saw %d minus %d redirect hops", snap.Total.Requests, srv.seen.Load(), n)
		}
		want := map[string]int64{
			"GET /missing: HTTP 404 Not Found":          int64(n),
			"GET /boom: HTTP 500 Internal Server Error": int64(n),
			"GET /checked: app error: out of stock":     int64(n),
		}
		got := failures(snap)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("failures[%q] = %d, want %d (all: %v)", k, got[k], v, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("failure groups = %v, want %v", got, want)
		}
		if e := entry(snap, "GET", "/ok"); e.ContentBytes != int64(n*len("hello")) {
			t.Errorf("GET /ok content bytes = %d, want %d", e.ContentBytes, n*len("hello"))
		}
	})
}

func TestHTTPCatchResponseFailure(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, ctx := newStatsCtx()
		c := mk(t, srv.URL, nil)
		r := c.Get(ctx, "/checked", locust.CatchResponse())
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("Get /checked = %d, %v; want 200 and no error", r.Status, r.Err)
		}
		if n := st.Snapshot().Total.Requests; n != 0 {
			t.Fatalf("recorded %d requests before the decision, want 0", n)
		}
		r.Failure("stock error")
		r.Success() // too late: no effect
		r.Failure("again")
		if r.Err == nil || r.Err.Error() != "stock error" {
			t.Errorf("Err = %v, want stock error", r.Err)
		}
		snap := st.Snapshot()
		if e := entry(snap, "GET", "/checked"); e.Requests != 1 || e.Failures != 1 {
			t.Errorf("recorded %d requests, %d failures; want 1, 1", e.Requests, e.Failures)
		}
		if got := failures(snap); got["GET /checked: stock error"] != 1 || len(got) != 1 {
			t.Errorf("failures = %v", got)
		}
	})
}

func TestHTTPTimeout(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, ctx := newStatsCtx()
		c := mk(t, srv.URL, &locust.HTTPOptions{Timeout: 100 * time.Millisecond})
		for range 2 {
			r := c.Get(ctx, "/slow")
			if r.Err == nil || r.Status != 0 {
				t.Fatalf("Get /slow = %d, %v; want a timeout", r.Status, r.Err)
			}
			if r.Duration < 100*time.Millisecond || r.Duration > time.Second {
				t.Errorf("Duration = %v, want about 100ms", r.Duration)
			}
		}
		counts := srv.finish()
		snap := st.Snapshot()
		if e := entry(snap, "GET", "/slow"); e.Requests != 2 || e.Failures != 2 || counts["/slow"][200] != 2 {
			t.Errorf("recorded %d requests, %d failures; server saw %d; want 2 each", e.Requests, e.Failures, counts["/slow"][200])
		}
		want := "GET /slow: timeout: no complete response within 100ms"
		if got := failures(snap); got[want] != 2 || len(got) != 1 {
			t.Errorf("failures = %v, want {%q: 2}", got, want)
		}
	})
}

func TestHTTPConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		st, ctx := newStatsCtx()
		c := mk(t, "http://"+addr, nil)
		for i := range 3 {
			r := c.Get(ctx, fmt.Sprintf("/x?i=%d", i))
			if r.Err == nil || r.Status != 0 {
				t.Fatalf("Get = %d, %v; want a connection error", r.Status, r.Err)
			}
		}
		snap := st.Snapshot()
		if e := entry(snap, "GET", "/x"); e.Requests != 3 || e.Failures != 3 {
			t.Errorf("recorded %d requests, %d failures; want 3, 3", e.Requests, e.Failures)
		}
		if len(snap.Failures) != 1 {
			t.Fatalf("failures = %v, want one group", failures(snap))
		}
		msg := snap.Failures[0].Error
		if !strings.Contains(msg, "connection refused") || strings.Contains(msg, "?i=") || strings.Contains(msg, "->") {
			t.Errorf("failure text %q: want connection refused without URL or local address", msg)
		}
	})
}

func TestHTTPCookiesPerUser(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		_, ctx := newStatsCtx()
		a, b, fresh := mk(t, srv.URL, nil), mk(t, srv.URL, nil), mk(t, srv.URL, nil)
		a.Get(ctx, "/cookie/set?v=alice")
		b.Get(ctx, "/cookie/set", locust.Query("v", "bob"))
		for _, tc := range []struct {
			c    httpTestClient
			want string
		}{{a, "alice"}, {b, "bob"}, {fresh, ""}, {a, "alice"}} {
			if got := string(tc.c.Get(ctx, "/cookie/get").Body); got != tc.want {
				t.Errorf("cookie = %q, want %q", got, tc.want)
			}
		}
	})
}

func TestHTTPHostsAndNames(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		other := newCountingServer(t)
		st, ctx := newStatsCtx()
		c := mk(t, srv.URL+"/v1/", nil)
		for _, p := range []string{"/ok", "ok", "/ok?a=1"} {
			if r := c.Get(ctx, p); r.Err != nil || string(r.Body) != "v1" {
				t.Errorf("Get %q = %d %q %v; want v1 from the base path", p, r.Status, r.Body, r.Err)
			}
		}
		abs := other.URL + "/ok?q=secret"
		if r := c.Get(ctx, abs); r.Err != nil || string(r.Body) != "hello" {
			t.Errorf("Get %q = %d %q %v; want hello", abs, r.Status, r.Body, r.Err)
		}
		named := locust.ContextWithName(ctx, "step")
		c.Get(named, "/ok")
		c.Get(named, "/ok", locust.Name("explicit"))
		snap := st.Snapshot()
		for name, want := range map[string]int64{"/ok": 2, "ok": 1, other.URL + "/ok": 1, "step": 1, "explicit": 1} {
			if e := entry(snap, "GET", name); e.Requests != want {
				t.Errorf("GET %q: %d requests, want %d", name, e.Requests, want)
			}
		}
		if n := other.finish()["/ok"][200]; n != 1 {
			t.Errorf("other server saw %d requests, want 1", n)
		}
	})
}

func TestHTTPHeaders(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		_, ctx := newStatsCtx()
		host := strings.Replace(srv.URL, "http://", "http://user:pw@", 1)
		c := mk(t, host, &locust.HTTPOptions{Headers: map[string]string{"X-Test": "default"}})
		get := func(opts ...locust.RequestOption) string {
			return string(c.Get(ctx, "/header", opts...).Body)
		}
		if got, want := get(), "default|Basic dXNlcjpwdw=="; got != want {
			t.Errorf("headers = %q, want %q", got, want)
		}
		if got, want := get(locust.Header("X-Test", "mine")), "mine|Basic dXNlcjpwdw=="; got != want {
			t.Errorf("headers = %q, want %q", got, want)
		}
		c.SetHeader("Authorization", "Bearer tok")
		c.SetHeader("X-Test", "")
		if got, want := get(), "|Bearer tok"; got != want {
			t.Errorf("headers after SetHeader = %q, want %q", got, want)
		}
		r := c.Get(ctx, "/items/7")
		if ct := r.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
	})
}

// TestHTTPStopInFlight cancels the users' context while their requests
// are at the server: every request started is recorded exactly once.
func TestHTTPStopInFlight(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, base := newStatsCtx()
		ctx, cancel := context.WithCancel(base)
		const users = 4
		var started atomic.Int64
		var wg sync.WaitGroup
		for range users {
			c := mk(t, srv.URL, nil)
			wg.Go(func() {
				for i := 0; i < 1000 && ctx.Err() == nil; i++ {
					path := "/ok"
					if i == 3 {
						path = "/hold"
					}
					r := c.Get(ctx, path)
					if r.Err == nil || !strings.Contains(r.Err.Error(), "not sent") {
						started.Add(1)
					}
				}
			})
		}
		deadline := time.Now().Add(5 * time.Second)
		for srv.inHold.Load() < users && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		cancel()
		close(srv.hold) // fasthttp cannot abort: let its requests end
		wg.Wait()
		srv.finish()
		snap := st.Snapshot()
		if snap.Total.Requests != started.Load() || snap.Total.Requests != srv.seen.Load() {
			t.Errorf("recorded %d requests; clients started %d; server saw %d", snap.Total.Requests, started.Load(), srv.seen.Load())
		}
		if e := entry(snap, "GET", "/hold"); e.Requests != users {
			t.Errorf("recorded %d /hold requests, want %d", e.Requests, users)
		}
	})
}

func TestHTTPNotSent(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, base := newStatsCtx()
		c := mk(t, srv.URL, nil)
		ctx, cancel := context.WithCancel(base)
		cancel()
		if r := c.Get(ctx, "/ok"); r.Err == nil || !strings.Contains(r.Err.Error(), "not sent") {
			t.Errorf("Get with a cancelled context: Err = %v, want not sent", r.Err)
		}
		if r := c.PostJSON(base, "/json", func() {}); r.Err == nil || !strings.Contains(r.Err.Error(), "JSON") {
			t.Errorf("PostJSON of a func: Err = %v, want a JSON error", r.Err)
		}
		if n := st.Snapshot().Total.Requests; n != 0 || srv.finish()["/ok"] != nil {
			t.Errorf("recorded %d requests, want none", n)
		}
	})
}

func TestHTTPNoRedirects(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, ctx := newStatsCtx()
		c := mk(t, srv.URL, &locust.HTTPOptions{NoRedirects: true})
		r := c.Get(ctx, "/redirect")
		if r.Status != http.StatusFound || r.Err != nil || r.Header().Get("Location") != "/redirect-target" {
			t.Errorf("Get /redirect = %d %v (Location %q); want 302 as a success", r.Status, r.Err, r.Header().Get("Location"))
		}
		if counts := srv.finish(); counts["/redirect-target"] != nil {
			t.Errorf("redirect was followed")
		}
		if e := entry(st.Snapshot(), "GET", "/redirect"); e.Requests != 1 || e.Failures != 0 {
			t.Errorf("recorded %+v", e)
		}
	})
}

func TestHTTPTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the expected handshake failure
	srv.StartTLS()
	defer srv.Close()
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		st, ctx := newStatsCtx()
		if r := mk(t, srv.URL, nil).Get(ctx, "/"); r.Err == nil || !strings.Contains(r.Err.Error(), "certificate") {
			t.Errorf("Get of a self-signed server: Err = %v, want a certificate failure", r.Err)
		}
		if r := mk(t, srv.URL, &locust.HTTPOptions{Insecure: true}).Get(ctx, "/"); r.Err != nil || string(r.Body) != "secure" {
			t.Errorf("Get with Insecure = %q, %v", r.Body, r.Err)
		}
		if e := entry(st.Snapshot(), "GET", "/"); e.Requests != 2 || e.Failures != 1 {
			t.Errorf("recorded %d requests, %d failures; want 2, 1", e.Requests, e.Failures)
		}
	})
}

func TestHTTPUserHTTP2(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
	tlsSrv := httptest.NewUnstartedServer(h)
	tlsSrv.EnableHTTP2 = true
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	h2c := httptest.NewUnstartedServer(h)
	h2c.Config.Protocols = new(http.Protocols)
	h2c.Config.Protocols.SetHTTP1(true)
	h2c.Config.Protocols.SetUnencryptedHTTP2(true)
	h2c.Start()
	defer h2c.Close()
	_, ctx := newStatsCtx()
	for _, tc := range []struct {
		host string
		o    *locust.HTTPOptions
		want string
	}{
		{tlsSrv.URL, &locust.HTTPOptions{Insecure: true}, "HTTP/1.1"},
		{tlsSrv.URL, &locust.HTTPOptions{Insecure: true, HTTP2: true}, "HTTP/2.0"},
		{h2c.URL, nil, "HTTP/1.1"},
		{h2c.URL, &locust.HTTPOptions{HTTP2: true}, "HTTP/2.0"},
	} {
		u := &locust.HTTPUser{Options: tc.o}
		if err := u.InitUser(locust.UserEnv{Class: "h2", Host: tc.host}); err != nil {
			t.Fatal(err)
		}
		r := u.Client.Get(ctx, "/")
		if r.Err != nil || string(r.Body) != tc.want || r.Proto != tc.want {
			t.Errorf("%s HTTP2=%v: %q (%s), %v; want %s", tc.host, tc.o != nil && tc.o.HTTP2, r.Body, r.Proto, r.Err, tc.want)
		}
		u.OnStop(ctx)
	}
}

func TestHTTPStream(t *testing.T) {
	srv := newCountingServer(t)
	st, ctx := newStatsCtx()
	u := &locust.HTTPUser{}
	if err := u.InitUser(locust.UserEnv{Class: "s", Host: srv.URL}); err != nil {
		t.Fatal(err)
	}
	r := u.Client.Get(ctx, "/ok", locust.Stream())
	if r.Err != nil || r.Body != nil || r.BodyStream == nil || r.Size != 5 {
		t.Fatalf("Stream: %v, body %q, size %d", r.Err, r.Body, r.Size)
	}
	b, _ := io.ReadAll(r.BodyStream)
	r.BodyStream.Close()
	if string(b) != "hello" {
		t.Errorf("streamed body = %q", b)
	}
	if e := entry(st.Snapshot(), "GET", "/ok"); e.Requests != 1 || e.ContentBytes != 5 {
		t.Errorf("recorded %+v", e)
	}

	f := &locust.FastHTTPUser{}
	if err := f.InitUser(locust.UserEnv{Class: "s", Host: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if r := f.Client.Get(ctx, "/ok", locust.Stream()); r.Err == nil || !strings.Contains(r.Err.Error(), "Stream") {
		t.Errorf("fasthttp Stream: Err = %v, want unsupported", r.Err)
	}
}

func TestHTTPInitErrors(t *testing.T) {
	for _, k := range httpKinds {
		for _, tc := range []struct {
			host string
			o    *locust.HTTPOptions
			want string
		}{
			{"", nil, `class "shop": no host: set Config.Host / -H or Class.Host`},
			{"127.0.0.1:8080", nil, `host "127.0.0.1:8080" has no http:// or https:// scheme`},
			{"ftp://x", nil, `no http:// or https:// scheme`},
			{"http://", nil, `has no address`},
			{"http://x/?a=1", nil, `has a query`},
			{"http://x", &locust.HTTPOptions{MaxConnections: -1}, `HTTPOptions.MaxConnections is -1; allowed: 0 (the default) or more`},
		} {
			_, err := k.make(locust.UserEnv{Class: "shop", Host: tc.host}, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s InitUser(host %q) = %v, want %q", k.name, tc.host, err, tc.want)
			}
		}
	}
	f := &locust.FastHTTPUser{Options: &locust.HTTPOptions{HTTP2: true}}
	if err := f.InitUser(locust.UserEnv{Class: "shop", Host: "http://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "HTTP2") {
		t.Errorf("FastHTTPUser with HTTP2: %v", err)
	}
}

func TestHTTPStatusErrorText(t *testing.T) {
	for code, want := range map[int]string{404: "HTTP 404 Not Found", 503: "HTTP 503 Service Unavailable", 599: "HTTP 599"} {
		if got := (locust.HTTPStatusError{Status: code}).Error(); got != want {
			t.Errorf("HTTPStatusError{%d} = %q, want %q", code, got, want)
		}
	}
}
