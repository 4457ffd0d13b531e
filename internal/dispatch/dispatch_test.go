package dispatch

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func letters(seq []int) string {
	var b strings.Builder
	for _, c := range seq {
		b.WriteByte(byte('A' + c))
	}
	return b.String()
}

func TestSequence(t *testing.T) {
	tests := []struct {
		name    string
		classes []Class
		n       int
		want    string
	}{
		{"single", []Class{{Weight: 1}}, 3, "AAA"},
		{"equal", []Class{{Weight: 1}, {Weight: 1}}, 4, "ABAB"},
		{"five to one is smooth", []Class{{Weight: 5}, {Weight: 1}}, 12, "AAABAAAAABAA"},
		{"three classes", []Class{{Weight: 2}, {Weight: 5}, {Weight: 6}}, 13, "CBACBCBCBCABC"},
		{"fixed first", []Class{{Weight: 3}, {Weight: 1}, {Fixed: 2}}, 10, "CCAABAAABA"},
		{"fixed share what there is", []Class{{Fixed: 3}, {Fixed: 3}, {Weight: 1}}, 4, "ABAB"},
		{"only fixed stops at their sum", []Class{{Fixed: 2}, {Fixed: 1}}, 10, "ABA"},
		{"zero", []Class{{Weight: 1}}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := letters(Sequence(tt.classes, tt.n)); got != tt.want {
				t.Errorf("Sequence(%v, %d) = %s, want %s", tt.classes, tt.n, got, tt.want)
			}
		})
	}
}

// The counts of any prefix are within one user of the exact weighted
// share: the interleaving is smooth at every size, not only at the end.
func TestSequencePrefixesAreProportional(t *testing.T) {
	classes := []Class{{Weight: 5}, {Weight: 1}, {Weight: 3}, {Weight: 7}}
	total := 16.0
	seq := Sequence(classes, 1000)
	counts := make([]int, len(classes))
	for i, c := range seq {
		counts[c]++
		n := float64(i + 1)
		for k, cl := range classes {
			exact := n * float64(cl.Weight) / total
			if d := float64(counts[k]) - exact; d > 1 || d < -1 {
				t.Fatalf("after %d users class %d has %d, exact share %.2f", i+1, k, counts[k], exact)
			}
		}
	}
}

func TestCountsExact(t *testing.T) {
	got := Counts([]Class{{Weight: 3}, {Weight: 1}, {Fixed: 2}}, 102)
	if fmt.Sprint(got) != "[75 25 2]" {
		t.Errorf("Counts = %v, want [75 25 2]", got)
	}
}

func TestAdditions(t *testing.T) {
	classes := []Class{{Weight: 1}, {Weight: 1}}
	if got := letters(Additions(classes, 6, []int{1, 0})); got != "BABAB" {
		t.Errorf("Additions from [1 0] = %s, want BABAB", got)
	}
	if got := Additions(classes, 2, []int{3, 3}); len(got) != 0 {
		t.Errorf("Additions above target = %v, want none", got)
	}
}

func TestBatch(t *testing.T) {
	tests := []struct {
		rate     float64
		size     int
		interval time.Duration
	}{
		{10, 10, time.Second}, {0.5, 1, 2 * time.Second}, {2.5, 2, 800 * time.Millisecond}, {1, 1, time.Second}, {100, 100, time.Second},
		// An attacker's rates: the interval saturates instead of
		// overflowing to a negative duration (every user at once).
		{1e-10, 1, math.MaxInt64}, {5e-324, 1, math.MaxInt64}, {0, 1, math.MaxInt64}, {math.NaN(), 1, math.MaxInt64},
		{1e300, MaxBatch, 0}, {math.Inf(1), MaxBatch, 0},
	}
	for _, tt := range tests {
		size, iv := Batch(tt.rate)
		if size != tt.size || iv != tt.interval {
			t.Errorf("Batch(%v) = %d, %v; want %d, %v", tt.rate, size, iv, tt.size, tt.interval)
		}
	}
}

// naive is the reference: the materialised sequence.
func naiveCounts(classes []Class, n int) []int {
	counts := make([]int, len(classes))
	for _, c := range Sequence(classes, n) {
		counts[c]++
	}
	return counts
}

func naiveWorkers(classes []Class, workers, n int) [][]int {
	out := make([][]int, workers)
	for w := range out {
		out[w] = make([]int, len(classes))
	}
	for i, c := range Sequence(classes, n) {
		out[i%workers][c]++
	}
	return out
}

// The closed forms agree with walking the sequence, for every size.
func TestCountsAndWorkersMatchTheSequence(t *testing.T) {
	sets := [][]Class{
		{{Weight: 1}},
		{{Weight: 5}, {Weight: 1}},
		{{Weight: 2}, {Weight: 5}, {Weight: 6}},
		{{Weight: 3}, {Weight: 1}, {Fixed: 2}},
		{{Fixed: 3}, {Fixed: 1}, {Fixed: 5}, {Weight: 2}},
		{{Fixed: 2}, {Fixed: 7}},
		{{Weight: 0}, {Weight: 3}},
	}
	for _, cl := range sets {
		for n := 0; n <= 90; n++ {
			if got, want := Counts(cl, n), naiveCounts(cl, n); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Counts(%v, %d) = %v, want %v", cl, n, got, want)
			}
			for w := 1; w <= 7; w++ {
				if got, want := Workers(cl, w, n), naiveWorkers(cl, w, n); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("Workers(%v, %d, %d) = %v, want %v", cl, w, n, got, want)
				}
			}
			cur := Counts(cl, n/3)
			if got, want := letters(Additions(cl, n, cur)), letters(naiveAdditions(cl, n, cur)); got != want {
				t.Fatalf("Additions(%v, %d, %v) = %s, want %s", cl, n, cur, got, want)
			}
		}
	}
}

func naiveAdditions(classes []Class, n int, current []int) []int {
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

// A master (or a web UI operator) asking for 2^30 users, or absolute
// targets of 2^30 users, costs no memory proportional to the request:
// before, the whole sequence of users was materialised (8 GiB).
func TestHugeTargetsDoNotMaterialiseTheSequence(t *testing.T) {
	const huge = 1 << 30
	weighted := []Class{{Weight: 3}, {Weight: 1}, {Weight: 2}}
	// Fixed users are walked one by one (their smooth round-robin has no
	// closed form), in constant memory: fewer of them keep the test fast.
	fixed := []Class{{Fixed: 1 << 16}, {Fixed: 1 << 15}}
	allocs := testing.AllocsPerRun(1, func() {
		if got := Counts(weighted, huge); got[0]+got[1]+got[2] != huge {
			t.Errorf("Counts total = %v", got)
		}
		if got := Counts(fixed, huge); got[0] != 1<<16 || got[1] != 1<<15 {
			t.Errorf("Counts of fixed total = %v", got)
		}
		w := Workers(weighted, 7, huge)
		s := 0
		for _, c := range w {
			s += c[0] + c[1] + c[2]
		}
		if s != huge {
			t.Errorf("Workers total = %d", s)
		}
		a := NewAdder(fixed, huge, []int{0, 0})
		for range 3 {
			a.Next()
		}
	})
	if allocs > 100 {
		t.Errorf("%v allocations: memory grows with the request", allocs)
	}
}
