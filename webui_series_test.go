package locust

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/webui"
)

// TestWebUIRowSeries checks GET /stats/series: a row's points with its
// chart percentiles, and clear errors for bad parameters and rows
// without a series.
func TestWebUIRowSeries(t *testing.T) {
	ts, r := webuiTestServer(t, nil)
	if err := r.Stats().SetChartPercentiles([]float64{0.5, 0.95}); err != nil {
		t.Fatal(err)
	}
	r.Stats().KeepRowSeries()
	for i := range 20 {
		r.Stats().Record(Sample{Type: "rpc", Name: "<b>work</b>", Duration: time.Duration(i+1) * time.Millisecond})
	}
	r.Stats().advance(1)
	r.Stats().advance(1)

	resp, body := webuiGet(t, ts.URL+"/stats/series?"+url.Values{"method": {"rpc"}, "name": {"<b>work</b>"}}.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var got struct {
		Method, Name string
		Points       []webui.HistoryPoint
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "rpc" || got.Name != "<b>work</b>" || len(got.Points) != 2 {
		t.Fatalf("series %+v", got)
	}
	p := got.Points[0]
	if p.RPS <= 0 || len(p.P) != 2 || p.P[0] < 9.9 || p.P[0] > 10.1 || p.P[1] < 18.9 || p.P[1] > 19.1 {
		t.Errorf("first point %+v, want a rate and the 50th and 95th percentiles (10 and 19 ms)", p)
	}
	for _, tt := range []struct {
		query  string
		status int
		want   string
	}{
		{"name=%2Fnone&method=GET", 404, `"field":"name","message":"no series for the row GET /none`},
		{"method=GET", 400, `"field":"name","message":"name is required`},
		{"name=a&name=b", 400, `name is given 2 times`},
		{"name=a&row=1", 400, `unknown parameter \"row\": allowed method, name`},
		{"name=" + strings.Repeat("x", 5000), 400, `name is too long`},
	} {
		resp, body := webuiGet(t, ts.URL+"/stats/series?"+tt.query)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%.40s: %d %s, want %d with %s", tt.query, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	_ = r.Stop(context.Background())
}

// TestWebUIWorkerLogs checks that GET /logs serves the workers' lines by
// worker id, bounded by the ring.
func TestWebUIWorkerLogs(t *testing.T) {
	ring := webui.NewWorkerLogRing(3)
	ts, _ := webuiTestServer(t, &webui.Options{WorkerLogs: ring})
	ring.Add("w_1", []string{"a", "b"})
	ring.Add("w_2", []string{"c", "d"})
	_, body := webuiGet(t, ts.URL+"/logs")
	var got struct {
		Workers map[string][]string `json:"workers"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Workers["w_1"], ",") != "b" || strings.Join(got.Workers["w_2"], ",") != "c,d" || len(got.Workers) != 2 {
		t.Errorf("workers %v, want the latest 3 lines: w_1 b, w_2 c,d", got.Workers)
	}
}
