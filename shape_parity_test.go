package locust_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// parityShape walks through phases, each a step with a class list; it
// moves to the next phase once the runner's user counts are those the
// phase asks for, so that the sequence does not depend on timing.
type parityShape struct {
	counts func() map[string]int

	mu     sync.Mutex
	phase  int
	ticks  []time.Duration
	seen   []map[string]int // counts reached, per phase
	maxTix int
}

var parityPhases = []struct {
	step locust.ShapeStep
	want map[string]int
}{
	{locust.ShapeStep{Users: 4, SpawnRate: 100, Classes: []string{"A"}}, map[string]int{"A": 4, "B": 0}},
	{locust.ShapeStep{Users: 0, SpawnRate: 100, Classes: []string{"A"}}, map[string]int{"A": 0, "B": 0}},
	{locust.ShapeStep{Users: 4, SpawnRate: 100, Classes: []string{"B"}}, map[string]int{"A": 0, "B": 4}},
	{locust.ShapeStep{Users: 4, SpawnRate: 100}, map[string]int{"A": 2, "B": 2}},
}

func (p *parityShape) Tick(elapsed time.Duration) (locust.ShapeStep, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ticks = append(p.ticks, elapsed)
	if len(p.ticks) > p.maxTix {
		return locust.ShapeStep{}, false // bounded: the test fails on the phase count
	}
	if elapsed > 0 {
		got := p.counts()
		if maps.Equal(got, parityPhases[p.phase].want) {
			p.seen = append(p.seen, got)
			p.phase++
		}
	}
	if p.phase == len(parityPhases) {
		return locust.ShapeStep{}, false
	}
	return parityPhases[p.phase].step, true
}

func parityClass(name string) *locust.Class[*distUser] {
	return &locust.Class[*distUser]{
		Name: name,
		New:  func() *distUser { return &distUser{} },
		Wait: locust.Constant(time.Hour),
		Tasks: []locust.Task[*distUser]{
			{Name: "idle", Weight: 1, Fn: func(*distUser, context.Context) error { return nil }},
		},
	}
}

func checkParity(t *testing.T, mode string, p *parityShape, reason locust.EndReason) {
	t.Helper()
	if reason != locust.EndShape {
		t.Errorf("%s: ended with %q, want %q", mode, reason, locust.EndShape)
	}
	if len(p.seen) != len(parityPhases) {
		t.Fatalf("%s: reached %d phases (%v), want %d; ticks %v, counts now %v", mode, len(p.seen), p.seen, len(parityPhases), p.ticks, p.counts())
	}
	zeros := 0
	for i, el := range p.ticks {
		if el == 0 {
			zeros++
		}
		if i > 0 && el <= p.ticks[i-1] {
			t.Errorf("%s: ticks not increasing: %v", mode, p.ticks)
		}
	}
	if zeros != 1 || p.ticks[0] != 0 {
		t.Errorf("%s: ticks %v: want exactly one Tick(0), first", mode, p.ticks)
	}
}

// A load shape's class lists select the same users, through the same
// tick sequence, on a local runner and on a master with workers. (The
// phases start each class list from zero users: what a list means for
// users already running is the distribution's business, see
// dispatch.Extend.)
func TestShapeParityLocalAndMaster(t *testing.T) {
	classes := []locust.UserClass{parityClass("A"), parityClass("B")}
	synctest.Test(t, func(t *testing.T) {
		r, err := locust.NewLocalRunner(locust.Config{Classes: classes, Host: "http://127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		p := &parityShape{counts: r.UserCounts, maxTix: 20}
		if err := r.StartShape(p); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		checkParity(t, "local", p, r.EndReason())
	})

	c := newDistCluster(t, "http://127.0.0.1:1", 2, classes...)
	m := c.master
	p := &parityShape{counts: m.UserCounts, maxTix: 20}
	if err := m.StartShape(p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	checkParity(t, "master", p, m.EndReason())
}
