package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// The base path (--web-base-path): the whole UI and API served under a
// prefix, for a reverse proxy or an ingress that routes /PREFIX/ to the
// UI without rewriting the path. The route table keeps its root-relative
// paths: the guard strips the prefix before routing and answers 404
// outside it, redirects and cookies add it back ([Server.path]), and the
// front end uses only relative URLs, so it works under any prefix.

// maxBasePath is the longest base path accepted.
const maxBasePath = 256

// CleanBasePath validates a base path ([Options.BasePath]) and returns it
// in its canonical form: "" for the root ("" or "/"), else "/a/b"
// without a trailing slash. A base path starts with "/" and is made of
// path segments of letters, digits and - . _ ~; it may not have empty,
// "." or ".." segments, a query, a fragment, percent escapes, spaces or
// control characters. The error names the value and what is allowed.
func CleanBasePath(p string) (string, error) {
	if p == "" || p == "/" {
		return "", nil
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("base path %q %s: allowed a path such as /locust or /team/load (letters, digits, - . _ ~ between slashes)", truncate(p, 100), why)
	}
	if len(p) > maxBasePath {
		return bad(fmt.Sprintf("is longer than %d bytes", maxBasePath))
	}
	if !strings.HasPrefix(p, "/") {
		return bad("must start with /")
	}
	if strings.ContainsAny(p, "?#") {
		return bad("has a query or a fragment")
	}
	trimmed := strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(trimmed[1:], "/") {
		switch seg {
		case "":
			return bad("has an empty segment (//)")
		case ".", "..":
			return bad("has a . or .. segment")
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
				return bad(fmt.Sprintf("has the character %q", c))
			}
		}
	}
	return trimmed, nil
}

// path returns the URL path of p (a route path such as "/login") under
// the base path.
func (s *Server) path(p string) string { return s.base + p }

// BasePath returns the canonical base path ("" at the root).
func (s *Server) BasePath() string { return s.base }

// stripBase returns r with the base path taken off its URL path, or nil
// when the request is outside the base path.
func (s *Server) stripBase(r *http.Request) *http.Request {
	if s.base == "" {
		return r
	}
	if cleanPath(r.URL.Path) != r.URL.Path {
		return nil // serveOutsideBase redirects to the clean path
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.base)
	if !ok || !strings.HasPrefix(rest, "/") {
		return nil
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = rest
	if r.URL.RawPath != "" {
		raw, ok := strings.CutPrefix(r.URL.RawPath, s.base)
		if !ok {
			return nil
		}
		r2.URL.RawPath = raw
	}
	return r2
}

// serveOutsideBase answers a request outside the base path: the base
// path itself without its slash is sent to the dashboard, anything else
// is not found (nothing of the UI answers there).
func (s *Server) serveOutsideBase(w http.ResponseWriter, r *http.Request) {
	if p := cleanPath(r.URL.Path); p != r.URL.Path {
		// As http.ServeMux, but before the prefix is taken off: its
		// redirect would not know the prefix.
		u := *r.URL
		u.Path, u.RawPath = p, ""
		http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
		return
	}
	if r.URL.Path == s.base && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		http.Redirect(w, r, s.base+"/", http.StatusMovedPermanently)
		return
	}
	http.NotFound(w, r)
}

// cleanPath is p as http.ServeMux routes it: absolute, without . and ..
// segments or repeated slashes, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}
