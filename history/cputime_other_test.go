//go:build !unix

package history

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
