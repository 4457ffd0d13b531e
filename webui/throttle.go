package webui

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"
)

// Login throttling, per source address: the first freeFailures wrong
// passwords cost only the failure delay; each one after locks the source
// out for twice as long as the last (1 s, 2 s, 4 s, ... up to
// maxLockout). Checks from one source run one at a time, so parallel
// connections do not multiply the rate. A source's count is forgotten
// after a success or forgetAfter without failures. Log lines are
// aggregated: the first failure of a source is logged at once, the next
// ones at most once per logEvery, as a count.
const (
	freeFailures  = 3
	maxLockout    = 15 * time.Minute
	forgetAfter   = 15 * time.Minute
	logEvery      = time.Minute
	maxSources    = 10_000
	overflowAddr  = "(other sources)"
	maxUsersNoted = 5
)

// srcState is the throttle's record of one source.
type srcState struct {
	turn        chan struct{} // one check at a time
	fails       int
	lastFail    time.Time
	lockedUntil time.Time
	lastLog     time.Time
	unlogged    int      // failures not yet logged
	users       []string // user names tried since the last log line
}

// loginThrottle limits password guessing per source. Safe for concurrent
// use.
type loginThrottle struct {
	mu  sync.Mutex
	src map[string]*srcState
}

func newLoginThrottle() *loginThrottle { return &loginThrottle{src: map[string]*srcState{}} }

// sourceOf returns the address a request's password attempts are counted
// under: its IP (IPv6 by /64, which one host usually owns whole).
func sourceOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

func (t *loginThrottle) stateLocked(src string, now time.Time) *srcState {
	st := t.src[src]
	if st != nil {
		return st
	}
	if len(t.src) >= maxSources {
		for k, s := range t.src {
			if now.Sub(s.lastFail) >= forgetAfter && !now.Before(s.lockedUntil) && s.unlogged == 0 && len(s.turn) == 0 {
				delete(t.src, k)
			}
		}
		if len(t.src) >= maxSources {
			src = overflowAddr
			if st = t.src[src]; st != nil {
				return st
			}
		}
	}
	st = &srcState{turn: make(chan struct{}, 1)}
	t.src[src] = st
	return st
}

// begin waits for src's turn to check a password. It returns nil with
// the time left when src is locked out (or ctx ends first); otherwise the
// caller checks the password and calls end with the state returned.
func (t *loginThrottle) begin(ctx context.Context, src string) (*srcState, time.Duration) {
	t.mu.Lock()
	st := t.stateLocked(src, time.Now())
	t.mu.Unlock()
	select {
	case st.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if left := time.Until(st.lockedUntil); left > 0 {
		<-st.turn
		return nil, left
	}
	return st, 0
}

// failureLog is what to log about a source's failed logins.
type failureLog struct {
	src     string
	count   int
	users   []string
	lockout time.Duration
}

// end records the outcome of the check begun with st and ends its turn.
// On a failure it returns the log line due now, if any (log is false
// while the line is held back for aggregation).
func (t *loginThrottle) end(st *srcState, src, user string, ok bool) (fl failureLog, log bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() { <-st.turn }()
	if ok {
		st.fails, st.lockedUntil = 0, time.Time{}
		return fl, false
	}
	if now.Sub(st.lastFail) >= forgetAfter {
		st.fails = 0
	}
	st.fails++
	st.lastFail = now
	var lock time.Duration
	if st.fails > freeFailures {
		lock = min(time.Second<<min(st.fails-freeFailures-1, 20), maxLockout)
		st.lockedUntil = now.Add(lock)
	}
	st.unlogged++
	if len(st.users) < maxUsersNoted && !slices.Contains(st.users, user) {
		st.users = append(st.users, user)
	}
	if now.Sub(st.lastLog) < logEvery {
		return fl, false
	}
	fl = failureLog{src: src, count: st.unlogged, users: st.users, lockout: lock}
	st.unlogged, st.users, st.lastLog = 0, nil, now
	return fl, true
}

// flush returns the failures held back for longer than logEvery, and
// forgets quiet sources.
func (t *loginThrottle) flush() []failureLog {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []failureLog
	for k, st := range t.src {
		if st.unlogged > 0 && now.Sub(st.lastLog) >= logEvery {
			out = append(out, failureLog{src: k, count: st.unlogged, users: st.users, lockout: max(st.lockedUntil.Sub(now), 0)})
			st.unlogged, st.users, st.lastLog = 0, nil, now
		}
		if st.unlogged == 0 && now.Sub(st.lastFail) >= forgetAfter && !now.Before(st.lockedUntil) && len(st.turn) == 0 {
			delete(t.src, k)
		}
	}
	slices.SortFunc(out, func(a, b failureLog) int {
		if a.src < b.src {
			return -1
		}
		return 1
	})
	return out
}
