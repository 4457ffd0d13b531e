package locust

import (
	"context"
	"errors"
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
		g := newHTTPGate(1)
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
