package locust

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Go's garbage collector lets the heap grow by GOGC percent (100) of the
// live heap plus the scanned part of the goroutine stacks before it
// collects. That fits programs whose stacks are small next to their
// heap; a load generator with 100,000 thinking users has as much stack
// as live heap, so the default would let it keep garbage for its stacks'
// sake: ~200 MB at 100,000 users that buy nothing but rarer collections.
// While a test runs, gcTune therefore sets GOGC so
// that the headroom is the live heap itself (GOGC=100 of the heap alone,
// as before Go 1.18 counted stacks), at least 32 MiB and never under 25
// percent. The 32 MiB also hold for small tests: a closed loop of 50
// users with a live heap of 2 MiB (statistics, connections) collected
// it every 2 MiB of garbage, some 30 times a second, which cost it about
// a tenth of its CPU (BENCHMARKS.md, "Library overhead"); 32 MiB more
// heap is nothing next to that for a load generator.
//
// gcTune does nothing when the program's GC is configured: GOGC or
// GOMEMLIMIT in the environment, or a GC percent other than 100 or a
// memory limit set with runtime/debug. GOGC=100 in the environment keeps
// Go's own behaviour.

const (
	gcTuneInterval   = time.Second
	gcTuneMinPercent = 25
	gcTuneMaxPercent = 5000     // a tiny heap: at most 50 times its size
	gcTuneMinHeadway = 32 << 20 // bytes of garbage allowed at least
)

// gcTuning is the process's tuning state: runners share it, the first to
// start tunes, the last to stop restores GOGC=100. Its functions are
// those of the runtime, replaced in tests.
type gcTuning struct {
	configured func() bool                           // gcConfigured
	read       func() (live, stacks, globals uint64) // gcRead
	set        func(percent int) int                 // debug.SetGCPercent

	mu      sync.Mutex
	runners int
	off     bool // the program configured its GC: never tune
	percent int  // the GC percent set, 100 when untouched
}

var gcTuner = &gcTuning{configured: gcConfigured, read: gcRead, set: debug.SetGCPercent}

// gcTunePercent is the GC percent that gives a headroom of the live heap
// (at least gcTuneMinHeadway) over live heap, stacks and globals.
func gcTunePercent(live, stacks, globals uint64) int {
	total := live + stacks + globals
	if total == 0 {
		return 100
	}
	headway := max(live, gcTuneMinHeadway)
	p := int(math.Ceil(100 * float64(headway) / float64(total)))
	return min(max(p, gcTuneMinPercent), gcTuneMaxPercent)
}

// gcConfigured reports whether the program set up its GC itself.
func gcConfigured() bool {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return true
	}
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() != 100 ||
		s[1].Value.Kind() == metrics.KindUint64 && s[1].Value.Uint64() != math.MaxInt64
}

// gcRead reads what the GC pacer counts: live heap, stacks and globals.
func gcRead() (live, stacks, globals uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	var v [3]uint64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return v[0], v[1], v[2]
}

// gcTune tunes GOGC every second until ctx ends (see above).
func gcTune(ctx context.Context) { gcTuner.run(ctx) }

func (g *gcTuning) run(ctx context.Context) {
	g.mu.Lock()
	if g.runners == 0 {
		g.off = g.configured()
		g.percent = 100
	}
	g.runners++
	off := g.off
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.runners--
		if g.runners == 0 && !g.off && g.percent != 100 {
			g.set(100)
			g.percent = 100
		}
	}()
	if off {
		<-ctx.Done()
		return
	}
	every(ctx, gcTuneInterval, func(time.Time) bool {
		p := gcTunePercent(g.read())
		g.mu.Lock()
		defer g.mu.Unlock()
		// Small moves (5 points, or a tenth above 50) are not worth a
		// change of the pacer's goal.
		if d, step := p-g.percent, max(5, g.percent/10); d >= step || d <= -step || p == 100 && g.percent != 100 {
			g.set(p)
			g.percent = p
		}
		return true
	})
}
