package locust_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/golocust/locust"
)

// Tasks draw random choices from their user's own source with
// locust.Rand(ctx): seeded from Config.Seed (--seed), so the same seed
// replays the same choices.
func ExampleRand() {
	var picked []int
	shopper := &locust.Class[*struct{}]{
		Name: "Shopper",
		New:  func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "view", Weight: 1, Fn: func(_ *struct{}, ctx context.Context) error {
			item := locust.Rand(ctx).IntN(1000) // e.g. GET /items/{item}
			picked = append(picked, item)
			return nil
		}}},
	}
	run := func() []int {
		picked = nil
		_, _ = locust.RunTest(context.Background(), locust.Config{
			Classes: []locust.UserClass{shopper}, Users: 1, SpawnRate: 1, Iterations: 5, Seed: 2024,
			Logger: slog.New(slog.DiscardHandler),
		})
		return picked
	}
	first := fmt.Sprint(run())
	fmt.Println("same items with the same seed:", first == fmt.Sprint(run()))
	// Output: same items with the same seed: true
}
