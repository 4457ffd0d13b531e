package webui

import (
	"errors"
	"strings"
)

// CleanBasePath checks a base path the web UI is served under (Locust's
// --web-base-path) and returns it without a trailing slash: "" for none,
// else "/a" or "/a/b" made of letters, digits and - _ . ~ segments.
func CleanBasePath(p string) (string, error) {
	if p == "" || p == "/" {
		return "", nil
	}
	if !strings.HasPrefix(p, "/") {
		return "", errors.New("must start with /")
	}
	p = strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", errors.New("has an empty, . or .. segment")
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r)) {
				return "", errors.New("may only hold letters, digits, - _ . ~ and /")
			}
		}
	}
	return p, nil
}
