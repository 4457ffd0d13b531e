package distributed

import (
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults of the master's guard against token guessing.
const (
	// DefaultTokenFailures is how many wrong tokens a source may send
	// before it is locked out.
	DefaultTokenFailures = 5
	// tokenLockBase is the first lockout; each further failure doubles
	// it, up to tokenLockMax.
	tokenLockBase = time.Second
	tokenLockMax  = 10 * time.Minute
	// tokenForget is how long a source's failures are remembered after
	// its last one.
	tokenForget = 30 * time.Minute
	// tokenLogEvery is how often refused attempts are summed up in the
	// log.
	tokenLogEvery = time.Minute
	// tokenMaxSources bounds the sources remembered; beyond it the
	// oldest are forgotten first.
	tokenMaxSources = 10_000
)

// tokenThrottle counts wrong cluster tokens per source address (an IPv4
// address or an IPv6 /64) and locks a source out, with a backoff that
// doubles with every further failure, once it has sent too many. It logs
// the first failure of a source at once and the rest as one summary line
// per interval, so that guessing cannot flood the log. Safe for concurrent
// use.
type tokenThrottle struct {
	log   *slog.Logger
	now   func() time.Time
	limit int

	mu      sync.Mutex
	sources map[netip.Prefix]*tokenSource
	lastLog time.Time
}

type tokenSource struct {
	fails     int       // consecutive wrong tokens
	until     time.Time // locked out until
	last      time.Time // last failure
	unlogged  int       // refusals since the last summary
	lockedOut int       // refusals while locked, since the last summary
}

func newTokenThrottle(log *slog.Logger, limit int) *tokenThrottle {
	if limit <= 0 {
		limit = DefaultTokenFailures
	}
	return &tokenThrottle{log: log, now: time.Now, limit: limit, sources: map[netip.Prefix]*tokenSource{}}
}

// sourceKey returns the source of a remote "ip:port": the IPv4 address,
// or the IPv6 /64 (one host usually has a whole /64).
func sourceKey(remote string) netip.Prefix {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

// locked reports whether remote is locked out now, and for how long;
// a locked-out attempt is counted for the summary.
func (t *tokenThrottle) locked(remote string) (bool, time.Duration) {
	k := sourceKey(remote)
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sources[k]
	now := t.now()
	t.flushLocked(now)
	if s == nil || !now.Before(s.until) {
		return false, 0
	}
	s.lockedOut++
	return true, s.until.Sub(now)
}

// failed counts a wrong token from remote.
func (t *tokenThrottle) failed(remote string) {
	k := sourceKey(remote)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s := t.sources[k]
	if s == nil {
		if len(t.sources) >= tokenMaxSources {
			t.evictLocked()
		}
		s = &tokenSource{}
		t.sources[k] = s
	}
	s.fails++
	s.last = now
	if s.fails >= t.limit {
		d := tokenLockBase << min(s.fails-t.limit, 20)
		s.until = now.Add(min(d, tokenLockMax))
	}
	if s.fails == 1 {
		t.log.Warn("refused a worker: wrong or missing cluster token (further attempts are summed up every minute)", "source", k.String())
	} else {
		s.unlogged++
	}
	t.flushLocked(now)
}

// succeeded forgets remote's failures.
func (t *tokenThrottle) succeeded(remote string) {
	k := sourceKey(remote)
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.sources[k]; s != nil {
		t.logSourceLocked(k, s)
		delete(t.sources, k)
	}
}

// flushLocked writes the summary when the interval has passed, and
// forgets quiet sources.
func (t *tokenThrottle) flushLocked(now time.Time) {
	if now.Sub(t.lastLog) < tokenLogEvery {
		return
	}
	t.lastLog = now
	keys := make([]netip.Prefix, 0, len(t.sources))
	for k := range t.sources {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	var quiet []string
	for _, k := range keys {
		s := t.sources[k]
		t.logSourceLocked(k, s)
		if now.Sub(s.last) > tokenForget && !now.Before(s.until) {
			quiet = append(quiet, k.String())
			delete(t.sources, k)
		}
	}
	if len(quiet) > 0 {
		t.log.Debug("forgot the wrong-token counts of quiet sources", "sources", strings.Join(quiet, ", "))
	}
}

func (t *tokenThrottle) logSourceLocked(k netip.Prefix, s *tokenSource) {
	if s.unlogged == 0 && s.lockedOut == 0 {
		return
	}
	attrs := []any{"source", k.String(), "wrong_tokens", s.unlogged, "refused_while_locked_out", s.lockedOut, "consecutive_failures", s.fails}
	if now := t.now(); now.Before(s.until) {
		attrs = append(attrs, "locked_out_for", s.until.Sub(now).Round(time.Second))
	}
	t.log.Warn("refused workers with wrong cluster tokens", attrs...)
	s.unlogged, s.lockedOut = 0, 0
}

// evictLocked forgets the source whose last failure is oldest.
func (t *tokenThrottle) evictLocked() {
	var oldest netip.Prefix
	var at time.Time
	for k, s := range t.sources {
		if at.IsZero() || s.last.Before(at) {
			oldest, at = k, s.last
		}
	}
	delete(t.sources, oldest)
}
