// Package locust writes load tests as ordinary Go programs, the way Locust
// does in Python: user classes with weighted tasks and think time, a
// spawn-rate ramp, live statistics with exact HDR percentiles.
//
// A test is a set of [Class] values. Each simulated user is a fresh value
// of the class's type, run by its own goroutine: it picks a [Task] by
// weight, runs it, waits its [WaitTime], and again, until it is stopped.
// Tasks record what they measure with [Record] or [Measure] (the HTTP
// users do it for every request), and the runner aggregates the samples
// into [Snapshot] values: per-row counts, failures, rates and percentiles.
//
//	type shopper struct{ token string }
//
//	func (s *shopper) OnStart(ctx context.Context) error { s.token = "t"; return nil }
//
//	func (s *shopper) browse(ctx context.Context) error {
//		return locust.Measure(ctx, "rpc", "browse", func(ctx context.Context) error {
//			return nil // call the system under test here
//		})
//	}
//
//	var Shopper = &locust.Class[*shopper]{
//		Name:  "Shopper",
//		New:   func() *shopper { return &shopper{} },
//		Wait:  locust.Between(time.Second, 2*time.Second),
//		Tasks: []locust.Task[*shopper]{{Name: "browse", Weight: 1, Fn: (*shopper).browse}},
//	}
//
//	res, err := locust.RunTest(ctx, locust.Config{
//		Classes: []locust.UserClass{Shopper}, Users: 100, SpawnRate: 10, RunTime: time.Minute,
//	})
//	// res.Stats.Total.Percentile(0.95), res.Stats.Total.Failures, ...
//
// [RunTest] runs a test from Go code, for example inside a `go test`
// with assertions on the result. For finer control (changing the user
// count while running, stopping, events) use a [LocalRunner].
//
// # Concurrency
//
// Every exported method in this package is safe for concurrent use by
// multiple goroutines, unless the type's documentation says otherwise.
// The exceptions are the values a single user owns (a user's struct is
// used by the user's own goroutine only), the configuration structs ([Config], [Program],
// [MasterOptions], [WorkerOptions]: not modified once passed), the
// immutable results ([Snapshot], [Verdict], [Result]: read them from any
// goroutine, never modify them), and the calls the documentation marks
// "call once" ([WorkerRunner.Run]). A [LoadShape]'s Tick is called from
// one goroutine, the runner's supervisor, one call at a time; event
// listeners run on the goroutine that fires the event.
package locust
