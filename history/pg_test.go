package history

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// A real PostgreSQL server for the tests, started once per test binary
// in a temporary directory as the postgres user, listening only on a
// Unix socket. LOCUST_REQUIRE_POSTGRES=1 (set by .ci/run) makes its
// absence a failure rather than a skip.

const pgBin = "/usr/lib/postgresql/15/bin"

var pgState struct {
	once sync.Once
	dir  string // data and socket directory
	err  error
	n    atomic.Int64
}

// pgCleanup stops the server; TestMain calls it.
func pgCleanup() {
	if pgState.dir == "" {
		return
	}
	_ = exec.Command("runuser", "-u", "postgres", "--", pgBin+"/pg_ctl", "-D", pgState.dir+"/data", "-m", "immediate", "stop").Run()
	_ = os.RemoveAll(pgState.dir)
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgCleanup()
	os.Exit(code)
}

func pgStart() (string, error) {
	if _, err := os.Stat(pgBin + "/initdb"); err != nil {
		return "", fmt.Errorf("PostgreSQL 15 is not installed (%s/initdb): apt-get install postgresql", pgBin)
	}
	if _, err := exec.LookPath("runuser"); err != nil || os.Geteuid() != 0 {
		return "", fmt.Errorf("starting PostgreSQL as the postgres user needs root and runuser")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return "", fmt.Errorf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "golocust-pg-")
	if err != nil {
		return "", err
	}
	pgState.dir = dir
	if err := os.Chown(dir, uid, gid); err != nil {
		return "", err
	}
	run := func(args ...string) error {
		out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", filepath.Base(args[0]), err, out)
		}
		return nil
	}
	if err := run(pgBin+"/initdb", "-D", dir+"/data", "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		return "", err
	}
	if err := run(pgBin+"/pg_ctl", "-D", dir+"/data", "-w", "-l", dir+"/log",
		"-o", "-k "+dir+" -c listen_addresses='' -c fsync=off", "start"); err != nil {
		return "", err
	}
	return dir, nil
}

// pgDSN returns the DSN of a fresh database on the test server, or skips.
func pgDSN(t testing.TB) string {
	t.Helper()
	pgState.once.Do(func() { _, pgState.err = pgStart() })
	if pgState.err != nil {
		if os.Getenv("LOCUST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (LOCUST_REQUIRE_POSTGRES=1): %v", pgState.err)
		}
		t.Skipf("no PostgreSQL server (set LOCUST_REQUIRE_POSTGRES=1 to fail instead): %v", pgState.err)
	}
	admin := "postgres:///postgres?host=" + pgState.dir + "&user=postgres"
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("t%d", pgState.n.Add(1))
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return "postgres:///" + name + "?host=" + pgState.dir + "&user=postgres"
}
