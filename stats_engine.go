package locust

import (
	"errors"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Stats collects the samples of one runner (or, on a master, the deltas
// of its workers). Create it with [NewStats]. All methods are safe for
// concurrent use.
//
// [Stats.Record] is the hot path: it records into one of a few shards
// under that shard's own mutex and never takes a lock shared by all
// recording goroutines. [Stats.Snapshot], [Stats.Reset] and the
// runners' ticks and worker deltas first drain every shard into the cumulative view, so
// they see every sample whose Record returned before they were called.
//
// Memory does not grow with users or samples: a dense histogram (about
// 190 KB) per shard and row recorded in the last minute, with at most
// GOMAXPROCS shards, and per row a sparse cumulative histogram plus one
// sparse histogram per tick of the current window.
type Stats struct {
	node        string
	requestHook *Hook[Sample] // fired after each Record if active; set by the runner
	rec         statsRecorder

	// The cumulative view, guarded by mu; lock mu before any shard.
	mu      sync.Mutex
	start   time.Time
	rows    map[statsRowKey]*statsRow
	total   *statsRow
	fails   map[statsFailKey]*FailureStats
	history []HistoryPoint
	tick    int                         // ticks since start; the open window slot is tick % statsWindowTicks
	opened  [statsWindowTicks]time.Time // when each window slot opened
	scratch *hdr.PackedHistogram        // one drained shard entry
	totAcc  *hdr.Histogram              // dense sum of the rows added since the last flushTotalLocked
	totC    statsCounts                 // their counters
	totN    int                         // how many rows were added since then
	pending []*statsShardEntry          // drain buffer
	delta   *statsDelta                 // since the last takeDelta; nil before the first
	end     time.Time                   // when End closed the period; zero while it is open

	// Exceptions (cold path), guarded by excMu.
	excMu  sync.Mutex
	excs   map[statsExcKey]*ExceptionStats // cumulative
	excOn  bool                            // takeDelta has been called: also count into excDel
	excDel map[statsExcKey]*ExceptionStats // since the last takeDelta

	sched  schedStats  // arrival-rate and pacing schedule (schedule_stats.go)
	series statsSeries // chart percentiles and per-row series (stats_series.go); guarded by mu
	carry  *statsCarry // what resets removed, for the exporters (stats_lifetime.go); guarded by mu
}

// statsDelta accumulates what was drained since the last takeDelta call.
type statsDelta struct {
	start time.Time
	rows  map[statsRowKey]*statsRow
	total *statsRow
	fails map[statsFailKey]*FailureStats
}

func newStatsDelta(start time.Time) *statsDelta {
	return &statsDelta{start: start, rows: map[statsRowKey]*statsRow{}, total: newStatsRow("", "Aggregated"),
		fails: map[statsFailKey]*FailureStats{}}
}

// statsRow is one row of the cumulative view.
type statsRow struct {
	key  statsRowKey
	c    statsCounts
	hist *hdr.PackedHistogram
	win  [statsWindowTicks]statsSlot // current window, indexed by tick % statsWindowTicks
}

// statsSlot is one tick of a row's current window.
type statsSlot struct {
	requests, failures int64
	hist               *hdr.PackedHistogram // allocated on first use
}

func newStatsPacked() *hdr.PackedHistogram { return hdr.NewPacked(histLowest, histHighest, histDigits) }

func newStatsRow(typ, name string) *statsRow {
	return &statsRow{key: statsRowKey{typ, name}, hist: newStatsPacked()}
}

// add merges counters c and their histogram h (which must hold exactly
// c.requests samples) into the row and, if slot >= 0, into that window
// slot.
func (r *statsRow) add(c statsCounts, h *hdr.PackedHistogram, slot int) {
	r.c.merge(c)
	r.hist.Merge(h)
	if slot < 0 {
		return
	}
	s := &r.win[slot]
	s.requests += c.requests
	s.failures += c.failures
	if s.hist == nil {
		s.hist = newStatsPacked()
	}
	s.hist.Merge(h)
}

// reset empties the row, keeping its storage.
func (r *statsRow) reset() {
	r.c = statsCounts{}
	r.hist.Reset()
	for i := range r.win {
		r.resetSlot(i)
	}
}

// window sums the requests and failures of the row's current window and
// hands merge the histogram of every slot that has samples.
func (r *statsRow) window(merge func(*hdr.PackedHistogram)) (req, fail int64) {
	for i := range r.win {
		s := &r.win[i]
		if s.requests == 0 {
			continue
		}
		req += s.requests
		fail += s.failures
		merge(s.hist)
	}
	return req, fail
}

func (r *statsRow) resetSlot(i int) {
	s := &r.win[i]
	s.requests, s.failures = 0, 0
	if s.hist != nil {
		s.hist.Reset()
	}
}

// entry returns the row as an independent EntryStats: el is the whole
// period and span the current window, in seconds.
func (r *statsRow) entry(el, span float64) *EntryStats {
	e := &EntryStats{Type: r.key.typ, Name: r.key.name, Requests: r.c.requests, Failures: r.c.failures,
		Aborted: r.c.aborted, TotalTime: r.c.totalTime, Min: r.c.min, Max: r.c.max, ContentBytes: r.c.content, hist: r.hist.Clone()}
	e.setTotalRates(el)
	req, fail := r.window(func(h *hdr.PackedHistogram) {
		if e.current == nil {
			e.current = h.Clone()
		} else {
			e.current.Merge(h)
		}
	})
	if span > 0 {
		e.CurrentRPS = float64(req) / span
		e.CurrentFailPerSec = float64(fail) / span
	}
	return e
}

// NewStats returns empty statistics whose exceptions are attributed to node
// ("local" if empty).
func NewStats(node string) *Stats {
	if node == "" {
		node = "local"
	}
	now := time.Now()
	s := &Stats{node: node, start: now, rows: map[statsRowKey]*statsRow{}, total: newStatsRow("", "Aggregated"),
		fails: map[statsFailKey]*FailureStats{}, scratch: newStatsPacked(), excs: map[statsExcKey]*ExceptionStats{}}
	s.opened[0] = now
	return s
}

// Record adds one sample: a success, a failure, or an aborted sample if
// its Err wraps [ErrAborted] (counted in EntryStats.Aborted, not in
// Failures nor in the failure groups). Its duration is counted exactly in TotalTime,
// Min and Max (a negative one as zero) and in the histograms in
// microseconds, clamped into 1 µs .. 1 h: no sample is ever dropped. It
// then fires the runner's Request event, if it has listeners.
func (s *Stats) Record(sm Sample) {
	d := max(sm.Duration, 0)
	us := statsMicros(d)
	var errText string
	var now time.Time
	var aborted bool
	if sm.Err != nil {
		aborted = errors.Is(sm.Err, ErrAborted)
		if !aborted {
			errText = sm.Err.Error()
			now = time.Now()
		}
	}
	sh := s.rec.acquire()
	sh.mu.Lock()
	sh.record(&sm, d, us, errText, aborted, now)
	sh.mu.Unlock()
	s.rec.release(sh)
	if h := s.requestHook; h != nil && h.Active() {
		h.Fire(sm)
	}
}

// RecordException adds an error or panic raised by user code.
func (s *Stats) RecordException(msg, traceback string) {
	s.excMu.Lock()
	defer s.excMu.Unlock()
	statsCountException(s.excs, msg, traceback, s.node)
	if s.excOn {
		statsCountException(s.excDel, msg, traceback, s.node)
	}
}

func statsCountException(m map[statsExcKey]*ExceptionStats, msg, tb, node string) {
	k := statsExcKey{msg, tb}
	x := m[k]
	if x == nil {
		x = &ExceptionStats{Message: msg, Traceback: tb, Nodes: []string{node}}
		m[k] = x
	}
	x.Count++
}

// drainLocked moves what the shards recorded into the cumulative view
// (and the pending delta), or discards it if keep is false. Each shard
// entry is locked only while it is merged, so recording goroutines wait
// at most for one entry. Shard entries idle for statsShardIdle are
// dropped, so rows no longer recorded stop holding dense histograms.
// Call with s.mu held.
func (s *Stats) drainLocked(keep bool) {
	now := time.Now()
	slot := s.tick % statsWindowTicks
	for _, sh := range s.rec.all() {
		sh.mu.Lock()
		s.pending = s.pending[:0]
		for k, e := range sh.entries {
			switch {
			case e.c.requests > 0:
				e.active = now
				s.pending = append(s.pending, e)
			case e.active.IsZero():
				e.active = now
			case now.Sub(e.active) >= statsShardIdle:
				delete(sh.entries, k) // give its histogram back
			}
		}
		// Take the failures map only when it has something: an empty one
		// stays with the shard, so fails must not be read after Unlock.
		var fails map[statsFailKey]*statsShardFailure
		if len(sh.fails) > 0 {
			fails = sh.fails
			sh.fails = map[statsFailKey]*statsShardFailure{}
		} else {
			fails = nil // still the shard's map: never read it unlocked
		}
		sh.mu.Unlock()

		for _, e := range s.pending {
			sh.mu.Lock()
			c := e.c
			if c.requests > 0 {
				e.drainInto(s.scratch)
				e.c = statsCounts{}
			}
			sh.mu.Unlock()
			if keep && c.requests > 0 {
				s.addLocked(e.key, c, s.scratch, slot)
			}
		}
		if !keep {
			continue
		}
		for k, f := range fails {
			fs := FailureStats{Type: k.typ, Name: k.name, Error: k.err, Occurrences: f.n, FirstSeen: f.first, LastSeen: f.last}
			s.addFailureLocked(k, fs)
		}
	}
	s.flushTotalLocked(slot)
	clear(s.pending)
}

// addLocked merges counters and their histogram into row k, the total,
// the window slot (if >= 0) and the pending delta.
func (s *Stats) addLocked(k statsRowKey, c statsCounts, h *hdr.PackedHistogram, slot int) {
	r := s.rows[k]
	if r == nil {
		r = newStatsRow(k.typ, k.name)
		s.rows[k] = r
	}
	r.add(c, h, slot)
	// The total takes the rows' sum once per drain (flushTotalLocked):
	// merging thousands of small histograms one by one into its large
	// packed one would cost its size for each.
	if s.totAcc == nil {
		s.totAcc = hdr.New(histLowest, histHighest, histDigits)
	}
	acc := s.totAcc
	h.ForEachBucket(func(v, n int64) bool {
		_ = acc.RecordValues(v, n) // same geometry: never out of range
		return true
	})
	s.totC.merge(c)
	s.totN++
	if d := s.delta; d != nil {
		dr := d.rows[k]
		if dr == nil {
			dr = newStatsRow(k.typ, k.name)
			d.rows[k] = dr
		}
		dr.add(c, h, -1)
	}
}

// flushTotalLocked adds the rows added since the last call to the total
// (and the pending delta's), in window slot slot (if >= 0).
func (s *Stats) flushTotalLocked(slot int) {
	if s.totN == 0 {
		return
	}
	s.scratch.Reset()
	s.scratch.MergeFrom(s.totAcc)
	s.total.add(s.totC, s.scratch, slot)
	if d := s.delta; d != nil {
		d.total.add(s.totC, s.scratch, -1)
	}
	s.totAcc.Reset()
	s.totC, s.totN = statsCounts{}, 0
}

func (s *Stats) addFailureLocked(k statsFailKey, f FailureStats) {
	statsAddFailure(s.fails, k, f)
	if s.delta != nil {
		statsAddFailure(s.delta.fails, k, f)
	}
}

func statsAddFailure(m map[statsFailKey]*FailureStats, k statsFailKey, f FailureStats) {
	if cur := m[k]; cur != nil {
		cur.add(f)
		return
	}
	m[k] = &f
}

// windowStartLocked returns when the oldest slot of the current window
// opened.
func (s *Stats) windowStartLocked() time.Time {
	return s.opened[max(0, s.tick-statsWindowTicks+1)%statsWindowTicks]
}

// advance closes one interval of the current window (the runner's
// supervisor calls it every Config.StatsInterval) and appends a history point with
// the Aggregated row's current rates and percentiles and the given
// number of users.
//
// After [Stats.End], advance does nothing until [Stats.Reset].
func (s *Stats) advance(users int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end.IsZero() {
		s.tickLocked(users, time.Now())
	}
}

// End closes the period when a test stops: a last tick with the given
// number of users, then every later [Stats.Snapshot] is taken as of that
// moment, so a stopped test's duration and rates (total and current) stay
// what they were at its end, in every output, however long the process
// lives on. Samples that still arrive (a worker's last report) are
// counted. [Stats.Reset] (a new test) opens a new period.
func (s *Stats) End(users int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end.IsZero() {
		now := time.Now()
		s.tickLocked(users, now)
		s.end = now
	}
}

// tickLocked is advance at now. Call with s.mu held.
func (s *Stats) tickLocked(users int, now time.Time) {
	s.drainLocked(true)
	t := s.total.entry(now.Sub(s.start).Seconds(), now.Sub(s.windowStartLocked()).Seconds())
	s.history = append(s.history, HistoryPoint{Time: now, Users: users,
		CurrentRPS: t.CurrentRPS, CurrentFailPerSec: t.CurrentFailPerSec,
		P50: t.CurrentPercentile(0.5), P95: t.CurrentPercentile(0.95), P99: t.CurrentPercentile(0.99),
		AvgTime: t.Mean(), Requests: t.Requests, Failures: t.Failures})
	s.seriesTickLocked(now, t, now.Sub(s.windowStartLocked()).Seconds())
	s.tick++
	slot := s.tick % statsWindowTicks
	s.opened[slot] = now
	for _, r := range s.rows {
		r.resetSlot(slot)
	}
	s.total.resetSlot(slot)
}

// Reset empties the statistics and starts a new period now: samples
// recorded before the call, failures, exceptions, history and the
// pending delta are discarded. Rows are kept with zero counts, as in
// Locust, so tables keep their lines.
func (s *Stats) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(s.carry != nil)
	if s.carry != nil {
		s.carryLocked()
	}
	now := time.Now()
	s.start, s.end = now, time.Time{}
	for _, r := range s.rows {
		r.reset()
	}
	s.total.reset()
	clear(s.fails)
	s.history = nil
	s.series.reset()
	s.tick = 0
	s.opened = [statsWindowTicks]time.Time{now}
	if s.delta != nil {
		s.delta = newStatsDelta(now)
	}
	s.resetSchedule()
	s.excMu.Lock()
	defer s.excMu.Unlock()
	clear(s.excs)
	if s.excOn {
		clear(s.excDel)
	}
}

// Snapshot returns the statistics as they are now, including every
// sample whose Record returned before the call; after [Stats.End], its
// Time is the end and its rates are those of the end. The snapshot
// shares nothing that the engine changes later.
func (s *Stats) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	now := time.Now()
	if !s.end.IsZero() {
		now = s.end
	}
	el, span := now.Sub(s.start).Seconds(), now.Sub(s.windowStartLocked()).Seconds()
	// History only grows by appending: the capped slice never sees later
	// points, and Reset starts a new array.
	snap := &Snapshot{Start: s.start, Time: now, Total: s.total.entry(el, span),
		History: s.history[:len(s.history):len(s.history)]}
	snap.Entries = make([]*EntryStats, 0, len(s.rows))
	for _, r := range s.rows {
		snap.Entries = append(snap.Entries, r.entry(el, span))
	}
	statsSortEntries(snap.Entries)
	snap.Failures = statsFailureList(s.fails)
	s.excMu.Lock()
	snap.Exceptions = statsExceptionList(s.excs)
	s.excMu.Unlock()
	snap.Schedule = s.sched.snapshot()
	return snap
}

func statsFailureList(m map[statsFailKey]*FailureStats) []FailureStats {
	out := make([]FailureStats, 0, len(m))
	for _, f := range m {
		out = append(out, *f)
	}
	statsSortFailures(out)
	return out
}

func statsExceptionList(m map[statsExcKey]*ExceptionStats) []ExceptionStats {
	out := make([]ExceptionStats, 0, len(m))
	for _, x := range m {
		c := *x
		c.Nodes = append([]string(nil), x.Nodes...)
		out = append(out, c)
	}
	statsSortExceptions(out)
	return out
}

// takeDelta returns exactly what was recorded (or added) since the
// previous takeDelta call, or since the start or last Reset for the first call: rows
// with their counts and histograms, the Aggregated total, failures and
// exceptions. Its Start is the beginning of that period and its Time
// now; it has no current rates and no history. A worker sends deltas to
// its master, which merges each: the master then holds exactly the
// statistics of one process that recorded every sample.
func (s *Stats) takeDelta() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	now := time.Now()
	d := &Snapshot{Time: now}
	if s.delta == nil {
		// First call: everything so far is the delta.
		d.Start = s.start
		el := now.Sub(d.Start).Seconds()
		for _, r := range s.rows {
			if r.c.requests > 0 {
				d.Entries = append(d.Entries, statsDeltaEntry(r, el))
			}
		}
		d.Total = statsDeltaEntry(s.total, el)
		d.Failures = statsFailureList(s.fails)
	} else {
		pd := s.delta
		d.Start = pd.start
		el := now.Sub(d.Start).Seconds()
		for _, r := range pd.rows {
			d.Entries = append(d.Entries, statsDeltaEntry(r, el))
		}
		d.Total = statsDeltaEntry(pd.total, el)
		d.Failures = statsFailureList(pd.fails)
	}
	s.delta = newStatsDelta(now)
	statsSortEntries(d.Entries)
	d.Schedule = s.sched.delta()

	s.excMu.Lock()
	defer s.excMu.Unlock()
	if s.excOn {
		d.Exceptions = statsExceptionList(s.excDel)
		clear(s.excDel)
	} else {
		d.Exceptions = statsExceptionList(s.excs)
		s.excOn, s.excDel = true, map[statsExcKey]*ExceptionStats{}
	}
	return d
}

// statsDeltaEntry returns the row's counts and histogram, without
// current rates.
func statsDeltaEntry(r *statsRow, el float64) *EntryStats {
	e := &EntryStats{Type: r.key.typ, Name: r.key.name, Requests: r.c.requests, Failures: r.c.failures,
		Aborted: r.c.aborted, TotalTime: r.c.totalTime, Min: r.c.min, Max: r.c.max, ContentBytes: r.c.content, hist: r.hist.Clone()}
	e.setTotalRates(el)
	return e
}

// merge adds a snapshot, normally a worker's delta, into these
// statistics, as if its samples had been recorded here now: rows (their
// counts, exact min/max and histograms; the Aggregated total follows
// from them), failures and exceptions (nodes united). A nil d adds
// nothing. Merging a cumulative [Stats.Snapshot] instead of deltas
// counts its samples again on every call.
func (s *Stats) merge(d *Snapshot) {
	if d == nil {
		return
	}
	s.mu.Lock()
	slot := s.tick % statsWindowTicks
	for _, e := range d.Entries {
		if e == nil || e.Requests == 0 {
			continue
		}
		c := statsCounts{requests: e.Requests, failures: e.Failures, aborted: e.Aborted, content: e.ContentBytes,
			totalTime: e.TotalTime, min: e.Min, max: e.Max}
		h := e.hist
		if h == nil { // a snapshot built by hand: counts without a distribution
			h = newStatsPacked()
		}
		s.addLocked(statsRowKey{e.Type, e.Name}, c, h, slot)
	}
	s.flushTotalLocked(slot)
	for _, f := range d.Failures {
		s.addFailureLocked(statsFailKey{f.Type, f.Name, f.Error}, f)
	}
	s.mu.Unlock()
	s.sched.add(d.Schedule)

	s.excMu.Lock()
	defer s.excMu.Unlock()
	for _, x := range d.Exceptions {
		statsAddException(s.excs, x)
		if s.excOn {
			statsAddException(s.excDel, x)
		}
	}
}

func statsAddException(m map[statsExcKey]*ExceptionStats, x ExceptionStats) {
	k := statsExcKey{x.Message, x.Traceback}
	if cur := m[k]; cur != nil {
		cur.add(x)
		return
	}
	x.Nodes = append([]string(nil), x.Nodes...)
	m[k] = &x
}
