package locust_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// --max-rps split among 3 runners (the workers of a distributed test) holds
// the total the target sees at the ceiling, within 2 %, although each
// runner's users could send far more. The subject is the limiter, so the
// target is simulated on synctest's clock (1 ms a call).
func TestMaxRPSAcrossThreeRunners(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		target := newSimTarget(time.Millisecond)
		const ceiling = 300.0
		shares := locust.SplitRate(ceiling, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				cls := getterClass(target) // no Wait: as fast as the ceiling lets them
				_, err := locust.RunTest(context.Background(), locust.Config{
					Classes: []locust.UserClass{cls}, Users: 20, SpawnRate: 1000,
					RunTime: 3 * time.Second, MaxRPS: shares[i],
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := float64(target.hits.Load())
		if want := ceiling * 3; got < want*0.98 || got > want*1.02 {
			t.Errorf("target counted %v requests in 3 s under a ceiling of %v/s, want %v ± 2%%", got, ceiling, want)
		}
	})
}

// Without a ceiling Throttle returns at once.
func TestThrottleWithoutCeiling(t *testing.T) {
	if err := locust.Throttle(context.Background()); err != nil {
		t.Fatal(err)
	}
}
