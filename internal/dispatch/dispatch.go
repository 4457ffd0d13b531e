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
// order. Fixed classes come first, round-robin among them until each has
// its fixed count (when their sum exceeds n they share the n users); then
// weighted classes follow a smooth weighted round-robin, so that weights
// 5:1 give A A A B A A rather than five As in a row. Ties go to the lower
// index, so callers should sort classes by name for a stable order.
//
// When every class is fixed the sequence stops at the sum of the fixed
// counts and may be shorter than n.
func Sequence(classes []Class, n int) []int {
	if n <= 0 {
		return nil
	}
	seq := make([]int, 0, n)
	// Fixed classes, round-robin.
	left := make([]int, len(classes))
	for i, c := range classes {
		left[i] = max(0, c.Fixed)
	}
	for len(seq) < n {
		progressed := false
		for i := range classes {
			if left[i] > 0 && len(seq) < n {
				seq = append(seq, i)
				left[i]--
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	// Weighted classes, smooth weighted round-robin (as nginx's upstream
	// balancer): every step each class gains its weight, the richest is
	// picked and pays the total.
	total := 0
	for _, c := range classes {
		if c.Fixed <= 0 && c.Weight > 0 {
			total += c.Weight
		}
	}
	if total == 0 {
		return seq
	}
	current := make([]int, len(classes))
	for len(seq) < n {
		best := -1
		for i, c := range classes {
			if c.Fixed > 0 || c.Weight <= 0 {
				continue
			}
			current[i] += c.Weight
			if best < 0 || current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		seq = append(seq, best)
	}
	return seq
}

// Counts returns the number of users per class among the first n users
// of Sequence(classes, n).
func Counts(classes []Class, n int) []int {
	counts := make([]int, len(classes))
	for _, c := range Sequence(classes, n) {
		counts[c]++
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

// Only returns classes restricted to the names in only (a load shape's
// ShapeStep.Classes): a class not listed gets no weight and no fixed
// count, so it is never picked. names[i] is the name of classes[i]. An
// empty only keeps every class. Local runners and the master both call
// it, so a class list means the same in every mode.
func Only(classes []Class, names, only []string) []Class {
	if len(only) == 0 {
		return classes
	}
	out := make([]Class, len(classes))
	for i, c := range classes {
		if slices.Contains(only, names[i]) {
			out[i] = c
		}
	}
	return out
}
