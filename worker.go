package locust

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/golocust/locust/distributed"
)

// WorkerRunner runs users in this process as a master directs: it wraps
// a [LocalRunner] whose per-class targets come from the master, and ships
// its statistics to the master as deltas. Create it with
// [NewWorkerRunner] and call Run. It implements [Runner]; it has no
// Start: the master decides the users.
type WorkerRunner struct {
	lr *LocalRunner
	w  *distributed.Worker
	id string

	mu    sync.Mutex
	carry *Snapshot // a delta taken before a restart reset the statistics
	done  chan struct{}
	// prog are the program's own options, which the master's spawns may
	// set for a test (program_options.go); nil without them.
	prog *programOptions
}

// NewWorkerRunner validates cfg and returns a worker in the ready state.
// The master's host and stop timeout replace cfg's when it starts a test;
// cfg.RunTime, Iterations, Shape and Arrival are the master's business
// and must be zero; Thresholds and MaxRPS are ignored (the master judges
// thresholds and sends each worker its share of the ceiling).
func NewWorkerRunner(cfg Config, opts WorkerOptions) (*WorkerRunner, error) {
	if cfg.RunTime != 0 || cfg.Iterations != 0 || cfg.Shape != nil {
		return nil, errors.New("Config.RunTime, Iterations and Shape are set on the master, not on a worker")
	}
	if cfg.Arrival != nil {
		return nil, errors.New("Config.Arrival is set on the master, not on a worker: the master sends each worker its part")
	}
	cfg.ResetStats = false // the master resets the workers' statistics
	// The master evaluates thresholds over the merged statistics, and
	// sends each worker its share of the request-rate ceiling.
	cfg.Thresholds, cfg.MaxRPS = nil, 0
	var fwd *distributed.LogForwarder
	if opts.ForwardLogs {
		fwd = distributed.NewLogForwarder()
		cfg.Logger = withLogWriter(cmp.Or(cfg.Logger, slog.Default()), fwd, slog.LevelInfo)
	}
	lr, err := NewLocalRunner(cfg)
	if err != nil {
		return nil, err
	}
	r := &WorkerRunner{lr: lr, done: make(chan struct{})}
	addr := opts.MasterAddr
	if addr == "" {
		addr = "127.0.0.1:5557"
	}
	names := lr.classNames()
	r.w, err = distributed.NewWorker(distributed.WorkerConfig{
		MasterAddr: addr, TLS: opts.TLS, Token: opts.Token, ID: opts.ID, Classes: names, Load: (*workerLoad)(r),
		ReportInterval: opts.ReportInterval, HeartbeatInterval: opts.HeartbeatInterval,
		LostMasterTimeout: opts.LostMasterTimeout, Logger: lr.logger(),
		MaxUsers: opts.MaxUsers, AllowInsecureToken: opts.AllowInsecureToken, AllowedHosts: cfg.AllowedHosts, Logs: fwd,
	})
	if err != nil {
		return nil, err
	}
	r.id = r.w.ID()
	lr.Stats().node = r.id
	return r, nil
}

// ID returns the worker's id.
func (r *WorkerRunner) ID() string { return r.id }

// Run connects to the master and serves it until the master says quit
// (nil), refuses this worker (an error wrapping distributed.ErrRefused)
// or ctx is done (ctx's error). Users are stopped before it returns. Call
// it once; the other methods are safe for concurrent use with it.
func (r *WorkerRunner) Run(ctx context.Context) error {
	defer close(r.done)
	err := r.w.Run(ctx)
	_ = r.lr.Stop(context.Background())
	r.lr.Events().Quitting.Fire(TestEvent{Runner: r})
	return err
}

// Send sends a custom message to the master.
func (r *WorkerRunner) Send(ctx context.Context, typ string, data []byte) error {
	return r.w.Send(ctx, typ, data)
}

// Handle registers fn for custom messages of type typ from the master.
func (r *WorkerRunner) Handle(typ string, fn func(data []byte)) { r.w.Handle(typ, fn) }

// Stop stops the worker's users (the master may start them again).
func (r *WorkerRunner) Stop(ctx context.Context) error { return r.lr.Stop(ctx) }

// Wait blocks until Run has returned or ctx is done.
func (r *WorkerRunner) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// State returns the state of the worker's users.
func (r *WorkerRunner) State() State { return r.lr.State() }

// UserCount returns the number of running users.
func (r *WorkerRunner) UserCount() int { return r.lr.UserCount() }

// UserCounts returns the number of running users per class.
func (r *WorkerRunner) UserCounts() map[string]int { return r.lr.UserCounts() }

// Snapshot returns the worker's own statistics since its test started.
func (r *WorkerRunner) Snapshot() *Snapshot { return r.lr.Snapshot() }

// ResetStats empties the worker's statistics.
func (r *WorkerRunner) ResetStats() {
	r.mu.Lock()
	r.carry = nil
	r.mu.Unlock()
	r.lr.ResetStats()
}

// Events returns the worker's event hooks.
func (r *WorkerRunner) Events() *Events { return r.lr.Events() }

// workerLoad is the WorkerRunner as the distributed package drives it.
type workerLoad WorkerRunner

func (l *workerLoad) Spawn(s *distributed.Spawn) error {
	lr := l.lr
	idle := lr.idle()
	share := 0.0 // this worker's part of the cluster's request-rate ceiling
	if s.MaxRPS > 0 && s.Part != nil {
		share = SplitRate(s.MaxRPS, s.Part.Of)[s.Part.Index]
	}
	if idle {
		// Starting resets the statistics: keep what was not reported yet
		// (recorded after the master was lost, say) for the next report.
		d := lr.Stats().takeDelta()
		l.mu.Lock()
		l.carry = l.carry.Merge(d)
		l.mu.Unlock()
		if err := l.prog.apply(s.Options); err != nil {
			return fmt.Errorf("the master's program options: %w", err)
		}
		lr.workerConfigure(s.Host, s.StopTimeout, share)
	} else if n := l.prog.differs(s.Options); n != "" {
		return fmt.Errorf("the master changes the program option %s while users run: refused", n)
	} else {
		lr.workerSetMaxRPS(share)
	}
	if s.Arrival != nil {
		return lr.workerArrival(s, idle)
	}
	return lr.StartClasses(s.Counts, s.Rate)
}

func (l *workerLoad) Stop() { _ = l.lr.Stop(context.Background()) }

func (l *workerLoad) ResetStats() { (*WorkerRunner)(l).ResetStats() }

func (l *workerLoad) Report() []byte {
	d := l.lr.Stats().takeDelta()
	l.mu.Lock()
	if l.carry != nil {
		d = l.carry.Merge(d)
		l.carry = nil
	}
	l.mu.Unlock()
	b, err := d.MarshalBinary()
	if err != nil {
		l.lr.logger().Error("cannot encode the statistics report", "error", err)
		return nil
	}
	return b
}

func (l *workerLoad) Status() distributed.Status { return l.lr.workerStatus() }
