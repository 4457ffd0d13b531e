package locust

// INTERIM: a simple, mutex-based engine so that the rest of the package can be
// built and tested. It is replaced by the sharded engine.

import (
	"cmp"
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Stats collects the samples of one runner. It is safe for concurrent use.
type Stats struct {
	mu      sync.Mutex
	start   time.Time
	entries map[entryKey]*EntryStats
	total   *EntryStats
	fails   map[failKey]*FailureStats
	excs    map[excKey]*ExceptionStats
	history []HistoryPoint
	node    string

	requestHook *Hook[Sample]
}

type entryKey struct{ typ, name string }
type failKey struct{ typ, name, err string }
type excKey struct{ msg, tb string }

// NewStats returns empty statistics whose exceptions are attributed to node
// ("local" if empty).
func NewStats(node string) *Stats {
	if node == "" {
		node = "local"
	}
	s := &Stats{node: node}
	s.resetLocked(time.Now())
	return s
}

func newEntry(typ, name string) *EntryStats {
	return &EntryStats{Type: typ, Name: name, hist: hdr.NewPacked(histLowest, histHighest, histDigits), current: hdr.NewPacked(histLowest, histHighest, histDigits)}
}

func (s *Stats) resetLocked(now time.Time) {
	s.start = now
	s.entries = map[entryKey]*EntryStats{}
	s.total = newEntry("", "Aggregated")
	s.fails = map[failKey]*FailureStats{}
	s.excs = map[excKey]*ExceptionStats{}
	s.history = nil
}

// Record adds one sample.
func (s *Stats) Record(sm Sample) {
	s.record(sm)
	if h := s.requestHook; h != nil && h.Active() {
		h.Fire(sm)
	}
}

func (s *Stats) record(sm Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := entryKey{sm.Type, sm.Name}
	e := s.entries[k]
	if e == nil {
		e = newEntry(sm.Type, sm.Name)
		s.entries[k] = e
	}
	us := min(max(sm.Duration.Microseconds(), histLowest), histHighest)
	for _, x := range []*EntryStats{e, s.total} {
		if x.Requests == 0 || sm.Duration < x.Min {
			x.Min = sm.Duration
		}
		x.Max = max(x.Max, sm.Duration)
		x.Requests++
		x.TotalTime += sm.Duration
		x.ContentBytes += sm.Size
		_ = x.hist.RecordValue(us)
		if sm.Err != nil {
			x.Failures++
		}
	}
	if sm.Err != nil {
		now := time.Now()
		fk := failKey{sm.Type, sm.Name, sm.Err.Error()}
		f := s.fails[fk]
		if f == nil {
			f = &FailureStats{Type: sm.Type, Name: sm.Name, Error: fk.err, FirstSeen: now}
			s.fails[fk] = f
		}
		f.Occurrences++
		f.LastSeen = now
	}
}

// RecordException adds an error or panic raised by user code.
func (s *Stats) RecordException(msg, traceback string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := excKey{msg, traceback}
	e := s.excs[k]
	if e == nil {
		e = &ExceptionStats{Message: msg, Traceback: traceback, Nodes: []string{s.node}}
		s.excs[k] = e
	}
	e.Count++
}

// Tick closes one stats interval (call it about once a second): it
// updates the current window and appends a history point with users.
func (s *Stats) Tick(users int) {
	snap := s.Snapshot()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := snap.Total
	s.history = append(s.history, HistoryPoint{Time: snap.Time, Users: users, Requests: t.Requests, Failures: t.Failures,
		P50: t.Percentile(0.5), P95: t.Percentile(0.95), P99: t.Percentile(0.99), AvgTime: t.Mean()})
}

// Reset empties the statistics and starts a new period now.
func (s *Stats) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked(time.Now())
}

func cloneEntry(e *EntryStats) *EntryStats {
	c := *e
	c.hist = e.hist.Clone()
	c.current = e.current.Clone()
	return &c
}

// Snapshot returns the statistics as they are now.
func (s *Stats) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	snap := &Snapshot{Start: s.start, Time: now, Total: cloneEntry(s.total), History: slices.Clone(s.history)}
	for _, e := range s.entries {
		snap.Entries = append(snap.Entries, cloneEntry(e))
	}
	slices.SortFunc(snap.Entries, func(a, b *EntryStats) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
	el := now.Sub(s.start).Seconds()
	for _, e := range append(slices.Clone(snap.Entries), snap.Total) {
		if el > 0 {
			e.TotalRPS = float64(e.Requests) / el
			e.TotalFailPerSec = float64(e.Failures) / el
		}
	}
	for _, f := range s.fails {
		snap.Failures = append(snap.Failures, *f)
	}
	for _, e := range s.excs {
		c := *e
		c.Nodes = slices.Clone(e.Nodes)
		snap.Exceptions = append(snap.Exceptions, c)
	}
	return snap
}

// Percentile returns the duration below which a fraction q (0..1) of the
// samples fall; q is clamped into [0, 1]. Zero without samples.
func (e *EntryStats) Percentile(q float64) time.Duration {
	if e.hist == nil || e.hist.TotalCount() == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	return time.Duration(e.hist.ValueAtPercentile(q*100)) * time.Microsecond
}

// Mean returns the exact mean duration, zero without samples.
func (e *EntryStats) Mean() time.Duration {
	if e.Requests == 0 {
		return 0
	}
	return e.TotalTime / time.Duration(e.Requests)
}
