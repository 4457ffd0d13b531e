package locust

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/golocust/locust/audit"
	"github.com/golocust/locust/history"
	"github.com/golocust/locust/webui"
)

// The security tools of the command line: --hash-password, --new-totp and
// --verify-audit-log each do their one job and exit, instead of a test.

// runSecurityTool runs --hash-password and --verify-audit-log; ok is false
// when neither is set.
func runSecurityTool(o *webSecOptions, stdin io.Reader, stdout, stderr io.Writer, prog string) (code int, ok bool) {
	switch {
	case o.newTOTP != "":
		secret, url, err := webui.NewTOTPSecret(o.newTOTP)
		if err != nil {
			fmt.Fprintf(stderr, "%s: --new-totp: %v\n", prog, err)
			return ExitError, true
		}
		fmt.Fprintf(stdout, "totp=%s\n%s\n", secret, url)
		return ExitOK, true
	case o.hashPassword:
		pw, err := readPassword(stdin)
		if err == nil {
			var h string
			if h, err = webui.HashPassword(pw); err == nil {
				fmt.Fprintln(stdout, h)
				return ExitOK, true
			}
		}
		fmt.Fprintf(stderr, "%s: --hash-password: %v\n", prog, err)
		return ExitUsage, true
	case o.verifyAudit != "":
		return verifyAuditLog(o.verifyAudit, stdout, stderr, prog), true
	}
	return 0, false
}

// verifyAuditLog runs --verify-audit-log on path: a file written by
// --audit-log, or a run store (a postgres:// URL or an SQLite file),
// whose audit log is checked.
func verifyAuditLog(path string, stdout, stderr io.Writer, prog string) int {
	var (
		sum  audit.Summary
		err  error
		name = history.Redact(path)
	)
	if history.IsPostgres(path) || isSQLiteFile(path) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		st, oerr := history.Open(ctx, path)
		if oerr != nil {
			fmt.Fprintf(stderr, "%s: --verify-audit-log: %v\n", prog, oerr)
			return ExitUsage
		}
		defer st.Close()
		name = "the audit log in " + st.String()
		sum, err = st.AuditLog().Verify(ctx)
	} else {
		f, oerr := os.Open(path)
		if oerr != nil {
			fmt.Fprintf(stderr, "%s: --verify-audit-log: %v\n", prog, oerr)
			return ExitUsage
		}
		defer f.Close()
		sum, err = audit.Verify(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v (the %d entries before it are intact)\n", prog, name, err, sum.Entries)
		return ExitError
	}
	fmt.Fprintf(stdout, "%s: %d entries, chain intact", name, sum.Entries)
	if sum.Entries > 0 {
		fmt.Fprintf(stdout, ", %s to %s, last hash %s", sum.First.Format(time.RFC3339), sum.Last.Format(time.RFC3339), sum.LastHash)
	}
	fmt.Fprintln(stdout)
	return ExitOK
}

// isSQLiteFile reports whether path is an SQLite database (its header).
func isSQLiteFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [16]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == "SQLite format 3\x00"
}

// readPassword reads one line (the password) from r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input (printf '%s\\n' \"$PASSWORD\" | prog --hash-password)")
	}
	return pw, nil
}
