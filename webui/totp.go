package webui

import (
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// One-time codes (TOTP, RFC 6238: 6 digits, 30 s, SHA-1, as
// authenticator apps expect) as a second factor of form logins. A code is
// accepted one step early or late, and each step once per account, so a
// code seen over someone's shoulder cannot be used again.

const totpPeriod = 30

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func validTOTPSecret(s string) bool {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(s, "=")))
	return err == nil && len(b) >= 10
}

// totpSteps remembers the last step accepted per account.
type totpSteps struct {
	mu   sync.Mutex
	last map[string]int64
}

// check reports whether code is the account's current code (one step
// either way) and was not used before.
func (t *totpSteps) check(a *account, code string) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return false
	}
	now := time.Now().Unix() / totpPeriod
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, step := range []int64{now - 1, now, now + 1} {
		want, err := totp.GenerateCodeCustom(a.totp, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if step <= t.last[a.name] {
			return false // replayed
		}
		if t.last == nil {
			t.last = map[string]int64{}
		}
		t.last[a.name] = step
		return true
	}
	return false
}

// NewTOTPSecret returns a new secret for the fourth field of a users file
// (totp=SECRET) and the otpauth:// address authenticator apps read (as a
// QR code or typed in), for the account name.
func NewTOTPSecret(account string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: "golocust", AccountName: account, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), k.URL(), nil
}
