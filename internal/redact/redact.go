// Package redact hides passwords of URLs (http://user:secret@host) before
// they are shown: in logs, the web UI, reports and output files.
package redact

import (
	"net/url"
	"strings"
)

// URL returns raw with the password of its user information replaced by
// "xxxxx", as url.URL.Redacted. A string that does not parse as a URL
// but has user information before an '@' in its authority loses
// everything up to that '@'. Anything else is returned as it is.
func URL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	auth := rest
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return raw
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return scheme + "://xxxxx@" + rest[at+1:]
}
