// Package audit records who did what to a load test: logins, starts,
// edits, stops, resets, host changes, workers joining and leaving, role
// denials, history deletions and the configuration at start. Each event
// is an [Entry]; a [Sink] receives entries. [File] is the sink of
// --audit-log: one JSON line per entry, appended to a 0600 file, each
// line carrying the hash of the line before it so that [Verify] finds the
// first entry edited, inserted or removed after the fact. [Ring] keeps the
// latest entries in memory for the web UI, [Multi] fans out to several
// sinks. The run history's store keeps the same chained lines
// (history.AuditLog), written with [Encode] and checked with [Chain].
//
// The chain detects changes inside the file; it cannot detect that the
// newest entries were cut off, or that the whole file was rewritten by
// someone who recomputed every hash. Keep a copy of the last hash
// ([File.LastHash], printed by the verifier) elsewhere, or ship the lines
// to a log host as they are written, to detect those too.
package audit

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Outcomes of an entry.
const (
	OK      = "ok"      // the action was done
	Denied  = "denied"  // refused: wrong password, missing role, cross-site
	Failed  = "failed"  // allowed but it did not succeed (bad input, wrong state)
	Limited = "limited" // refused by a limit: lockout, connection cap
)

// Entry is one audited event. Time, Action and Outcome are required; the
// other fields are empty when they do not apply (Actor "system" for what
// the program does by itself).
type Entry struct {
	// Time is when it happened (UTC in the log, to the microsecond).
	Time time.Time `json:"time"`
	// Actor is the account name ("anonymous" without authentication,
	// "system" for the program itself, a worker's id for worker events).
	Actor string `json:"actor"`
	// Role is the actor's role in the web UI, if any.
	Role string `json:"role,omitempty"`
	// Source is the remote address the request came from.
	Source string `json:"source,omitempty"`
	// Action names the event: "login", "logout", "start", "edit",
	// "stop", "reset", "host", "deny", "worker.join", ...
	Action string `json:"action"`
	// Params are the action's parameters, with secrets redacted (see
	// [Redact]).
	Params map[string]any `json:"params,omitempty"`
	// Outcome is [OK], [Denied], [Failed] or [Limited].
	Outcome string `json:"outcome"`
	// Reason explains an outcome other than OK.
	Reason string `json:"reason,omitempty"`
}

// Sink receives audit entries. Record must be safe for concurrent use and
// must not block for long: it runs inside HTTP handlers and the master's
// message loop. An error means the entry may be lost; callers log it and
// carry on.
type Sink interface {
	Record(e Entry) error
}

// Discard is a Sink that drops every entry.
var Discard Sink = discard{}

type discard struct{}

func (discard) Record(Entry) error { return nil }

// Multi returns a Sink that records to every non-nil sink in order,
// returning the errors joined. It is a [Reader] of the first of them
// that is one.
func Multi(sinks ...Sink) Sink {
	var m multi
	for _, s := range sinks {
		if s != nil {
			m = append(m, s)
		}
	}
	return m
}

type multi []Sink

func (m multi) Record(e Entry) error {
	var errs []error
	for _, s := range m {
		if err := s.Record(e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Ring is a Sink that keeps the latest entries in memory. Safe for
// concurrent use.
type Ring struct {
	mu   sync.Mutex
	buf  []Entry
	next int
	full bool
}

// NewRing returns a ring of n entries (at least 1).
func NewRing(n int) *Ring {
	return &Ring{buf: make([]Entry, max(n, 1))}
}

// Record keeps e, dropping the oldest entry when the ring is full.
func (r *Ring) Record(e Entry) error {
	r.mu.Lock()
	r.buf[r.next] = e
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
	return nil
}

// Entries returns the kept entries, oldest first.
func (r *Ring) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]Entry(nil), r.buf[:r.next]...)
	}
	return append(append([]Entry(nil), r.buf[r.next:]...), r.buf[:r.next]...)
}

// secretKeys are parameter names whose values are never written.
var secretKeys = []string{"password", "passwd", "secret", "token", "auth", "cookie", "session", "csrf", "key"}

// Redact returns a copy of params fit for the log: values of keys that
// name a secret (password, token, secret, auth, cookie, session, key)
// become "[redacted]", and the password of URLs in string values is
// replaced with "xxxxx" (url.URL.Redacted).
func Redact(params map[string]any) map[string]any {
	if params == nil {
		return nil
	}
	out := make(map[string]any, len(params))
	for k, v := range params {
		lk := strings.ToLower(k)
		secret := false
		for _, s := range secretKeys {
			if strings.Contains(lk, s) {
				secret = true
				break
			}
		}
		switch {
		case secret:
			out[k] = "[redacted]"
		default:
			if s, ok := v.(string); ok {
				v = RedactURL(s)
			}
			out[k] = v
		}
	}
	return out
}

// RedactURL returns s with the password of a URL replaced by "xxxxx";
// other strings are returned as they are.
func RedactURL(s string) string {
	if !strings.Contains(s, "@") || !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		// Not parseable: keep nothing between the scheme and the '@'.
		scheme, rest, _ := strings.Cut(s, "://")
		if _, after, ok := strings.Cut(rest, "@"); ok {
			return scheme + "://xxxxx@" + after
		}
		return s
	}
	if u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	return u.Redacted()
}

// String renders e in one line for messages.
func (e Entry) String() string {
	return fmt.Sprintf("%s %s(%s) from %s: %s %v -> %s %s", e.Time.UTC().Format(time.RFC3339), e.Actor, e.Role, e.Source,
		e.Action, e.Params, e.Outcome, e.Reason)
}
