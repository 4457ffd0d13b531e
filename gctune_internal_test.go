package locust

import (
	"context"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestGCTunePercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, stacks, globals uint64
		want                  int
	}{
		{0, 0, 0, 100},
		{20 * mib, 1 * mib, 1 * mib, 146},    // a small test: 32 MiB of headroom
		{mib, mib / 2, mib / 2, 1600},        // 50 users in a closed loop: 32 MiB too
		{1, 0, 0, 5000},                      // a tiny heap: at most 50 times its size
		{200 * mib, 400 * mib, 1 * mib, 34},  // 100,000 thinking users: headroom = live heap
		{40 * mib, 40 * mib, 1 * mib, 50},    // 10,000 users
		{10 * mib, 1000 * mib, 1 * mib, 25},  // stacks only: never below 25
		{10 * mib, 60 * mib, 2 * mib, 45},    // at least 32 MiB of headroom
		{500 * mib, 100 * mib, 10 * mib, 82}, // heap-heavy: headroom = live heap
		{1 << 40, 1 << 40, 0, 50},            // no overflow
	} {
		if got := gcTunePercent(c.live, c.stacks, c.globals); got != c.want {
			t.Errorf("gcTunePercent(%d MiB, %d MiB, %d MiB) = %d, want %d", c.live/mib, c.stacks/mib, c.globals/mib, got, c.want)
		}
	}
}

// Runners share the tuning: the percent follows the memory every second,
// the last runner to stop gives GOGC=100 back, and a program that
// configured its GC is left alone.
func TestGCTuneRunners(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const mib = 1 << 20
		var mu sync.Mutex
		var sets []int
		live, stacks := uint64(200*mib), uint64(400*mib)
		g := &gcTuning{
			configured: func() bool { return false },
			read:       func() (uint64, uint64, uint64) { mu.Lock(); defer mu.Unlock(); return live, stacks, 0 },
			set:        func(p int) int { mu.Lock(); defer mu.Unlock(); sets = append(sets, p); return 0 },
		}
		ctx1, stop1 := context.WithCancel(context.Background())
		ctx2, stop2 := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { g.run(ctx1) })
		wg.Go(func() { g.run(ctx2) })
		time.Sleep(1500 * time.Millisecond) // one tick each
		synctest.Wait()
		mu.Lock()
		stacks = 410 * mib // too small a move to change anything
		mu.Unlock()
		time.Sleep(time.Second)
		synctest.Wait()
		stop1()
		synctest.Wait()
		mu.Lock()
		if want := []int{34}; !slices.Equal(sets, want) {
			t.Errorf("percents set while two runners run = %v, want %v", sets, want)
		}
		mu.Unlock()
		stop2()
		wg.Wait()
		if want := []int{34, 100}; !slices.Equal(sets, want) {
			t.Errorf("percents set = %v, want %v (GOGC=100 back after the last runner)", sets, want)
		}

		sets = nil
		g.configured = func() bool { return true }
		ctx3, stop3 := context.WithCancel(context.Background())
		wg.Go(func() { g.run(ctx3) })
		time.Sleep(3 * time.Second)
		stop3()
		wg.Wait()
		if len(sets) != 0 {
			t.Errorf("a configured GC was changed: %v", sets)
		}
	})
}

// A GC percent other than 100 set by the program counts as configured.
func TestGCConfigured(t *testing.T) {
	if gcConfigured() {
		t.Skip("GOGC or GOMEMLIMIT is set for this test process")
	}
	old := debug.SetGCPercent(70)
	defer debug.SetGCPercent(old)
	if !gcConfigured() {
		t.Error("a GC percent of 70 set by the program is not seen as configured")
	}
}
