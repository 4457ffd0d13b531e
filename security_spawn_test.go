package locust_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

type idleUser struct{}

func idleClass() *locust.Class[*idleUser] {
	return &locust.Class[*idleUser]{
		Name: "Idle",
		New:  func() *idleUser { return &idleUser{} },
		Wait: locust.Constant(time.Hour),
		Tasks: []locust.Task[*idleUser]{{Name: "noop", Weight: 1, Fn: func(*idleUser, context.Context) error {
			return nil
		}}},
	}
}

// A spawn rate of 1e-10 users per second made the batch interval
// (1e10 s as float nanoseconds) overflow time.Duration to a negative
// value: every user started at once. Rates below the minimum are now
// refused by name, and the lowest allowed rate keeps its pace.
func TestTinySpawnRateIsRefusedNotOverflowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := locust.NewLocalRunner(locust.Config{Classes: []locust.UserClass{idleClass()}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Stop(context.Background())
		for _, rate := range []float64{1e-10, 5e-324, 9.99e-5} {
			err := r.Start(5, rate)
			if err == nil || !strings.Contains(err.Error(), "spawn rate") || !strings.Contains(err.Error(), "0.0001") {
				t.Fatalf("Start(5, %v) = %v, want a spawn-rate error naming the minimum", rate, err)
			}
			if err := r.StartClasses(map[string]int{"Idle": 5}, rate); err == nil {
				t.Fatalf("StartClasses at %v accepted", rate)
			}
			synctest.Wait()
			if n := r.UserCount(); n != 0 {
				t.Fatalf("rate %v: %d users started", rate, n)
			}
		}
		// The minimum rate: one user now, the next 10,000 s later.
		if err := r.Start(3, 1e-4); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := r.UserCount(); n != 1 {
			t.Fatalf("%d users at once, want 1", n)
		}
		time.Sleep(9999 * time.Second)
		synctest.Wait()
		if n := r.UserCount(); n != 1 {
			t.Fatalf("%d users after 9,999 s, want 1", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := r.UserCount(); n != 2 {
			t.Fatalf("%d users after 10,001 s, want 2", n)
		}
	})
}

// A request-rate ceiling so low that its interval overflowed was no
// ceiling at all (1 ns between requests).
func TestTinyMaxRPSStillLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs int
		class := &locust.Class[*idleUser]{
			Name: "Busy",
			New:  func() *idleUser { return &idleUser{} },
			Wait: locust.Constant(0),
			Tasks: []locust.Task[*idleUser]{{Name: "hit", Weight: 1, Fn: func(_ *idleUser, ctx context.Context) error {
				if err := locust.Throttle(ctx); err != nil {
					return err
				}
				runs++
				if runs > 10 {
					// No ceiling: bound the loop (and let the bubble's
					// clock move) rather than spin forever.
					time.Sleep(time.Hour)
				}
				return nil
			}}},
		}
		r, err := locust.NewLocalRunner(locust.Config{Classes: []locust.UserClass{class}, MaxRPS: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(1, 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if runs > 1 {
			t.Errorf("%d throttled runs in an hour at 1e-12 per second, want at most 1", runs)
		}
		_ = r.Stop(context.Background())
	})
}
