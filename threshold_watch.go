package locust

import (
	"fmt"
	"sync"
	"time"
)

// thWatch checks the rolling and abort thresholds of one test every
// monitorInterval and remembers their first failure.
type thWatch struct {
	mu        sync.Mutex
	ths       []Threshold
	start     time.Time
	rings     [][]thPoint        // per threshold: counters at past checks, oldest first
	failed    []*ThresholdResult // first failed check per threshold
	last      []*ThresholdResult // latest check per threshold
	abortedBy int                // index of the threshold that aborted the test, or -1
}

// thPoint holds the counters a rolling threshold differentiates.
type thPoint struct {
	t                          time.Time
	requests, failures         int64
	total                      time.Duration
	scheduled, dropped, missed int64
}

func newThWatch(ths []Threshold, start time.Time) *thWatch {
	w := &thWatch{ths: ths, start: start, rings: make([][]thPoint, len(ths)),
		failed: make([]*ThresholdResult, len(ths)), last: make([]*ThresholdResult, len(ths)), abortedBy: -1}
	for i := range ths {
		w.rings[i] = []thPoint{{t: start}}
	}
	return w
}

// active reports whether any threshold is checked while the test runs.
func (w *thWatch) active() bool {
	for _, th := range w.ths {
		if th.Window > 0 || th.Abort {
			return true
		}
	}
	return false
}

// check evaluates the thresholds on s taken at now; it returns the
// reason to abort the test, or "".
func (w *thWatch) check(s *Snapshot, now time.Time) (abort string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, th := range w.ths {
		if th.Window == 0 && !th.Abort {
			continue
		}
		var res ThresholdResult
		var ok bool
		if th.Window == 0 {
			res = th.Check(s)
			ok = res.Note == ""
		} else {
			res, ok = w.checkWindow(i, s, now)
		}
		if !ok {
			continue
		}
		w.last[i] = &res
		if res.Pass || w.failed[i] != nil {
			continue
		}
		at := now.Sub(w.start).Round(time.Second)
		if th.Window > 0 {
			res.Note = fmt.Sprintf("failed at %v over the last %v", at, th.Window)
		} else {
			res.Note = fmt.Sprintf("failed at %v", at)
		}
		if th.Abort && abort == "" && w.abortedBy < 0 {
			w.abortedBy = i
			res.Note += "; stopped the test"
			abort = fmt.Sprintf("%s (observed %s at %v)", th, res.ObservedText(), at)
		}
		w.failed[i] = &res
	}
	return abort
}

// checkWindow evaluates rolling threshold i over its last Window; ok is
// false when the window is not full yet or holds nothing to judge.
func (w *thWatch) checkWindow(i int, s *Snapshot, now time.Time) (ThresholdResult, bool) {
	th := w.ths[i]
	res := ThresholdResult{Threshold: th}
	m, err := thParseMetric(th.Metric)
	if err != nil {
		return res, false
	}
	p := thPoint{t: now}
	e := thSelect(s, th.Entry)
	if e != nil {
		p.requests, p.failures, p.total = e.Requests, e.Failures, e.TotalTime
	}
	if ss := s.Schedule; ss != nil {
		p.scheduled, p.dropped, p.missed = ss.Scheduled, ss.Dropped, ss.Missed
	}
	ring := append(w.rings[i], p)
	// Keep the newest point at or before the window's start as the base.
	from := now.Add(-th.Window + monitorInterval/2)
	for len(ring) > 2 && !ring[1].t.After(from) {
		ring = ring[1:]
	}
	w.rings[i] = ring
	base := ring[0]
	if base.t.After(from) {
		return res, false
	}
	dr, df := p.requests-base.requests, p.failures-base.failures
	dt := p.t.Sub(base.t).Seconds()
	switch {
	case m.sched == "counter":
		switch m.stat {
		case "dropped":
			res.Observed = float64(p.dropped - base.dropped)
		case "missed":
			res.Observed = float64(p.missed - base.missed)
		case "dropped_ratio":
			ds := p.scheduled - base.scheduled
			if ds == 0 {
				return res, false
			}
			res.Observed = float64(p.dropped-base.dropped) / float64(ds)
		}
	case m.sched != "":
		r := th.Check(s)
		return r, r.Note == ""
	case e == nil:
		return res, false
	case m.kind == thRatio:
		if dr == 0 {
			return res, false
		}
		res.Observed = float64(df) / float64(dr)
	case m.kind == thCount:
		res.Observed = float64(dr)
		if m.stat == "failures" {
			res.Observed = float64(df)
		}
	case m.kind == thRate:
		n := dr
		if m.stat == "fail_per_sec" {
			n = df
		}
		if dt <= 0 {
			return res, false
		}
		res.Observed = float64(n) / dt
	default: // time
		if dr == 0 {
			return res, false
		}
		switch m.stat {
		case "avg":
			res.ObservedDuration = (p.total - base.total) / time.Duration(dr)
		case "min":
			res.ObservedDuration = e.CurrentPercentile(0)
		case "max":
			res.ObservedDuration = e.CurrentPercentile(1)
		default:
			res.ObservedDuration = e.CurrentPercentile(m.quantile)
		}
	}
	res.Pass = th.holds(m.kind, res.Observed, res.ObservedDuration)
	return res, true
}

// apply puts the checks made while the test ran into v, a verdict of the
// same thresholds computed at the end.
func (w *thWatch) apply(v *Verdict) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v.Pass = true
	for i := range v.Results {
		th := w.ths[i]
		switch {
		case w.failed[i] != nil:
			v.Results[i] = *w.failed[i]
		case th.Window > 0 && w.last[i] != nil:
			r := *w.last[i]
			r.Note = "every check over the last " + th.Window.String() + " passed; observed at the last check"
			v.Results[i] = r
		case th.Window > 0:
			v.Results[i].Note = "never checked over " + th.Window.String() + " (the test was shorter, or the window empty): checked over the whole run"
		}
		v.Pass = v.Pass && v.Results[i].Pass
	}
	if w.abortedBy >= 0 {
		v.Aborted, v.Pass = true, false
		v.AbortReason = w.ths[w.abortedBy].String()
	}
}
