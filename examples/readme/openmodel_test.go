package main

import (
	"context"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// docs/open-model.md's Go example: an arrival rate with a threshold,
// against the shop of main_test.go.
func TestDocsOpenModel(t *testing.T) {
	srv, _ := shop(t)
	ctx := context.Background()
	shoppers := &locust.Class[*Shopper]{
		Name: "Shopper",
		New:  func() *Shopper { return &Shopper{} },
		Tasks: []locust.Task[*Shopper]{
			{Name: "browse", Weight: 5, Fn: (*Shopper).Browse},
			{Name: "buy", Weight: 1, Fn: (*Shopper).Buy},
		},
	}

	// From docs/open-model.md:
	res, err := locust.RunTest(ctx, locust.Config{
		Classes:    []locust.UserClass{shoppers},
		Host:       srv.URL,
		Arrival:    &locust.Arrival{Rate: 100, MaxUsers: 500},
		RunTime:    3 * time.Second,
		Thresholds: []locust.Threshold{locust.MustParseThreshold("p95<500ms")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Verdict.Err(); err != nil {
		t.Fatal(err) // e.g. "thresholds failed: p95<500ms (observed 612.5ms)"
	}
}
