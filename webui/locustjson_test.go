package webui_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/golocust/locust/webui"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// staticCtrl is a Controller over a fixed view, recording what it is
// asked to start.
type staticCtrl struct {
	info webui.Info
	view *webui.View
	mu   sync.Mutex
	reqs []webui.StartRequest
}

func (c *staticCtrl) Info() webui.Info { return c.info }
func (c *staticCtrl) Start(req webui.StartRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, req)
	return nil
}
func (c *staticCtrl) last() webui.StartRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reqs[len(c.reqs)-1]
}
func (c *staticCtrl) Stop() error                                 { return nil }
func (c *staticCtrl) ResetStats()                                 {}
func (c *staticCtrl) View() *webui.View                           { return c.view }
func (c *staticCtrl) Ratios() *webui.Ratios                       { return &webui.Ratios{} }
func (c *staticCtrl) WriteCSV(w io.Writer, _ webui.CSVKind) error { return nil }
func (c *staticCtrl) WriteJSON(w io.Writer) error                 { return nil }

func newStatic(t *testing.T, picker bool) (*httptest.Server, *staticCtrl) {
	t.Helper()
	c := &staticCtrl{
		info: webui.Info{Program: "t", Classes: []string{"A", "B"}, ClassPicker: picker, Users: 1, SpawnRate: 1,
			Options: []webui.OptionInfo{
				{Name: "env", Kind: webui.OptionChoice, Choices: []string{"dev", "prod"}, Value: "dev"},
				{Name: "items", Kind: webui.OptionNumber, Value: "3"},
				{Name: "verbose", Kind: webui.OptionCheckbox, Value: "false"},
				{Name: "api-key", Kind: webui.OptionText, Secret: true},
			}},
		view: &webui.View{State: "running", UserCount: 2, Host: "http://127.0.0.1:1",
			Stats: []webui.EntryView{
				{Method: "GET", Name: "/a?x=<b>&y", NumRequests: 10, P95: 9, P99: 12, Percentiles: []float64{5, 6, 7, 8, 9.5, 9, 12, 13}},
				{Name: "Aggregated", NumRequests: 10, P95: 9, P99: 12, Percentiles: []float64{5, 6, 7, 8, 9.5, 9, 12, 13}},
			},
			Errors:                         []webui.ErrorView{{Method: "GET", Name: "/a", Error: "boom", Occurrences: 1}},
			CurrentResponseTimePercentiles: map[string]float64{"response_time_percentile_0.5": 5, "response_time_percentile_0.95": 9, "response_time_percentile_0.99": 12},
			Workers:                        []webui.WorkerView{{ID: "h_1", State: "running", UserCount: 2}},
			WorkerCount:                    1, UserClasses: map[string]int{"A": 2},
			Exceptions: []webui.ExceptionView{{Count: 2, Msg: "x < y", Traceback: "tb", Nodes: []string{"h_1", "h_2"}}}},
	}
	srv, err := webui.New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, c
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, ts *httptest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+"/swarm", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

// fieldPaths lists every key path of a JSON document, arrays as [].
func fieldPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			fieldPaths(p, e, out)
		}
	case []any:
		for _, e := range x {
			fieldPaths(prefix+"[]", e, out)
		}
	}
}

// TestJSONAPIFieldsGolden pins the field set of the JSON API that scripts
// and exporters read: GET /stats/requests, /exceptions, /tasks and the
// answers of POST /swarm and /stop. Run with -update to accept a change,
// and say it in docs/migrating.md.
func TestJSONAPIFieldsGolden(t *testing.T) {
	ts, _ := newStatic(t, true)
	var b strings.Builder
	section := func(name, body string) {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: %v: %s", name, err, body)
		}
		paths := map[string]bool{}
		fieldPaths("", v, paths)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range paths {
				if !yield(k) {
					return
				}
			}
		})
		fmt.Fprintf(&b, "## %s\n%s\n", name, strings.Join(keys, "\n"))
	}
	for _, p := range []string{"/stats/requests", "/exceptions", "/tasks"} {
		_, body := get(t, ts.URL+p)
		section("GET "+p, body)
	}
	_, m := post(t, ts, url.Values{"user_count": {"2"}, "spawn_rate": {"1"}, "run_time": {"1m"}, "user_classes": {"A"}})
	js, _ := json.Marshal(m)
	section("POST /swarm", string(js))
	_, m = post(t, ts, url.Values{"user_count": {"x"}})
	js, _ = json.Marshal(m)
	section("POST /swarm (error)", string(js))
	got := b.String()
	golden := "testdata/api_fields.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the JSON API's fields changed (go test -run TestJSONAPIFieldsGolden -update ./webui to accept):\n--- got\n%s\n--- want\n%s", got, want)
	}
}

// TestLocustCompatFields: the values of Locust 2.12's fields.
func TestLocustCompatFields(t *testing.T) {
	ts, _ := newStatic(t, false)
	_, body := get(t, ts.URL+"/stats/requests")
	var v struct {
		Stats []struct {
			Method      *string `json:"method"`
			Name        string  `json:"name"`
			SafeName    string  `json:"safe_name"`
			Ninetieth   float64 `json:"ninetieth_response_time"`
			NinetyNinth float64 `json:"ninety_ninth_response_time"`
		} `json:"stats"`
		P95 float64 `json:"current_response_time_percentile_95"`
		P50 float64 `json:"current_response_time_percentile_50"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Stats) != 2 {
		t.Fatalf("stats %s", body)
	}
	r, agg := v.Stats[0], v.Stats[1]
	if r.Method == nil || *r.Method != "GET" || r.SafeName != "/a?x=&lt;b&gt;&amp;y" || r.Ninetieth != 9.5 || r.NinetyNinth != 12 {
		t.Errorf("row %+v", r)
	}
	if agg.Method != nil || !strings.Contains(body, `"method":null`) {
		t.Errorf("the Aggregated row's method is not null: %s", body)
	}
	if v.P95 != 9 || v.P50 != 5 {
		t.Errorf("current percentiles %v %v", v.P95, v.P50)
	}
	_, body = get(t, ts.URL+"/exceptions")
	var ex struct {
		Exceptions []map[string]any `json:"exceptions"`
	}
	if err := json.Unmarshal([]byte(body), &ex); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ex.Exceptions) != "[map[count:2 msg:x &lt; y nodes:h_1, h_2 traceback:tb]]" {
		t.Errorf("/exceptions: %s", body)
	}
}

// TestSwarmLikeLocust: POST /swarm echoes run_time in seconds, ignores
// user_classes without the class picker, accepts shape_class and the
// program's own options, and answers errors with success false.
func TestSwarmLikeLocust(t *testing.T) {
	ts, c := newStatic(t, false)
	status, m := post(t, ts, url.Values{"user_count": {"2"}, "spawn_rate": {"1"}, "run_time": {"1m30s"}, "user_classes": {"A"},
		"shape_class": {"Steps"}, "env": {"prod"}, "items": {"7"}, "verbose": {"on"}, "api-key": {"k"}, "profile": {"nightly"}})
	if status != 200 || m["success"] != true || m["run_time"] != 90.0 || m["user_classes"] != nil {
		t.Errorf("answer %d %v", status, m)
	}
	req := c.last()
	if req.Classes != nil {
		t.Errorf("user_classes applied without the class picker: %v", req.Classes)
	}
	if fmt.Sprint(req.Options) != "map[api-key:k env:prod items:7 verbose:true]" {
		t.Errorf("options %v", req.Options)
	}
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "env": {"staging"}}, "env"},
		{url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "items": {"many"}}, "items"},
		{url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "verbose": {"maybe"}}, "verbose"},
		{url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "nope": {"1"}}, "nope"},
		{url.Values{"spawn_rate": {"1"}}, "user_count"},
	} {
		status, m := post(t, ts, tc.form)
		if status != 400 || m["success"] != false || m["field"] != tc.field || m["message"] == "" {
			t.Errorf("%v: %d %v, want 400 naming %s", tc.form, status, m, tc.field)
		}
	}

	ts, c = newStatic(t, true)
	status, m = post(t, ts, url.Values{"user_count": {"2"}, "spawn_rate": {"1"}, "user_classes": {"B"}, "shape_class": {"Default"}})
	if status != 200 {
		t.Fatalf("with the picker: %d %v", status, m)
	}
	if fmt.Sprint(m["user_classes"]) != "[B]" || fmt.Sprint(c.last().Classes) != "[B]" {
		t.Errorf("with the picker: %d %v %v", status, m, c.last().Classes)
	}
	status, m = post(t, ts, url.Values{"user_count": {"2"}, "spawn_rate": {"1"}, "shape_class": {"Steps"}})
	if status != 400 || m["field"] != "shape_class" {
		t.Errorf("a shape with the picker: %d %v", status, m)
	}
}
