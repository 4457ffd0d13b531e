package locust_test

import (
	"testing"
	"time"

	"github.com/golocust/locust"
)

func TestStagesShape(t *testing.T) {
	s, err := locust.Stages(0, locust.Stage{10 * time.Second, 100}, locust.Stage{20 * time.Second, 100}, locust.Stage{5 * time.Second, 0})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at    time.Duration
		users int
		rate  float64
		ok    bool
	}{
		{0, 100, 10, true}, {9 * time.Second, 100, 10, true},
		{10 * time.Second, 100, 1, true}, {29 * time.Second, 100, 1, true},
		{30 * time.Second, 0, 20, true}, {35 * time.Second, 0, 0, false},
	} {
		st, ok := s.Tick(tc.at)
		if ok != tc.ok || st.Users != tc.users || st.SpawnRate != tc.rate {
			t.Errorf("Tick(%v) = %+v, %v; want %d users at %v/s, %v", tc.at, st, ok, tc.users, tc.rate, tc.ok)
		}
	}
	for _, bad := range [][]locust.Stage{nil, {{0, 1}}, {{time.Second, -1}}} {
		if _, err := locust.Stages(0, bad...); err == nil {
			t.Errorf("Stages(%v) accepted", bad)
		}
	}
	if _, err := locust.Stages(-1, locust.Stage{time.Second, 1}); err == nil {
		t.Error("negative start accepted")
	}
}

func TestStepsAndSpikeShapes(t *testing.T) {
	steps, err := locust.Steps(10, 3, time.Minute, 5)
	if err != nil {
		t.Fatal(err)
	}
	spike, err := locust.Spike(10, 200, time.Minute, 30*time.Second, 3*time.Minute, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shape locust.LoadShape
		at    time.Duration
		users int
		ok    bool
	}{
		{steps, 0, 10, true}, {steps, 61 * time.Second, 20, true}, {steps, 179 * time.Second, 30, true}, {steps, 3 * time.Minute, 0, false},
		{spike, 0, 10, true}, {spike, time.Minute, 200, true}, {spike, 89 * time.Second, 200, true}, {spike, 90 * time.Second, 10, true},
		{spike, 3 * time.Minute, 0, false},
	} {
		st, ok := tc.shape.Tick(tc.at)
		if ok != tc.ok || st.Users != tc.users {
			t.Errorf("Tick(%v) = %+v, %v; want %d users, %v", tc.at, st, ok, tc.users, tc.ok)
		}
	}
	if _, err := locust.Steps(0, 3, time.Minute, 5); err == nil {
		t.Error("Steps with step 0 accepted")
	}
	if _, err := locust.Spike(10, 5, 0, time.Second, time.Minute, 1); err == nil {
		t.Error("Spike with peak < base accepted")
	}
}

func TestRateShapes(t *testing.T) {
	st, err := locust.RateSteps(100, 3, 10*time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := locust.Arrival{Stages: st}
	if a.PeakRate() != 300 || a.Duration() != 30*time.Second || len(st) != 6 || st[1] != (locust.RateStage{Duration: 10*time.Second - time.Millisecond, Target: 100}) {
		t.Errorf("RateSteps = %v", st)
	}
	sp, err := locust.RateSpike(50, 500, 10*time.Second, 5*time.Second, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a = locust.Arrival{Rate: 50, Stages: sp}
	if a.PeakRate() != 500 || a.Duration() != 30*time.Second {
		t.Errorf("RateSpike = %v (peak %v, duration %v)", sp, a.PeakRate(), a.Duration())
	}
	if _, err := locust.RateSteps(0, 1, time.Second, 0); err == nil {
		t.Error("RateSteps with step 0 accepted")
	}
	if _, err := locust.RateSpike(10, 5, time.Second, time.Second, time.Minute); err == nil {
		t.Error("RateSpike with peak < base accepted")
	}
}
