package locust_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// abortServer is a loopback target whose every request takes 300 ms; it
// counts the requests its handler saw.
func abortServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

type abortUser struct {
	locust.HTTPUser
}

// abortRun runs users users that only call the 300 ms endpoint, with no
// think time, so that each is in a request when the run time ends, and
// returns the final statistics.
func abortRun(t *testing.T, srv *httptest.Server, users int, opts *locust.HTTPOptions, task func(*abortUser, context.Context) error) *locust.Snapshot {
	t.Helper()
	class := &locust.Class[*abortUser]{
		Name:  "Slow",
		New:   func() *abortUser { return &abortUser{locust.HTTPUser{Options: opts}} },
		Tasks: []locust.Task[*abortUser]{{Name: "slow", Weight: 1, Fn: task}},
	}
	res, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{class}, Host: srv.URL, Users: users, SpawnRate: 1000,
		RunTime: 450 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Stats
}

// Requests in flight when the test ends are counted (the target saw them)
// as aborted, not as failures: a healthy target with a slow endpoint has
// zero failures.
func TestAbortedRequestsAreNotFailures(t *testing.T) {
	srv, seen := abortServer(t)
	s := abortRun(t, srv, 3, nil, func(u *abortUser, ctx context.Context) error {
		u.Client.Get(ctx, "/slow")
		return nil
	})
	tot := s.Total
	if tot.Failures != 0 || tot.Aborted == 0 {
		t.Errorf("%d failures and %d aborted of %d requests; want 0 failures and the in-flight ones aborted (failure groups %+v)",
			tot.Failures, tot.Aborted, tot.Requests, s.Failures)
	}
	if tot.Requests != seen.Load() {
		t.Errorf("recorded %d requests, the server saw %d", tot.Requests, seen.Load())
	}
	if len(s.Exceptions) != 0 {
		t.Errorf("exceptions: %+v", s.Exceptions)
	}
}

// A catch-response that passes the response's error on, in Locust's
// habit (Failure(resp.Err.Error())) or with Fail(resp.Err), keeps an
// aborted request aborted; the task sees errors.Is(resp.Err, ErrAborted).
func TestCatchResponseKeepsAborted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		decide func(*locust.Response)
	}{
		{"Failure(resp.Err.Error())", func(r *locust.Response) { r.Failure(r.Err.Error()) }},
		{"Fail(resp.Err)", func(r *locust.Response) { r.Fail(r.Err) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := abortServer(t)
			var sawAborted atomic.Bool
			s := abortRun(t, srv, 2, nil, func(u *abortUser, ctx context.Context) error {
				resp := u.Client.Get(ctx, "/slow", locust.CatchResponse())
				if resp.Err != nil {
					if errors.Is(resp.Err, locust.ErrAborted) {
						sawAborted.Store(true)
					}
					tc.decide(resp)
				} else {
					resp.Success()
				}
				return nil
			})
			if tot := s.Total; tot.Failures != 0 || tot.Aborted == 0 || tot.Requests != seen.Load() {
				t.Errorf("%d requests (server %d), %d failures, %d aborted; want the in-flight ones aborted, no failure (groups %+v)",
					tot.Requests, seen.Load(), tot.Failures, tot.Aborted, s.Failures)
			}
			if !sawAborted.Load() {
				t.Error("no task saw an Err wrapping ErrAborted")
			}
		})
	}
}

// Fail with an error of the task's own is a failure with that text, and
// Fail(nil) a success.
func TestCatchResponseFail(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	st := locust.NewStats("")
	ctx := locust.ContextWithStats(context.Background(), st)
	u := &abortUser{}
	if err := u.InitUser(locust.UserEnv{Class: "C", Host: srv.URL}); err != nil {
		t.Fatal(err)
	}
	u.Client.Get(ctx, "/a", locust.CatchResponse()).Fail(errors.New("no basket in the answer"))
	u.Client.Get(ctx, "/b", locust.CatchResponse()).Fail(nil)
	s := st.Snapshot()
	if s.Total.Requests != 2 || s.Total.Failures != 1 || s.Total.Aborted != 0 ||
		len(s.Failures) != 1 || s.Failures[0].Error != "no basket in the answer" || s.Failures[0].Name != "/a" {
		t.Errorf("total %+v, failures %+v", s.Total, s.Failures)
	}
}

// A request whose user is stopped while it waits for a connection (all of
// the pool's connections busy) never reached the target and is not
// counted: the totals equal what the server saw.
func TestAbortedBeforeSentIsNotCounted(t *testing.T) {
	srv, seen := abortServer(t)
	// One connection for three users: two of them wait for it at the end.
	s := abortRun(t, srv, 3, &locust.HTTPOptions{MaxConnections: 1}, func(u *abortUser, ctx context.Context) error {
		u.Client.Get(ctx, "/slow")
		return nil
	})
	if s.Total.Requests != seen.Load() {
		t.Errorf("recorded %d requests (%d aborted), the server saw %d", s.Total.Requests, s.Total.Aborted, seen.Load())
	}
	if s.Total.Failures != 0 {
		t.Errorf("%d failures: %+v", s.Total.Failures, s.Failures)
	}
}
