package locust

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// connected reports whether the worker is connected to its master and
// configured by its welcome: its readiness for orchestrators.
func (r *WorkerRunner) connected() bool { return r.w.Connected() }

// leave stops the users, sends the final statistics and tells the master
// this worker is going away; Run then returns nil.
func (r *WorkerRunner) leave(ctx context.Context, reason string) error {
	return r.w.Leave(ctx, reason)
}

// workerLostExit watches a worker's connection and calls giveUp once it
// has had no master for limit (from start, or from when it was last
// connected), so that the process exits and an orchestrator restarts it.
// It returns when ctx is done or after giveUp; the result reports whether
// it gave up.
func workerLostExit(ctx context.Context, connected func() bool, limit time.Duration, giveUp func(), log *slog.Logger, master string) (gaveUp *atomic.Bool) {
	gaveUp = &atomic.Bool{}
	if limit <= 0 {
		return gaveUp
	}
	go func() {
		since := time.Now()
		every(ctx, min(250*time.Millisecond, limit/4), func(time.Time) bool {
			if connected() {
				since = time.Now()
				return true
			}
			if time.Since(since) < limit {
				return true
			}
			log.Error("no master for too long: exiting so that the worker can be restarted (--master-lost-exit)", "master", master, "limit", limit)
			gaveUp.Store(true)
			giveUp()
			return false
		})
	}()
	return gaveUp
}
