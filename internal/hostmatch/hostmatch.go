// Package hostmatch is the allow-list of load targets (--allowed-hosts):
// patterns of host names, IP addresses and networks that a test may send
// load to, checked where the load is generated.
//
// A pattern is one of:
//
//	example.com        the name example.com (any letter case), any port
//	*.example.com      any name under example.com, not example.com itself
//	10.1.2.3, [::1]    that IP address, written as an IP (not a name that resolves to it)
//	10.0.0.0/8         any IP address in the network
//	*                  anything (the same as no list)
//
// and any of the first three may end in :PORT to allow that port only
// (the port of a URL without one is its scheme's: 80 or 443). Names are
// compared as written in the URL, before DNS: a name is allowed by a
// name pattern, an IP address by an IP or network pattern.
package hostmatch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// List is a parsed allow-list. The zero value and nil allow everything.
// A List is immutable and safe for concurrent use.
type List struct {
	pats []pattern
	text string // the patterns as given, for messages
	any  bool
}

type pattern struct {
	name   string // lower case; "" for an IP or network pattern
	suffix bool   // name is ".example.com" from "*.example.com"
	prefix netip.Prefix
	port   string // "" for any
}

// Parse parses patterns; empty entries are skipped. It fails naming the
// first invalid pattern and what is allowed. An empty list is nil.
func Parse(patterns []string) (*List, error) {
	l := &List{}
	var kept []string
	for _, raw := range patterns {
		p := strings.TrimSpace(raw)
		if p == "" {
			continue
		}
		kept = append(kept, p)
		if p == "*" {
			l.any = true
			continue
		}
		pt, err := parseOne(p)
		if err != nil {
			return nil, fmt.Errorf("allowed host pattern %q: %v; allowed: a name (example.com), *.example.com, an IP address, a network (10.0.0.0/8) or *, each optionally with :PORT", raw, err)
		}
		l.pats = append(l.pats, pt)
	}
	if len(kept) == 0 {
		return nil, nil
	}
	l.text = strings.Join(kept, ", ")
	return l, nil
}

func parseOne(p string) (pattern, error) {
	if strings.Contains(p, "://") || strings.ContainsAny(p, "?#@ \t") {
		return pattern{}, errors.New("is not a host pattern (write the host without a scheme, path or credentials)")
	}
	if strings.Contains(p, "/") {
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			return pattern{}, fmt.Errorf("is not a network: %v", err)
		}
		return pattern{prefix: pre.Masked()}, nil
	}
	host, port := p, ""
	if h, pt, err := net.SplitHostPort(p); err == nil {
		host, port = h, pt
		if n, err := strconv.Atoi(pt); err != nil || n < 1 || n > 65535 {
			return pattern{}, fmt.Errorf("port %q is not a number from 1 to 65535", pt)
		}
	} else if strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]") {
		host = p[1 : len(p)-1]
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		return pattern{prefix: netip.PrefixFrom(ip, ip.BitLen()), port: port}, nil
	}
	name := strings.ToLower(host)
	suffix := false
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		name, suffix = "."+rest, true
	}
	check := strings.TrimPrefix(name, ".")
	if check == "" || strings.ContainsAny(check, "*[]:") || strings.HasPrefix(check, ".") || strings.HasSuffix(check, ".") {
		return pattern{}, errors.New("is not a host name")
	}
	return pattern{name: name, suffix: suffix, port: port}, nil
}

// String returns the patterns, comma-separated; "" for an empty list.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	return l.text
}

// AllowsAll reports whether l allows every host (nil, empty or "*").
func (l *List) AllowsAll() bool { return l == nil || l.any }

// Allow checks a host[:port] (as in a URL's Host, brackets around IPv6)
// with defPort as the port when it has none.
func (l *List) Allow(hostport, defPort string) error {
	if l.AllowsAll() {
		return nil
	}
	host, port := hostport, defPort
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		host = hostport[1 : len(hostport)-1]
	}
	ip, ipErr := netip.ParseAddr(host)
	if ipErr == nil {
		ip = ip.Unmap()
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range l.pats {
		if p.port != "" && p.port != port {
			continue
		}
		switch {
		case p.prefix.IsValid():
			if ipErr == nil && p.prefix.Contains(ip) {
				return nil
			}
		case p.suffix:
			if ipErr != nil && strings.HasSuffix(name, p.name) && len(name) > len(p.name) {
				return nil
			}
		default:
			if ipErr != nil && name == p.name {
				return nil
			}
		}
	}
	return &NotAllowedError{Host: hostport, List: l.text}
}

// AllowURL checks the host of an absolute URL. Credentials in raw never
// appear in the error.
func (l *List) AllowURL(raw string) error {
	if l.AllowsAll() {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("cannot check the host of a URL that does not parse: allowed hosts are %s", l.text)
	}
	def := ""
	switch strings.ToLower(u.Scheme) {
	case "http", "ws":
		def = "80"
	case "https", "wss":
		def = "443"
	}
	return l.Allow(u.Host, def)
}

// NotAllowedError is the error of a host outside the list.
type NotAllowedError struct {
	// Host is the host[:port] refused; List the allowed patterns.
	Host, List string
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("host %s is not in the allowed hosts (%s)", e.Host, e.List)
}

// NotNetwork reports whether scheme (any letter case) names something
// other than a network address: javascript, vbscript, data, file, about,
// blob, filesystem. Such a "host" is refused wherever a target is given,
// since it can only be a mistake or an attack on whoever views it.
func NotNetwork(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "javascript", "vbscript", "data", "file", "about", "blob", "filesystem":
		return true
	}
	return false
}
