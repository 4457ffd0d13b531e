package locust

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The recording side of Stats: a bounded set of shards, each with its own
// mutex, so that recording goroutines rarely meet on a lock. A sync.Pool
// of shard pointers gives P affinity: a goroutine takes the shard its P
// last used, records under that shard's mutex and puts it back. Every
// shard is also kept in a permanent list, so that nothing is lost when
// the GC empties the pool; when the pool is empty and the list is full
// (GOMAXPROCS shards), an existing shard is taken round-robin.
//
// A shard entry keeps its first samples of a drain interval as raw values
// (at most statsShardSmall of them, 512 bytes) and takes a dense histogram
// (~190 KB, the cheapest to record into) only when a row gets more samples
// than that between two drains; an idle entry gives it back after a
// minute. So memory depends on GOMAXPROCS, the number of rows and how many
// of them are hot, never on the number of users or samples: 10,000 rows of
// a few samples a second each cost about 1 KB a row, not 190 KB.

// statsRowKey identifies a row of the statistics.
type statsRowKey struct{ typ, name string }

// statsFailKey identifies a failure group.
type statsFailKey struct{ typ, name, err string }

// statsExcKey identifies an exception group.
type statsExcKey struct{ msg, tb string }

// statsCounts are the exact counters of a row, or of a part of it.
type statsCounts struct {
	requests, failures, aborted, content int64
	totalTime, min, max                  time.Duration
}

// add counts one sample of duration d (>= 0): a failure if failed, an
// aborted sample if aborted (never both).
func (c *statsCounts) add(d time.Duration, size int64, failed, aborted bool) {
	if c.requests == 0 || d < c.min {
		c.min = d
	}
	c.max = max(c.max, d)
	c.requests++
	c.totalTime += d
	c.content += size
	switch {
	case aborted:
		c.aborted++
	case failed:
		c.failures++
	}
}

// widen extends the extremes lo and hi of n durations (none: they are
// unset) by the extremes olo and ohi of another, non-empty, set.
func widen(lo, hi *time.Duration, n int64, olo, ohi time.Duration) {
	if n == 0 || olo < *lo {
		*lo = olo
	}
	*hi = max(*hi, ohi)
}

// merge adds the counters of o.
func (c *statsCounts) merge(o statsCounts) {
	if o.requests == 0 {
		return
	}
	widen(&c.min, &c.max, c.requests, o.min, o.max)
	c.requests += o.requests
	c.failures += o.failures
	c.aborted += o.aborted
	c.content += o.content
	c.totalTime += o.totalTime
}

// statsShardEntry holds what one shard recorded for one row since the
// last drain.
type statsShardEntry struct {
	key    statsRowKey
	c      statsCounts
	small  []int64        // µs values while the row is cold; nil once hist is made
	hist   *hdr.Histogram // dense, µs; nil while the row is cold
	active time.Time      // last drain that found samples; guarded by the Stats' mu
}

// statsShardSmall is how many samples a shard entry keeps as raw values
// between two drains before it takes a dense histogram.
const statsShardSmall = 64

// recordValue adds one clamped value to the entry's histogram.
func (e *statsShardEntry) recordValue(us int64) {
	if e.hist != nil {
		_ = e.hist.RecordValue(us) // us is within range: never fails
		return
	}
	if len(e.small) < statsShardSmall {
		if e.small == nil {
			e.small = make([]int64, 0, statsShardSmall)
		}
		e.small = append(e.small, us)
		return
	}
	// A hot row: from now on the dense histogram.
	e.hist = hdr.New(histLowest, histHighest, histDigits)
	for _, v := range e.small {
		_ = e.hist.RecordValue(v)
	}
	e.small = nil
	_ = e.hist.RecordValue(us)
}

// statsShardCool is the most samples a drain may find in a dense entry
// for it to give its dense histogram back and keep raw values again.
const statsShardCool = statsShardSmall / 4

// drainInto moves the entry's samples into h (emptied first). Call with
// the shard's mu held.
func (e *statsShardEntry) drainInto(h *hdr.PackedHistogram) {
	h.Reset()
	if e.hist != nil {
		h.MergeFrom(e.hist)
		if e.c.requests <= statsShardCool {
			e.hist = nil // cold again
		} else {
			e.hist.Reset()
		}
	}
	for _, v := range e.small {
		_ = h.RecordValue(v)
	}
	e.small = e.small[:0]
}

// statsShardIdle is how long a shard entry may go without samples before
// a drain drops it and its dense histogram.
const statsShardIdle = time.Minute

// statsShardFailure is a failure group recorded on a shard since the
// last drain.
type statsShardFailure struct {
	n           int64
	first, last time.Time
}

// statsShard is one recording shard. Its fields are guarded by mu.
type statsShard struct {
	mu      sync.Mutex
	entries map[statsRowKey]*statsShardEntry
	fails   map[statsFailKey]*statsShardFailure
	_       [64]byte // keep neighbouring shards' mutexes off this cache line
}

func newStatsShard() *statsShard {
	return &statsShard{
		entries: map[statsRowKey]*statsShardEntry{},
		fails:   map[statsFailKey]*statsShardFailure{},
	}
}

// record adds one sample; us is the clamped histogram value, d >= 0.
// errText and now are only set for failures; an aborted sample is counted
// as such and joins no failure group. Call with mu held.
func (sh *statsShard) record(sm *Sample, d time.Duration, us int64, errText string, aborted bool, now time.Time) {
	k := statsRowKey{sm.Type, sm.Name}
	e := sh.entries[k]
	if e == nil {
		e = &statsShardEntry{key: k}
		sh.entries[k] = e
	}
	e.c.add(d, sm.Size, sm.Err != nil, aborted)
	e.recordValue(us)
	if sm.Err == nil || aborted {
		return
	}
	fk := statsFailKey{sm.Type, sm.Name, errText}
	f := sh.fails[fk]
	if f == nil {
		f = &statsShardFailure{first: now}
		sh.fails[fk] = f
	}
	f.n++
	if now.Before(f.first) {
		f.first = now
	}
	if now.After(f.last) {
		f.last = now
	}
}

// statsRecorder hands out shards.
type statsRecorder struct {
	pool   sync.Pool // *statsShard, P-affine cache
	mu     sync.Mutex
	shards atomic.Pointer[[]*statsShard] // every shard; grown under mu
	next   atomic.Uint32
}

// acquire returns a shard to record into; give it back with release.
func (r *statsRecorder) acquire() *statsShard {
	if sh, ok := r.pool.Get().(*statsShard); ok {
		return sh
	}
	return r.fallback()
}

func (r *statsRecorder) release(sh *statsShard) { r.pool.Put(sh) }

// fallback creates a shard while there are fewer than GOMAXPROCS, else
// returns an existing one round-robin.
func (r *statsRecorder) fallback() *statsShard {
	if cur := r.shards.Load(); cur != nil && len(*cur) >= max(runtime.GOMAXPROCS(0), 1) {
		return (*cur)[int(r.next.Add(1)%uint32(len(*cur)))]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var next []*statsShard
	if cur := r.shards.Load(); cur != nil {
		if len(*cur) >= max(runtime.GOMAXPROCS(0), 1) {
			return (*cur)[int(r.next.Add(1)%uint32(len(*cur)))]
		}
		next = append(next, *cur...)
	}
	sh := newStatsShard()
	next = append(next, sh)
	r.shards.Store(&next)
	return sh
}

// all returns every shard created so far.
func (r *statsRecorder) all() []*statsShard {
	if cur := r.shards.Load(); cur != nil {
		return *cur
	}
	return nil
}
