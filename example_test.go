package locust_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golocust/locust"
)

// reader is the value of one simulated user: it keeps its own state.
type reader struct {
	locust.HTTPUser
	session string
}

// OnStart runs once per user before its first task.
func (r *reader) OnStart(ctx context.Context) error {
	resp := r.Client.PostJSON(ctx, "/login", map[string]string{"user": "demo"})
	if resp.Err != nil {
		return resp.Err // the user stops; the error is reported
	}
	r.session = "ok"
	return nil
}

func (r *reader) front(ctx context.Context) error {
	r.Client.Get(ctx, "/")
	return nil
}

func (r *reader) article(ctx context.Context) error {
	r.Client.Get(ctx, "/articles/7", locust.Name("/articles/[id]"))
	return nil
}

// A class with weighted tasks: front runs about three times as often as
// article. RunTest runs it and returns the statistics, so a Go test can
// assert on them.
func ExampleRunTest() {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()

	readers := &locust.Class[*reader]{
		Name: "Reader",
		New:  func() *reader { return &reader{} },
		Wait: locust.Between(time.Millisecond, 2*time.Millisecond),
		Tasks: []locust.Task[*reader]{
			{Name: "front", Weight: 3, Fn: (*reader).front},
			{Name: "article", Weight: 1, Fn: (*reader).article},
		},
	}
	res, err := locust.RunTest(context.Background(), locust.Config{
		Classes:    []locust.UserClass{readers},
		Host:       target.URL,
		Users:      10,
		SpawnRate:  100,
		Iterations: 400, // or RunTime: time.Minute
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	total := res.Stats.Total
	logins := int64(10)
	fmt.Println("ended by:", res.Reason)
	fmt.Println("requests:", total.Requests-logins, "failures:", total.Failures)
	fmt.Println("p95 under a second:", total.Percentile(0.95) < time.Second)
	// Output:
	// ended by: iteration limit
	// requests: 400 failures: 0
	// p95 under a second: true
}

// A task set groups tasks that run together until one interrupts it;
// Sequential runs them in order. Here a checkout flow: view the cart
// twice, pay, then return to the class's tasks at once.
func ExampleTaskSet() {
	var steps []string
	step := func(name string) func(*struct{}, context.Context) error {
		return func(*struct{}, context.Context) error { steps = append(steps, name); return nil }
	}
	checkout := &locust.TaskSet[*struct{}]{
		Name:       "checkout",
		Sequential: true,
		Tasks: []locust.Task[*struct{}]{
			{Name: "cart", Weight: 2, Fn: step("cart")}, // weight 2: twice in a row
			{Name: "pay", Weight: 1, Fn: func(u *struct{}, ctx context.Context) error {
				steps = append(steps, "pay")
				return locust.Interrupt(true) // back to the parent, no wait
			}},
		},
	}
	buyer := &locust.Class[*struct{}]{
		Name:  "Buyer",
		New:   func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "checkout", Weight: 1, Set: checkout}},
	}
	_, _ = locust.RunTest(context.Background(), locust.Config{
		Classes: []locust.UserClass{buyer}, Users: 1, SpawnRate: 1, Iterations: 6,
		Logger: slog.New(slog.DiscardHandler),
	})
	fmt.Println(steps)
	// Output: [cart cart pay cart cart pay]
}

// A load shape drives the user count over time: here 10 users for the
// first minute, 50 for the next two, then the test ends.
func ExampleLoadShape() {
	stages := locust.ShapeFunc(func(elapsed time.Duration) (locust.ShapeStep, bool) {
		switch {
		case elapsed < time.Minute:
			return locust.ShapeStep{Users: 10, SpawnRate: 10}, true
		case elapsed < 3*time.Minute:
			return locust.ShapeStep{Users: 50, SpawnRate: 5}, true
		}
		return locust.ShapeStep{}, false // stop
	})
	step, _ := stages.Tick(90 * time.Second)
	fmt.Println(step.Users, "users at 90s")
	_, more := stages.Tick(4 * time.Minute)
	// Use it with locust.Config{Shape: stages} or locust.Program{Shape: stages}.
	fmt.Println("running at 4m:", more)
	// Output:
	// 50 users at 90s
	// running at 4m: false
}

// Any protocol is measured with Measure (or Record): a gRPC call, a
// database query, a message broker.
func ExampleMeasure() {
	st := locust.NewStats("local")
	ctx := locust.ContextWithStats(context.Background(), st) // a task's ctx already has it
	for i := range 4 {
		_ = locust.Measure(ctx, "sql", "select user", func(ctx context.Context) error {
			if i == 3 {
				return errors.New("deadlock")
			}
			return nil
		})
	}
	e := st.Snapshot().Entries[0]
	fmt.Println(e.Type, e.Name, e.Requests, "requests", e.Failures, "failure")
	// Output: sql select user 4 requests 1 failure
}

// A weighted class mix: three Browsers for every Buyer, and exactly one
// Admin whatever the total (FixedCount).
func ExampleClass() {
	noop := func(*struct{}, context.Context) error { return nil }
	newUser := func() *struct{} { return &struct{}{} }
	tasks := []locust.Task[*struct{}]{{Name: "noop", Weight: 1, Fn: noop}}
	r, _ := locust.NewLocalRunner(locust.Config{
		Classes: []locust.UserClass{
			&locust.Class[*struct{}]{Name: "Browser", Weight: 3, New: newUser, Tasks: tasks, Wait: locust.Constant(time.Hour)},
			&locust.Class[*struct{}]{Name: "Buyer", Weight: 1, New: newUser, Tasks: tasks, Wait: locust.Constant(time.Hour)},
			&locust.Class[*struct{}]{Name: "Admin", FixedCount: 1, New: newUser, Tasks: tasks, Wait: locust.Constant(time.Hour)},
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	_ = r.Start(9, 100)
	for r.State() != locust.StateRunning {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(r.UserCounts())
	_ = r.Stop(context.Background())
	// Output: map[Admin:1 Browser:6 Buyer:2]
}
