package locust

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/golocust/locust/internal/proc"
)

// The runner's monitors: the generator's CPU use (Locust's 90 % warning)
// and the thresholds checked while the test runs (rolling thresholds and
// abort rules).

// cpuWarnPercent is the process CPU use, in percent of the CPUs Go may
// use, above which the generator is considered saturated (Locust's 90 %).
const cpuWarnPercent = 90

// cpuSampleInterval is how often the CPU use is sampled.
var cpuSampleInterval = 5 * time.Second

// monitorInterval is how often thresholds are checked while a test runs.
var monitorInterval = time.Second

// Health describes the load generator itself during the last test: an
// overloaded generator starts iterations late and measures wrong times.
type Health struct {
	// CPUPercent is the highest process CPU use sampled, in percent of
	// the CPUs Go may use (GOMAXPROCS), sampled every 5 s.
	CPUPercent float64
	// CPUSaturated is true when a sample exceeded 90 %.
	CPUSaturated bool
}

// cpuPercent returns the CPU use between two samples in percent of
// cores CPUs: cpu time used over wall time elapsed.
func cpuPercent(cpu, wall time.Duration, cores int) float64 {
	if wall <= 0 || cores < 1 {
		return 0
	}
	return float64(cpu) / float64(wall) / float64(cores) * 100
}

// startMonitors starts the CPU monitor of test t and returns the watch
// of its rolling thresholds (the supervisor checks them); the returned
// function stops the monitor and logs the end-of-test CPU warning.
func (r *LocalRunner) startMonitors(t *testRun) (*thWatch, func()) {
	watch := newThWatch(r.cfg.Thresholds, t.start)
	r.healthMu.Lock()
	r.health = Health{}
	r.rolling = watch
	r.healthMu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.cpuMonitor(ctx) })
	return watch, func() {
		cancel()
		wg.Wait()
		if h := r.Health(); h.CPUSaturated {
			r.log.Warn(fmt.Sprintf("CPU usage was too high at some point during the test (%.0f%%): the generator was overloaded, so its response times and rates are not reliable; use fewer users per process or more workers", h.CPUPercent))
		}
	}
}

func (r *LocalRunner) cpuMonitor(ctx context.Context) {
	tick := time.NewTicker(cpuSampleInterval)
	defer tick.Stop()
	lastCPU, lastWall := proc.CPUTime(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			cpu := proc.CPUTime()
			pct := cpuPercent(cpu-lastCPU, now.Sub(lastWall), runtime.GOMAXPROCS(0))
			lastCPU, lastWall = cpu, now
			r.healthMu.Lock()
			first := pct > cpuWarnPercent && !r.health.CPUSaturated
			r.health.CPUPercent = max(r.health.CPUPercent, pct)
			r.health.CPUSaturated = r.health.CPUSaturated || pct > cpuWarnPercent
			r.healthMu.Unlock()
			if first {
				r.log.Warn(fmt.Sprintf("CPU usage above %d%% (%.0f%%)! The generator is overloaded: iterations start late and response times are inflated", cpuWarnPercent, pct))
			}
		}
	}
}
