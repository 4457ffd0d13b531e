package locust

// Lifetime statistics: what the metrics exporters read. Counters exported
// to Prometheus and OTLP must never go down, but Reset empties the
// statistics (a new test, --reset-stats, the web UI's reset). Once
// keepLifetime is called, Reset folds what it removes into a carry, and
// lifetime returns the statistics plus the carry: every sample since the
// call, counted once, under the same lock as the reset so that no scrape
// sees a reset without its carry.

import "time"

// statsCarry holds what resets removed, when lifetime statistics are kept.
type statsCarry struct {
	rows   map[statsRowKey]*statsRow
	fails  map[statsFailKey]*FailureStats
	sched  *ScheduleStats
	resets int64
	start  time.Time
}

// keepLifetime makes Reset keep what it removes for lifetime. Samples
// recorded before the call count too.
func (s *Stats) keepLifetime() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.carry == nil {
		s.carry = &statsCarry{rows: map[statsRowKey]*statsRow{}, fails: map[statsFailKey]*FailureStats{}, start: s.start}
	}
}

// carryLocked folds the rows and failures into the carry before a reset.
// Call with s.mu held, after draining the shards with keep.
func (s *Stats) carryLocked() {
	c := s.carry
	for k, r := range s.rows {
		if r.c.requests == 0 {
			continue
		}
		cr := c.rows[k]
		if cr == nil {
			cr = newStatsRow(k.typ, k.name)
			c.rows[k] = cr
		}
		cr.add(r.c, r.hist, -1)
	}
	for k, f := range s.fails {
		statsAddFailure(c.fails, k, *f)
	}
	c.resets++
}

// resetSchedule empties the schedule statistics, folding them into the
// carry if there is one. Call with s.mu held.
func (s *Stats) resetSchedule() {
	if s.carry == nil {
		s.sched.reset()
		return
	}
	ss := &s.sched
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.drainLocked(true)
	if !ss.cum.empty() {
		s.carry.sched = s.carry.sched.Merge(ss.cum.stats())
	}
	ss.cum = schedAcc{}
	if ss.del != nil {
		ss.del = &schedAcc{}
	}
}

// lifetimeStats are the statistics since keepLifetime, resets included.
type lifetimeStats struct {
	// Entries have lifetime counts and histograms (no rates), sorted.
	Entries  []*EntryStats
	Failures []FailureStats
	Schedule *ScheduleStats
	Resets   int64
	Start    time.Time
}

// lifetime returns the statistics since keepLifetime (or since the last
// reset before it was called, if it was not).
func (s *Stats) lifetime() *lifetimeStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	out := &lifetimeStats{Start: s.start}
	var carried map[statsRowKey]*statsRow
	fails := map[statsFailKey]*FailureStats{}
	for k, f := range s.fails {
		statsAddFailure(fails, k, *f)
	}
	if c := s.carry; c != nil {
		carried, out.Resets, out.Start = c.rows, c.resets, c.start
		for k, f := range c.fails {
			statsAddFailure(fails, k, *f)
		}
		out.Schedule = c.sched
	}
	out.Schedule = out.Schedule.Merge(s.sched.snapshot())
	out.Entries = make([]*EntryStats, 0, len(s.rows))
	for k, r := range s.rows {
		e := statsDeltaEntry(r, 0)
		if cr := carried[k]; cr != nil {
			e = statsMergeEntry(statsDeltaEntry(cr, 0), e)
		}
		out.Entries = append(out.Entries, e)
	}
	for k, cr := range carried {
		if s.rows[k] == nil {
			out.Entries = append(out.Entries, statsDeltaEntry(cr, 0))
		}
	}
	statsSortEntries(out.Entries)
	out.Failures = statsFailureList(fails)
	return out
}
