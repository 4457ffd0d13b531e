package locust

import "time"

// time.Now reads two clocks, the wall clock and the monotonic one: on
// VMs where a clock read is a system-call-like trip through the
// hypervisor's clock page, that is a sizeable part of a closed loop's
// request. Durations and deadlines need only the monotonic clock, so the
// request path and the think time read it alone (monoNow).

// monoStart is the origin of monoNow.
var monoStart = time.Now()

// monoNow returns the current time with one read of the monotonic clock.
// Its monotonic reading is exact, so that durations (Sub, Since) and
// deadlines (Until, timers) are as with time.Now; its wall clock reading
// is monoStart's advanced by the time since, which misses any step of the
// system clock since the process started: use time.Now for a timestamp.
func monoNow() time.Time { return monoStart.Add(time.Since(monoStart)) }
