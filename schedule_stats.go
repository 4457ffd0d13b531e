package locust

// Schedule statistics: the open model's iteration counters and timings
// and the schedule lag of paced closed-model users. They travel in
// Snapshot.Schedule through Snapshot, Delta, Add and Merge like the
// request rows, so a master shows its workers' schedule exactly.

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// ScheduleStats are the statistics of scheduled iterations: those of the
// arrival-rate mode (Config.Arrival), and the schedule lag of closed-model
// users whose wait time is [ConstantPacing] or [ConstantThroughput].
type ScheduleStats struct {
	// Scheduled counts the arrivals that fell due (arrival-rate mode).
	Scheduled int64
	// Dropped counts the arrivals that found no free user while the pool
	// was at its maximum: iterations that were due and never ran.
	Dropped int64
	// Missed counts the paced starts (closed model with ConstantPacing or
	// ConstantThroughput) that never happened because a task took longer
	// than the pace: the iterations a closed-loop generator silently
	// omits when the target slows down.
	Missed int64
	// Lag is how late iterations started compared with their schedule:
	// the arrival's due time in arrival-rate mode; the previous start
	// plus the pace for paced users, including (as HdrHistogram's
	// coordinated-omission correction) one sample per missed start. It
	// measures the generator's health in arrival-rate mode and the
	// target's slowness hidden by a closed loop in paced mode.
	Lag Timing
	// ResponseTime is, in arrival-rate mode, the time from an
	// iteration's scheduled start to its end: what a user arriving on
	// schedule experiences, queueing in the generator included.
	ResponseTime Timing
	// ServiceTime is, in arrival-rate mode, the time from an iteration's
	// actual start to its end.
	ServiceTime Timing
}

// Timing summarizes durations: exact count, sum, minimum and maximum,
// and an HDR histogram (1 µs to 1 h, 3 significant digits) for
// percentiles. It is immutable once in a snapshot.
type Timing struct {
	// Count is the number of durations.
	Count int64
	// Total is their exact sum.
	Total time.Duration
	// Min and Max are the exact extremes.
	Min, Max time.Duration

	hist *hdr.PackedHistogram
}

// Mean returns the exact mean, zero without durations.
func (t *Timing) Mean() time.Duration {
	if t == nil || t.Count == 0 {
		return 0
	}
	return t.Total / time.Duration(t.Count)
}

// Percentile returns the duration below which a fraction q (0..1,
// clamped) of the durations fall, bounded by the exact Min and Max; zero
// without durations.
func (t *Timing) Percentile(q float64) time.Duration {
	if t == nil || t.Count == 0 {
		return 0
	}
	return min(max(statsHistPercentile(t.hist, q), t.Min), t.Max)
}

// Empty reports whether nothing was scheduled: no arrival, no paced
// iteration. Outputs omit schedule statistics then.
func (s *ScheduleStats) Empty() bool {
	return s == nil || (s.Scheduled == 0 && s.Dropped == 0 && s.Missed == 0 && s.Lag.Count == 0 &&
		s.ResponseTime.Count == 0)
}

// DroppedRatio returns Dropped/Scheduled (0..1), zero when nothing was
// scheduled.
func (s *ScheduleStats) DroppedRatio() float64 {
	if s == nil || s.Scheduled == 0 {
		return 0
	}
	return float64(s.Dropped) / float64(s.Scheduled)
}

// Merge returns the statistics of s and o together, as if one process
// had recorded both; neither is changed and a nil side returns the other.
func (s *ScheduleStats) Merge(o *ScheduleStats) *ScheduleStats {
	if s == nil {
		return o
	}
	if o == nil {
		return s
	}
	return &ScheduleStats{
		Scheduled: s.Scheduled + o.Scheduled, Dropped: s.Dropped + o.Dropped, Missed: s.Missed + o.Missed,
		Lag: s.Lag.merge(&o.Lag), ResponseTime: s.ResponseTime.merge(&o.ResponseTime),
		ServiceTime: s.ServiceTime.merge(&o.ServiceTime),
	}
}

func (t *Timing) merge(o *Timing) Timing {
	m := *t
	switch {
	case t.Count == 0:
		m.Min, m.Max = o.Min, o.Max
	case o.Count > 0:
		m.Min, m.Max = min(t.Min, o.Min), max(t.Max, o.Max)
	}
	m.Count += o.Count
	m.Total += o.Total
	m.hist = statsMergeHist(t.hist, o.hist)
	return m
}

// schedTiming accumulates durations; not safe for concurrent use.
type schedTiming struct {
	n               int64
	total, min, max time.Duration
	hist            *hdr.PackedHistogram // allocated on first use
}

func (a *schedTiming) add(d time.Duration, n int64) {
	d = max(d, 0)
	if a.n == 0 || d < a.min {
		a.min = d
	}
	a.max = max(a.max, d)
	a.n += n
	a.total += d * time.Duration(n)
	if a.hist == nil {
		a.hist = newStatsPacked()
	}
	_ = a.hist.RecordValues(statsMicros(d), n) // within range: never fails
}

func (a *schedTiming) merge(o *schedTiming) {
	if o.n == 0 {
		return
	}
	widen(&a.min, &a.max, a.n, o.min, o.max)
	a.n += o.n
	a.total += o.total
	if a.hist == nil {
		a.hist = newStatsPacked()
	}
	a.hist.Merge(o.hist)
}

func (a *schedTiming) timing() Timing {
	t := Timing{Count: a.n, Total: a.total, Min: a.min, Max: a.max}
	if a.hist != nil {
		t.hist = a.hist.Clone()
	}
	return t
}

func (a *schedTiming) fromTiming(t *Timing) {
	if t.Count == 0 {
		return
	}
	o := schedTiming{n: t.Count, total: t.Total, min: t.Min, max: t.Max, hist: t.hist}
	if o.hist == nil {
		o.hist = newStatsPacked()
	}
	a.merge(&o)
}

// schedAcc is a set of schedule counters.
type schedAcc struct {
	scheduled, dropped, missed int64
	lag, resp, serv            schedTiming
}

func (a *schedAcc) merge(o *schedAcc) {
	a.scheduled += o.scheduled
	a.dropped += o.dropped
	a.missed += o.missed
	a.lag.merge(&o.lag)
	a.resp.merge(&o.resp)
	a.serv.merge(&o.serv)
}

func (a *schedAcc) empty() bool {
	return a.scheduled == 0 && a.dropped == 0 && a.missed == 0 && a.lag.n == 0 && a.resp.n == 0
}

func (a *schedAcc) stats() *ScheduleStats {
	return &ScheduleStats{Scheduled: a.scheduled, Dropped: a.dropped, Missed: a.missed,
		Lag: a.lag.timing(), ResponseTime: a.resp.timing(), ServiceTime: a.serv.timing()}
}

// schedShardCount is the number of recording shards; a user records into
// shard id % schedShardCount, so that users rarely share a lock.
const schedShardCount = 16

type schedShard struct {
	mu  sync.Mutex
	acc schedAcc
	_   [64]byte
}

// schedStats is the schedule part of a Stats. Its zero value is ready.
type schedStats struct {
	shards [schedShardCount]schedShard

	mu  sync.Mutex // guards cum and del; lock before any shard
	cum schedAcc
	del *schedAcc // since the last Delta; nil before the first
}

func (s *schedStats) shard(key int64) *schedShard {
	return &s.shards[uint64(key)%schedShardCount]
}

// arrival counts one due arrival, dropped or not.
func (s *schedStats) arrival(dropped bool) {
	sh := &s.shards[0]
	sh.mu.Lock()
	sh.acc.scheduled++
	if dropped {
		sh.acc.dropped++
	}
	sh.mu.Unlock()
}

// started records the lag of an iteration that started.
func (s *schedStats) started(key int64, lag time.Duration) {
	sh := s.shard(key)
	sh.mu.Lock()
	sh.acc.lag.add(lag, 1)
	sh.mu.Unlock()
}

// finished records an arrival-mode iteration's response and service
// times.
func (s *schedStats) finished(key int64, resp, serv time.Duration) {
	sh := s.shard(key)
	sh.mu.Lock()
	sh.acc.resp.add(resp, 1)
	sh.acc.serv.add(serv, 1)
	sh.mu.Unlock()
}

// schedMaxCorrections bounds the synthetic samples of one overrun.
const schedMaxCorrections = 10000

// paced records a paced closed-model start that came lag after its
// schedule (previous start + pace): the start itself and, for each start
// the overrun pushed out, the lag that start would have had (lag-pace,
// lag-2·pace, ...; at most schedMaxCorrections, spread evenly).
func (s *schedStats) paced(key int64, lag, pace time.Duration) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.acc.lag.add(lag, 1)
	if pace <= 0 || lag < pace {
		return
	}
	missed := int64(lag / pace)
	sh.acc.missed += missed
	step, per := pace, int64(1)
	if missed > schedMaxCorrections {
		per = missed / schedMaxCorrections
		step = pace * time.Duration(per)
	}
	left := missed
	for d := lag - step; d >= 0 && left > 0; d -= step {
		n := min(per, left)
		sh.acc.lag.add(d, n)
		left -= n
	}
}

// drainLocked moves the shards' counters into cum and del. Call with
// s.mu held.
func (s *schedStats) drainLocked(keep bool) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		if sh.acc.empty() {
			sh.mu.Unlock()
			continue
		}
		acc := sh.acc
		sh.acc = schedAcc{}
		sh.mu.Unlock()
		if !keep {
			continue
		}
		s.cum.merge(&acc)
		if s.del != nil {
			s.del.merge(&acc)
		}
	}
}

// snapshot returns the cumulative statistics, nil when empty.
func (s *schedStats) snapshot() *ScheduleStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	if s.cum.empty() {
		return nil
	}
	return s.cum.stats()
}

// delta returns what was recorded since the previous call (or the start),
// nil when nothing was.
func (s *schedStats) delta() *ScheduleStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	d := s.del
	if d == nil {
		d = &s.cum
	}
	var out *ScheduleStats
	if !d.empty() {
		out = d.stats()
	}
	s.del = &schedAcc{}
	return out
}

// add merges a delta from elsewhere (a worker) as if recorded here.
func (s *schedStats) add(o *ScheduleStats) {
	if o == nil {
		return
	}
	acc := schedAcc{scheduled: o.Scheduled, dropped: o.Dropped, missed: o.Missed}
	acc.lag.fromTiming(&o.Lag)
	acc.resp.fromTiming(&o.ResponseTime)
	acc.serv.fromTiming(&o.ServiceTime)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cum.merge(&acc)
	if s.del != nil {
		s.del.merge(&acc)
	}
}

// reset discards everything recorded.
func (s *schedStats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(false)
	s.cum = schedAcc{}
	if s.del != nil {
		s.del = &schedAcc{}
	}
}
