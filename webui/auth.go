package webui

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// basicCacheTTL is how long a Basic login, once checked, is accepted
// again without hashing the password (API clients send it with every
// request; argon2id costs tens of milliseconds and 19 MiB each time).
const basicCacheTTL = 5 * time.Minute

// maxHashing bounds the password hashes computed at once.
const maxHashing = 2

// authenticator holds the accounts, their sessions and the login
// throttle. Safe for concurrent use.
type authenticator struct {
	mu        sync.RWMutex
	accounts  map[string]*account
	usersFile string
	usersData []byte

	sessions *sessionStore
	throttle *loginThrottle
	delay    time.Duration
	secure   bool
	hashing  chan struct{}
	// cookiePath is the session cookie's Path: the base path, with its
	// slash.
	cookiePath string

	cacheKey [32]byte
	cacheMu  sync.Mutex
	cache    map[string]basicHit

	dummyOnce sync.Once
	dummy     func(string) bool

	totp totpSteps
}

// basicHit is a Basic login checked recently.
type basicHit struct {
	user  string
	stamp string
	at    time.Time
}

func newAuthenticator(accts map[string]*account, o *Options, secure bool) *authenticator {
	a := &authenticator{accounts: accts, sessions: newSessionStore(o.SessionIdle, o.SessionTTL), throttle: newLoginThrottle(),
		delay: o.AuthFailureDelay, secure: secure, cookiePath: "/", hashing: make(chan struct{}, maxHashing), cache: map[string]basicHit{}}
	if _, err := rand.Read(a.cacheKey[:]); err != nil {
		panic("webui: no randomness: " + err.Error())
	}
	return a
}

// account returns the account named name, nil if none.
func (a *authenticator) account(name string) *account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.accounts[name]
}

// loginResult is the outcome of a password check.
type loginResult int

const (
	loginOK loginResult = iota
	loginWrong
	loginLocked
)

// login checks a user name and password from source src (a remote
// address) under the throttle. A wrong password is answered after the
// failure delay; a locked-out source is answered at once, without a
// check, with the time left. fl is the aggregated log line due, if any.
// An account with a one-time code needs code too, and cannot log in with
// Basic credentials (basic).
func (a *authenticator) login(ctx context.Context, src, user, pass, code string, basic bool) (acct *account, res loginResult, retry time.Duration, fl *failureLog) {
	source := sourceOf(src)
	st, retry := a.throttle.begin(ctx, source)
	if st == nil {
		return nil, loginLocked, retry, nil
	}
	acct = a.account(user)
	ok := false
	select {
	case a.hashing <- struct{}{}:
		if acct != nil {
			ok = acct.check(pass)
		} else {
			// Same work for an unknown name, so that timing does not
			// tell which names exist.
			a.dummyCheck(pass)
		}
		<-a.hashing
	case <-ctx.Done():
	}
	if ok && a.account(user) != acct {
		ok = false // the users file changed meanwhile
	}
	if ok && acct.totp != "" && (basic || !a.totp.check(acct, code)) {
		ok = false
	}
	if !ok {
		t := time.NewTimer(a.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	l, due := a.throttle.end(st, source, user, ok)
	if due {
		fl = &l
	}
	if !ok {
		return nil, loginWrong, 0, fl
	}
	return acct, loginOK, 0, nil
}

// dummyCheck costs what checking a password of the users file costs.
func (a *authenticator) dummyCheck(pass string) {
	a.dummyOnce.Do(func() {
		a.mu.RLock()
		plain := a.usersFile == ""
		a.mu.RUnlock()
		if plain {
			a.dummy = func(string) bool { return false }
			return
		}
		h, err := HashPassword(randomToken())
		if err == nil {
			a.dummy, _ = parseHash(h)
		}
		if a.dummy == nil {
			a.dummy = func(string) bool { return false }
		}
	})
	a.dummy(pass)
}

// cachedBasic returns the account of a Basic login checked in the last
// basicCacheTTL whose password and role have not changed since.
func (a *authenticator) cachedBasic(user, pass string) *account {
	k := a.basicKey(user, pass)
	a.cacheMu.Lock()
	hit, ok := a.cache[k]
	a.cacheMu.Unlock()
	if !ok || time.Since(hit.at) >= basicCacheTTL {
		return nil
	}
	acct := a.account(hit.user)
	if acct == nil || acct.stamp != hit.stamp {
		return nil
	}
	return acct
}

func (a *authenticator) rememberBasic(user, pass string, acct *account) {
	k := a.basicKey(user, pass)
	now := time.Now()
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if len(a.cache) >= 1000 {
		for kk, h := range a.cache {
			if now.Sub(h.at) >= basicCacheTTL {
				delete(a.cache, kk)
			}
		}
		if len(a.cache) >= 1000 {
			clear(a.cache)
		}
	}
	a.cache[k] = basicHit{user: acct.name, stamp: acct.stamp, at: now}
}

func (a *authenticator) basicKey(user, pass string) string {
	mac := hmac.New(sha256.New, a.cacheKey[:])
	mac.Write([]byte(user))
	mac.Write([]byte{0})
	mac.Write([]byte(pass))
	return string(mac.Sum(nil))
}

// reload rereads the users file when its content changed, and ends the
// sessions of accounts whose password or role changed or that are gone.
// A file that fails to load leaves the accounts as they were.
func (a *authenticator) reload() (changed bool, revoked int, warning string, err error) {
	a.mu.RLock()
	path, old := a.usersFile, a.usersData
	a.mu.RUnlock()
	if path == "" {
		return false, 0, "", nil
	}
	accts, data, warning, err := loadUsers(path)
	if err != nil {
		return false, 0, warning, err
	}
	if bytes.Equal(data, old) {
		return false, 0, "", nil
	}
	a.mu.Lock()
	a.accounts, a.usersData = accts, data
	a.mu.Unlock()
	a.cacheMu.Lock()
	clear(a.cache)
	a.cacheMu.Unlock()
	return true, a.sessions.prune(a.account), warning, nil
}

// newSessionCookie returns the cookie of a new session.
func (a *authenticator) newSessionCookie(id string) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: id, Path: a.cookiePath, MaxAge: int(a.sessions.ttl / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode}
}

// endSessionCookie returns a cookie that removes the session cookie.
func (a *authenticator) endSessionCookie() *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: "", Path: a.cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode}
}

// safeNext returns next if it is a local path of this site, else "/".
// Paths are those of the route table: the caller adds the base path.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

// retryText renders a lockout's time left for people.
func retryText(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return fmt.Sprintf("%d s", s)
}
