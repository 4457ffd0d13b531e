package locust

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// tagFilter is Config.Tags and Config.ExcludeTags.
type tagFilter struct {
	include, exclude []string
}

func (f tagFilter) keep(tags []string) bool {
	for _, t := range tags {
		if slices.Contains(f.exclude, t) {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(f.include, t) {
			return true
		}
	}
	return false
}

// allTags lists every tag used by the class, to report tags that match
// nothing.
func (c *Class[U]) allTags() []string {
	var out []string
	var walk func(ts []Task[U], inherited []string)
	walk = func(ts []Task[U], inherited []string) {
		for _, t := range ts {
			tags := append(slices.Clip(inherited), t.Tags...)
			out = append(out, tags...)
			if t.Set != nil {
				walk(t.Set.Tasks, append(tags, t.Set.Tags...))
			}
		}
	}
	walk(c.Tasks, c.Tags)
	return out
}

// compiledClass is a validated class, ready to spawn users from.
type compiledClass struct {
	name       string
	weight     int
	fixedCount int
	host       string
	wait       WaitTime
	tags       []string
	// newUser makes one user; run it with user.run.
	newUser func() userLoop
	// taskNames lists the enabled leaf tasks with their ratio in the class.
	ratios map[string]float64
}

// userLoop runs one user until it stops.
type userLoop interface {
	run(u *userRT)
}

type compiledSet[U any] struct {
	name       string
	tasks      []compiledTask[U]
	cum        []int // cumulative weights
	total      int
	sequential bool
	order      []int // sequential order, a task of weight N repeated N times
	wait       WaitTime
	onStart    func(U, context.Context) error
	onStop     func(U, context.Context)
}

type compiledTask[U any] struct {
	name string
	fn   func(U, context.Context) error
	set  *compiledSet[U]
}

func (c *Class[U]) compile(f tagFilter) (compiledClass, error) {
	if c == nil {
		return compiledClass{}, errors.New("user class is nil")
	}
	if strings.TrimSpace(c.Name) == "" {
		return compiledClass{}, errors.New("user class: Name is required")
	}
	fail := func(format string, a ...any) (compiledClass, error) {
		return compiledClass{}, fmt.Errorf("user class %q: %s", c.Name, fmt.Sprintf(format, a...))
	}
	if c.New == nil {
		return fail("New is required (a function returning a fresh user value)")
	}
	if c.Weight < 0 {
		return fail("Weight is %d; allowed: 0 (meaning 1) or more", c.Weight)
	}
	if c.FixedCount < 0 {
		return fail("FixedCount is %d; allowed: 0 (not fixed) or more", c.FixedCount)
	}
	if len(c.Tasks) == 0 {
		return fail("Tasks is empty; a class needs at least one task")
	}
	root, err := compileSet(c.Name, c.Tasks, false, c.Wait, nil, nil, c.Tags, f, "Tasks")
	if err != nil {
		return fail("%v", err)
	}
	if root == nil {
		if len(f.include) > 0 || len(f.exclude) > 0 {
			return fail("no task is left after tag filtering (tags %v, exclude tags %v; the class has tags %v)", f.include, f.exclude, uniq(c.allTags()))
		}
		return fail("every task has weight 0; give at least one task a Weight of 1 or more")
	}
	weight := c.Weight
	if weight == 0 {
		weight = 1
	}
	cc := compiledClass{name: c.Name, weight: weight, fixedCount: c.FixedCount, host: c.Host, wait: c.Wait, tags: uniq(c.allTags())}
	cc.ratios = map[string]float64{}
	root.ratios(1, cc.ratios)
	newFn := c.New
	cc.newUser = func() userLoop { return &loop[U]{root: root, newFn: newFn} }
	return cc, nil
}

func uniq(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// compileSet validates and filters tasks; it returns nil when no task is
// left enabled.
func compileSet[U any](name string, tasks []Task[U], seq bool, wait WaitTime, onStart func(U, context.Context) error, onStop func(U, context.Context), inherited []string, f tagFilter, path string) (*compiledSet[U], error) {
	cs := &compiledSet[U]{name: name, sequential: seq, wait: wait, onStart: onStart, onStop: onStop}
	for i, t := range tasks {
		where := fmt.Sprintf("%s[%d]", path, i)
		if t.Name != "" {
			where += fmt.Sprintf(" (%q)", t.Name)
		}
		if t.Weight < 0 {
			return nil, fmt.Errorf("%s: Weight is %d; allowed: 0 (disabled) or more", where, t.Weight)
		}
		if (t.Fn == nil) == (t.Set == nil) {
			return nil, fmt.Errorf("%s: set exactly one of Fn and Set", where)
		}
		if t.Weight == 0 {
			continue
		}
		tags := append(slices.Clip(inherited), t.Tags...)
		ct := compiledTask[U]{name: t.Name, fn: t.Fn}
		if t.Set != nil {
			s := t.Set
			sub, err := compileSet(firstNonEmpty(t.Name, s.Name), s.Tasks, s.Sequential, s.Wait, s.OnStart, s.OnStop, append(tags, s.Tags...), f, where+".Set.Tasks")
			if err != nil {
				return nil, err
			}
			if sub == nil {
				continue
			}
			ct.set = sub
			if ct.name == "" {
				ct.name = sub.name
			}
		} else if !f.keep(tags) {
			continue
		}
		if ct.name == "" {
			ct.name = fmt.Sprintf("task%d", i)
		}
		cs.tasks = append(cs.tasks, ct)
		cs.total += t.Weight
		cs.cum = append(cs.cum, cs.total)
		for range t.Weight {
			if seq {
				cs.order = append(cs.order, len(cs.tasks)-1)
			}
		}
	}
	if len(cs.tasks) == 0 {
		return nil, nil
	}
	return cs, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ratios adds each leaf task's share of the class's task runs (within a set
// the share of a nested set is split among its tasks).
func (cs *compiledSet[U]) ratios(share float64, out map[string]float64) {
	prev := 0
	for i, t := range cs.tasks {
		w := cs.cum[i] - prev
		prev = cs.cum[i]
		s := share * float64(w) / float64(cs.total)
		if t.set != nil {
			t.set.ratios(s, out)
		} else {
			out[t.name] += s
		}
	}
}

// pick chooses a task by weight with the user's random source.
func (cs *compiledSet[U]) pick(r *rand.Rand) int {
	if len(cs.tasks) == 1 {
		return 0
	}
	n := r.IntN(cs.total)
	i, _ := slices.BinarySearch(cs.cum, n+1)
	return i
}

// loop is the task loop of one user of type U.
type loop[U any] struct {
	root  *compiledSet[U]
	newFn func() U
	user  U
	rt    *userRT
}

func (l *loop[U]) run(u *userRT) {
	l.rt = u
	var started bool
	ok := u.guard("New", func() error {
		l.user = l.newFn()
		if in, isInit := any(l.user).(Initializer); isInit {
			if err := in.InitUser(u.env()); err != nil {
				return fmt.Errorf("InitUser: %w", err)
			}
		}
		if s, isStarter := any(l.user).(OnStarter); isStarter {
			if err := s.OnStart(u.ctx); err != nil {
				return fmt.Errorf("OnStart: %w", err)
			}
		}
		started = true
		return nil
	})
	if ok && started {
		l.runSet(l.root, true)
	}
	if started {
		if s, isStopper := any(l.user).(OnStopper); isStopper {
			ctx, cancel := u.onStopContext()
			u.guard("OnStop", func() error { s.OnStop(ctx); return nil })
			cancel()
		}
	}
}

// runSet runs a set until it is interrupted (it returns nil, after which
// the parent waits, or errInterruptNow for an immediate reschedule of the
// parent) or the user must stop (errUserStopped).
func (l *loop[U]) runSet(cs *compiledSet[U], top bool) error {
	u := l.rt
	if !top && u.iterationsExhausted() {
		return errUserStopped
	}
	if !top && cs.onStart != nil {
		if !u.guard(cs.name+".OnStart", func() error { return cs.onStart(l.user, u.ctx) }) {
			return nil
		}
	}
	defer func() {
		if !top && cs.onStop != nil {
			ctx, cancel := u.onStopContext()
			u.guard(cs.name+".OnStop", func() error { cs.onStop(l.user, ctx); return nil })
			cancel()
		}
	}()
	seq := 0
	for {
		if u.stopping() || u.iterationsExhausted() {
			return errUserStopped
		}
		var i int
		if cs.sequential {
			i = cs.order[seq]
			seq = (seq + 1) % len(cs.order)
		} else {
			i = cs.pick(u.rand)
		}
		t := &cs.tasks[i]
		if t.set != nil {
			switch l.runSet(t.set, false) {
			case errUserStopped:
				return errUserStopped
			case errInterruptNow:
				// The child set was left with reschedule: pick the
				// next task at once.
				u.markWaitEnd()
				continue
			}
		} else {
			// In arrival-rate mode each leaf task run is one iteration,
			// started by an arrival.
			if u.arr != nil && !u.awaitArrival() {
				return errUserStopped
			}
			if !u.takeIteration() {
				return errUserStopped
			}
			err := l.runTask(t)
			u.iterationDone()
			if u.arr != nil {
				u.arrivalDone()
			}
			switch {
			case err == nil:
			case errors.Is(err, ErrStopUser):
				return errUserStopped
			case errors.Is(err, errInterruptNow), errors.Is(err, ErrInterrupt):
				if top {
					u.exception(t.name, errors.New("Interrupt returned by a task of the class itself: only tasks of a nested TaskSet can interrupt it"), "")
					break
				}
				if errors.Is(err, errInterruptNow) {
					return errInterruptNow
				}
				return nil // the parent waits its wait time first
			case errors.Is(err, ErrRescheduleNow):
				u.markWaitEnd()
				continue
			}
		}
		if !u.wait(cs.wait) {
			return errUserStopped
		}
	}
}

// runTask runs one task, recovering a panic and recording errors.
func (l *loop[U]) runTask(t *compiledTask[U]) error {
	var err error
	l.rt.guardErr(t.name, func() error {
		err = t.fn(l.user, l.rt.ctx)
		if err == nil || isControl(err) {
			return nil
		}
		return err
	})
	if isControl(err) {
		return err
	}
	return nil
}

func isControl(err error) bool {
	return errors.Is(err, ErrInterrupt) || errors.Is(err, ErrRescheduleNow) || errors.Is(err, ErrStopUser) || errors.Is(err, errInterruptNow)
}

// guard runs fn, recovering a panic; an error or panic is recorded as an
// exception of the user. It reports whether fn succeeded.
func (u *userRT) guard(what string, fn func() error) bool {
	return u.guardErr(what, fn)
}

func (u *userRT) guardErr(what string, fn func() error) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			stack := string(debug.Stack())
			u.exception(what, &PanicError{Value: r, Stack: stack}, stack)
			ok = false
		}
	}()
	if err := fn(); err != nil {
		if u.ctx.Err() != nil && errors.Is(err, context.Canceled) {
			// The user was stopped in the middle of the task: not a
			// bug of the task.
			return false
		}
		u.exception(what, err, fmt.Sprintf("%s.%s returned: %v", u.class.cc.name, what, err))
		return false
	}
	return true
}

// waitInfo builds the argument of a WaitTime.
func (u *userRT) waitInfo(now time.Time) WaitInfo {
	return WaitInfo{Rand: u.rand, SinceLastWait: now.Sub(u.lastWaitEnd)}
}
