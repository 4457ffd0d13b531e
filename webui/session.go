package webui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// sessionCookie is the name of the login cookie.
const sessionCookie = "golocust_session"

// Bounds of the session table: a full table drops the sessions seen
// least recently.
const (
	maxSessions        = 10_000
	maxSessionsPerUser = 64
)

// session is a login of a browser. The cookie holds only a random id;
// everything else stays here.
type session struct {
	user    string
	role    Role
	stamp   string // the account's stamp at login
	csrf    string // token state-changing requests must echo
	created time.Time
	seen    time.Time
	// sso marks a single sign-on session: its user and role come from
	// the provider's ID token, not from an account, so it lives until
	// logout or expiry whatever the accounts do.
	sso bool
}

// sessionStore keeps the sessions of one server. Ids are 32 random bytes;
// the table is keyed by an HMAC of the id under a random key made at
// start, so the table itself holds nothing a cookie could be rebuilt
// from, and no id is derived from a password. Sessions end at logout,
// after Idle without a request, after TTL in any case, and when the
// account's password or role changes. They do not survive a restart.
// Safe for concurrent use.
type sessionStore struct {
	mu   sync.Mutex
	key  [32]byte
	m    map[string]*session
	idle time.Duration
	ttl  time.Duration
}

func newSessionStore(idle, ttl time.Duration) *sessionStore {
	st := &sessionStore{m: map[string]*session{}, idle: idle, ttl: ttl}
	if _, err := rand.Read(st.key[:]); err != nil {
		panic("webui: no randomness for the session key: " + err.Error())
	}
	return st
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("webui: no randomness for a session: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (st *sessionStore) slot(id string) string {
	mac := hmac.New(sha256.New, st.key[:])
	mac.Write([]byte(id))
	return string(mac.Sum(nil))
}

// create starts a session for a and returns its id.
func (st *sessionStore) create(a *account) (string, *session) {
	return st.add(&session{user: a.name, role: a.role, stamp: a.stamp})
}

// createSSO starts a single sign-on session for user with role and
// returns its id.
func (st *sessionStore) createSSO(user string, role Role) (string, *session) {
	return st.add(&session{user: user, role: role, sso: true})
}

func (st *sessionStore) add(s *session) (string, *session) {
	now := time.Now()
	id := randomToken()
	s.csrf, s.created, s.seen = randomToken(), now, now
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expireLocked(now)
	st.evictLocked(s.user, s.sso)
	st.m[st.slot(id)] = s
	return id, s
}

// evictLocked makes room for one more session of user (a single sign-on
// user when sso).
func (st *sessionStore) evictLocked(user string, sso bool) {
	evictOldest(st.m, maxSessionsPerUser, maxSessions,
		func(s *session) bool { return s.user == user && s.sso == sso },
		func(s *session) time.Time { return s.seen })
}

// evictOldest makes room in m for one more entry of an owner: when the
// entries that mine says are the owner's number perOwner or more, the
// oldest of them by when goes; else when m holds total entries or more,
// the oldest of all goes. The session store and the single sign-ons in
// flight bound themselves so.
func evictOldest[V any](m map[string]V, perOwner, total int, mine func(V) bool, when func(V) time.Time) {
	n := 0
	var oldestMine, oldest string
	for k, v := range m {
		if mine(v) {
			n++
			if oldestMine == "" || when(v).Before(when(m[oldestMine])) {
				oldestMine = k
			}
		}
		if oldest == "" || when(v).Before(when(m[oldest])) {
			oldest = k
		}
	}
	if n >= perOwner {
		delete(m, oldestMine)
	} else if len(m) >= total {
		delete(m, oldest)
	}
}

func (st *sessionStore) expireLocked(now time.Time) {
	for k, s := range st.m {
		if st.expired(s, now) {
			delete(st.m, k)
		}
	}
}

func (st *sessionStore) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) >= st.idle || now.Sub(s.created) >= st.ttl
}

// get returns the live session of id for an account that still has the
// stamp it logged in with (accounts looks the account up), and marks it
// seen. An expired or stale session is removed.
func (st *sessionStore) get(id string, accounts func(string) *account) *session {
	if id == "" || len(id) > 100 {
		return nil
	}
	k := st.slot(id)
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.m[k]
	if s == nil {
		return nil
	}
	if st.expired(s, now) || st.stale(s, accounts) {
		delete(st.m, k)
		return nil
	}
	s.seen = now
	return s
}

// alive reports whether the session of id still exists, without marking
// it seen (for the live feed, which must not keep a session alive).
func (st *sessionStore) alive(id string, accounts func(string) *account) bool {
	k := st.slot(id)
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.m[k]
	if s == nil {
		return false
	}
	if st.expired(s, time.Now()) || st.stale(s, accounts) {
		delete(st.m, k)
		return false
	}
	return true
}

// revoke ends the session of id.
func (st *sessionStore) revoke(id string) {
	k := st.slot(id)
	st.mu.Lock()
	delete(st.m, k)
	st.mu.Unlock()
}

// prune removes the sessions of accounts that are gone or changed.
func (st *sessionStore) prune(accounts func(string) *account) (removed int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, s := range st.m {
		if st.stale(s, accounts) {
			delete(st.m, k)
			removed++
		}
	}
	return removed
}

// stale reports whether the account s was made for is gone or changed.
// Single sign-on sessions have no account here.
func (st *sessionStore) stale(s *session, accounts func(string) *account) bool {
	if s.sso {
		return false
	}
	a := accounts(s.user)
	return a == nil || a.stamp != s.stamp
}

// checkCSRF compares a request's token with the session's in constant
// time.
func (s *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}
