package audit_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/audit"
)

func entry(i int) audit.Entry {
	return audit.Entry{Time: time.Date(2026, 1, 2, 3, 4, 5, i*1000, time.UTC), Actor: "alice", Role: "operator",
		Source: "127.0.0.1:5000", Action: "start", Params: map[string]any{"users": i, "host": "http://u:pw@h.example/"}, Outcome: audit.OK}
}

func writeLog(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "audit.log")
	f, err := audit.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := f.Record(entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileChainAndMode(t *testing.T) {
	p := writeLog(t, 3)
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	data, _ := os.ReadFile(p)
	if strings.Contains(string(data), "pw@") || !strings.Contains(string(data), "u:xxxxx@h.example") {
		t.Errorf("URL password not redacted: %s", data)
	}
	// Reopening continues the chain.
	f, err := audit.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Record(entry(3))
	last := f.LastHash()
	f.Close()
	data, _ = os.ReadFile(p)
	s, err := audit.Verify(bytes.NewReader(data))
	if err != nil || s.Entries != 4 || s.LastHash != last {
		t.Fatalf("verify: %+v %v (last %s)", s, err, last)
	}
	es, err := audit.Read(bytes.NewReader(data), 2)
	if err != nil || len(es) != 2 || es[1].Params["users"] != float64(3) {
		t.Errorf("read: %+v %v", es, err)
	}
}

// TestVerifyFindsTampering edits a log as an attacker who can write the
// file but does not want to be seen would: change a value, delete an
// entry, swap two, drop the first, cut the last in half. Verify names the
// first line that is wrong.
func TestVerifyFindsTampering(t *testing.T) {
	data, _ := os.ReadFile(writeLog(t, 5))
	lines := strings.SplitAfter(string(data), "\n")
	lines = lines[:len(lines)-1]
	join := func(ls ...string) string { return strings.Join(ls, "") }
	for _, c := range []struct {
		name string
		log  string
		line int
	}{
		{"edited value", join(lines[0], lines[1], strings.Replace(lines[2], `"actor":"alice"`, `"actor":"bob__"`, 1), lines[3], lines[4]), 3},
		{"removed entry", join(lines[0], lines[1], lines[3], lines[4]), 3},
		{"swapped entries", join(lines[0], lines[2], lines[1], lines[3], lines[4]), 2},
		{"removed first", join(lines[1], lines[2], lines[3], lines[4]), 1},
		{"inserted line", join(lines[0], "{\"actor\":\"x\"}\n", lines[1]), 2},
		{"torn last", join(lines[0], lines[1][:20]), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := audit.Verify(strings.NewReader(c.log))
			var te *audit.TamperError
			if !errors.As(err, &te) || te.Line != c.line {
				t.Fatalf("got %v, want line %d", err, c.line)
			}
		})
	}
	if _, err := audit.Verify(strings.NewReader(string(data))); err != nil {
		t.Errorf("intact log: %v", err)
	}
}

func TestOpenRefusesTornLog(t *testing.T) {
	p := writeLog(t, 2)
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, data[:len(data)-5], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.OpenFile(p); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("torn log opened: %v", err)
	}
	// A log readable by others is made 0600.
	p2 := filepath.Join(t.TempDir(), "a.log")
	_ = os.WriteFile(p2, nil, 0o644)
	f, err := audit.OpenFile(p2)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, _ := os.Stat(p2); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}

func TestRedactAndRing(t *testing.T) {
	r := audit.Redact(map[string]any{"password": "x", "cluster_token": "y", "host": "https://a:b@c/", "users": 3})
	if r["password"] != "[redacted]" || r["cluster_token"] != "[redacted]" || r["host"] != "https://a:xxxxx@c/" || r["users"] != 3 {
		t.Errorf("%v", r)
	}
	ring := audit.NewRing(3)
	m := audit.Multi(ring, nil, audit.Discard)
	for i := range 5 {
		_ = m.Record(audit.Entry{Action: fmt.Sprint(i)})
	}
	es := ring.Entries()
	if len(es) != 3 || es[0].Action != "2" || es[2].Action != "4" {
		t.Errorf("%+v", es)
	}
}
