package locust_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocust/locust"
	"github.com/golocust/locust/history"
)

// TestHistoryLockedStoreKeepsOutputs: another process holds the run
// store's write lock for the whole run. The run still writes its CSV and
// JSON outputs and exits as it would, and the log names the store and
// says the run was not saved.
func TestHistoryLockedStoreKeepsOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the store's busy timeout; skipped with -short")
	}
	srv := newRunServer(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "locked.db")
	s, err := history.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The lock holder: a plain SQLite connection in a write transaction.
	ldb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer ldb.Close()
	conn, err := ldb.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	res := runMain(t, &locust.Program{Classes: []locust.UserClass{histClass()}},
		"--headless", "-u", "1", "-r", "10", "-i", "20", "-H", srv.URL, "--history", db, "--csv", filepath.Join(dir, "out"), "--json")
	if res.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "cannot open the run store") || !strings.Contains(res.stderr, "locked.db") || strings.Contains(res.stderr, "run saved in the history") {
		t.Errorf("no clear error about the locked store:\n%s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out_stats.csv")); err != nil {
		t.Error(err)
	}
	if !json.Valid([]byte(res.stdout)) {
		t.Errorf("no JSON output:\n%s", res.stdout)
	}
}
