//go:build unix

package history

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used,
// for benchmarks on a shared machine, where the wall time depends on the
// neighbours; ok is false where it is not known.
func cpuTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
