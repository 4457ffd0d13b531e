package locust_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/golocust/locust/history"
)

// uiState returns the web UI's test state and its Aggregated row's
// requests and aborted requests.
func uiState(t *testing.T, ui string) (state string, requests, aborted int64) {
	t.Helper()
	var st struct {
		State string `json:"state"`
		Stats []struct {
			Name     string `json:"name"`
			Requests int64  `json:"num_requests"`
			Aborted  int64  `json:"num_aborted"`
		} `json:"stats"`
	}
	uiGetJSON(t, ui+"stats/requests", &st)
	for _, e := range st.Stats {
		if e.Name == "Aggregated" {
			requests, aborted = e.Requests, e.Aborted
		}
	}
	return st.State, requests, aborted
}

// Web UI tests shorter than one stats tick, each stopped as soon as the
// target saw a request and the next started at once, are each stored,
// finished, with their own final statistics: every run's requests equal
// the live final statistics of that test, together what the server
// counted, and its users the count the form asked for.
func TestHistoryWebUIShortRunsSaved(t *testing.T) {
	srv := newRunServer(t)
	db := filepath.Join(t.TempDir(), "h.db")
	ui, _ := startUIProgram(t, &locust.Program{Classes: []locust.UserClass{histClass()}}, "-H", srv.URL, "--history", db)
	const tests = 3
	var live []int64 // the final requests of each test
	var aborted int64
	for i := range tests {
		before := srv.total.Load()
		resp, err := http.PostForm(ui+"swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("test %d: POST /swarm: %d", i, resp.StatusCode)
		}
		for deadline := time.Now().Add(10 * time.Second); srv.total.Load() == before; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("test %d: no request within 10 s", i)
			}
		}
		if resp, err = http.Get(ui + "stop"); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			state, n, a := uiState(t, ui)
			if state == "stopped" {
				live, aborted = append(live, n), aborted+a
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("test %d: not stopped within 10 s", i)
			}
		}
	}
	// The runs are saved at the next stats tick.
	var runs []history.Summary
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		s, err := history.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		runs, err = s.List(context.Background(), history.Filter{Finished: true})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) >= tests || time.Now().After(deadline) {
			break
		}
	}
	if len(runs) != tests {
		t.Fatalf("%d finished runs stored, want %d: %+v", len(runs), tests, runs)
	}
	var sum int64
	for i, r := range runs {
		want := live[tests-1-i] // the list is newest first
		sum += r.Requests
		if r.Requests != want || r.Requests == 0 || r.Users != 2 || r.EndReason != string(locust.EndStopped) {
			t.Errorf("run %d (%s): %d requests (live %d), %d users (want 2), end reason %q",
				tests-1-i, r.ID, r.Requests, want, r.Users, r.EndReason)
		}
	}
	// A request cut short by a stop may reach the server's handler just
	// after the test's end, or (stopped while being written) never:
	// between the requests that completed and all of them.
	for deadline := time.Now().Add(5 * time.Second); srv.total.Load() < sum && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.total.Load(); n > sum || n < sum-aborted {
		t.Errorf("the stored runs hold %d requests (%d aborted), the server counted %d", sum, aborted, n)
	}
}
