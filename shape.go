package locust

import "time"

// LoadShape drives the user count over time, as Locust's LoadTestShape.
// The runner calls Tick about once a second with the time since the test
// started; the shape returns what the test should be doing now. Tick is
// called from one goroutine (the runner's supervisor), never
// concurrently, and first with elapsed 0, once.
type LoadShape interface {
	Tick(elapsed time.Duration) (step ShapeStep, ok bool)
}

// ShapeStep is a load shape's instruction: ok false from Tick stops the test.
type ShapeStep struct {
	// Users is the target user count.
	Users int
	// SpawnRate is the rate to reach it at, users per second.
	SpawnRate float64
	// Classes, when not empty, restricts new users to these class names.
	Classes []string
}

// ShapeFunc adapts a function to a [LoadShape].
type ShapeFunc func(elapsed time.Duration) (ShapeStep, bool)

// Tick calls f.
func (f ShapeFunc) Tick(elapsed time.Duration) (ShapeStep, bool) { return f(elapsed) }
