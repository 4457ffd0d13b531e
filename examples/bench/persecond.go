package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/golocust/locust"
)

// perSecondMax is the most seconds --per-second counts; later samples
// count in the last second.
const perSecondMax = 3600

// perSecond counts, for each second since the test started, the requests
// that completed in it, those slower than 10 and 50 ms, and the slowest
// (--per-second). The summary's percentiles say how slow the tail is;
// these say when it was: during the ramp, just after it, at a GC, or at
// the stop. Its methods are safe for concurrent use.
type perSecond struct {
	start    time.Time
	secs     [perSecondMax]perSecondRow
	ramped   atomic.Int64 // second+1 the ramp ended in, 0 before
	stopping atomic.Int64 // second+1 the stop began in, 0 before
}

type perSecondRow struct{ n, over10, over50, maxNs atomic.Int64 }

// watch counts r's samples from now on.
func (p *perSecond) watch(r locust.Runner) {
	p.start = time.Now()
	r.Events().Request.Add(p.record)
	r.Events().SpawningComplete.Add(func(locust.SpawnEvent) { p.ramped.CompareAndSwap(0, p.second()+1) })
	r.Events().TestStopping.Add(func(locust.TestEvent) { p.stopping.CompareAndSwap(0, p.second()+1) })
}

func (p *perSecond) second() int64 {
	return min(int64(time.Since(p.start)/time.Second), perSecondMax-1)
}

func (p *perSecond) record(s locust.Sample) {
	row := &p.secs[p.second()]
	row.n.Add(1)
	if s.Duration > 10*time.Millisecond {
		row.over10.Add(1)
	}
	if s.Duration > 50*time.Millisecond {
		row.over50.Add(1)
	}
	for d := int64(s.Duration); ; {
		m := row.maxNs.Load()
		if d <= m || row.maxNs.CompareAndSwap(m, d) {
			break
		}
	}
}

// print writes one line per second that had requests.
func (p *perSecond) print(w io.Writer) {
	fmt.Fprintf(w, "per second (requests completed in it):\n%6s %9s %7s %7s %9s\n", "second", "requests", ">10ms", ">50ms", "max ms")
	ramped, stopping := p.ramped.Load()-1, p.stopping.Load()-1
	for i := range p.secs {
		row := &p.secs[i]
		n := row.n.Load()
		if n == 0 {
			continue
		}
		note := ""
		switch int64(i) {
		case ramped:
			note = "  ramp ended"
		case stopping:
			note = "  stop began"
		}
		fmt.Fprintf(w, "%6d %9d %7d %7d %9.1f%s\n", i, n, row.over10.Load(), row.over50.Load(), float64(row.maxNs.Load())/1e6, note)
	}
}
