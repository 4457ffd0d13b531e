package dispatch

import (
	"slices"
	"testing"
)

func TestOrderWorkers(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"one host", []string{"a_2", "a_1"}, []string{"a_1", "a_2"}},
		{"hosts first", []string{"a_1", "a_2", "b_1", "a_3", "b_2", "c_9"},
			[]string{"a_1", "b_1", "c_9", "a_2", "b_2", "a_3"}},
		{"no underscore", []string{"y", "x"}, []string{"x", "y"}},
		{"underscores in host", []string{"my_host_2", "my_host_1", "other_1"}, []string{"my_host_1", "other_1", "my_host_2"}},
		{"empty", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.ids)
			if got := OrderWorkers(tt.ids); !slices.Equal(got, tt.want) {
				t.Errorf("OrderWorkers(%v) = %v, want %v", tt.ids, got, tt.want)
			}
			if !slices.Equal(in, tt.ids) {
				t.Errorf("OrderWorkers changed its argument")
			}
		})
	}
}

func TestWorkers(t *testing.T) {
	tests := []struct {
		name    string
		classes []Class
		workers int
		n       int
		want    [][]int
	}{
		{"even split", []Class{{Weight: 1}}, 3, 9, [][]int{{3}, {3}, {3}}},
		{"remainder to the first", []Class{{Weight: 1}}, 3, 10, [][]int{{4}, {3}, {3}}},
		{"fewer users than workers", []Class{{Weight: 1}}, 4, 2, [][]int{{1}, {1}, {0}, {0}}},
		// Locust's example: A w3, B w1, F fixed 2, 10 users on 3 workers.
		// Sequence: F F A A B A A A B A, dealt round-robin.
		{"fixed honoured cluster-wide", []Class{{Weight: 3}, {Weight: 1}, {Fixed: 2}}, 3, 10,
			[][]int{{3, 0, 1}, {1, 1, 1}, {2, 1, 0}}},
		{"fixed exceeds users", []Class{{Fixed: 5}, {Weight: 1}}, 2, 3, [][]int{{2, 0}, {1, 0}}},
		{"zero users", []Class{{Weight: 1}, {Weight: 2}}, 2, 0, [][]int{{0, 0}, {0, 0}}},
		{"no workers", []Class{{Weight: 1}}, 0, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Workers(tt.classes, tt.workers, tt.n)
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Workers(%v, %d, %d) = %v, want %v", tt.classes, tt.workers, tt.n, got, tt.want)
			}
		})
	}
}

// TestWorkersRampIsMonotone checks that a ramp only adds users to workers
// (and ramp-down only removes), and that totals and class counts match the
// single-process distribution.
func TestWorkersRampIsMonotone(t *testing.T) {
	classes := []Class{{Weight: 5}, {Weight: 1}, {Fixed: 3}, {Weight: 2}}
	for w := 1; w <= 5; w++ {
		prev := Workers(classes, w, 0)
		for n := 1; n <= 60; n++ {
			cur := Workers(classes, w, n)
			total := make([]int, len(classes))
			for i := range cur {
				for c := range cur[i] {
					if cur[i][c] < prev[i][c] {
						t.Fatalf("%d workers, %d users: worker %d class %d went from %d to %d", w, n, i, c, prev[i][c], cur[i][c])
					}
					total[c] += cur[i][c]
				}
			}
			if want := Counts(classes, n); !slices.Equal(total, want) {
				t.Fatalf("%d workers, %d users: class totals %v, want %v", w, n, total, want)
			}
			prev = cur
		}
	}
}
