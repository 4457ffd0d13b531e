package locust

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/audit"
)

var auditUIURL = regexp.MustCompile(`Starting web interface at (http://[^ "\n]+/)`)

// TestAuditLogInTheRunStore runs the program with a web UI and a run
// history but no --audit-log: the audit entries (the configuration the
// program recorded itself, the admin's start with a URL password, the
// stop, the exit) go to the run store with their hash chain, admins read
// them there at GET /audit, no secret is stored, --verify-audit-log
// checks the store's chain, and an entry edited in the database (as an
// attacker with access to it would) is reported by its seq.
func TestAuditLogInTheRunStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	logs := &syncBuffer{}
	p := &Program{Classes: webuiTestClasses(), Stdout: io.Discard, Stderr: logs, Dir: t.TempDir(),
		Getenv: func(string) string { return "" }, Signals: make(chan os.Signal)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan int, 1)
	go func() {
		ended <- p.Main(ctx, []string{"-P", "0", "--web-host", "127.0.0.1", "--web-auth", "ada:adminpw", "--history", db,
			"-H", "http://127.0.0.1:1"})
	}()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := auditUIURL.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-ended:
			t.Fatalf("the program ended with %d: %s", code, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no web UI address in the log: %s", logs.String())
		}
	}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+strings.TrimPrefix(path, "/"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("ada", "adminpw")
		resp, b := webuiDo(t, req)
		return resp.StatusCode, b
	}
	if code, b := do("POST", "/swarm", "user_count=1&spawn_rate=10&host=http://u:hunter2@127.0.0.1:1"); code != 200 {
		t.Fatalf("start: %d %s", code, b)
	}
	if code, b := do("POST", "/stop", ""); code != 200 {
		t.Fatalf("stop: %d %s", code, b)
	}
	code, body := do("GET", "/audit", "")
	if code != 200 {
		t.Fatalf("GET /audit: %d %s", code, body)
	}
	var page struct{ Entries []audit.Entry }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Actor+"/"+e.Action+"/"+e.Outcome)
	}
	// "config" is recorded by the program, not the web UI: only the
	// store has it.
	if want := []string{"system/config/ok", "ada/start/ok", "ada/host/ok", "ada/stop/ok"}; !containsInOrder(got, want) {
		t.Errorf("GET /audit entries %q, want %q among them", got, want)
	}
	cancel()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the program did not end")
	}

	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "hunter2") || bytes.Contains(raw, []byte("hunter2")) {
		t.Error("the URL password reached the audit log in the store")
	}
	var out, errb bytes.Buffer
	if code, _ := runSecurityTool(&webSecOptions{verifyAudit: db}, nil, &out, &errb, "prog"); code != ExitOK ||
		!strings.Contains(out.String(), "chain intact") || !strings.Contains(out.String(), "the audit log in "+db) {
		t.Fatalf("verify the store: %d %s %s", code, out.String(), errb.String())
	}

	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var seq int64
	if err := sdb.QueryRow(`SELECT seq FROM audit_log WHERE action = 'stop'`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(`UPDATE audit_log SET line = REPLACE(line, '"actor":"ada"', '"actor":"bob"') WHERE seq = ?`, seq); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code, _ := runSecurityTool(&webSecOptions{verifyAudit: db}, nil, &out, &errb, "prog"); code != ExitError ||
		!strings.Contains(errb.String(), "seq "+strconv.FormatInt(seq, 10)) || !strings.Contains(errb.String(), "edited") {
		t.Errorf("verify the tampered store: %d %q, want the entry of seq %d reported", code, errb.String(), seq)
	}
}

// containsInOrder reports whether want's items appear in got in order.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
