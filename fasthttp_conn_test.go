package locust

import (
	"testing"
	"testing/synctest"
	"time"
)

// fastCoarse moves a deadline only when the one set is earlier than asked
// or later by more than its slack (1/64 of the time that was left when it
// was set, at most 1 s), and then sets it that slack later: a request
// never times out before its deadline, nor more than the slack of the
// deadline in place after it.
func TestFastCoarseDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cur fastDeadline
		check := func(what string, ask time.Time, wantSet bool, wantAt time.Time) {
			t.Helper()
			got, set := fastCoarse(&cur, ask)
			if set != wantSet || set && !got.Equal(wantAt) {
				t.Fatalf("%s: set %v at %v; want set %v at %v", what, set, got, wantSet, wantAt)
			}
			if !ask.IsZero() && (cur.at < ask.UnixNano() || cur.at > ask.Add(time.Second).UnixNano()) {
				t.Fatalf("%s: deadline %v for %v: outside [asked, asked+1s]", what, time.Unix(0, cur.at), ask)
			}
		}
		now := time.Now()
		check("first", now.Add(64*time.Second), true, now.Add(65*time.Second))
		time.Sleep(500 * time.Millisecond)
		check("0.5 s later, within the slack", time.Now().Add(64*time.Second), false, time.Time{})
		time.Sleep(time.Second)
		now = time.Now()
		check("1.5 s later, past the slack", now.Add(64*time.Second), true, now.Add(65*time.Second))
		check("a shorter timeout tightens it", now.Add(640*time.Millisecond), true, now.Add(650*time.Millisecond))
		check("a longer one moves it", now.Add(64*time.Second), true, now.Add(65*time.Second))
		check("no deadline clears it", time.Time{}, true, time.Time{})
		check("and stays cleared", time.Time{}, false, time.Time{})
		check("a past deadline is set as is", now.Add(-time.Second), true, now.Add(-time.Second))
		check("set again", now.Add(64*time.Second), true, now.Add(65*time.Second))
		time.Sleep(63500 * time.Millisecond)
		check("a 1 s timeout within the slack of the one set keeps it", time.Now().Add(time.Second), false, time.Time{})
		check("one beyond it moves it", time.Now().Add(2*time.Second), true, time.Now().Add(2*time.Second+31250*time.Microsecond))
	})
}
