package dispatch

import (
	"cmp"
	"slices"
	"strings"
)

// WorkerHost returns the host part of a worker id "host_random": the text
// before the last underscore, or the whole id without one.
func WorkerHost(id string) string {
	if i := strings.LastIndexByte(id, '_'); i > 0 {
		return id[:i]
	}
	return id
}

// OrderWorkers returns worker ids in assignment order, spreading across
// hosts first: ids are grouped by [WorkerHost] and sorted by (position
// within their host, host, id), so that the first worker of every host
// comes before the second worker of any host. ids is not changed.
func OrderWorkers(ids []string) []string {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	pos := make(map[string]int, len(sorted))
	seen := map[string]int{}
	for _, id := range sorted {
		h := WorkerHost(id)
		pos[id] = seen[h]
		seen[h]++
	}
	slices.SortStableFunc(sorted, func(a, b string) int {
		return cmp.Or(cmp.Compare(pos[a], pos[b]), cmp.Compare(WorkerHost(a), WorkerHost(b)), cmp.Compare(a, b))
	})
	return sorted
}

// Workers splits the first n users of Sequence(classes, n) among workers,
// given in assignment order (see [OrderWorkers]): user i goes to worker
// i mod len(workers). It returns, per worker, the user count of each
// class. Because the sequence of n users is a prefix of the sequence of
// n+1, growing n only adds users to workers and shrinking it only removes
// them: a ramp never moves a running user. Fixed counts are honoured
// across the whole cluster, and every worker's total differs from any
// other's by at most one. Without workers it returns nil.
func Workers(classes []Class, workers int, n int) [][]int {
	if workers <= 0 {
		return nil
	}
	out := make([][]int, workers)
	for w := range out {
		out[w] = make([]int, len(classes))
	}
	if n <= 0 {
		return out
	}
	// Memory does not grow with n; time grows with n only up to the
	// fixed users plus two periods of the weighted part (the least
	// common multiple of the sum of the weights and the worker count).
	it := NewIter(classes)
	nf := min(n, it.fixed)
	for i := range nf {
		out[i%workers][it.Next()]++
	}
	rest := n - nf
	if it.total == 0 || rest == 0 {
		return out
	}
	// From here the weighted round-robin repeats every it.total users
	// and the workers every len(workers): together every period users.
	if period := lcm(it.total, workers); period > 0 && rest >= 2*period {
		one := make([][]int, workers)
		for w := range one {
			one[w] = make([]int, len(classes))
		}
		for j := range period {
			one[(nf+j)%workers][it.Next()]++
		}
		k := rest / period
		for w := range out {
			for c := range out[w] {
				out[w][c] += k * one[w][c]
			}
		}
		for j := range rest % period { // the iterator is back at the period's start
			out[(nf+j)%workers][it.Next()]++
		}
		return out
	}
	for j := range rest {
		out[(nf+j)%workers][it.Next()]++
	}
	return out
}

// lcm returns the least common multiple of a, b > 0, or 0 if it is
// beyond 2^31 (callers then walk the sequence).
func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	l := a / x * b
	if l <= 0 || l > 1<<31 {
		return 0
	}
	return l
}

// Split deals users, given by class in spawn order (as from [Sequence] or
// [Extend]), round-robin to workers in assignment order: user i goes to
// worker i mod workers. It returns, per worker, the user count of each
// of the k classes. Without workers it returns nil.
func Split(order []int, k int, workers int) [][]int {
	if workers <= 0 {
		return nil
	}
	out := make([][]int, workers)
	for w := range out {
		out[w] = make([]int, k)
	}
	for i, c := range order {
		if c >= 0 && c < k {
			out[i%workers][c]++
		}
	}
	return out
}
