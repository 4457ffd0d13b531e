package dispatch

import (
	"fmt"
	"strings"
	"testing"
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
		interval float64
	}{
		{10, 10, 1}, {0.5, 1, 2}, {2.5, 2, 0.8}, {1, 1, 1}, {100, 100, 1},
	}
	for _, tt := range tests {
		size, iv := Batch(tt.rate)
		if size != tt.size || iv != tt.interval {
			t.Errorf("Batch(%v) = %d, %v; want %d, %v", tt.rate, size, iv, tt.size, tt.interval)
		}
	}
}
