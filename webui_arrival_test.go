package locust

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/webui"
)

type webuiSlowUser struct{}

// work takes 20 ms, so that a pool of one user drops most arrivals of
// 200/s.
func (webuiSlowUser) work(ctx context.Context) error {
	return Measure(ctx, "rpc", "<b>slow</b>", func(ctx context.Context) error {
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
		return nil
	})
}

// The schedule statistics and the verdict are new fields of
// /stats/requests, the live feed and the report; Locust's fields stay.
func TestWebUIScheduleAndVerdict(t *testing.T) {
	r, err := NewLocalRunner(Config{
		Classes: []UserClass{&Class[*webuiSlowUser]{Name: "Slow", New: func() *webuiSlowUser { return &webuiSlowUser{} },
			Tasks: []Task[*webuiSlowUser]{{Name: "work", Weight: 1, Fn: (*webuiSlowUser).work}}}},
		Arrival:    &Arrival{Rate: 200, PreAllocated: 1, MaxUsers: 1},
		Thresholds: []Threshold{MustParseThreshold("rpc <b>slow</b>: max<5s"), MustParseThreshold("dropped==0")},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	log := slog.New(slog.DiscardHandler)
	srv, err := webui.New(newWebUIBridge(r, webui.Info{Program: "test", Classes: []string{"Slow"}}, log),
		&webui.Options{Logger: log, LiveInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	// Before a test: the thresholds are known, there is no schedule yet.
	_, body := webuiGet(t, ts.URL+"/stats/requests")
	if strings.Contains(body, `"schedule"`) || !strings.Contains(body, `"thresholds":{"pass":false`) {
		t.Errorf("before the test: %s", body)
	}

	// The arrival schedule, not the form, drives the test.
	if resp, body := webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"1"}}); resp.StatusCode != 200 {
		t.Fatalf("POST /swarm: %d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := r.Snapshot(); s.Schedule != nil && s.Schedule.Dropped > 5 && s.Schedule.ResponseTime.Count > 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	var v webui.View
	_, body = webuiGet(t, ts.URL+"/stats/requests")
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"stats":[`, `"num_requests"`, `"response_time_percentile_0.95"`, `"current_response_time_percentiles"`, `"fail_ratio"`,
		`"schedule":{"scheduled":`, `"dropped":`, `"dropped_ratio":`, `"lag":{"count":`, `"response_time":{`, `"service_time":{`, `"p99_9":`,
		`"thresholds":{"pass":false,"aborted":false,"abort_reason":"","results":[{"threshold":"rpc \u003cb\u003eslow\u003c/b\u003e: max\u003c5s"`} {
		if !strings.Contains(body, key) {
			t.Errorf("/stats/requests lacks %s: %.600s", key, body)
		}
	}
	s := v.Schedule
	switch {
	case s == nil:
		t.Fatal("no schedule in the view")
	case s.Scheduled == 0 || s.Dropped == 0 || s.Dropped > s.Scheduled || s.DroppedRatio <= 0 || s.DroppedRatio >= 1:
		t.Errorf("schedule counters %+v", s)
	case s.Lag.Count == 0 || s.ResponseTime.Count == 0 || s.ServiceTime.Count == 0:
		t.Errorf("schedule timings %+v", s)
	case s.ServiceTime.P50 < 19 || s.ServiceTime.Min < 19 || s.ServiceTime.Max < s.ServiceTime.P99 || s.ResponseTime.Max < s.ServiceTime.Min:
		t.Errorf("service time %+v, response time %+v: want about 20 ms", s.ServiceTime, s.ResponseTime)
	}
	th := v.Thresholds
	if th == nil || len(th.Results) != 2 {
		t.Fatalf("thresholds %+v", th)
	}
	if th.Pass || th.Aborted {
		t.Errorf("verdict %+v, want a failure without abort", th)
	}
	if p := th.Results[0]; !p.Pass || p.Entry != "rpc <b>slow</b>" || p.Metric != "max" || p.Op != "<" || p.Limit != 5000 || p.Unit != "ms" ||
		p.Observed < 19 || !strings.HasSuffix(p.ObservedText, "ms") {
		t.Errorf("passing threshold %+v", p)
	}
	if f := th.Results[1]; f.Pass || f.Threshold != "dropped==0" || f.Unit != "count" || f.Observed < 1 || f.ObservedText == "" || f.Abort || f.WindowSecs != 0 {
		t.Errorf("failing threshold %+v", f)
	}

	// The live feed carries the same.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {ts.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for range 2 {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Type string      `json:"type"`
			View *webui.View `json:"view"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "update" && (m.View.Schedule == nil || m.View.Schedule.Dropped == 0 || m.View.Thresholds == nil || len(m.View.Thresholds.Results) != 2) {
			t.Errorf("live update without the schedule or the verdict: %.600s", data)
		}
	}

	// After the stop, the final verdict is in the report.
	if resp, _ := webuiGet(t, ts.URL+"/stop"); resp.StatusCode != 200 {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	for r.State() != StateStopped && time.Now().Before(deadline.Add(5*time.Second)) {
		time.Sleep(10 * time.Millisecond)
	}
	_, body = webuiGet(t, ts.URL+"/stats/report")
	for _, want := range []string{`"thresholds":{"pass":false`, `"threshold":"dropped==0"`, `"schedule":{"scheduled":`, `"state":"stopped"`} {
		if !strings.Contains(body, want) {
			t.Errorf("report data lacks %s", want)
		}
	}
}

// A view without a schedule or thresholds has neither field.
func TestWebUINoScheduleNoVerdict(t *testing.T) {
	ts, _ := webuiTestServer(t, nil)
	_, body := webuiGet(t, ts.URL+"/stats/requests")
	if strings.Contains(body, `"schedule"`) || strings.Contains(body, `"thresholds"`) {
		t.Errorf("/stats/requests: %s", body)
	}
}

// An aborted verdict keeps the rule, its window and the abort flag.
func TestWebUIVerdictAborted(t *testing.T) {
	th := MustParseThreshold("fail_ratio<=20% for 10s abort")
	v := webuiVerdict(Verdict{Aborted: true, AbortReason: th.String(), Results: []ThresholdResult{
		{Threshold: th, Observed: 0.5, Note: "failed at the check 12s into the test"},
		{Threshold: MustParseThreshold("rps>=100"), Pass: true, Observed: 120},
	}})
	if v.Pass || !v.Aborted || v.AbortReason != "fail_ratio<=20% for 10s abort" || len(v.Results) != 2 {
		t.Fatalf("verdict %+v", v)
	}
	if r := v.Results[0]; r.Pass || !r.Abort || r.WindowSecs != 10 || r.Unit != "ratio" || r.Limit != 0.2 || r.Observed != 0.5 ||
		r.ObservedText != "50%" || r.Note == "" {
		t.Errorf("abort result %+v", r)
	}
	if r := v.Results[1]; !r.Pass || r.Unit != "1/s" || r.ObservedText != "120/s" {
		t.Errorf("rate result %+v", r)
	}
}
