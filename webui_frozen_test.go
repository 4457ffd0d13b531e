package locust

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// webuiStatsNow reads GET /stats/requests.
func webuiStatsNow(t *testing.T, base string) (state string, totalRPS, start, now float64) {
	t.Helper()
	resp, body := webuiGet(t, base+"/stats/requests")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /stats/requests: %d %s", resp.StatusCode, body)
	}
	var v struct {
		State     string  `json:"state"`
		TotalRPS  float64 `json:"total_rps"`
		StartTime float64 `json:"start_time"`
		Time      float64 `json:"time"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v.State, v.TotalRPS, v.StartTime, v.Time
}

// In web UI mode a stopped test's duration and requests/s are those of
// its end: they do not move with the wall clock while the UI stays up.
func TestWebUIStoppedTestIsFrozen(t *testing.T) {
	ts, _ := webuiTestServer(t, nil)
	resp, body := webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /swarm: %d %s", resp.StatusCode, body)
	}
	time.Sleep(500 * time.Millisecond) // some requests
	if resp, body := webuiGet(t, ts.URL+"/stop"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /stop: %d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, _, _, _ := webuiStatsNow(t, ts.URL)
		if state == "stopped" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %q 10 s after the stop", state)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, rps1, start1, end1 := webuiStatsNow(t, ts.URL)
	time.Sleep(1200 * time.Millisecond) // longer than the view cache and a stats tick
	_, rps2, start2, end2 := webuiStatsNow(t, ts.URL)
	if rps1 == 0 || rps1 != rps2 || end1-start1 != end2-start2 {
		t.Errorf("after the stop: total_rps %v then %v, duration %.3fs then %.3fs; want them frozen", rps1, rps2, end1-start1, end2-start2)
	}
}
