package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pw@host:8080/p?q=1": "http://user:xxxxx@host:8080/p?q=1",
		"https://user@host/":             "https://user@host/",
		"http://host/a@b":                "http://host/a@b",
		"http://host/?next=a:b@c":        "http://host/?next=a:b@c",
		"http://u:p%zz@host/":            "http://xxxxx@host/",
		"http://u:p@h@host/":             "http://u:xxxxx@host/",
		"/relative/path":                 "/relative/path",
		"":                               "",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
