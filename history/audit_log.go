package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golocust/locust/audit"
)

// AuditLog is the audit log kept in a run store (its audit_log table):
// the same hash-chained JSON lines as an [audit.File] writes, one row an
// entry, numbered from 1 by seq. It is an [audit.Reader]. Safe for
// concurrent use, also by several programs sharing the store: each entry
// is appended in one transaction that reads the chain's last hash under
// a lock (SQLite's write lock, a PostgreSQL advisory lock), so the chain
// never forks.
//
// As with a file, the chain detects entries edited, inserted, removed or
// reordered, not the newest entries removed nor the whole table
// rewritten by someone who recomputes every hash: keep the last hash
// ([audit.Summary.LastHash], printed by --verify-audit-log) elsewhere to
// detect those.
type AuditLog struct {
	s *Store
}

// auditTimeout bounds one write or read of the audit log: its Sink
// interface has no context.
const auditTimeout = 10 * time.Second

// auditLock is the PostgreSQL advisory lock that serializes appends.
const auditLock = 72012

// AuditLog returns the store's audit log.
func (s *Store) AuditLog() *AuditLog { return &AuditLog{s: s} }

var _ audit.Reader = (*AuditLog)(nil)

// Record appends e to the chain (its parameters redacted as in a file).
func (a *AuditLog) Record(e audit.Entry) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	s := a.s
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit log in %s: %w", s.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = fmt.Errorf("audit log in %s: %w", s.name, err)
		}
	}()
	if s.postgres {
		if _, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+fmt.Sprint(auditLock)+`)`); err != nil {
			return err
		}
	}
	var (
		seq  int64
		prev string
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	line, hash, err := audit.Encode(e, prev)
	if err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, s.bind(`INSERT INTO audit_log (seq, time_ns, actor, action, outcome, line, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), seq+1, e.Time.UnixNano(), e.Actor, e.Action, e.Outcome, string(line), hash); err != nil {
		return err
	}
	return tx.Commit()
}

// Latest returns the n latest entries, oldest first (all with n <= 0).
// Entries whose line does not match its hash are left out: check the
// chain with [AuditLog.Verify].
func (a *AuditLog) Latest(n int) ([]audit.Entry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	q := `SELECT line FROM audit_log ORDER BY seq DESC`
	if n > 0 {
		q += fmt.Sprintf(` LIMIT %d`, n)
	}
	rows, err := a.s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("audit log in %s: %w", a.s.name, err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, fmt.Errorf("audit log in %s: %w", a.s.name, err)
		}
		if e, _, _, err := audit.Decode([]byte(line)); err == nil {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log in %s: %w", a.s.name, err)
	}
	slices.Reverse(out)
	return out, nil
}

// Verify checks every entry, in seq order, against its hash and the
// hash of the entry before. It returns an [*audit.TamperError] (with the
// entry's Seq) for the first entry that was edited, inserted, removed or
// reordered (the entry after a removal is the one reported), or a read
// error.
func (a *AuditLog) Verify(ctx context.Context) (audit.Summary, error) {
	var c audit.Chain
	rows, err := a.s.db.QueryContext(ctx, `SELECT seq, line, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return c.Summary(), fmt.Errorf("audit log in %s: %w", a.s.name, err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		var (
			seq        int64
			line, hash string
		)
		if err := rows.Scan(&seq, &line, &hash); err != nil {
			return c.Summary(), fmt.Errorf("audit log in %s: %w", a.s.name, err)
		}
		if _, _, h, err := audit.Decode([]byte(line)); err == nil && h != hash {
			return c.Summary(), &audit.TamperError{Line: n, Seq: seq, Reason: "its hash column does not match its line (edited)"}
		}
		if err := c.Next([]byte(line)); err != nil {
			return c.Summary(), &audit.TamperError{Line: n, Seq: seq, Reason: err.Error()}
		}
	}
	if err := rows.Err(); err != nil {
		return c.Summary(), fmt.Errorf("audit log in %s: %w", a.s.name, err)
	}
	return c.Summary(), nil
}
