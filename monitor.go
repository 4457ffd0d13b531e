package locust

import (
	"time"
)

// The runner's monitors: the generator's CPU use (Locust's 90 % warning)
// and the thresholds checked while the test runs (rolling thresholds and
// abort rules). The LocalRunner methods that start them are in localrunner.go.

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
