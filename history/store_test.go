package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// backends runs f against a fresh SQLite store and a fresh PostgreSQL
// store: the one test suite of both.
func backends(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "history.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, pgDSN(t)) })
}

func openT(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC)

func testHist(t testing.TB, vals ...int64) string {
	h := hdr.NewPacked(1, int64(time.Hour/time.Microsecond), 3)
	for _, v := range vals {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(enc)
}

// testRun is a run with every field set.
func testRun(t testing.TB, id string, start time.Time, points int) *Run {
	r := &Run{
		Summary: Summary{ID: id, Start: start, End: start.Add(time.Minute), EndReason: "run time reached",
			ExitCode: 3, Verdict: "fail", Host: "http://127.0.0.1:1", Users: 10, Profile: "smoke",
			Labels: map[string]string{"commit": "abc123", "env": "staging"}, Requests: 300, Failures: 3,
			P95: 95 * time.Millisecond, RPS: 5},
		Detail: Detail{StatsStart: start, StatsTime: start.Add(time.Minute), SpawnRate: 2.5, RunTime: time.Minute,
			Classes: []Class{{Name: "Shopper", Weight: 3}, {Name: "Admin", Weight: 1, FixedCount: 1}},
			Shape:   "arrival 10/s", Options: map[string]string{"users": "10", "cluster-token": "REDACTED"},
			Build: Build{Module: "example.com/lt", Version: "(devel)", Revision: "deadbeef", GoVersion: "go1.26"},
			Nodes: []string{"w1", "w2"}, Workers: []Worker{{ID: "w1", State: "running", Users: 5}},
			Errors:     []Failure{{Type: "GET", Name: "/a", Error: "HTTP 500", Occurrences: 2, FirstSeen: start, LastSeen: start.Add(time.Second)}},
			Exceptions: []Exception{{Message: "boom", Traceback: "main.go:1", Count: 1, Nodes: []string{"w1"}}},
			Thresholds: []ThresholdResult{{Threshold: "p95<50ms", Observed: "95ms", Baseline: "90ms"}},
			Schedule:   []byte(`{"scheduled":10}`),
			Baseline:   "20260101-000000-000000"},
		Rows: []Row{
			{Type: "GET", Name: "/a", Requests: 200, Failures: 2, Aborted: 4, TotalTime: 2 * time.Second, Min: time.Millisecond,
				Max: 100 * time.Millisecond, ContentBytes: 2000, Hist: testHist(t, 1000, 5000, 100000)},
			{Type: "POST", Name: "/b", Requests: 100, Failures: 1, TotalTime: time.Second, Min: time.Millisecond,
				Max: 50 * time.Millisecond, ContentBytes: 100, Hist: testHist(t, 1000, 50000)},
		},
		Total: Row{Name: "Aggregated", Requests: 300, Failures: 3, Aborted: 4, TotalTime: 3 * time.Second, Min: time.Millisecond,
			Max: 100 * time.Millisecond, ContentBytes: 2100, Hist: testHist(t, 1000, 5000, 100000, 1000, 50000)},
	}
	for i := range points {
		r.Points = append(r.Points, Point{Time: start.Add(time.Duration(i+1) * time.Second), Users: i, Requests: int64(i * 5),
			Failures: int64(i / 10), RPS: 5.5, FailPerSec: 0.1, P50: time.Millisecond, P95: 2 * time.Millisecond,
			P99: 3 * time.Millisecond, AvgTime: 1500 * time.Microsecond})
	}
	return r
}

func TestSaveGet(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		want := testRun(t, "r1", t0, 5)
		if err := s.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		want.Status = Finished
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Get differs from what was saved:\n got %+v\nwant %+v", got, want)
		}
		p99, err := got.Rows[0].Percentile(0.99)
		if err != nil || p99 != 100*time.Millisecond {
			t.Errorf("p99 of /a = %v, %v; want 100ms", p99, err)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(missing) = %v, want ErrNotFound", err)
		}
	})
}

func TestCheckpointThenInterrupted(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		now := t0
		s.now = func() time.Time { return now }
		r := testRun(t, "r1", t0, 3)
		r.End, r.EndReason = time.Time{}, ""
		if err := s.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Points = testRun(t, "r1", t0, 6).Points
		if err := s.Save(ctx, r); err != nil { // a later checkpoint appends the new points
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != Running || len(got.Points) != 6 {
			t.Errorf("status %s with %d points, want running with 6", got.Status, len(got.Points))
		}
		now = now.Add(StaleAfter + time.Second)
		if got, _ = s.Get(ctx, "r1"); got.Status != Interrupted {
			t.Errorf("status %s after %v without a checkpoint, want interrupted", got.Status, StaleAfter)
		}
		r.End = now
		if err := s.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Get(ctx, "r1"); got.Status != Finished || len(got.Points) != 6 {
			t.Errorf("status %s with %d points, want finished with 6", got.Status, len(got.Points))
		}
	})
}

func TestListFilterCountPaginate(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		for i := range 7 {
			r := testRun(t, fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Hour), 0)
			r.Labels = map[string]string{"env": []string{"prod", "staging"}[i%2], "n": fmt.Sprint(i)}
			if i == 6 {
				r.Host, r.Profile = "http://other", "soak"
			}
			if err := s.Save(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		ids := func(f Filter) string {
			list, err := s.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range list {
				out = append(out, x.ID)
			}
			return strings.Join(out, ",")
		}
		for _, c := range []struct {
			f    Filter
			want string
		}{
			{Filter{}, "r6,r5,r4,r3,r2,r1,r0"},
			{Filter{Limit: 2}, "r6,r5"},
			{Filter{Limit: 2, Offset: 2}, "r4,r3"},
			{Filter{Offset: 5}, "r1,r0"},
			{Filter{Labels: map[string]string{"env": "prod"}}, "r6,r4,r2,r0"},
			{Filter{Labels: map[string]string{"env": "prod", "n": "4"}}, "r4"},
			{Filter{Host: "http://other"}, "r6"},
			{Filter{Profile: "soak"}, "r6"},
			{Filter{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, "r2,r1"},
		} {
			if got := ids(c.f); got != c.want {
				t.Errorf("List(%+v) = %s, want %s", c.f, got, c.want)
			}
		}
		if n, err := s.Count(ctx, Filter{Labels: map[string]string{"env": "staging"}, Limit: 1}); err != nil || n != 3 {
			t.Errorf("Count = %d, %v; want 3", n, err)
		}
		list, _ := s.List(ctx, Filter{Limit: 1})
		if sum := list[0]; sum.Requests != 300 || sum.FailRatio() != 0.01 || sum.P95 != 95*time.Millisecond ||
			sum.Labels["n"] != "6" || sum.Duration() != time.Minute || sum.Verdict != "fail" {
			t.Errorf("summary %+v", sum)
		}
	})
}

func TestBaselineDeletePrune(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		now := t0.Add(10 * time.Hour)
		s.now = func() time.Time { return now }
		for i := range 5 {
			r := testRun(t, fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Hour), 2)
			r.Labels = map[string]string{"branch": []string{"main", "dev"}[i%2]}
			if err := s.Save(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		running := testRun(t, "live", t0.Add(5*time.Hour), 0)
		running.End = time.Time{}
		if err := s.Save(ctx, running); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ ref, exclude, want string }{
			{"last", "", "r4"}, {"last", "r4", "r3"}, {"label:branch=dev", "", "r3"},
			{"label: branch = main", "r4", "r2"}, {"r1", "", "r1"},
		} {
			b, err := s.Baseline(ctx, c.ref, c.exclude)
			if err != nil || b.ID != c.want {
				t.Errorf("Baseline(%q, %q) = %v, %v; want %s", c.ref, c.exclude, b, err, c.want)
			}
		}
		for _, ref := range []string{"label:branch=none", "r9"} {
			if _, err := s.Baseline(ctx, ref, ""); !errors.Is(err, ErrNotFound) {
				t.Errorf("Baseline(%q) = %v, want ErrNotFound", ref, err)
			}
		}
		for _, ref := range []string{"", "label:", "label:x"} {
			if err := ParseBaseline(ref); err == nil {
				t.Errorf("ParseBaseline(%q) accepted", ref)
			}
		}
		if err := s.Delete(ctx, "r0"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "r0"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Delete = %v, want ErrNotFound", err)
		}
		// Keep 2 newest (live, r4), protect r1: r3 and r2 go.
		n, err := s.Prune(ctx, Retention{Keep: 2, Protect: []string{"r1"}})
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want 2", n, err)
		}
		// Younger than 7h (started after t0+3h): only r1 is older, but protected;
		// the running run is never deleted.
		now = now.Add(time.Second)
		if n, err := s.Prune(ctx, Retention{MaxAge: 7 * time.Hour, Protect: []string{"r1"}}); err != nil || n != 0 {
			t.Fatalf("Prune(max age) = %d, %v; want 0", n, err)
		}
		list, _ := s.List(ctx, Filter{})
		var ids []string
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		if got := strings.Join(ids, ","); got != "live,r4,r1" {
			t.Errorf("after pruning: %s, want live,r4,r1", got)
		}
		if n, err := s.Count(ctx, Filter{}); err != nil || n != 3 {
			t.Errorf("Count = %d, %v", n, err)
		}
	})
}

func TestExportImport(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		src := openT(t, filepath.Join(t.TempDir(), "src.db"))
		want := testRun(t, "r1", t0, 4)
		if err := src.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
		saved, _ := src.Get(ctx, "r1")
		var buf bytes.Buffer
		if err := Export(&buf, saved); err != nil {
			t.Fatal(err)
		}
		dst := openT(t, dsn)
		if _, err := dst.Import(ctx, bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.Import(ctx, bytes.NewReader(buf.Bytes())); err != nil { // again: replaces
			t.Fatal(err)
		}
		got, err := dst.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, saved) {
			t.Errorf("imported run differs:\n got %+v\nwant %+v", got, saved)
		}
		for _, bad := range []string{`{}`, `{"format":"other","version":1}`, `{"format":"golocust-run","version":9,"run":{}}`,
			`{"format":"golocust-run","version":1,"run":{"id":"x","start":"2026-01-01T00:00:00Z","total":{"hist":"!!"}}}`, `[`} {
			if _, err := dst.Import(ctx, strings.NewReader(bad)); err == nil {
				t.Errorf("Import(%s) accepted", bad)
			}
		}
	})
}

// TestConcurrentWriters: two stores (two connections pools, as two
// processes) writing at once both succeed.
func TestConcurrentWriters(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := openT(t, dsn), openT(t, dsn)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for w, s := range []*Store{a, b} {
			wg.Go(func() {
				for i := range 15 {
					r := testRun(t, fmt.Sprintf("w%d-%d", w, i), t0.Add(time.Duration(i)*time.Second), 30)
					errs <- s.Save(ctx, r)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if n, err := a.Count(ctx, Filter{}); err != nil || n != 30 {
			t.Errorf("Count = %d, %v; want 30", n, err)
		}
	})
}

// TestUpgradeFromVersion1 makes a database with the first schema and a
// run written as version 1 wrote it, then opens it with this package.
func TestUpgradeFromVersion1(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := open(ctx, dsn, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := old.Version(ctx); v != 1 {
			t.Fatalf("version %d, want 1", v)
		}
		_, err = old.db.ExecContext(ctx, old.bind(`INSERT INTO runs (id, started_ns, ended_ns, updated_ns, host, users,
			requests, failures, labels, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			"v1run", t0.UnixNano(), t0.Add(time.Minute).UnixNano(), t0.UnixNano(), "http://h", 3, 10, 1,
			"env=old", `{"spawn_rate":1,"build":{}}`)
		if err == nil {
			_, err = old.db.ExecContext(ctx, old.bind(`INSERT INTO run_labels (run_id, key, value) VALUES (?, ?, ?)`), "v1run", "env", "old")
		}
		if err != nil {
			t.Fatal(err)
		}
		old.Close()

		s := openT(t, dsn)
		if v, _ := s.Version(ctx); v != SchemaVersion {
			t.Fatalf("version %d after upgrade, want %d", v, SchemaVersion)
		}
		r, err := s.Get(ctx, "v1run")
		if err != nil {
			t.Fatal(err)
		}
		if r.Host != "http://h" || r.Requests != 10 || r.Labels["env"] != "old" || r.Status != Finished || r.SpawnRate != 1 {
			t.Errorf("upgraded run %+v", r)
		}
		list, err := s.List(ctx, Filter{Labels: map[string]string{"env": "old"}})
		if err != nil || len(list) != 1 {
			t.Errorf("List by label after upgrade = %v, %v", list, err)
		}
		if err := s.Save(ctx, testRun(t, "new", t0, 1)); err != nil {
			t.Fatal(err)
		}
		// A database newer than the program is refused.
		if _, err := s.db.ExecContext(ctx, s.bind(`INSERT INTO schema_migrations (version, applied_ns) VALUES (?, ?)`), SchemaVersion+1, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("Open(newer schema) = %v, want an error saying it is newer", err)
		}
	})
}

// saveV2 writes a run of 300 requests with points points as schema
// version 2 kept it (details in runs.detail, rows without aborted).
func saveV2(t *testing.T, s *Store, id string, points int) {
	t.Helper()
	ctx := context.Background()
	r := testRun(t, id, t0, points)
	detail, err := json.Marshal(r.Detail)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.db.ExecContext(ctx, s.bind(`INSERT INTO runs (id, started_ns, ended_ns, updated_ns, host, users, requests,
		failures, labels, detail, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, t0.UnixNano(),
		r.End.UnixNano(), t0.UnixNano(), r.Host, r.Users, r.Requests, r.Failures, encodeLabels(r.Labels), string(detail), r.Profile)
	if err == nil {
		_, err = s.db.ExecContext(ctx, s.bind(`INSERT INTO run_rows (run_id, pos, type, name, requests, failures, total_ns,
			min_ns, max_ns, content_bytes, hist) VALUES (?, -1, '', 'Aggregated', ?, ?, ?, ?, ?, ?, ?)`), id,
			r.Total.Requests, r.Total.Failures, int64(r.Total.TotalTime), int64(r.Total.Min), int64(r.Total.Max),
			r.Total.ContentBytes, r.Total.Hist)
	}
	for k, v := range r.Labels {
		if err == nil {
			_, err = s.db.ExecContext(ctx, s.bind(`INSERT INTO run_labels (run_id, key, value) VALUES (?, ?, ?)`), id, k, v)
		}
	}
	for _, p := range r.Points {
		if err != nil {
			break
		}
		_, err = s.db.ExecContext(ctx, s.bind(`INSERT INTO run_points (run_id, t_ns, users, requests, failures, rps,
			fail_per_sec, p50_ns, p95_ns, p99_ns, avg_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, p.Time.UnixNano(),
			p.Users, p.Requests, p.Failures, p.RPS, p.FailPerSec, int64(p.P50), int64(p.P95), int64(p.P99), int64(p.AvgTime))
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeFromVersion2Runs opens a store of schema version 2 (details
// in the runs table) with this package: the run keeps its details,
// rows and points, reads zero aborted requests, and lists as before.
func TestUpgradeFromVersion2Runs(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := open(ctx, dsn, 2)
		if err != nil {
			t.Fatal(err)
		}
		saveV2(t, old, "v2run", 3)
		old.Close()
		s := openT(t, dsn)
		r, err := s.Get(ctx, "v2run")
		if err != nil {
			t.Fatal(err)
		}
		want := testRun(t, "v2run", t0, 3)
		if r.Requests != 300 || len(r.Points) != 3 || r.SpawnRate != want.SpawnRate || !reflect.DeepEqual(r.Options, want.Options) ||
			len(r.Errors) != 1 || r.Total.Hist != want.Total.Hist || r.Total.Aborted != 0 || r.Labels["env"] != "staging" {
			t.Errorf("upgraded run: %+v", r)
		}
		list, err := s.List(ctx, Filter{Labels: map[string]string{"env": "staging"}, Limit: 10})
		if err != nil || len(list) != 1 || list[0].ID != "v2run" {
			t.Errorf("List after the upgrade = %+v, %v", list, err)
		}
	})
}

func TestSQLiteFileModeAndBadFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	s := openT(t, path)
	if err := s.Save(ctx, testRun(t, "r", t0, 1)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{corrupt, filepath.Join(dir, "missing", "h.db"), dir, ""} {
		_, err := Open(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), "run store") {
			t.Errorf("Open(%q) = %v, want an error naming the run store", bad, err)
		}
	}
}

// Labels survive the runs table's encoding whatever their characters.
func TestLabelsEncoding(t *testing.T) {
	for _, m := range []map[string]string{nil, {"a": ""}, {"commit": "abc123", "env": "staging"},
		{"k y": "v&w=x", "100%": "a+b c", "ü": "%zz", "=": "&"}} {
		got, err := decodeLabels(encodeLabels(m))
		if err != nil || len(got) != len(m) {
			t.Errorf("labels %q: decoded %q, %v", m, got, err)
		}
		for k, v := range m {
			if got[k] != v {
				t.Errorf("labels %q: %q decoded as %q", m, k, got[k])
			}
		}
	}
	if _, err := decodeLabels("a=%zz"); err == nil {
		t.Error("a bad escape decoded without an error")
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Errorf("Redact kept the password: %s", got)
	}
	_, err := Open(context.Background(), "postgres://u:secret@127.0.0.1:1/db?connect_timeout=1")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open error %v: want an error without the password", err)
	}
}

func TestCompare(t *testing.T) {
	a := testRun(t, "a", t0, 0)
	b := testRun(t, "b", t0, 0)
	b.Rows = b.Rows[:1]
	b.Rows[0].Requests = 400
	c, err := Compare(a, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 3 || c.Rows[0].Name != "Aggregated" || c.Rows[1].Name != "/a" || c.Rows[2].Name != "/b" {
		t.Fatalf("rows %+v", c.Rows)
	}
	for _, row := range c.Rows {
		ref, self := row.Runs[0], row.Runs[1]
		for _, d := range []float64{Delta(ref.RPS, self.RPS), Delta(ref.FailRatio, self.FailRatio),
			Delta(float64(ref.P50), float64(self.P50)), Delta(float64(ref.P95), float64(self.P95)), Delta(float64(ref.P99), float64(self.P99))} {
			if d != 0 {
				t.Errorf("row %s: a run compared with itself has a delta %v", row.Name, d)
			}
		}
	}
	if got := c.Rows[1].Runs[2]; got.RPS != 400.0/60 || Delta(c.Rows[1].Runs[0].RPS, got.RPS) != 1 {
		t.Errorf("/a in b: %+v", got)
	}
	if c.Rows[2].Runs[2].Present {
		t.Errorf("/b is not in b")
	}
	if p95 := c.Rows[1].Runs[0].P95; p95 != 100*time.Millisecond {
		t.Errorf("p95 of /a = %v", p95)
	}
}

// Several processes opening one new SQLite file at once all get it: the
// switch to WAL mode that SQLite refuses at once while another connection
// sets the file up is retried (here connections of one process stand in
// for processes; TestHistoryTwoProcessesOneFile in the root runs two).
func TestOpenSQLiteConcurrently(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "h.db")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := Open(context.Background(), path)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, opener %d: %v", round, i, err)
			}
		}
	}
}
