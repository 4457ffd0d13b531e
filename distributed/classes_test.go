package distributed_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/distributed"
)

// TestMasterClassLists: Target.Classes means Locust's user_classes on a
// master: new users come only from the listed classes, users of other
// classes keep running, and an unknown class is refused by name.
func TestMasterClassLists(t *testing.T) {
	m, _ := newMaster(t, distributed.MasterConfig{Classes: []distributed.Class{
		{Name: "User1", Weight: 1}, {Name: "User2", Weight: 1}, {Name: "User3", Weight: 1}}})
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "h_1", Classes: []string{"User1", "User2", "User3"}})
	waitFor(t, "connection", w.Connected)
	counts := func(want map[string]int) {
		t.Helper()
		waitFor(t, fmt.Sprint(want), func() bool { return maps.Equal(m.UserCounts(), want) })
	}
	if err := m.Start(distributed.Target{Users: 3, Rate: 100}); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int{"User1": 1, "User2": 1, "User3": 1})
	if err := m.Start(distributed.Target{Users: 4, Rate: 100, Classes: []string{"User1"}}); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int{"User1": 2, "User2": 1, "User3": 1})
	if err := m.Start(distributed.Target{Users: 6, Rate: 100, Classes: []string{"User3", "User2"}}); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int{"User1": 2, "User2": 2, "User3": 2})
	err := m.Start(distributed.Target{Users: 6, Rate: 100, Classes: []string{"Nope"}})
	if err == nil || !strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("an unknown class: %v", err)
	}
}

// TestMasterFixedOnlyRampEnds: with only fixed-count classes summing
// below the requested users the ramp ends when the fixed counts are
// reached, not after (users - fixed) / rate seconds of invisible users.
func TestMasterFixedOnlyRampEnds(t *testing.T) {
	done := make(chan int, 4)
	m, logs := newMaster(t, distributed.MasterConfig{
		Classes:    []distributed.Class{{Name: "A", Fixed: 2}, {Name: "B", Fixed: 5}},
		OnRampDone: func(users int) { done <- users }})
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "h_1", Classes: []string{"A", "B"}})
	waitFor(t, "connection", w.Connected)
	// 1000 users at 7/s used to ramp on for 142 s past the fixed counts.
	if err := m.Start(distributed.Target{Users: 1000, Rate: 7}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-done:
		if n != 7 {
			t.Errorf("ramp done at %d users, want 7", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the ramp did not end at the fixed counts")
	}
	waitFor(t, "fixed counts", func() bool { return maps.Equal(m.UserCounts(), map[string]int{"A": 2, "B": 5}) })
	if !strings.Contains(logs.String(), "fewer users than asked") {
		t.Error("no warning that fewer users than asked run")
	}
	// Fewer users than the fixed counts' sum: shared in proportion.
	if err := m.Start(distributed.Target{Users: 5, Rate: 100}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "{1,4}", func() bool { return maps.Equal(m.UserCounts(), map[string]int{"A": 1, "B": 4}) })
}
