package locust_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/golocust/locust"
)

// randDraws runs users users for iterations task runs with the given
// seed and returns, per user, the numbers its tasks drew from
// locust.Rand(ctx), along with the value OnStart drew.
func randDraws(t *testing.T, seed uint64, users, iterations int) map[int64][]uint64 {
	t.Helper()
	var mu sync.Mutex
	draws := map[int64][]uint64{}
	type user struct{ id int64 }
	class := &locust.Class[*user]{
		Name: "Dice",
		New:  func() *user { return &user{} },
		Tasks: []locust.Task[*user]{
			{Name: "a", Weight: 1, Fn: func(u *user, ctx context.Context) error {
				v := locust.Rand(ctx).Uint64()
				mu.Lock()
				draws[u.id] = append(draws[u.id], v)
				mu.Unlock()
				return nil
			}},
			{Name: "b", Weight: 2, Fn: func(u *user, ctx context.Context) error {
				v := locust.Rand(ctx).Uint64() | 1
				mu.Lock()
				draws[u.id] = append(draws[u.id], v)
				mu.Unlock()
				return nil
			}},
		},
	}
	// The user's ID comes through InitUser; a user appends to its own
	// slice only, so the interleaving of users does not matter.
	var next int64
	class.New = func() *user {
		mu.Lock()
		defer mu.Unlock()
		next++
		return &user{id: next}
	}
	if _, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{class}, Users: users, SpawnRate: 1000,
		Iterations: int64(iterations), Seed: seed, Logger: slog.New(slog.DiscardHandler),
	}); err != nil {
		t.Fatal(err)
	}
	return draws
}

// Tasks reach their user's seeded random source with locust.Rand(ctx):
// the same seed draws the same numbers, another seed others.
func TestRandIsTheUsersSeededSource(t *testing.T) {
	a := randDraws(t, 42, 1, 20)
	b := randDraws(t, 42, 1, 20)
	c := randDraws(t, 43, 1, 20)
	if len(a[1]) != 20 {
		t.Fatalf("user 1 drew %d numbers, want 20", len(a[1]))
	}
	if !slices.Equal(a[1], b[1]) {
		t.Errorf("seed 42 twice drew different numbers:\n%v\n%v", a[1], b[1])
	}
	if slices.Equal(a[1], c[1]) {
		t.Errorf("seeds 42 and 43 drew the same numbers: %v", a[1])
	}
	// Outside a user, Rand still gives a usable source.
	if r := locust.Rand(context.Background()); r == nil {
		t.Error("Rand outside a user is nil")
	}
}

// The users of one run have different sources.
func TestRandDiffersBetweenUsers(t *testing.T) {
	var mu sync.Mutex
	var first []uint64
	both := make(chan struct{})
	class := &locust.Class[*struct{}]{
		Name: "Dice",
		New:  func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "draw", Weight: 1, Fn: func(_ *struct{}, ctx context.Context) error {
			v := locust.Rand(ctx).Uint64()
			mu.Lock()
			first = append(first, v)
			if len(first) == 2 {
				close(both)
			}
			mu.Unlock()
			select { // each user draws once before either finishes
			case <-both:
			case <-ctx.Done():
			}
			return nil
		}}},
	}
	if _, err := locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{class}, Users: 2, SpawnRate: 1000, Iterations: 2, Seed: 7,
		Logger: slog.New(slog.DiscardHandler),
	}); err != nil {
		t.Fatal(err)
	}
	if len(first) < 2 || first[0] == first[1] {
		t.Errorf("the two users drew %v", first)
	}
}
