package locust_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// With MaxConnections 1, concurrent requests take turns on one
// connection instead of opening more, and the wait for the connection is
// part of each request's recorded duration.
func TestHTTPMaxConnectionsQueues(t *testing.T) {
	forEachHTTPKind(t, func(t *testing.T, mk func(t *testing.T, host string, o *locust.HTTPOptions) httpTestClient) {
		const hold = 50 * time.Millisecond
		var conns, served atomic.Int64
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(hold)
			served.Add(1)
			w.Write([]byte("ok"))
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)
		st, ctx := newStatsCtx()
		c := mk(t, srv.URL, &locust.HTTPOptions{MaxConnections: 1, Timeout: 10 * time.Second})
		const n = 3
		durations := make([]time.Duration, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := c.Get(ctx, "/q")
				if r.Err != nil {
					t.Errorf("request %d: %v", i, r.Err)
				}
				durations[i] = r.Duration
			})
		}
		wg.Wait()
		if got := conns.Load(); got != 1 {
			t.Errorf("the server saw %d connections, want 1", got)
		}
		longest := max(durations[0], durations[1], durations[2])
		if longest < n*hold {
			t.Errorf("durations %v: the last request waited for the other two, so it should take at least %v", durations, n*hold)
		}
		if e := entry(st.Snapshot(), "GET", "/q"); e.Requests != n || e.Failures != 0 || served.Load() != n {
			t.Errorf("recorded %d requests (%d failures), server served %d; want %d, 0, %d", e.Requests, e.Failures, served.Load(), n, n)
		}
		if e := entry(st.Snapshot(), "GET", "/q"); e.Max < n*hold {
			t.Errorf("recorded max %v, want at least %v", e.Max, n*hold)
		}
	})
}
