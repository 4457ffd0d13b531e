package locust_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// After End, a stopped test's numbers are frozen at its end: the period,
// total and current rates and the history do not move with the wall
// clock; samples that still arrive are counted; Reset opens a new period.
func TestStatsEndFreezesTheNumbers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := locust.NewStats("")
		for range 4 {
			for range 10 {
				s.Record(locust.Sample{Type: "GET", Name: "/", Duration: time.Millisecond})
			}
			time.Sleep(time.Second)
			s.Tick(1)
		}
		s.End(0)
		atEnd := s.Snapshot()
		if d := atEnd.Time.Sub(atEnd.Start); d != 4*time.Second {
			t.Fatalf("period at the end %v, want 4s", d)
		}
		time.Sleep(8 * time.Second)
		s.Tick(0) // a stray tick after the end changes nothing
		later := s.Snapshot()
		if d := later.Time.Sub(later.Start); d != 4*time.Second {
			t.Errorf("period 8 s after the end %v, want the 4 s of the test", d)
		}
		if later.Total.TotalRPS != 10 || later.Total.TotalRPS != atEnd.Total.TotalRPS {
			t.Errorf("total rps %v then %v, want 10", atEnd.Total.TotalRPS, later.Total.TotalRPS)
		}
		if later.Total.CurrentRPS != atEnd.Total.CurrentRPS || later.Total.CurrentRPS != 10 {
			t.Errorf("current rps %v then %v, want 10", atEnd.Total.CurrentRPS, later.Total.CurrentRPS)
		}
		if len(later.History) != len(atEnd.History) {
			t.Errorf("history grew after the end: %d then %d points", len(atEnd.History), len(later.History))
		}
		// A worker's last report may come after the end: it is counted.
		s.Record(locust.Sample{Type: "GET", Name: "/", Duration: time.Millisecond})
		if got := s.Snapshot().Total.Requests; got != 41 {
			t.Errorf("%d requests after a late sample, want 41", got)
		}
		s.Reset()
		time.Sleep(2 * time.Second)
		if d := s.Snapshot(); d.Time.Sub(d.Start) != 2*time.Second {
			t.Errorf("after Reset the period is %v, want 2s (a new test runs)", d.Time.Sub(d.Start))
		}
	})
}
