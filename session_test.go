package locust

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// recordOutput is an output that remembers what the session handed it.
type recordOutput struct {
	ticks    []*Snapshot
	finished []*runResult
}

func (o *recordOutput) onTick(s *Snapshot, _ int) { o.ticks = append(o.ticks, s) }
func (o *recordOutput) onFinish(r *runResult)     { o.finished = append(o.finished, r) }

type sessionTestUser struct{}

// A session ticks every output once a second with one snapshot that they
// share, and hands each the one result, exit code included, once.
func TestSessionOutputsShareOneSnapshotAndResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		class := &Class[*sessionTestUser]{Name: "U", New: func() *sessionTestUser { return &sessionTestUser{} },
			Wait: Constant(time.Hour),
			Tasks: []Task[*sessionTestUser]{{Name: "t", Weight: 1, Fn: func(_ *sessionTestUser, ctx context.Context) error {
				Record(ctx, Sample{Type: "X", Name: "fail", Err: io.EOF})
				return nil
			}}}}
		log := slog.New(slog.DiscardHandler)
		r, err := NewLocalRunner(Config{Classes: []UserClass{class}, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		o := &options{headless: true, onlySummary: true, exitCodeOnError: 7}
		p := &Program{Signals: make(chan os.Signal)}
		s, closeSession, err := newSession(p, r, o, newConsoleOut(io.Discard, io.Discard, o), log)
		if err != nil {
			t.Fatal(err)
		}
		defer closeSession()
		a, b := &recordOutput{}, &recordOutput{}
		s.outputs = append(s.outputs, a, b)
		if err := r.Start(2, 100); err != nil {
			t.Fatal(err)
		}
		end := make(chan struct{})
		time.AfterFunc(3500*time.Millisecond, func() { close(end) })
		if s.watch(context.Background(), end, "stopping") {
			t.Fatal("watch reports an interrupt")
		}
		if abrupt := s.stop(); abrupt {
			t.Fatal("stop reports an abrupt exit")
		}
		res := s.finish(true, false, false)

		if len(a.ticks) != 3 || len(b.ticks) != 3 {
			t.Fatalf("ticks: %d and %d, want 3 each (one a second)", len(a.ticks), len(b.ticks))
		}
		for i := range a.ticks {
			if a.ticks[i] != b.ticks[i] {
				t.Errorf("tick %d: the outputs got different snapshots; want one shared", i)
			}
		}
		if len(a.finished) != 1 || len(b.finished) != 1 || a.finished[0] != res || b.finished[0] != res {
			t.Fatalf("finish: %d and %d results, want the one result once each", len(a.finished), len(b.finished))
		}
		if res.exitCode != 7 || !res.ran || res.reason != EndStopped {
			t.Errorf("result: exit %d, ran %v, reason %q; want 7 (--exit-code-on-error, a failure), true, %q", res.exitCode, res.ran, res.reason, EndStopped)
		}
	})
}
