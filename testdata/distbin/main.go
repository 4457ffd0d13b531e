// Command distbin is the load-test program the distributed tests run as
// master and worker processes: one HTTP class that GETs "/", and a
// "Hog" class that keeps a CPU busy (for heartbeat starvation tests).
// Workers answer a custom "dump" message with their cumulative snapshot
// (custom message "snapshot"), so that tests can check exact merges.
package main

import (
	"context"
	"os"
	"time"

	"github.com/golocust/locust"
)

type hitter struct{ locust.HTTPUser }

type hog struct{}

func main() {
	hit := &locust.Class[*hitter]{
		Name: "Hitter",
		New:  func() *hitter { return &hitter{} },
		Wait: locust.Constant(5 * time.Millisecond),
		Tasks: []locust.Task[*hitter]{{Name: "get", Weight: 1, Fn: func(u *hitter, ctx context.Context) error {
			u.Client.Get(ctx, "/")
			return nil
		}}},
	}
	burn := &locust.Class[*hog]{
		Name: "Hog",
		New:  func() *hog { return &hog{} },
		Tasks: []locust.Task[*hog]{{Name: "spin", Weight: 1, Fn: func(_ *hog, ctx context.Context) error {
			start := time.Now()
			x := 0
			for time.Since(start) < 50*time.Millisecond && ctx.Err() == nil {
				for i := range 100000 {
					x += i
				}
			}
			_ = x
			return nil
		}}},
	}
	p := &locust.Program{Classes: []locust.UserClass{hit, burn}, Setup: func(r locust.Runner) error {
		if w, ok := r.(*locust.WorkerRunner); ok {
			w.Handle("dump", func([]byte) {
				b, err := w.Snapshot().MarshalBinary()
				if err == nil {
					_ = w.Send(context.Background(), "snapshot", b)
				}
			})
		}
		return nil
	}}
	os.Exit(p.Main(context.Background(), os.Args[1:]))
}
