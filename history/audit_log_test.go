package history

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust/audit"
)

func auditEntry(i int) audit.Entry {
	return audit.Entry{Time: t0.Add(time.Duration(i) * time.Second), Actor: "alice", Role: "operator", Source: "127.0.0.1:5000",
		Action: "start", Params: map[string]any{"users": i, "host": "http://u:hunter2@h.example/", "password": "hunter2"}, Outcome: audit.OK}
}

func auditRecord(t *testing.T, a *AuditLog, n int) {
	t.Helper()
	for i := range n {
		if err := a.Record(auditEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditLogChain records entries into the store, from one program and
// from two at once (two Stores on the same database): the chain verifies,
// stays one chain (seq 1..n, each entry after the one before), the
// latest entries read back, and no secret reaches the table.
func TestAuditLogChain(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		a := s.AuditLog()
		if sum, err := a.Verify(ctx); err != nil || sum.Entries != 0 {
			t.Fatalf("empty log: %+v %v", sum, err)
		}
		auditRecord(t, a, 3)
		other := openT(t, dsn).AuditLog()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for _, l := range []*AuditLog{a, other} {
			wg.Go(func() {
				for i := range 10 {
					errs <- l.Record(auditEntry(100 + i))
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		sum, err := a.Verify(ctx)
		if err != nil || sum.Entries != 23 || !sum.First.Equal(t0.Truncate(time.Microsecond)) || len(sum.LastHash) != 64 {
			t.Fatalf("verify: %+v %v", sum, err)
		}
		var lo, hi, n int64
		if err := s.db.QueryRowContext(ctx, `SELECT MIN(seq), MAX(seq), COUNT(*) FROM audit_log`).Scan(&lo, &hi, &n); err != nil || lo != 1 || hi != 23 || n != 23 {
			t.Errorf("seq %d..%d, %d rows, %v: want 1..23", lo, hi, n, err)
		}
		es, err := a.Latest(2)
		if err != nil || len(es) != 2 || es[0].Action != "start" || !es[1].Time.After(t0) {
			t.Fatalf("Latest(2) = %+v, %v", es, err)
		}
		if all, err := a.Latest(0); err != nil || len(all) != 23 || !all[0].Time.Equal(t0.Truncate(time.Microsecond)) {
			t.Fatalf("Latest(0) = %d entries, %v", len(all), err)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT line FROM audit_log`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(line, "hunter2") || !strings.Contains(line, `"password":"[redacted]"`) || !strings.Contains(line, "u:xxxxx@h.example") {
				t.Fatalf("a secret is in the store: %s", line)
			}
		}
	})
}

// TestAuditLogTampering edits the table as an attacker with write access
// to the database would, to hide what they did: change an entry's
// actor, delete an entry, swap two entries' lines, delete the first,
// change a hash column, insert a forged entry. Verify names the first
// entry that is wrong, by its seq.
func TestAuditLogTampering(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		cases := []struct {
			name string
			sql  []string
			seq  int64
		}{
			{"edited actor", []string{`UPDATE audit_log SET line = REPLACE(line, '"actor":"alice"', '"actor":"bob__"') WHERE seq = 3`}, 3},
			{"deleted entry", []string{`DELETE FROM audit_log WHERE seq = 3`}, 4},
			{"swapped lines", []string{`UPDATE audit_log SET seq = 100 WHERE seq = 2`, `UPDATE audit_log SET seq = 2 WHERE seq = 4`,
				`UPDATE audit_log SET seq = 4 WHERE seq = 100`}, 2},
			{"deleted first", []string{`DELETE FROM audit_log WHERE seq = 1`}, 2},
			{"edited hash column", []string{`UPDATE audit_log SET hash = REPLACE(hash, SUBSTR(hash, 1, 1), 'x') WHERE seq = 4`}, 4},
			{"forged entry", []string{`UPDATE audit_log SET seq = seq + 10 WHERE seq > 2`,
				`INSERT INTO audit_log (seq, time_ns, actor, action, outcome, line, hash) SELECT 3, time_ns, actor, action, outcome, line, hash FROM audit_log WHERE seq = 2`}, 3},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// A store of its own for each case.
				d := fmt.Sprintf("%s.%d", dsn, i)
				if IsPostgres(dsn) {
					d = pgDSN(t)
				}
				s := openT(t, d)
				a := s.AuditLog()
				auditRecord(t, a, 5)
				for _, q := range c.sql {
					if _, err := s.db.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				_, err := a.Verify(ctx)
				var te *audit.TamperError
				if !errors.As(err, &te) || te.Seq != c.seq || !strings.Contains(err.Error(), fmt.Sprintf("seq %d", c.seq)) {
					t.Fatalf("Verify = %v, want the entry of seq %d reported", err, c.seq)
				}
			})
		}
	})
}

// TestUpgradeFromVersion2 opens a store of schema version 2 (runs, no
// audit log) with this package: it gains the audit log, keeps its runs,
// and an older program (version 2) refuses the upgraded store.
func TestUpgradeFromVersion2(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := open(ctx, dsn, 2)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := old.Version(ctx); v != 2 {
			t.Fatalf("version %d, want 2", v)
		}
		saveV2(t, old, "v2run", 3)
		if _, err := old.db.ExecContext(ctx, `SELECT 1 FROM audit_log`); err == nil {
			t.Fatal("schema 2 already has the audit log")
		}
		old.Close()

		s := openT(t, dsn)
		if v, _ := s.Version(ctx); v != SchemaVersion || SchemaVersion < 3 {
			t.Fatalf("version %d after upgrade, want %d", v, SchemaVersion)
		}
		r, err := s.Get(ctx, "v2run")
		if err != nil || r.Requests != 300 || len(r.Points) != 3 {
			t.Fatalf("upgraded run: %+v, %v", r, err)
		}
		auditRecord(t, s.AuditLog(), 2)
		if sum, err := s.AuditLog().Verify(ctx); err != nil || sum.Entries != 2 {
			t.Fatalf("audit log after upgrade: %+v %v", sum, err)
		}
	})
}
