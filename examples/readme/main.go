// Command readme is the load test of the README's "A load test in 30
// lines", kept verbatim: a root test checks that the README shows this
// code, and this module's test runs it.
package main

import (
	"context"
	"os"
	"time"

	"github.com/golocust/locust"
)

// Shopper is one simulated user: a fresh value per user, run by its own goroutine.
type Shopper struct {
	locust.HTTPUser // gives s.Client, made for the host given with -H
	token           string
}

func (s *Shopper) OnStart(ctx context.Context) error {
	resp := s.Client.PostJSON(ctx, "/login", map[string]string{"user": "demo"})
	s.token = resp.Header().Get("X-Token")
	return resp.Err // a failed login stops this user and is reported
}

func (s *Shopper) Browse(ctx context.Context) error {
	s.Client.Get(ctx, "/items/42", locust.Name("/items/[id]")) // one row for every id
	return nil
}

func (s *Shopper) Buy(ctx context.Context) error {
	s.Client.PostJSON(ctx, "/cart", map[string]int{"item": 42})
	return nil
}

func main() {
	os.Exit(locust.Run(&locust.Class[*Shopper]{
		Name: "Shopper",
		New:  func() *Shopper { return &Shopper{} },
		Wait: locust.Between(time.Second, 3*time.Second),
		Tasks: []locust.Task[*Shopper]{
			{Name: "browse", Weight: 5, Fn: (*Shopper).Browse},
			{Name: "buy", Weight: 1, Fn: (*Shopper).Buy},
		},
	}))
}
