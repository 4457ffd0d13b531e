package proc

import (
	"testing"
	"time"
)

func TestCPUTimeGrowsWithWork(t *testing.T) {
	before := CPUTime()
	deadline := time.Now().Add(50 * time.Millisecond)
	for n := 0; time.Now().Before(deadline); n++ {
		_ = n * n
	}
	if after := CPUTime(); after <= before {
		t.Errorf("CPU time did not grow over 50 ms of busy work: %v then %v", before, after)
	}
}
