// Package dispatch computes how many users of each class run, and in which
// order they are spawned. Everything here is a pure function of its
// arguments so that it can be tested with tables; runners only apply its
// output.
package dispatch

import (
	"math"
	"slices"
	"time"
)

// Class is what the dispatcher needs to know of a user class.
type Class struct {
	// Weight is the relative share of non-fixed users (>= 1 for weighted
	// classes).
	Weight int
	// Fixed, when > 0, is the exact number of users of the class, spawned
	// before any weighted user.
	Fixed int
}

// Sequence returns the class index of each of the first n users, in spawn
// order. Fixed classes come first until each has its fixed count, in a
// smooth weighted round-robin by fixed count, so that when their sum
// exceeds n they share the n users in proportion to their fixed counts
// as Locust does (fixed 2 and 5 with 5 users give 1 and 4); then weighted
// classes follow a smooth weighted round-robin, so that weights 5:1 give
// A A A B A A rather than five As in a row. Ties go to the lower index,
// so callers should sort classes by name for a stable order.
//
// When every class is fixed the sequence stops at the sum of the fixed
// counts and may be shorter than n.
func Sequence(classes []Class, n int) []int {
	return Extend(classes, nil, n, nil)
}

// Extend returns the spawn order of n users that keeps the users already
// running, whose classes are order in spawn order: Locust's user_classes.
// When n <= len(order) it is order[:n] (the newest users stop first).
// Otherwise it is order followed by new users from the listed classes
// only (listed[i] true; listed nil: every class): first users of listed
// fixed classes that have fewer users in order than their fixed count,
// then listed weighted classes, both as in [Sequence]. Users of classes
// that are not listed are never stopped to make room. When no listed
// class can take more users (every listed class is fixed and full) the
// result is shorter than n. order is not changed.
func Extend(classes []Class, order []int, n int, listed []bool) []int {
	if n <= len(order) {
		return slices.Clone(order[:max(0, n)])
	}
	seq := make([]int, len(order), n)
	copy(seq, order)
	in := func(i int) bool { return listed == nil || (i < len(listed) && listed[i]) }
	// Fixed classes: smooth weighted round-robin by fixed count, skipping
	// classes that have theirs. Without users already running this gives
	// every class exactly its fixed count over one round of Sum(fixed).
	left := make([]int, len(classes))
	fixed := make([]Class, len(classes))
	for i, c := range classes {
		if c.Fixed > 0 && in(i) {
			left[i] = c.Fixed
			fixed[i] = Class{Weight: c.Fixed}
		}
	}
	for _, c := range order {
		if c >= 0 && c < len(left) && left[c] > 0 {
			left[c]--
		}
	}
	var rr roundRobin
	for len(seq) < n && Sum(left) > 0 {
		c := rr.next(fixed)
		if left[c] > 0 {
			left[c]--
			seq = append(seq, c)
		}
	}
	// Weighted classes, smooth weighted round-robin.
	weighted := make([]Class, len(classes))
	some := false
	for i, c := range classes {
		if c.Fixed <= 0 && c.Weight > 0 && in(i) {
			weighted[i] = Class{Weight: c.Weight}
			some = true
		}
	}
	if !some {
		return seq
	}
	var wr roundRobin
	for len(seq) < n {
		seq = append(seq, wr.next(weighted))
	}
	return seq
}

// roundRobin is a smooth weighted round-robin (as nginx's upstream
// balancer and Locust's dispatcher): every step each class gains its
// weight, the richest is picked (the lower index on ties) and pays the
// total. Classes of weight <= 0 are never picked; at least one must have
// a positive weight.
type roundRobin struct{ current []int }

func (r *roundRobin) next(classes []Class) int {
	if r.current == nil {
		r.current = make([]int, len(classes))
	}
	best, total := -1, 0
	for i, c := range classes {
		if c.Weight <= 0 {
			continue
		}
		total += c.Weight
		r.current[i] += c.Weight
		if best < 0 || r.current[i] > r.current[best] {
			best = i
		}
	}
	r.current[best] -= total
	return best
}

// Sum returns the total of counts s (users per class, per worker).
func Sum(s []int) int {
	t := 0
	for _, v := range s {
		t += v
	}
	return t
}

// CountsOf returns the number of users per class in order, for k classes.
func CountsOf(order []int, k int) []int {
	counts := make([]int, k)
	for _, c := range order {
		if c >= 0 && c < k {
			counts[c]++
		}
	}
	return counts
}

// Counts returns the number of users per class among the first n users
// of Sequence(classes, n), in memory independent of n and in time
// proportional to the fixed users among them plus the sum of the weights
// (the weighted round-robin repeats itself every sum of the weights).
func Counts(classes []Class, n int) []int {
	counts := make([]int, len(classes))
	if n <= 0 {
		return counts
	}
	it := NewIter(classes)
	nf := min(n, it.fixed)
	for range nf {
		counts[it.Next()]++
	}
	m := n - nf
	if m == 0 || it.total == 0 {
		return counts
	}
	k := m / it.total
	for i, c := range classes {
		if c.Fixed <= 0 && c.Weight > 0 {
			counts[i] += k * c.Weight
		}
	}
	for range m % it.total {
		counts[it.Next()]++
	}
	return counts
}

// Iter walks the sequence of [Sequence] one user at a time, in memory
// proportional to the number of classes. It is not safe for concurrent
// use.
type Iter struct {
	left     []int   // fixed users still to come, per class
	fixed    int     // sum of left
	fixedW   []Class // fixed classes weighted by their count
	weighted []Class
	total    int // sum of the weights of weighted classes
	frr, wrr roundRobin
}

// NewIter returns an iterator at the sequence's first user.
func NewIter(classes []Class) *Iter {
	it := &Iter{left: make([]int, len(classes)), fixedW: make([]Class, len(classes)), weighted: make([]Class, len(classes))}
	for i, c := range classes {
		if c.Fixed > 0 {
			it.left[i] = c.Fixed
			it.fixed += c.Fixed
			it.fixedW[i] = Class{Weight: c.Fixed}
		} else if c.Weight > 0 {
			it.weighted[i] = Class{Weight: c.Weight}
			it.total += c.Weight
		}
	}
	return it
}

// Next returns the class of the next user, or -1 when the sequence has
// ended (every class is fixed and their counts are used up).
func (it *Iter) Next() int {
	for it.fixed > 0 {
		c := it.frr.next(it.fixedW)
		if it.left[c] > 0 {
			it.left[c]--
			it.fixed--
			return c
		}
	}
	if it.total == 0 {
		return -1
	}
	return it.wrr.next(it.weighted)
}

// FixedTotal returns the sum of the fixed counts.
func FixedTotal(classes []Class) int {
	t := 0
	for _, c := range classes {
		t += max(0, c.Fixed)
	}
	return t
}

// Additions returns, in spawn order, the classes of the users to start to
// go from current counts to the first n users of the sequence: walking the
// sequence, a position whose class already has more users so far than
// current holds is one to add. It allocates as many ints as it returns:
// runners use [NewAdder].
func Additions(classes []Class, n int, current []int) []int {
	var adds []int
	a := NewAdder(classes, n, current)
	for {
		c, ok := a.Next()
		if !ok {
			return adds
		}
		adds = append(adds, c)
	}
}

// Adder yields the classes of [Additions] one at a time, in memory
// proportional to the number of classes; walking the whole sequence takes
// time proportional to n. It is not safe for concurrent use.
type Adder struct {
	list    []int // AdderOf: the additions, returned from list[li]
	li      int
	it      *Iter
	n, pos  int
	seen    []int
	current []int
	next    int // the class Next returns next, -1 when done
}

// NewAdder returns the additions from current counts to the first n
// users of the sequence. current is copied.
func NewAdder(classes []Class, n int, current []int) *Adder {
	a := &Adder{it: NewIter(classes), n: n, seen: make([]int, len(classes)), current: make([]int, len(classes))}
	copy(a.current, current)
	a.advance()
	return a
}

// AdderOf returns an Adder that yields adds, in order (the additions
// computed by [Extend]).
func AdderOf(adds []int) *Adder {
	a := &Adder{list: adds}
	a.advance()
	return a
}

func (a *Adder) advance() {
	a.next = -1
	if a.it == nil {
		if a.li < len(a.list) {
			a.next = a.list[a.li]
			a.li++
		}
		return
	}
	for a.pos < a.n {
		c := a.it.Next()
		if c < 0 {
			a.pos = a.n
			return
		}
		a.pos++
		a.seen[c]++
		if a.seen[c] > a.current[c] {
			a.next = c
			return
		}
	}
}

// Done reports whether every addition was returned.
func (a *Adder) Done() bool { return a.next < 0 }

// Next returns the class of the next user to start, false when done.
func (a *Adder) Next() (int, bool) {
	c := a.next
	if c < 0 {
		return 0, false
	}
	a.advance()
	return c, true
}

// MinRate is the lowest spawn rate accepted, users per second: one user
// every 10,000 seconds (2 h 46 min). Lower rates are refused rather than
// rounded, since their intervals would overflow a time.Duration as
// floating-point seconds and start every user at once.
const MinRate = 1e-4

// MaxBatch bounds the users of one spawn batch, so that a huge rate
// cannot overflow the batch size.
const MaxBatch = 1 << 20

// Batch returns the users per spawn batch and the time between batches
// for a spawn rate: batches of max(1, floor(rate)) users (at most
// MaxBatch) every batch/rate seconds, as Locust. The interval saturates
// at the largest time.Duration instead of overflowing, whatever the rate
// (callers refuse rates below MinRate; NaN and rates <= 0 give the
// largest interval).
func Batch(rate float64) (size int, interval time.Duration) {
	if !(rate > 0) {
		return 1, math.MaxInt64
	}
	size = int(max(1, min(rate, MaxBatch)))
	return size, Seconds(float64(size) / rate)
}

// Seconds converts seconds to a time.Duration, rounded to the nanosecond
// and saturated to [0, the largest time.Duration] instead of overflowing:
// NaN and negative values give 0, +Inf and huge values the largest.
func Seconds(s float64) time.Duration {
	ns := math.Round(s * float64(time.Second))
	switch {
	case !(ns > 0):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(ns)
}
