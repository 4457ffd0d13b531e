package locust

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// The gate lets cap requests through; the next waits in line until a
// place is free, its context ends (not sent) or its deadline passes (a
// timeout, which httpCleanError words as the request's).
func TestHTTPGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newHTTPGate(1, false)
		ctx := context.Background()
		if err := g.enter(ctx, time.Time{}); err != nil {
			t.Fatalf("first enter: %v", err)
		}
		start := time.Now()
		err := g.enter(ctx, start.Add(time.Second))
		if _, ok := err.(httpGateTimeout); !ok || time.Since(start) != time.Second {
			t.Errorf("enter of a full gate = %v after %v; want a timeout after 1s", err, time.Since(start))
		}
		want := "timeout: no complete response within 1s"
		if got := httpCleanError(ctx, err, time.Second).Error(); got != want {
			t.Errorf("recorded as %q, want %q", got, want)
		}

		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(time.Second, cancel)
		err = g.enter(cctx, time.Time{})
		if _, ok := err.(httpNotSentError); !ok || !errors.Is(err.(httpNotSentError).err, context.Canceled) {
			t.Errorf("enter with the context cancelled = %v, want not sent", err)
		}

		done := make(chan error)
		go func() { done <- g.enter(ctx, time.Time{}) }()
		synctest.Wait()
		g.leave()
		if err := <-done; err != nil {
			t.Errorf("enter after a leave: %v", err)
		}
	})
}

// A gate that counts its pool's connections lets through the requests
// those connections can serve plus a few dials (at least httpGateDials,
// a quarter of the open connections beyond that), never more than the
// pool's maximum: a backlog drains through the open connections instead
// of dialling one each. Requests that gave up waiting leave no hole.
func TestHTTPGateFollowsConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newHTTPGate(200, true)
		ctx := context.Background()
		for i := range httpGateDials {
			if err := g.enter(ctx, time.Time{}); err != nil {
				t.Fatalf("enter %d with no connection open: %v", i, err)
			}
		}
		// The next waits; one that gives up before it does not hold a place.
		quit, cancel := context.WithCancel(ctx)
		gaveUp := make(chan error)
		go func() { gaveUp <- g.enter(quit, time.Time{}) }()
		synctest.Wait()
		entered := make(chan error)
		go func() { entered <- g.enter(ctx, time.Time{}) }()
		synctest.Wait()
		select {
		case err := <-entered:
			t.Fatalf("request %d went through with no connection open (%v); want it to wait", httpGateDials+2, err)
		default:
		}
		cancel()
		if err := <-gaveUp; err == nil {
			t.Fatal("a request whose context ended went through")
		}
		var conns []net.Conn
		open := func(n int) { // n connections of the pool open
			for range n {
				a, b := net.Pipe()
				t.Cleanup(func() { b.Close() })
				conns = append(conns, g.countConn(a))
			}
		}
		state := func() (busy, open, limit int) {
			g.mu.Lock()
			defer g.mu.Unlock()
			return g.busy, g.conns, g.limitLocked()
		}
		open(1) // room for one more
		if err := <-entered; err != nil {
			t.Fatalf("waiting request after a connection opened: %v", err)
		}
		if busy, n, limit := state(); busy != httpGateDials+1 || n != 1 || limit != httpGateDials+1 {
			t.Errorf("busy %d, open %d, limit %d; want %d, 1, %d", busy, n, limit, httpGateDials+1, httpGateDials+1)
		}
		open(99)
		if _, _, limit := state(); limit != 125 {
			t.Errorf("limit with 100 connections open = %d, want 125 (a quarter more)", limit)
		}
		open(200)
		if _, _, limit := state(); limit != 200 {
			t.Errorf("limit with 300 connections counted = %d, want the pool's maximum 200", limit)
		}
		for _, c := range conns {
			c.Close()
			c.Close() // a second Close is not counted again
		}
		if _, n, _ := state(); n != 0 {
			t.Errorf("%d connections counted open after all closed", n)
		}
	})
}

// A request never queues behind requests that stopped waiting.
func TestHTTPGateSkipsGone(t *testing.T) {
	g := newHTTPGate(1, false)
	g.line = append(g.line, &httpGateWaiter{ready: make(chan struct{}), gone: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // entering must not wait at all
	if err := g.enter(ctx, time.Time{}); err != nil {
		t.Fatalf("enter with room and only a gone request in line: %v", err)
	}
	if len(g.line) != 0 || g.busy != 1 {
		t.Errorf("line %d, busy %d; want 0 and 1", len(g.line), g.busy)
	}
}

// panicBackend is a backend whose send panics.
type panicBackend struct{ FastHTTPClient }

func (*panicBackend) send(context.Context, *Response, *httpReq, string, []byte, *http.Header, time.Time) error {
	panic("backend bug")
}

// A panic of the backend on the worker is raised again on the caller's
// goroutine, where the user's guard records it; the worker survives.
func TestHTTPHandoffPanic(t *testing.T) {
	for range 2 {
		func() {
			defer func() {
				if p := recover(); p != "backend bug" {
					t.Errorf("recovered %v, want the backend's panic", p)
				}
			}()
			httpSendHandoff(context.Background(), &panicBackend{}, &Response{}, &httpReq{}, "/", nil, nil, time.Time{})
			t.Error("httpSendHandoff returned after a panic")
		}()
	}
}
