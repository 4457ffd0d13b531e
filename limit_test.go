package locust_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// --max-rps split among 3 runners (the workers of a distributed test) holds
// the total the target sees at the ceiling, within 2 %, although each
// runner's users could send far more.
func TestMaxRPSAcrossThreeRunners(t *testing.T) {
	if testing.Short() {
		t.Skip("3 s in real time")
	}
	t.Parallel()
	srv := newRunServer(t)
	const ceiling = 300.0
	shares := locust.SplitRate(ceiling, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			cls := webClass(0)
			cls.Wait = nil // as fast as the ceiling lets them
			_, err := locust.RunTest(context.Background(), locust.Config{
				Classes: []locust.UserClass{cls}, Host: srv.URL, Users: 20, SpawnRate: 1000,
				RunTime: 3 * time.Second, MaxRPS: shares[i],
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := float64(srv.total.Load())
	if want := ceiling * 3; got < want*0.98 || got > want*1.02 {
		t.Errorf("target counted %v requests in 3 s under a ceiling of %v/s, want %v ± 2%%", got, ceiling, want)
	}
}

// Without a ceiling Throttle returns at once.
func TestThrottleWithoutCeiling(t *testing.T) {
	if err := locust.Throttle(context.Background()); err != nil {
		t.Fatal(err)
	}
}
