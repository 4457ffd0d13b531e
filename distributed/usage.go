package distributed

import (
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golocust/locust/internal/proc"
)

// usageMeter measures this process's CPU use between two calls.
type usageMeter struct {
	mu       sync.Mutex
	lastWall time.Time
	lastCPU  time.Duration
}

// cpuPercent returns the process's CPU use since the previous call, in
// percent of one core (200 = two cores busy), as Locust reports it.
func (u *usageMeter) cpuPercent() float64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	now, cpu := time.Now(), proc.CPUTime()
	defer func() { u.lastWall, u.lastCPU = now, cpu }()
	if u.lastWall.IsZero() {
		return 0
	}
	wall := now.Sub(u.lastWall)
	if wall <= 0 || cpu < u.lastCPU {
		return 0
	}
	return float64(cpu-u.lastCPU) / float64(wall) * 100
}

// processMemory returns the resident set size in bytes where the system
// tells it (/proc/self/statm), else the memory the Go runtime holds.
func processMemory() uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}
