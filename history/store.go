package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"               // registers "sqlite"
)

// Store is a run store: an SQLite file or a PostgreSQL database. All
// methods may be called concurrently, and several processes may use one
// store at once (SQLite in WAL mode with a busy timeout; PostgreSQL
// transactions).
type Store struct {
	db       *sql.DB
	postgres bool
	name     string // the DSN or path, without a password
	now      func() time.Time
}

// ErrNotFound is returned (wrapped) for a run id or baseline that is not
// in the store.
var ErrNotFound = errors.New("not found")

// IsPostgres reports whether dsn names a PostgreSQL database
// (postgres:// or postgresql://) rather than an SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the run store dsn, creating it if needed, and brings its
// schema to [SchemaVersion]. dsn is a PostgreSQL URL (postgres://...) or
// the path of an SQLite file, created with permissions 0600 in an
// existing directory. A file that is not a run store, a newer schema or
// an unreachable server is an error naming dsn.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return open(ctx, dsn, len(migrations))
}

func open(ctx context.Context, dsn string, version int) (*Store, error) {
	s := &Store{postgres: IsPostgres(dsn), name: Redact(dsn), now: time.Now}
	fail := func(err error) (*Store, error) {
		if s.db != nil {
			_ = s.db.Close()
		}
		return nil, fmt.Errorf("run store %s: %w", s.name, err)
	}
	var err error
	if s.postgres {
		s.db, err = sql.Open("pgx", dsn)
	} else {
		if dsn == "" {
			return fail(errors.New("empty path"))
		}
		if err := createFile(dsn); err != nil {
			return fail(err)
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_txlock", "immediate")
		s.db, err = sql.Open("sqlite", "file:"+(&url.URL{Path: dsn}).EscapedPath()+"?"+q.Encode())
	}
	if err != nil {
		return fail(err)
	}
	if err := s.connect(ctx); err != nil {
		return fail(fmt.Errorf("failed to connect: %w", err))
	}
	if err := s.migrate(ctx, version); err != nil {
		return fail(err)
	}
	return s, nil
}

// sqliteBusyWait is how long opening an SQLite store retries while the
// file is busy: the busy timeout of its connections.
const sqliteBusyWait = 10 * time.Second

// connect makes the first connection. A new SQLite connection switches
// the file to WAL mode, which SQLite refuses at once with SQLITE_BUSY,
// without waiting in its busy handler, while another process is creating
// or opening the same file: connect retries that for as long as the busy
// timeout would have waited.
func (s *Store) connect(ctx context.Context) error {
	deadline := time.Now().Add(sqliteBusyWait)
	for {
		err := s.db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || s.postgres || !errors.As(err, &se) || se.Code()&0xff != 5 || time.Now().After(deadline) {
			return err // 5: SQLITE_BUSY and its extended codes
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// createFile creates the SQLite file with mode 0600 if it does not
// exist, so that SQLite (which would use 0644) does not.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cannot create the file: its directory does not exist")
		}
		return fmt.Errorf("cannot open the file: %w", err)
	}
	return f.Close()
}

// Redact returns dsn with any password replaced by "xxxxx", for logs
// and errors.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable DSN)"
	}
	return u.Redacted()
}

// String returns the store's path or DSN, without a password.
func (s *Store) String() string { return s.name }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// bind rewrites ? placeholders as $1, $2, ... for PostgreSQL.
func (s *Store) bind(q string) string {
	if !s.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func timeOf(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Save writes r: the first call creates the run, later ones (the
// checkpoints at each stats tick, then the final save) replace its
// summary, details, labels and rows and append the points newer than
// those stored. A run with a zero End is unfinished. Updated is set to
// now. Save is one transaction: a crash leaves the previous checkpoint.
func (s *Store) Save(ctx context.Context, r *Run) error {
	return s.saveAt(ctx, r, time.Time{})
}

// saveAt is Save with Updated set to updated, or to now if zero.
func (s *Store) saveAt(ctx context.Context, r *Run, updated time.Time) (err error) {
	if r.ID == "" || r.Start.IsZero() {
		return errors.New("failed to save a run: it needs an ID and a Start")
	}
	if updated.IsZero() {
		updated = s.now()
	}
	r.Updated = updated.UTC()
	labels := encodeLabels(r.Labels)
	detail, err := json.Marshal(r.Detail)
	if err != nil {
		return fmt.Errorf("failed to encode run %s: %w", r.ID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("failed to save run %s: %w", r.ID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = fmt.Errorf("failed to save run %s: %w", r.ID, err)
		}
	}()
	var ended any
	if !r.End.IsZero() {
		ended = r.End.UnixNano()
	}
	_, err = tx.ExecContext(ctx, s.bind(`INSERT INTO runs (id, started_ns, ended_ns, updated_ns, end_reason, exit_code,
		verdict, host, users, requests, failures, p95_ns, rps, labels, profile)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET started_ns = excluded.started_ns, ended_ns = excluded.ended_ns,
		updated_ns = excluded.updated_ns, end_reason = excluded.end_reason, exit_code = excluded.exit_code,
		verdict = excluded.verdict, host = excluded.host, users = excluded.users, requests = excluded.requests,
		failures = excluded.failures, p95_ns = excluded.p95_ns, rps = excluded.rps, labels = excluded.labels,
		profile = excluded.profile`),
		r.ID, r.Start.UnixNano(), ended, r.Updated.UnixNano(), r.EndReason, r.ExitCode, r.Verdict, r.Host,
		r.Users, r.Requests, r.Failures, int64(r.P95), finite(r.RPS), labels, r.Profile)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.bind(`INSERT INTO run_details (run_id, detail) VALUES (?, ?)
		ON CONFLICT (run_id) DO UPDATE SET detail = excluded.detail`), r.ID, string(detail))
	if err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM run_labels WHERE run_id = ?`, `DELETE FROM run_rows WHERE run_id = ?`} {
		if _, err = tx.ExecContext(ctx, s.bind(q), r.ID); err != nil {
			return err
		}
	}
	if err = s.insertMany(ctx, tx, `INSERT INTO run_labels (run_id, key, value) VALUES `, 3, len(r.Labels), labelArgs(r)); err != nil {
		return err
	}
	rows := append([]Row{r.Total}, r.Rows...)
	err = s.insertMany(ctx, tx, `INSERT INTO run_rows (run_id, pos, type, name, requests, failures, aborted, total_ns,
		min_ns, max_ns, content_bytes, hist) VALUES `, 12, len(rows), func(i int) []any {
		w := rows[i]
		return []any{r.ID, i - 1, w.Type, w.Name, w.Requests, w.Failures, w.Aborted, int64(w.TotalTime), int64(w.Min),
			int64(w.Max), w.ContentBytes, w.Hist}
	})
	if err != nil {
		return err
	}
	var last int64
	if err = tx.QueryRowContext(ctx, s.bind(`SELECT COALESCE(MAX(t_ns), 0) FROM run_points WHERE run_id = ?`), r.ID).Scan(&last); err != nil {
		return err
	}
	first := 0
	for first < len(r.Points) && r.Points[first].Time.UnixNano() <= last {
		first++
	}
	pts := r.Points[first:]
	err = s.insertMany(ctx, tx, `INSERT INTO run_points (run_id, t_ns, users, requests, failures, rps, fail_per_sec,
		p50_ns, p95_ns, p99_ns, avg_ns) VALUES `, 11, len(pts), func(i int) []any {
		p := pts[i]
		return []any{r.ID, p.Time.UnixNano(), p.Users, p.Requests, p.Failures, finite(p.RPS), finite(p.FailPerSec),
			int64(p.P50), int64(p.P95), int64(p.P99), int64(p.AvgTime)}
	})
	if err != nil {
		return err
	}
	return tx.Commit()
}

func labelArgs(r *Run) func(int) []any {
	keys := slices.Sorted(maps.Keys(r.Labels))
	return func(i int) []any { return []any{r.ID, keys[i], r.Labels[keys[i]]} }
}

// insertMany inserts n rows of cols values each, in statements of up to
// 100 rows.
func (s *Store) insertMany(ctx context.Context, tx *sql.Tx, head string, cols, n int, row func(int) []any) error {
	const chunk = 100
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for at := 0; at < n; at += chunk {
		m := min(chunk, n-at)
		args := make([]any, 0, m*cols)
		for i := range m {
			args = append(args, row(at+i)...)
		}
		q := head + strings.TrimSuffix(strings.Repeat(tuple+", ", m), ", ")
		if _, err := tx.ExecContext(ctx, s.bind(q), args...); err != nil {
			return err
		}
	}
	return nil
}

func finite(f float64) float64 {
	if f != f || f > 1e300 || f < -1e300 {
		return 0
	}
	return f
}

// encodeLabels encodes labels for the runs table's labels column as a
// URL query, sorted by key ("commit=abc&env=staging"), which lists
// decode much faster than JSON; run_labels holds them for filtering.
func encodeLabels(m map[string]string) string {
	q := url.Values{}
	for k, v := range m {
		q.Set(k, v)
	}
	return q.Encode()
}

// decodeLabels decodes what encodeLabels wrote. Lists decode one labels
// column per run, so it unescapes only the parts that need it.
func decodeLabels(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	m := make(map[string]string, strings.Count(s, "&")+1)
	for part := range strings.SplitSeq(s, "&") {
		k, v, _ := strings.Cut(part, "=")
		if strings.ContainsAny(part, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				return nil, err
			}
			if v, err = url.QueryUnescape(v); err != nil {
				return nil, err
			}
		}
		if _, dup := m[k]; !dup {
			m[k] = v
		}
	}
	return m, nil
}

// summaryColumns are the columns scanSummary reads.
const summaryColumns = `id, started_ns, ended_ns, updated_ns, end_reason, exit_code, verdict, host, users, requests,
	failures, p95_ns, rps, labels, profile`

type scanner interface{ Scan(...any) error }

func (s *Store) scanSummary(sc scanner, extra ...any) (Summary, error) {
	var (
		sum                   Summary
		started, updated, p95 int64
		ended                 sql.NullInt64
		labels                string
	)
	dest := append([]any{&sum.ID, &started, &ended, &updated, &sum.EndReason, &sum.ExitCode, &sum.Verdict, &sum.Host,
		&sum.Users, &sum.Requests, &sum.Failures, &p95, &sum.RPS, &labels, &sum.Profile}, extra...)
	err := sc.Scan(dest...)
	if err != nil {
		return sum, err
	}
	sum.Start, sum.Updated, sum.P95 = timeOf(started), timeOf(updated), time.Duration(p95)
	if ended.Valid {
		sum.End = timeOf(ended.Int64)
	}
	if sum.Labels, err = decodeLabels(labels); err != nil {
		return sum, fmt.Errorf("run %s: bad labels: %w", sum.ID, err)
	}
	switch {
	case !sum.End.IsZero():
		sum.Status = Finished
	case s.now().Sub(sum.Updated) > StaleAfter:
		sum.Status = Interrupted
	default:
		sum.Status = Running
	}
	return sum, nil
}

// Get returns the run id with its rows and time series. A missing run is
// an error wrapping [ErrNotFound].
func (s *Store) Get(ctx context.Context, id string) (*Run, error) {
	var detail string
	row := s.db.QueryRowContext(ctx, s.bind(`SELECT `+summaryColumns+`, COALESCE(d.detail, '{}') FROM runs
		LEFT JOIN run_details d ON d.run_id = runs.id WHERE id = ?`), id)
	sum, err := s.scanSummary(row, &detail)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read run %q: %w", id, err)
	}
	r := &Run{Summary: sum}
	if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
		return nil, fmt.Errorf("failed to read run %q: bad detail: %w", id, err)
	}
	if err := s.readRows(ctx, r); err != nil {
		return nil, fmt.Errorf("failed to read the rows of run %q: %w", id, err)
	}
	if err := s.readPoints(ctx, r); err != nil {
		return nil, fmt.Errorf("failed to read the time series of run %q: %w", id, err)
	}
	return r, nil
}

func (s *Store) readRows(ctx context.Context, r *Run) error {
	rows, err := s.db.QueryContext(ctx, s.bind(`SELECT pos, type, name, requests, failures, aborted, total_ns, min_ns,
		max_ns, content_bytes, hist FROM run_rows WHERE run_id = ? ORDER BY pos`), r.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.Rows = []Row{}
	for rows.Next() {
		var (
			w           Row
			pos         int
			tot, mn, mx int64
		)
		if err := rows.Scan(&pos, &w.Type, &w.Name, &w.Requests, &w.Failures, &w.Aborted, &tot, &mn, &mx, &w.ContentBytes, &w.Hist); err != nil {
			return err
		}
		w.TotalTime, w.Min, w.Max = time.Duration(tot), time.Duration(mn), time.Duration(mx)
		if pos < 0 {
			r.Total = w
		} else {
			r.Rows = append(r.Rows, w)
		}
	}
	return rows.Err()
}

func (s *Store) readPoints(ctx context.Context, r *Run) error {
	rows, err := s.db.QueryContext(ctx, s.bind(`SELECT t_ns, users, requests, failures, rps, fail_per_sec, p50_ns,
		p95_ns, p99_ns, avg_ns FROM run_points WHERE run_id = ? ORDER BY t_ns`), r.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p                     Point
			t, p50, p95, p99, avg int64
		)
		if err := rows.Scan(&t, &p.Users, &p.Requests, &p.Failures, &p.RPS, &p.FailPerSec, &p50, &p95, &p99, &avg); err != nil {
			return err
		}
		p.Time, p.P50, p.P95, p.P99, p.AvgTime = timeOf(t), time.Duration(p50), time.Duration(p95), time.Duration(p99), time.Duration(avg)
		r.Points = append(r.Points, p)
	}
	return rows.Err()
}

// Filter selects runs. The zero Filter selects every run.
type Filter struct {
	// Labels must all be present with these values.
	Labels map[string]string
	// Host and Profile, when set, must match exactly.
	Host, Profile string
	// Since and Until, when set, bound the start time: Since <= start <
	// Until.
	Since, Until time.Time
	// Finished selects only runs that ended (not running or
	// interrupted).
	Finished bool
	// Limit caps the number of runs returned (0: no limit); Offset skips
	// the first ones, for pagination.
	Limit, Offset int
}

func (s *Store) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	for _, k := range slices.Sorted(maps.Keys(f.Labels)) {
		// EXISTS, not IN: a page of runs with a common label walks the
		// runs newest first (runs_started_id) and stops at the page's
		// end, checking each run's label by its primary key, instead of
		// sorting every run with the label.
		conds = append(conds, `EXISTS (SELECT 1 FROM run_labels l WHERE l.run_id = runs.id AND l.key = ? AND l.value = ?)`)
		args = append(args, k, f.Labels[k])
	}
	if f.Host != "" {
		conds, args = append(conds, `host = ?`), append(args, f.Host)
	}
	if f.Profile != "" {
		conds, args = append(conds, `profile = ?`), append(args, f.Profile)
	}
	if !f.Since.IsZero() {
		conds, args = append(conds, `started_ns >= ?`), append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, `started_ns < ?`), append(args, f.Until.UnixNano())
	}
	if f.Finished {
		conds = append(conds, `ended_ns IS NOT NULL`)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns the summaries of the runs f selects, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Summary, error) {
	where, args := s.where(f)
	q := `SELECT ` + summaryColumns + ` FROM runs` + where + ` ORDER BY started_ns DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	if f.Offset > 0 {
		if f.Limit <= 0 {
			q += ` LIMIT -1`
			if s.postgres {
				q = strings.TrimSuffix(q, ` LIMIT -1`) + ` LIMIT ALL`
			}
		}
		q += ` OFFSET ` + strconv.Itoa(f.Offset)
	}
	rows, err := s.db.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("failed to list runs: %w", err)
	}
	defer rows.Close()
	out := make([]Summary, 0, min(max(f.Limit, 0), 1000))
	for rows.Next() {
		sum, err := s.scanSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list runs: %w", err)
		}
		out = append(out, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list runs: %w", err)
	}
	return out, nil
}

// Count returns how many runs f selects (its Limit and Offset are not
// used).
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	where, args := s.where(f)
	var n int
	if err := s.db.QueryRowContext(ctx, s.bind(`SELECT COUNT(*) FROM runs`+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("failed to count runs: %w", err)
	}
	return n, nil
}

// Delete removes the run id. A missing run is an error wrapping
// [ErrNotFound].
func (s *Store) Delete(ctx context.Context, id string) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("failed to delete run %q: %w", id, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	n, err := s.deleteTx(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("failed to delete run %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	return tx.Commit()
}

func (s *Store) deleteTx(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
	for _, q := range []string{`DELETE FROM run_labels WHERE run_id = ?`, `DELETE FROM run_rows WHERE run_id = ?`,
		`DELETE FROM run_points WHERE run_id = ?`, `DELETE FROM run_details WHERE run_id = ?`} {
		if _, err := tx.ExecContext(ctx, s.bind(q), id); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, s.bind(`DELETE FROM runs WHERE id = ?`), id)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
