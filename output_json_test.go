package locust

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Decoding types as a script would write them, from docs/json-schema.md.
type jsonTestReport struct {
	SchemaVersion int             `json:"schema_version"`
	StartTime     time.Time       `json:"start_time"`
	EndTime       time.Time       `json:"end_time"`
	DurationS     float64         `json:"duration_s"`
	Users         int             `json:"users"`
	Entries       []jsonTestEntry `json:"entries"`
	Total         jsonTestEntry   `json:"total"`
	// Schedule and Thresholds are decoded by the tests that need them.
	Schedule   json.RawMessage `json:"schedule"`
	Thresholds json.RawMessage `json:"thresholds"`
	Failures   []struct {
		Type        string    `json:"type"`
		Name        string    `json:"name"`
		Error       string    `json:"error"`
		Occurrences int64     `json:"occurrences"`
		FirstSeen   time.Time `json:"first_seen"`
		LastSeen    time.Time `json:"last_seen"`
	} `json:"failures"`
	Exceptions []struct {
		Count     int64    `json:"count"`
		Message   string   `json:"message"`
		Traceback string   `json:"traceback"`
		Nodes     []string `json:"nodes"`
	} `json:"exceptions"`
}

type jsonTestEntry struct {
	Type                 string             `json:"type"`
	Name                 string             `json:"name"`
	NumRequests          int64              `json:"num_requests"`
	NumFailures          int64              `json:"num_failures"`
	NumAborted           int64              `json:"num_aborted"`
	FailRatio            float64            `json:"fail_ratio"`
	AvgResponseTimeMS    float64            `json:"avg_response_time_ms"`
	MinResponseTimeMS    float64            `json:"min_response_time_ms"`
	MaxResponseTimeMS    float64            `json:"max_response_time_ms"`
	MedianResponseTimeMS float64            `json:"median_response_time_ms"`
	TotalContentLength   int64              `json:"total_content_length"`
	AvgContentLength     float64            `json:"avg_content_length"`
	TotalRPS             float64            `json:"total_rps"`
	TotalFailPerSec      float64            `json:"total_fail_per_sec"`
	CurrentRPS           float64            `json:"current_rps"`
	CurrentFailPerSec    float64            `json:"current_fail_per_sec"`
	Percentiles          map[string]float64 `json:"response_time_percentiles_ms"`
}

func TestOutputJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, outputTestSnapshot(t), 10); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "output_json.golden", b.Bytes())
}

func TestOutputJSONRoundTrip(t *testing.T) {
	s := outputTestSnapshot(t)
	var b bytes.Buffer
	if err := writeJSON(&b, s, 10); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields() // the decoding types above cover the whole schema
	var r jsonTestReport
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != 1 || r.Users != 10 || !r.StartTime.Equal(s.Start) || !r.EndTime.Equal(s.Time) || r.DurationS != 60 {
		t.Errorf("header = %d %d %v %v %v", r.SchemaVersion, r.Users, r.StartTime, r.EndTime, r.DurationS)
	}
	if len(r.Entries) != len(s.Entries) {
		t.Fatalf("%d entries, want %d", len(r.Entries), len(s.Entries))
	}
	for i, e := range s.Entries {
		j := r.Entries[i]
		if j.Type != e.Type || j.Name != e.Name || j.NumRequests != e.Requests || j.NumFailures != e.Failures ||
			j.NumAborted != e.Aborted || j.TotalContentLength != e.ContentBytes {
			t.Errorf("entry %d = %+v, want %s %s", i, j, e.Type, e.Name)
		}
		if len(j.Percentiles) != len(Percentiles) {
			t.Errorf("entry %s has %d percentiles, want %d", e.Name, len(j.Percentiles), len(Percentiles))
		}
		for _, q := range Percentiles {
			want := float64(outputPercentile(e, q).Microseconds()) / 1e3
			if got, ok := j.Percentiles[outputPercentileLabel(q)]; !ok || got != want {
				t.Errorf("%s p%v = %v, %v; want %v", e.Name, q, got, ok, want)
			}
		}
	}
	get := &r.Entries[0] // GET /
	want := jsonTestEntry{Type: "GET", Name: "/", NumRequests: 100, NumFailures: 10, FailRatio: 0.1,
		AvgResponseTimeMS: 50.5, MinResponseTimeMS: 1, MaxResponseTimeMS: 100,
		MedianResponseTimeMS: get.Percentiles["50"], TotalContentLength: 105050, AvgContentLength: 1050.5,
		TotalRPS: 100.0 / 60, TotalFailPerSec: 10.0 / 60, CurrentRPS: 100.0 / 7, CurrentFailPerSec: 10.0 / 7,
		Percentiles: get.Percentiles}
	if !jsonTestEntryEqual(*get, want) {
		t.Errorf("GET / = %+v\nwant %+v", *get, want)
	}
	if math.Abs(get.Percentiles["50"]-50) > 0.1 || get.Percentiles["100"] != 100 {
		t.Errorf("GET / percentiles = %v, want about 50 and exactly the max, 100", get.Percentiles)
	}
	if r.Total.Name != "Aggregated" || r.Total.Type != "" || r.Total.NumRequests != 108 || r.Total.NumFailures != 11 {
		t.Errorf("total = %+v", r.Total)
	}
	never := r.Entries[3]
	if never.Name != "/never" || never.NumRequests != 0 || never.MinResponseTimeMS != 0 || never.Percentiles["99"] != 0 {
		t.Errorf("entry without requests = %+v", never)
	}
	if len(r.Failures) != 2 || r.Failures[0].Occurrences != 10 || r.Failures[0].Error != "HTTP 404 Not Found" ||
		!r.Failures[0].FirstSeen.Equal(s.Failures[0].FirstSeen) || !r.Failures[1].LastSeen.Equal(s.Failures[1].LastSeen) {
		t.Errorf("failures = %+v", r.Failures)
	}
	if len(r.Exceptions) != 2 || r.Exceptions[0].Count != 2 || !strings.Contains(r.Exceptions[0].Traceback, "shop.go:42") ||
		len(r.Exceptions[0].Nodes) != 1 || r.Exceptions[0].Nodes[0] != "local" {
		t.Errorf("exceptions = %+v", r.Exceptions)
	}
}

func jsonTestEntryEqual(a, b jsonTestEntry) bool {
	return reflect.DeepEqual(a, b)
}

// TestOutputJSONEmpty checks a test without requests: lists are [], not
// null, and the key order is the documented one.
func TestOutputJSONEmpty(t *testing.T) {
	s := NewStats("local").Snapshot()
	var b bytes.Buffer
	if err := writeJSON(&b, s, 0); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`"entries": []`, `"failures": []`, `"exceptions": []`, `"name": "Aggregated"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	keys := []string{`"schema_version"`, `"start_time"`, `"end_time"`, `"duration_s"`, `"users"`, `"entries"`, `"total"`,
		`"type"`, `"name"`, `"num_requests"`, `"num_failures"`, `"fail_ratio"`, `"avg_response_time_ms"`,
		`"min_response_time_ms"`, `"max_response_time_ms"`, `"median_response_time_ms"`, `"total_content_length"`,
		`"avg_content_length"`, `"total_rps"`, `"total_fail_per_sec"`, `"current_rps"`, `"current_fail_per_sec"`,
		`"response_time_percentiles_ms"`, `"50"`, `"66"`, `"75"`, `"80"`, `"90"`, `"95"`, `"98"`, `"99"`, `"99.9"`,
		`"99.99"`, `"100"`, `"failures"`, `"exceptions"`}
	at := 0
	for _, k := range keys {
		i := strings.Index(out[at:], k)
		if i < 0 {
			t.Fatalf("key %s missing or out of order in\n%s", k, out)
		}
		at += i + len(k)
	}
	if !json.Valid(b.Bytes()) {
		t.Error("invalid JSON")
	}
}

func TestOutputPercentileLabel(t *testing.T) {
	for _, c := range []struct {
		q    float64
		want string
	}{{0.5, "50"}, {0.95, "95"}, {0.999, "99.9"}, {0.9999, "99.99"}, {1, "100"}, {0.29, "29.0"}, {0.12345678, "12.345678"}} {
		if got := outputPercentileLabel(c.q); got != c.want {
			t.Errorf("outputPercentileLabel(%v) = %q, want %q", c.q, got, c.want)
		}
	}
}

func BenchmarkOutputJSON(b *testing.B) {
	s := outputBenchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if err := writeJSON(io.Discard, s, 10); err != nil {
			b.Fatal(err)
		}
	}
}
