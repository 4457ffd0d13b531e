package history_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/golocust/locust/history"
)

// A program (or a go test) reads the baseline run of the main branch
// and one of its exact percentiles.
func ExampleStore_Baseline() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	s, err := history.Open(ctx, filepath.Join(dir, "history.db")) // or "postgres://user@host/db"
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	base, err := s.Baseline(ctx, "label:branch=main", "")
	if err != nil {
		fmt.Println("no baseline yet:", err)
		return
	}
	p95, _ := base.Total.Percentile(0.95)
	fmt.Println(base.ID, p95)
	// Output: no baseline yet: baseline "label:branch=main": no finished run matches: not found
}
