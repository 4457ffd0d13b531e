package locust

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode"
)

// Output files and the people who open them.
//
// CSV cells are neutralised against formula injection as OWASP's CSV
// Injection page recommends: request names, error messages and
// tracebacks come from targets and user code, and a spreadsheet would
// run "=HYPERLINK(...)" or "@SUM(...)" as a formula. A text cell that
// begins with =, +, -, @, a tab or a carriage return gets a leading
// single quote (shown as text by spreadsheets; strip it to get the
// original), other control characters become U+FFFD (line feeds stay,
// and carriage returns before them are dropped, inside quoted cells).
// Cells that are numbers ("12", "-1.5", "N/A" is text but harmless) are
// left as they are, so numeric columns stay numeric.
//
// Output files (CSV, the HTML report, the log file) are created with
// mode 0600 (owner only): they hold URLs, error messages and response
// snippets of the system under test. --output-mode widens it, e.g. 0640
// or 0644.

// csvNeutral returns f safe to open in a spreadsheet.
func csvNeutral(f string) string {
	if f == "" {
		return f
	}
	if _, err := strconv.ParseFloat(f, 64); err == nil {
		return f // a number: keep it numeric
	}
	if strings.ContainsFunc(f, csvUnsafeRune) {
		f = strings.ReplaceAll(f, "\r\n", "\n")
		f = strings.Map(func(r rune) rune {
			if csvUnsafeRune(r) {
				return unicode.ReplacementChar
			}
			return r
		}, f)
	}
	switch f[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + f
	}
	return f
}

// csvUnsafeRune reports control characters other than line feed and tab.
func csvUnsafeRune(r rune) bool {
	return r != '\n' && r != '\t' && unicode.IsControl(r)
}

// defaultOutputMode is the mode output files are created with.
const defaultOutputMode fs.FileMode = 0o600

// parseOutputMode parses --output-mode: octal permission bits ("0600",
// "640", "0o644") that keep the owner's read and write.
func parseOutputMode(s string) (fs.FileMode, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	n, err := strconv.ParseUint(t, 8, 32)
	if err != nil || t == "" {
		return 0, fmt.Errorf("%q is not an octal file mode; allowed e.g. 0600 (owner only, the default), 0640 or 0644", s)
	}
	m := fs.FileMode(n)
	if m&^fs.ModePerm != 0 {
		return 0, fmt.Errorf("%q has bits beyond the permissions (0777); allowed e.g. 0600, 0640 or 0644", s)
	}
	if m&0o600 != 0o600 {
		return 0, fmt.Errorf("%q does not let the owner read and write the file; allowed e.g. 0600, 0640 or 0644", s)
	}
	if m&0o111 != 0 {
		return 0, fmt.Errorf("%q makes output files executable; allowed e.g. 0600, 0640 or 0644", s)
	}
	return m, nil
}
