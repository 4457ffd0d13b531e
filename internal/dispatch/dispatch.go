// Package dispatch computes how many users of each class run, and in which
// order they are spawned. Everything here is a pure function of its
// arguments so that it can be tested with tables; runners only apply its
// output.
package dispatch

import "slices"

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
	// every class exactly its fixed count over one round of sum(fixed).
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
	for len(seq) < n && sum(left) > 0 {
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

func sum(s []int) int {
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
// of Sequence(classes, n).
func Counts(classes []Class, n int) []int {
	return CountsOf(Sequence(classes, n), len(classes))
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
// current holds is one to add.
func Additions(classes []Class, n int, current []int) []int {
	var adds []int
	seen := make([]int, len(classes))
	for _, c := range Sequence(classes, n) {
		seen[c]++
		if seen[c] > current[c] {
			adds = append(adds, c)
		}
	}
	return adds
}

// Batch returns the users per spawn batch and the time between batches,
// in seconds, for a spawn rate: batches of max(1, floor(rate)) users every
// batch/rate seconds, as Locust.
func Batch(rate float64) (size int, intervalSeconds float64) {
	size = max(1, int(rate))
	return size, float64(size) / rate
}
