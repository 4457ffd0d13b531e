package distributed_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/golocust/locust/distributed"
)

// TestMasterRefusesUsersBeyondItsWorkersWithoutAllocating asks a master
// whose only worker runs at most 100 users for 2^24, then 2^30 users, as
// a web UI operator, an API client or a load shape could: the master
// refuses with an error naming the request and the ceiling, before it
// allocates anything proportional to the request (it used to
// materialize the spawn order of every user: 8 GiB for 2^30).
func TestMasterRefusesUsersBeyondItsWorkersWithoutAllocating(t *testing.T) {
	m, _ := newMaster(t, distributed.MasterConfig{})
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), MaxUsers: 100})
	waitFor(t, "the worker", func() bool { return w.Connected() && m.LiveWorkers() == 1 })
	for _, n := range []int{1 << 24, 1 << 30} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := m.Start(distributed.Target{Users: n, Rate: 1})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("users is %d", n)) || !strings.Contains(err.Error(), "100 in all") ||
			!strings.Contains(err.Error(), "--max-users-per-worker") {
			t.Fatalf("Start(%d users) = %v, want it refused naming the request and the workers' ceiling", n, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
			t.Fatalf("refusing %d users allocated %d bytes", n, grew)
		}
	}
	if got := m.UserCount(); got != 0 {
		t.Errorf("%d users run after the refusals", got)
	}
	// Within the ceiling the test starts.
	if err := m.Start(distributed.Target{Users: 100, Rate: 100}); err != nil {
		t.Fatalf("Start(100 users): %v", err)
	}
}
