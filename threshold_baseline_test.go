package locust_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
)

func TestParseThresholdBaseline(t *testing.T) {
	for _, c := range []struct {
		in     string
		factor float64
		str    string
	}{
		{"p95 < baseline*1.10", 1.1, "p95<baseline*1.1"},
		{"GET /items: rps > baseline * 0.9", 0.9, "GET /items: rps>baseline*0.9"},
		{"fail_ratio<=baseline", 1, "fail_ratio<=baseline*1"},
		{"avg<BASELINE*2", 2, "avg<baseline*2"},
	} {
		th, err := locust.ParseThreshold(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if th.Baseline != c.factor || th.String() != c.str {
			t.Errorf("%q: factor %v, String %q; want %v, %q", c.in, th.Baseline, th.String(), c.factor, c.str)
		}
		if again, err := locust.ParseThreshold(th.String()); err != nil || again != th {
			t.Errorf("%q does not round-trip: %+v, %v", th.String(), again, err)
		}
	}
	for _, bad := range []string{"p95<baseline*0", "p95<baseline*-1", "p95<baseline*x", "p95<baseline/2",
		"p95<baseline*1.1 for 10s", "p95<baseline*1.1 abort", "lag_p99<baseline*2", "dropped<baseline"} {
		if _, err := locust.ParseThreshold(bad); err == nil || !strings.Contains(err.Error(), "baseline") {
			t.Errorf("%q: %v, want an error about the baseline", bad, err)
		}
	}
	if _, err := locust.ParseAbortRule("p95>baseline*2"); err == nil {
		t.Error("an abort rule with a baseline limit was accepted")
	}
}

func TestCheckBaseline(t *testing.T) {
	th := locust.MustParseThreshold("requests < baseline*1.5")
	s := &locust.Snapshot{Start: time.Unix(0, 0), Time: time.Unix(10, 0), Total: &locust.EntryStats{Name: "Aggregated", Requests: 140}}
	base := &locust.Snapshot{Start: time.Unix(0, 0), Time: time.Unix(10, 0), Total: &locust.EntryStats{Name: "Aggregated", Requests: 100}}
	if r := th.Check(s); r.Pass || !strings.Contains(r.Note, "baseline") {
		t.Errorf("Check without a baseline: %+v", r)
	}
	if r := th.CheckBaseline(s, nil); r.Pass || r.Note != "no baseline run" {
		t.Errorf("CheckBaseline(nil): %+v", r)
	}
	r := th.CheckBaseline(s, base)
	if !r.Pass || r.Observed != 140 || r.BaselineValue != 100 || r.BaselineText() != "100" || r.Note != "baseline 100, limit 150" {
		t.Errorf("CheckBaseline: %+v", r)
	}
	v := locust.EvaluateThresholdsBaseline(s, s, []locust.Threshold{th, locust.MustParseThreshold("requests>=baseline")})
	if !v.Pass {
		t.Errorf("a run against itself: %+v", v)
	}
	v = locust.EvaluateThresholdsBaseline(base, s, []locust.Threshold{th, locust.MustParseThreshold("requests>=baseline")})
	if v.Pass || len(v.Failed()) != 1 {
		t.Errorf("fewer requests than the baseline: %+v", v)
	}
}
