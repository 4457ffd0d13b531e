//go:build unix

package locust

import (
	"syscall"
	"time"
)

// benchCPUTime returns the CPU time (user and system) the process has
// used: on a shared machine, CPU time per operation is steadier than wall
// time.
func benchCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
