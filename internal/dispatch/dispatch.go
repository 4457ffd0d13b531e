// Package dispatch computes how many users of each class run, and in which
// order they are spawned. Everything here is a pure function of its
// arguments so that it can be tested with tables; runners only apply its
// output.
package dispatch

import (
	"math"
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
// order. Fixed classes come first, round-robin among them until each has
// its fixed count (when their sum exceeds n they share the n users); then
// weighted classes follow a smooth weighted round-robin, so that weights
// 5:1 give A A A B A A rather than five As in a row. Ties go to the lower
// index, so callers should sort classes by name for a stable order.
//
// When every class is fixed the sequence stops at the sum of the fixed
// counts and may be shorter than n.
//
// Sequence allocates n ints: runners use [Counts], [NewAdder] and
// [Workers], whose memory does not grow with n, and [Iter] for the
// sequence itself.
func Sequence(classes []Class, n int) []int {
	if n <= 0 {
		return nil
	}
	var seq []int
	it := NewIter(classes)
	for len(seq) < n {
		c := it.Next()
		if c < 0 {
			break
		}
		seq = append(seq, c)
	}
	return seq
}

// Iter walks the sequence of [Sequence] one user at a time, in memory
// proportional to the number of classes. It is not safe for concurrent
// use.
type Iter struct {
	classes []Class
	left    []int // fixed users still to come, per class
	fixed   int   // sum of left
	current []int // smooth weighted round-robin state
	total   int   // sum of the weights of weighted classes
	rr      int   // next class in the fixed round-robin
}

// NewIter returns an iterator at the sequence's first user.
func NewIter(classes []Class) *Iter {
	it := &Iter{classes: classes, left: make([]int, len(classes)), current: make([]int, len(classes))}
	for i, c := range classes {
		it.left[i] = max(0, c.Fixed)
		it.fixed += it.left[i]
		if c.Fixed <= 0 && c.Weight > 0 {
			it.total += c.Weight
		}
	}
	return it
}

// Next returns the class of the next user, or -1 when the sequence has
// ended (every class is fixed and their counts are used up).
func (it *Iter) Next() int {
	if it.fixed > 0 {
		for {
			i := it.rr
			it.rr = (it.rr + 1) % len(it.classes)
			if it.left[i] > 0 {
				it.left[i]--
				it.fixed--
				if it.fixed == 0 {
					it.rr = 0
				}
				return i
			}
		}
	}
	if it.total == 0 {
		return -1
	}
	// Smooth weighted round-robin (as nginx's upstream balancer): every
	// step each class gains its weight, the richest is picked and pays
	// the total. After total steps every class was picked weight times
	// and the state is back to zero: the sequence is periodic.
	best := -1
	for i, c := range it.classes {
		if c.Fixed > 0 || c.Weight <= 0 {
			continue
		}
		it.current[i] += c.Weight
		if best < 0 || it.current[i] > it.current[best] {
			best = i
		}
	}
	it.current[best] -= it.total
	return best
}

// Counts returns the number of users per class among the first n users
// of Sequence(classes, n), in time and memory independent of n (beyond
// the sum of the weights).
func Counts(classes []Class, n int) []int {
	counts := make([]int, len(classes))
	if n <= 0 {
		return counts
	}
	// Fixed classes: after L full rounds of the round-robin each has
	// min(fixed, L); the largest L that fits, then one more each, in
	// index order, for what is left.
	ft := FixedTotal(classes)
	nf := min(n, ft)
	if nf > 0 {
		lo, hi := 0, 0
		for _, c := range classes {
			hi = max(hi, c.Fixed)
		}
		fill := func(l int) int {
			s := 0
			for _, c := range classes {
				s += min(max(0, c.Fixed), l)
			}
			return s
		}
		for lo < hi { // largest l with fill(l) <= nf
			mid := lo + (hi-lo+1)/2
			if fill(mid) <= nf {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		rest := nf - fill(lo)
		for i, c := range classes {
			counts[i] = min(max(0, c.Fixed), lo)
			if rest > 0 && c.Fixed > lo {
				counts[i]++
				rest--
			}
		}
	}
	// Weighted classes: full periods of the round-robin, then the rest.
	m := n - nf
	it := NewIter(classes)
	if m <= 0 || it.total == 0 {
		return counts
	}
	k := m / it.total
	for i, c := range classes {
		if c.Fixed <= 0 && c.Weight > 0 {
			counts[i] += k * c.Weight
		}
	}
	it.fixed = 0
	for range m % it.total {
		counts[it.Next()]++
	}
	return counts
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
	it      *Iter
	n, pos  int
	seen    []int
	current []int
	next    int // the class Next returns next, -1 when done
}

// NewAdder returns the additions from current counts to the first n
// users of the sequence. current is copied.
func NewAdder(classes []Class, n int, current []int) *Adder {
	a := &Adder{it: NewIter(classes), n: n, seen: make([]int, len(classes)), current: append([]int(nil), current...)}
	a.advance()
	return a
}

func (a *Adder) advance() {
	a.next = -1
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
