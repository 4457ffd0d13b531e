package webui

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Role is what an account may do in the web UI. Each role may do what
// the roles below it may. Every route declares the least role it needs.
type Role int

// The roles, from least to most. The zero Role is not a role: a route
// that declares it is refused by [New].
const (
	// RolePublic routes need no login: the login page and its assets.
	RolePublic Role = iota + 1
	// RoleViewer reads: statistics, charts, failures, downloads, the
	// report, the live feed, the run history.
	RoleViewer
	// RoleOperator also starts, edits, stops and resets tests.
	RoleOperator
	// RoleAdmin also deletes history and reads the audit log.
	RoleAdmin
)

var roleNames = map[Role]string{RolePublic: "public", RoleViewer: "viewer", RoleOperator: "operator", RoleAdmin: "admin"}

// String returns the role's name: "viewer", "operator", "admin" (or
// "public").
func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// ParseRole returns the account role named s: viewer, operator or admin.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if n == s && r != RolePublic {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q: allowed viewer, operator, admin", s)
}

// account is one user of the web UI. stamp changes whenever the role or
// the password hash does: sessions and cached Basic logins carry the
// stamp they were made with and die when it changes.
type account struct {
	name  string
	role  Role
	check func(password string) bool
	stamp string
	// totp is the base32 secret of a one-time-code second factor; empty
	// without one. Such an account logs in through the form only.
	totp string
}

// Argon2id parameters of [HashPassword]: OWASP's recommendation (19 MiB,
// two passes, one lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=19456,t=2,p=1$salt$hash), for the third field
// of a users file. Programs built with locust.Run print it with
// --hash-password.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var argonRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

// parseHash returns a checker for an argon2id or bcrypt hash. Parameters
// beyond sane bounds are refused, so that a users file cannot make each
// login cost gigabytes.
func parseHash(h string) (func(string) bool, error) {
	switch {
	case strings.HasPrefix(h, "$argon2id$"):
		m := argonRE.FindStringSubmatch(h)
		if m == nil {
			return nil, errors.New("not a valid argon2id hash: want $argon2id$v=19$m=M,t=T,p=P$salt$hash")
		}
		mem, _ := strconv.ParseUint(m[1], 10, 32)
		t, _ := strconv.ParseUint(m[2], 10, 32)
		p, _ := strconv.ParseUint(m[3], 10, 8)
		if mem < 8 || mem > 256*1024 || t < 1 || t > 16 || p < 1 || p > 16 {
			return nil, errors.New("argon2id parameters out of range: allowed m from 8 to 262144 (KiB), t from 1 to 16, p from 1 to 16")
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(m[4])
		key, err2 := base64.RawStdEncoding.DecodeString(m[5])
		if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			return nil, errors.New("not a valid argon2id hash: bad salt or hash encoding")
		}
		return func(pw string) bool {
			got := argon2.IDKey([]byte(pw), salt, uint32(t), uint32(mem), uint8(p), uint32(len(key)))
			return subtle.ConstantTimeCompare(got, key) == 1
		}, nil
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil {
			return nil, fmt.Errorf("not a valid bcrypt hash: %v", err)
		}
		if cost > 14 {
			return nil, fmt.Errorf("bcrypt cost %d is too high: allowed up to 14", cost)
		}
		hb := []byte(h)
		return func(pw string) bool { return bcrypt.CompareHashAndPassword(hb, []byte(pw)) == nil }, nil
	}
	return nil, errors.New("unknown password hash: allowed argon2id ($argon2id$...) or bcrypt ($2a$, $2b$, $2y$); make one with --hash-password")
}

// plainAccount is the account of --web-auth USER:PASS: an admin whose
// password is compared in constant time.
func plainAccount(user, pass string) *account {
	want := sha256.Sum256([]byte(pass))
	stamp := sha256.Sum256([]byte("plain\x00" + user + "\x00" + pass))
	return &account{name: user, role: RoleAdmin, stamp: hex.EncodeToString(stamp[:8]),
		check: func(pw string) bool {
			got := sha256.Sum256([]byte(pw))
			return subtle.ConstantTimeCompare(got[:], want[:]) == 1
		}}
}

var userNameRE = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// parseUsers reads a users file: one account a line, "NAME ROLE HASH"
// and optionally "totp=SECRET", separated by spaces or tabs; blank lines and lines starting with #
// are skipped. Errors name the file and the line.
func parseUsers(r io.Reader, name string) (map[string]*account, error) {
	accts := map[string]*account{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 && len(f) != 4 {
			return nil, fmt.Errorf("users file %s line %d: want NAME ROLE HASH [totp=SECRET], got %d fields", name, n, len(f))
		}
		secret := ""
		if len(f) == 4 {
			var ok bool
			if secret, ok = strings.CutPrefix(f[3], "totp="); !ok || !validTOTPSecret(secret) {
				return nil, fmt.Errorf("users file %s line %d: the fourth field must be totp=SECRET with a base32 secret of at least 16 characters (--new-totp makes one)", name, n)
			}
		}
		if !userNameRE.MatchString(f[0]) {
			return nil, fmt.Errorf("users file %s line %d: user name %q: allowed 1 to 64 letters, digits and . _ @ -", name, n, truncate(f[0], 80))
		}
		if _, dup := accts[f[0]]; dup {
			return nil, fmt.Errorf("users file %s line %d: user %q is listed twice", name, n, f[0])
		}
		role, err := ParseRole(f[1])
		if err != nil {
			return nil, fmt.Errorf("users file %s line %d: %v", name, n, err)
		}
		check, err := parseHash(f[2])
		if err != nil {
			return nil, fmt.Errorf("users file %s line %d: %v", name, n, err)
		}
		stamp := sha256.Sum256([]byte(f[1] + "\x00" + f[2] + "\x00" + secret))
		accts[f[0]] = &account{name: f[0], role: role, check: check, stamp: hex.EncodeToString(stamp[:8]), totp: secret}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("users file %s: %v", name, err)
	}
	if len(accts) == 0 {
		return nil, fmt.Errorf("users file %s: no accounts (want lines of NAME ROLE HASH)", name)
	}
	return accts, nil
}

// loadUsers reads the users file at path, refusing one that other users
// may write (they could add an admin); one they may read gets a warning
// (they can guess passwords offline against the hashes).
func loadUsers(path string) (accts map[string]*account, data []byte, warning string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("users file: %w", err)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return nil, nil, "", fmt.Errorf("users file %s: mode %v lets other users change the accounts: chmod 600 it", path, st.Mode().Perm())
	}
	if st.Mode().Perm()&0o044 != 0 {
		warning = fmt.Sprintf("users file %s: mode %v lets other users read the password hashes; chmod 600 it", path, st.Mode().Perm())
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("users file: %w", err)
	}
	accts, err = parseUsers(bytes.NewReader(data), path)
	return accts, data, warning, err
}
