package locust_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// TestHTTPHandoff runs the client tests with every request handed to a
// worker goroutine through its pool's gate, as with more than 1,000
// users (http_handoff.go): names, outcomes, recording and conservation
// must not change.
func TestHTTPHandoff(t *testing.T) {
	defer locust.SetHTTPHandoffUsers(locust.SetHTTPHandoffUsers(-1))
	for name, test := range map[string]func(*testing.T){
		"Conservation":               TestHTTPConservation,
		"CatchResponseFailure":       TestHTTPCatchResponseFailure,
		"Timeout":                    TestHTTPTimeout,
		"ConnectionRefused":          TestHTTPConnectionRefused,
		"CookiesPerUser":             TestHTTPCookiesPerUser,
		"HostsAndNames":              TestHTTPHostsAndNames,
		"Headers":                    TestHTTPHeaders,
		"StopInFlight":               TestHTTPStopInFlight,
		"NotSent":                    TestHTTPNotSent,
		"NoRedirects":                TestHTTPNoRedirects,
		"Stream":                     TestHTTPStream,
		"MaxConnectionsQueues":       TestHTTPMaxConnectionsQueues,
		"AbortedRequestsAreNotFails": TestAbortedRequestsAreNotFailures,
		"AbortedBeforeSentNotCount":  TestAbortedBeforeSentIsNotCounted,
		"FastHTTPRedirects":          TestFastHTTPRedirects,
	} {
		t.Run(name, test)
	}
}

// A request that waits in line for its pool's only connection is not
// sent, nor recorded, when its context ends (http_handoff_internal_test.go
// tests the line's timeout).
func TestHTTPHandoffGate(t *testing.T) {
	defer locust.SetHTTPHandoffUsers(locust.SetHTTPHandoffUsers(-1))
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		srv := newCountingServer(t)
		st, base := newStatsCtx()
		c := mk(t, srv.URL, &locust.HTTPOptions{MaxConnections: 1, Timeout: 3 * time.Second})
		held := make(chan *locust.Response)
		go func() { held <- c.Get(base, "/hold") }()
		deadline := time.Now().Add(5 * time.Second)
		for srv.inHold.Load() < 1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		// The only connection is busy: this one waits in line until
		// its context ends.
		ctx, cancel := context.WithCancel(base)
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		if r := c.Get(ctx, "/ok"); r.Err == nil || !strings.Contains(r.Err.Error(), "not sent") {
			t.Errorf("Get while the connection is busy, context cancelled: Err = %v, want not sent", r.Err)
		}
		close(srv.hold)
		if r := <-held; r.Err != nil {
			t.Errorf("Get /hold = %v", r.Err)
		}
		counts := srv.finish()
		snap := st.Snapshot()
		if e := entry(snap, "GET", "/ok"); e.Requests != 0 || counts["/ok"] != nil {
			t.Errorf("the request cancelled in line was recorded %d times, served %v; want never", e.Requests, counts["/ok"])
		}
		if e := entry(snap, "GET", "/hold"); e.Requests != 1 || e.Failures != 0 {
			t.Errorf("/hold recorded %+v, want 1 success", e)
		}
	})
}

// With more users than the hand-off threshold (1,000), every request runs
// on a worker after its pool's gate; with 8 connections for 1,200 users
// most of them wait in line. Every request the server answered is
// recorded once, for both clients.
func TestHTTPHandoffRunConservation(t *testing.T) {
	const users, iterations = 1200, 2400
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	for _, client := range []string{"fasthttp", "nethttp"} {
		t.Run(client, func(t *testing.T) {
			served.Store(0)
			opts := &locust.HTTPOptions{MaxConnections: 8}
			class := &locust.Class[thinker]{
				Name: "Many",
				Host: srv.URL,
				New: func() thinker {
					if client == "fasthttp" {
						return &fastThinker{locust.FastHTTPUser{Options: opts}}
					}
					return &stdThinker{locust.HTTPUser{Options: opts}}
				},
				Tasks: []locust.Task[thinker]{{Name: "get", Weight: 1, Fn: thinker.get}},
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := locust.RunTest(ctx, locust.Config{Classes: []locust.UserClass{class}, Users: users, SpawnRate: 1e6,
				Iterations: iterations, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			if res.Reason != locust.EndIterations {
				t.Fatalf("ended by %v, want the iteration limit", res.Reason)
			}
			if got := res.Stats.Total.Requests; got != iterations || served.Load() != iterations || res.Stats.Total.Failures != 0 {
				t.Errorf("recorded %d requests (%d failures), server served %d; want %d, 0, %d", got, res.Stats.Total.Failures, served.Load(), iterations, iterations)
			}
		})
	}
}
