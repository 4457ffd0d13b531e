package webui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"sync"
	"time"
)

// sessionCookie is the name of the login cookie.
const sessionCookie = "golocust_session"

// authenticator checks credentials and session cookies. A session cookie
// is its expiry and an HMAC of it keyed by the credentials, so that it
// survives a restart of the server with the same credentials (the page
// reconnects by itself) and dies when the password changes.
type authenticator struct {
	user, pass [32]byte // SHA-256 of the expected credentials
	key        []byte
	delay      time.Duration
	ttl        time.Duration
	secure     bool
	failMu     sync.Mutex // held for delay after each failure
}

func newAuthenticator(user, pass string, delay, ttl time.Duration, secure bool) *authenticator {
	mac := hmac.New(sha256.New, []byte("golocust web session v1"))
	mac.Write([]byte(user + "\x00" + pass))
	return &authenticator{user: sha256.Sum256([]byte(user)), pass: sha256.Sum256([]byte(pass)),
		key: mac.Sum(nil), delay: delay, ttl: ttl, secure: secure}
}

// check compares credentials in constant time; a failure returns after the
// failure delay, one failure at a time.
func (a *authenticator) check(user, pass string) bool {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	ok := subtle.ConstantTimeCompare(u[:], a.user[:])&subtle.ConstantTimeCompare(p[:], a.pass[:]) == 1
	if !ok {
		a.failMu.Lock()
		time.Sleep(a.delay)
		a.failMu.Unlock()
	}
	return ok
}

func (a *authenticator) sign(exp int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(exp))
	mac := hmac.New(sha256.New, a.key)
	mac.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(append(b[:], mac.Sum(nil)...))
}

// newSession returns a session cookie valid for the session lifetime.
func (a *authenticator) newSession() *http.Cookie {
	exp := time.Now().Add(a.ttl)
	return &http.Cookie{Name: sessionCookie, Value: a.sign(exp.Unix()), Path: "/", Expires: exp,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode}
}

// endSession returns a cookie that removes the session cookie.
func (a *authenticator) endSession() *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode}
}

func (a *authenticator) validSession(v string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) != 8+sha256.Size {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(raw[:8]))
	if time.Now().Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(a.sign(exp)), []byte(v))
}

// authorized reports whether r carries a valid session cookie or valid
// Basic credentials.
func (a *authenticator) authorized(r *http.Request) bool {
	if c, err := r.Cookie(sessionCookie); err == nil && a.validSession(c.Value) {
		return true
	}
	if u, p, ok := r.BasicAuth(); ok {
		return a.check(u, p)
	}
	return false
}

// safeNext returns next if it is a local path of this site, else "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}
