//go:build !unix

package proc

import (
	"runtime/metrics"
	"time"
)

// CPUTime returns the CPU time the Go runtime estimates the process has
// used.
func CPUTime() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindFloat64 {
		return time.Duration(s[0].Value.Float64() * float64(time.Second))
	}
	return 0
}
