package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/stretchr/testify/require"
)

// shop is a healthy loopback target with a slow endpoint: /cart takes
// 300 ms, so users are often in a request when the test ends. It counts
// every request its handlers saw.
func shop(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var seen atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		w.Header().Set("X-Token", "t0k3n")
	})
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		_, _ = w.Write([]byte(`{"id": 42}`))
	})
	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &seen
}

// The README's go test example, as written there, passes against a
// healthy target with a slow endpoint: the requests cut short by the end
// of the test are aborted, not failures, and every request the server saw
// is counted.
func TestREADMEExample(t *testing.T) {
	srv, seen := shop(t)
	ctx := context.Background()
	shoppers := &locust.Class[*Shopper]{
		Name: "Shopper",
		New:  func() *Shopper { return &Shopper{} },
		Wait: locust.Between(10*time.Millisecond, 50*time.Millisecond),
		Tasks: []locust.Task[*Shopper]{
			{Name: "browse", Weight: 5, Fn: (*Shopper).Browse},
			{Name: "buy", Weight: 1, Fn: (*Shopper).Buy},
		},
	}

	// From the README:
	res, err := locust.RunTest(ctx, locust.Config{
		Classes: []locust.UserClass{shoppers}, Host: srv.URL,
		Users: 20, SpawnRate: 20, RunTime: 3 * time.Second,
	})
	require.NoError(t, err)
	require.Less(t, res.Stats.Total.Percentile(0.95), 500*time.Millisecond)
	require.Zero(t, res.Stats.Total.Failures) // requests cut short by the end are in Total.Aborted

	require.Equal(t, seen.Load(), res.Stats.Total.Requests, "requests the server saw")
	t.Logf("%d requests, %d aborted by the end of the test", res.Stats.Total.Requests, res.Stats.Total.Aborted)
}
