package locust_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// slowBodyServer answers /slowbody with its headers at once and its body
// never (until the client goes away, or 10 s), and /ok at once.
func slowBodyServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slowbody" {
			io.WriteString(w, "ok")
			return
		}
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
			io.WriteString(w, "late!")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPTimeoutBody checks that HTTPClient's timeout bounds a request
// until its body is read, without net/http's Client.Timeout: a body that
// does not come in time is a recorded timeout, in the client's kept
// request context and in one of its own (a request made while another is
// in flight on the same client, or a Stream whose body the task reads),
// and requests after a timeout work.
func TestHTTPTimeoutBody(t *testing.T) {
	srv := slowBodyServer(t)
	st, ctx := newStatsCtx()
	u := &locust.HTTPUser{Options: &locust.HTTPOptions{Timeout: 200 * time.Millisecond}}
	if err := u.InitUser(locust.UserEnv{Class: "t", Host: srv.URL}); err != nil {
		t.Fatal(err)
	}
	defer u.Client.Close()
	const want = "timeout: no complete response within 200ms"
	check := func(what string, r *locust.Response) {
		t.Helper()
		if r.Err == nil || r.Err.Error() != want || r.Status != 200 {
			t.Errorf("%s: status %d, Err %v; want 200 and %q", what, r.Status, r.Err, want)
		}
	}
	check("alone", u.Client.Get(ctx, "/slowbody"))

	// Two at once on one client: one runs in the kept context, the other
	// in its own; both time out, and a quick one in between succeeds.
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { check("concurrent "+string(rune('A'+i)), u.Client.Get(ctx, "/slowbody")) })
	}
	wg.Go(func() {
		if r := u.Client.Get(ctx, "/ok"); r.Err != nil {
			t.Errorf("quick request beside slow ones: %v", r.Err)
		}
	})
	wg.Wait()

	r := u.Client.Get(ctx, "/slowbody", locust.Stream())
	if r.Err != nil || r.BodyStream == nil {
		t.Fatalf("Stream: %v", r.Err)
	}
	b, err := io.ReadAll(r.BodyStream)
	r.BodyStream.Close()
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("reading a streamed body that does not come: %q, %v; want a timeout", b, err)
	}

	if r := u.Client.Get(ctx, "/ok"); r.Err != nil || string(r.Body) != "ok" {
		t.Errorf("after the timeouts: %q, %v", r.Body, r.Err)
	}
	snap := st.Snapshot()
	if e := entry(snap, "GET", "/slowbody"); e.Requests != 4 || e.Failures != 3 {
		t.Errorf("/slowbody: %d requests, %d failures; want 4 and 3 (the Stream one is recorded at its headers)", e.Requests, e.Failures)
	}
	if e := entry(snap, "GET", "/ok"); e.Requests != 2 || e.Failures != 0 {
		t.Errorf("/ok: %d requests, %d failures; want 2 and 0", e.Requests, e.Failures)
	}
}

// TestHTTPTimeoutUserStop checks that a request under the client's kept
// context is still cut short when the task's context ends (a cancelled
// request, not a timeout), also after earlier requests under the same
// task context kept it. (A user's stop is recorded as aborted: see
// TestAbortedRequestsAreNotFailures.)
func TestHTTPTimeoutUserStop(t *testing.T) {
	st, base := newStatsCtx()
	ctx, stop := context.WithCancelCause(base)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stop" {
			stop(context.Canceled) // the user stops while its request is here
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	u := &locust.HTTPUser{}
	if err := u.InitUser(locust.UserEnv{Class: "t", Host: srv.URL}); err != nil {
		t.Fatal(err)
	}
	defer u.Client.Close()
	for range 3 {
		if r := u.Client.Get(ctx, "/ok"); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if r := u.Client.Get(ctx, "/stop"); r.Err == nil || !strings.Contains(r.Err.Error(), "request canceled") {
		t.Errorf("request when its context ends: %v, want cancelled", r.Err)
	}
	if e := entry(st.Snapshot(), "GET", "/stop"); e.Requests != 1 || e.Failures != 1 {
		t.Errorf("recorded %d /stop requests (%d failures), want 1 (1)", e.Requests, e.Failures)
	}
}
