package history

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migrations are the schema's versions, oldest first: migrations[i]
// brings a database from version i to version i+1. Never edit one that
// has shipped; append a new one. The SQL is written once for both
// databases (BIGINT, DOUBLE PRECISION and TEXT mean the same to SQLite
// and PostgreSQL).
var migrations = []string{
	// 1: runs, their labels, rows (with histograms) and time series.
	`CREATE TABLE runs (
		id TEXT PRIMARY KEY,
		started_ns BIGINT NOT NULL,
		ended_ns BIGINT,
		updated_ns BIGINT NOT NULL,
		end_reason TEXT NOT NULL DEFAULT '',
		exit_code BIGINT NOT NULL DEFAULT 0,
		verdict TEXT NOT NULL DEFAULT '',
		host TEXT NOT NULL DEFAULT '',
		users BIGINT NOT NULL DEFAULT 0,
		requests BIGINT NOT NULL DEFAULT 0,
		failures BIGINT NOT NULL DEFAULT 0,
		p95_ns BIGINT NOT NULL DEFAULT 0,
		rps DOUBLE PRECISION NOT NULL DEFAULT 0,
		labels TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '{}'
	);
	CREATE TABLE run_labels (
		run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		key TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (run_id, key)
	);
	CREATE TABLE run_rows (
		run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		pos BIGINT NOT NULL,
		type TEXT NOT NULL,
		name TEXT NOT NULL,
		requests BIGINT NOT NULL,
		failures BIGINT NOT NULL,
		total_ns BIGINT NOT NULL,
		min_ns BIGINT NOT NULL,
		max_ns BIGINT NOT NULL,
		content_bytes BIGINT NOT NULL,
		hist TEXT NOT NULL,
		PRIMARY KEY (run_id, pos)
	);
	CREATE TABLE run_points (
		run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		t_ns BIGINT NOT NULL,
		users BIGINT NOT NULL,
		requests BIGINT NOT NULL,
		failures BIGINT NOT NULL,
		rps DOUBLE PRECISION NOT NULL,
		fail_per_sec DOUBLE PRECISION NOT NULL,
		p50_ns BIGINT NOT NULL,
		p95_ns BIGINT NOT NULL,
		p99_ns BIGINT NOT NULL,
		avg_ns BIGINT NOT NULL,
		PRIMARY KEY (run_id, t_ns)
	)`,
	// 2: the profile becomes a column (it was only in detail) so that
	// lists filter on it; indexes for listing by date and label.
	`ALTER TABLE runs ADD COLUMN profile TEXT NOT NULL DEFAULT '';
	CREATE INDEX runs_started ON runs (started_ns);
	CREATE INDEX run_labels_kv ON run_labels (key, value)`,
	// 3: the audit log (audit_log.go): one hash-chained line an entry,
	// numbered by seq; the other columns are for queries, the line is
	// what the chain covers.
	`CREATE TABLE audit_log (
		seq BIGINT PRIMARY KEY,
		time_ns BIGINT NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		outcome TEXT NOT NULL,
		line TEXT NOT NULL,
		hash TEXT NOT NULL
	);
	CREATE INDEX audit_log_time ON audit_log (time_ns)`,
	// 4: the runs table keeps only what a list shows: the details (JSON
	// of options, failures, thresholds, ... often kilobytes) move to a
	// table of their own, so that listing 10,000 runs reads no overflow
	// pages; the list's order (newest first, then id) gets an index of
	// its own, so a page is one indexed query; rows keep their aborted
	// requests.
	`CREATE TABLE run_details (
		run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
		detail TEXT NOT NULL
	);
	INSERT INTO run_details (run_id, detail) SELECT id, detail FROM runs;
	ALTER TABLE runs DROP COLUMN detail;
	DROP INDEX runs_started;
	CREATE INDEX runs_started_id ON runs (started_ns, id);
	ALTER TABLE run_rows ADD COLUMN aborted BIGINT NOT NULL DEFAULT 0`,
}

// SchemaVersion is the schema version this package writes.
var SchemaVersion = len(migrations)

// migrate brings the database to version target (normally
// SchemaVersion), one transaction per version. A database newer than
// this package is an error: an older program must not write to it.
func (s *Store) migrate(ctx context.Context, target int) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, applied_ns BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("failed to create the schema_migrations table: %w", err)
	}
	for {
		done, err := s.migrateOne(ctx, target)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, if any, under a lock that keeps
// two processes from applying it twice.
func (s *Store) migrateOne(ctx context.Context, target int) (done bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("failed to begin a migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.postgres {
		// Serializes concurrent openers; released at commit.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72011)`); err != nil {
			return false, fmt.Errorf("failed to lock the schema: %w", err)
		}
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return false, fmt.Errorf("failed to read the schema version: %w", err)
	}
	if v > len(migrations) {
		return false, fmt.Errorf("the run store has schema version %d, newer than this program's %d: use a newer golocust", v, len(migrations))
	}
	if v >= target {
		return true, tx.Commit()
	}
	for stmt := range strings.SplitSeq(migrations[v], ";\n") {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("failed to migrate the schema to version %d: %w", v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO schema_migrations (version, applied_ns) VALUES (?, ?)`), v+1, time.Now().UnixNano()); err != nil {
		return false, fmt.Errorf("failed to record schema version %d: %w", v+1, err)
	}
	return false, tx.Commit()
}

// Version returns the schema version of the database.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("failed to read the schema version: %w", err)
	}
	return v, nil
}
