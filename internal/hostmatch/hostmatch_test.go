package hostmatch

import (
	"strings"
	"testing"
)

func TestAllowURL(t *testing.T) {
	l, err := Parse([]string{"example.com", "*.api.test", "10.0.0.0/8", "127.0.0.1:8080", "[::1]", " "})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://example.com/x", true},
		{"https://EXAMPLE.com.:8443/x", true},
		{"https://www.example.com/", false},
		{"http://a.api.test/", true},
		{"http://api.test/", false},
		{"http://evilapi.test/", false},
		{"http://10.200.0.1/", true},
		{"http://11.0.0.1/", false},
		{"http://127.0.0.1:8080/", true},
		{"http://127.0.0.1:8081/", false},
		{"http://127.0.0.1/", false},
		{"http://[::1]:9/", true},
		{"http://[::ffff:10.0.0.1]/", true},
		{"http://user:secret@evil.example/", false},
		// A name is not an IP: a DNS name cannot pass as a network member.
		{"http://10.0.0.1.nip.io/", false},
	} {
		err := l.AllowURL(c.url)
		if (err == nil) != c.ok {
			t.Errorf("AllowURL(%q) = %v, want allowed=%v", c.url, err, c.ok)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the URL's password: %v", err)
		}
	}
}

func TestParseRefusesNonPatterns(t *testing.T) {
	for _, p := range []string{"http://example.com", "a/b", "example.com:0", "example.com:x", "*", "*.", "a*b.com", "user@host"} {
		_, err := Parse([]string{p})
		if p == "*" {
			if err != nil {
				t.Errorf("Parse(*) = %v", err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q) accepted it", p)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("Parse(%q) error does not name the pattern: %v", p, err)
		}
	}
	if l, _ := Parse(nil); !l.AllowsAll() || l.AllowURL("http://anything/") != nil {
		t.Error("an empty list must allow everything")
	}
}
