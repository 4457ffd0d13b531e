//go:build !unix

package locust

import "time"

// benchCPUTime is not measured here: 0.
func benchCPUTime() time.Duration { return 0 }
