package locust

import (
	"testing"
	"time"
)

// monoNow reads the monotonic clock as time.Now does: durations between
// the two agree, and its wall clock stays with time.Now's.
func TestMonoNow(t *testing.T) {
	before := time.Now()
	m := monoNow()
	after := time.Now()
	if m.Sub(before) < 0 || after.Sub(m) < 0 {
		t.Fatalf("monoNow %v is not between %v and %v (monotonic)", m, before, after)
	}
	if d := m.Round(0).Sub(before.Round(0)); d < -time.Second || d > time.Second {
		t.Errorf("monoNow's wall clock is %v from time.Now's", d)
	}
	if d := time.Until(m.Add(time.Hour)); d <= 59*time.Minute || d > time.Hour {
		t.Errorf("a deadline an hour after monoNow is %v away", d)
	}
}
