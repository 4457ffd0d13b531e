package locust_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/golocust/locust/history"
)

const histSecretHeader = "Bearer hdr-s3cr3t-value"

type histUser struct{ locust.HTTPUser }

func (u *histUser) get(ctx context.Context) error {
	u.Client.Get(ctx, "/items", locust.Header("Authorization", histSecretHeader))
	return nil
}

func histClass() *locust.Class[*histUser] {
	return &locust.Class[*histUser]{Name: "Hist", New: func() *histUser { return &histUser{} },
		Wait: locust.Constant(time.Millisecond), Tasks: []locust.Task[*histUser]{{Name: "get", Weight: 1, Fn: (*histUser).get}}}
}

func histOpen(t *testing.T, path string) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A headless run with --history is saved with exactly its final
// statistics (counts equal to the server's, percentiles equal to the JSON
// output's), its labels and options, and without any secret.
func TestHistoryHeadlessRunSaved(t *testing.T) {
	srv := newRunServer(t)
	db := filepath.Join(t.TempDir(), "h.db")
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{histClass()}},
		"--headless", "-u", "2", "-r", "10", "-i", "300", "-H", srv.URL, "--json", "--history", db,
		"--label", "commit=abc123", "--label", "env=ci", "--profile", "smoke", "--cluster-token", "tok-s3cr3t-value")
	if res.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	s := histOpen(t, db)
	list, err := s.List(context.Background(), history.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v; want one run", list, err)
	}
	run, err := s.Get(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != history.Finished || run.Requests != srv.total.Load() || run.Requests != 300 ||
		run.Labels["commit"] != "abc123" || run.Labels["env"] != "ci" || run.Profile != "smoke" ||
		run.ExitCode != 0 || run.Host != srv.URL || len(run.Classes) != 1 || run.Nodes[0] != "local" ||
		run.Options["cluster-token"] != "REDACTED" || run.Build.GoVersion == "" || len(run.Points) == 0 {
		t.Errorf("saved run: %+v", run)
	}
	var doc struct {
		Total struct {
			Requests    int64              `json:"num_requests"`
			Percentiles map[string]float64 `json:"response_time_percentiles_ms"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	snap, err := locust.HistorySnapshot(run)
	if err != nil {
		t.Fatal(err)
	}
	for label, q := range map[string]float64{"50": 0.5, "95": 0.95, "99": 0.99, "100": 1} {
		got := float64(snap.Total.Percentile(q).Round(time.Microsecond)/time.Microsecond) / 1e3
		if got != doc.Total.Percentiles[label] {
			t.Errorf("p%s: stored %vms, live %vms", label, got, doc.Total.Percentiles[label])
		}
	}
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode: %v, %v", fi, err)
	}
	s.Close()
	for _, f := range []string{db, db + "-wal"} {
		b, _ := os.ReadFile(f)
		for _, secret := range []string{"tok-s3cr3t-value", "hdr-s3cr3t-value"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the secret %q", filepath.Base(f), secret)
			}
		}
	}
}

// The regression gate: thresholds relative to a baseline run.
func TestHistoryBaselineGate(t *testing.T) {
	srv := newRunServer(t)
	db := filepath.Join(t.TempDir(), "h.db")
	prog := func() *locust.Program { return &locust.Program{Classes: []locust.UserClass{histClass()}} }
	base := []string{"--headless", "-u", "1", "-r", "10", "-i", "50", "-H", srv.URL, "--history", db}

	// No baseline yet: a clear error, or a pass with a warning when asked.
	res := runMain(t, prog(), append(base, "--baseline", "last", "--threshold", "p95 < baseline*2")...)
	if res.code != locust.ExitError || !strings.Contains(res.stderr, "no finished run matches") {
		t.Fatalf("missing baseline: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	res = runMain(t, prog(), append(base, "--baseline", "last", "--baseline-optional", "--threshold", "p95 < baseline*2")...)
	if res.code != 0 || !strings.Contains(res.stderr, "no baseline run") {
		t.Fatalf("--baseline-optional: exit %d, stderr:\n%s\n%s", res.code, res.stderr, res.stdout)
	}
	first := histOpen(t, db)
	list, _ := first.List(context.Background(), history.Filter{})
	if len(list) != 1 {
		t.Fatalf("%d runs after the first, want 1", len(list))
	}
	baseID := list[0].ID

	// Same load again: requests equal the baseline's, so 'requests ==
	// baseline' holds and 'requests > baseline*1.5' fails, and the
	// verdict shows the baseline's value.
	res = runMain(t, prog(), append(base, "--baseline", "last", "--threshold", "requests >= baseline",
		"--threshold", "GET /items: requests > baseline*1.5")...)
	if res.code != locust.ExitThresholds {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", res.code, locust.ExitThresholds, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "baseline 50, limit 75") {
		t.Errorf("the verdict table does not show the baseline's value:\n%s", res.stdout)
	}
	list, _ = first.List(context.Background(), history.Filter{})
	run, _ := first.Get(context.Background(), list[0].ID)
	if run.Baseline != baseID || run.Verdict != "fail" || len(run.Thresholds) != 2 || run.Thresholds[1].Baseline != "50" {
		t.Errorf("the run does not keep its baseline and results: %+v", run)
	}
	// Usage errors.
	res = runMain(t, prog(), append(base, "--threshold", "p95 < baseline*2")...)
	if res.code != locust.ExitUsage || !strings.Contains(res.stderr, "--baseline") {
		t.Errorf("baseline threshold without --baseline: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	res = runMain(t, prog(), append(base, "--baseline", "last", "--no-history")...)
	if res.code != locust.ExitUsage {
		t.Errorf("--baseline with --no-history: exit %d", res.code)
	}
}

// A store that cannot be used costs the run none of its other outputs.
func TestHistoryCorruptStoreKeepsOutputs(t *testing.T) {
	srv := newRunServer(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(db, bytes.Repeat([]byte("garbage!"), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{histClass()}},
		"--headless", "-u", "1", "-r", "10", "-i", "20", "-H", srv.URL, "--history", db, "--csv", filepath.Join(dir, "out"), "--json")
	if res.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "cannot open the run store") || !strings.Contains(res.stderr, "corrupt.db") {
		t.Errorf("no clear error about the store:\n%s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out_stats.csv")); err != nil {
		t.Error(err)
	}
	if !json.Valid([]byte(res.stdout)) {
		t.Errorf("no JSON output:\n%s", res.stdout)
	}
}

// The history sub-mode: list, show, compare, export, import, delete.
func TestHistoryCLI(t *testing.T) {
	srv := newRunServer(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	prog := func() *locust.Program { return &locust.Program{Classes: []locust.UserClass{histClass()}} }
	for i := range 2 {
		res := runMain(t, prog(), "--headless", "-u", "1", "-r", "10", "-i", "30", "-H", srv.URL, "--history", db, "--label", "n="+itoa(int64(i)))
		if res.code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i, res.code, res.stderr)
		}
	}
	s := histOpen(t, db)
	list, _ := s.List(context.Background(), history.Filter{})
	if len(list) != 2 {
		t.Fatalf("%d runs", len(list))
	}
	a, b := list[1].ID, list[0].ID
	cli := func(args ...string) runResult {
		t.Helper()
		return runMain(t, prog(), append([]string{"history"}, args...)...)
	}
	res := cli("list", "--history", db)
	if res.code != 0 || !strings.Contains(res.stdout, a) || !strings.Contains(res.stdout, b) || !strings.Contains(res.stdout, "n=1") {
		t.Errorf("list: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = cli("list", "--history", db, "--label", "n=0", "--json")
	var sums []history.Summary
	if err := json.Unmarshal([]byte(res.stdout), &sums); err != nil || len(sums) != 1 || sums[0].ID != a {
		t.Errorf("list --label n=0 --json: %v %s", err, res.stdout)
	}
	res = cli("show", a, "--history", db)
	if res.code != 0 || !strings.Contains(res.stdout, "GET") || !strings.Contains(res.stdout, "/items") || !strings.Contains(res.stdout, "p99.9") {
		t.Errorf("show: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = cli("compare", a, a, "--history", db)
	if res.code != 0 || strings.Contains(res.stdout, "%)") || !strings.Contains(res.stdout, "/items") {
		t.Errorf("compare a run with itself shows deltas:\n%s%s", res.stdout, res.stderr)
	}
	res = cli("compare", a, b, "--history", db, "--tolerance", "0%")
	if res.code != 0 || !strings.Contains(res.stdout, b) {
		t.Errorf("compare: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	file := filepath.Join(dir, "a.json")
	if res = cli("export", a, "--history", db, "--output", file); res.code != 0 {
		t.Fatalf("export: %s", res.stderr)
	}
	other := filepath.Join(dir, "other.db")
	if res = cli("import", file, "--history", other); res.code != 0 || !strings.Contains(res.stdout, a) {
		t.Fatalf("import: %s%s", res.stdout, res.stderr)
	}
	orig, _ := s.Get(context.Background(), a)
	o := histOpen(t, other)
	imp, err := o.Get(context.Background(), a)
	if err != nil || imp.Total.Hist != orig.Total.Hist || imp.Requests != orig.Requests || len(imp.Points) != len(orig.Points) {
		t.Errorf("imported run differs: %v", err)
	}
	if res = cli("delete", a, "--history", db); res.code != 0 {
		t.Fatalf("delete: %s", res.stderr)
	}
	if res = cli("show", a, "--history", db); res.code != locust.ExitError || !strings.Contains(res.stderr, "not found") {
		t.Errorf("show deleted: %d %s", res.code, res.stderr)
	}
	for _, args := range [][]string{{}, {"nope", "--history", db}, {"show", "--history", db}, {"compare", a, "--history", db}} {
		if res = cli(args...); res.code != locust.ExitUsage {
			t.Errorf("history %v: exit %d, want %d", args, res.code, locust.ExitUsage)
		}
	}
}

// TestHistoryCrashHelper is the process TestHistoryKilledRunIsCheckpointed
// kills: a long headless run with --history.
func TestHistoryCrashHelper(t *testing.T) {
	db, url := os.Getenv("GOLOCUST_HISTORY_CRASH_DB"), os.Getenv("GOLOCUST_HISTORY_CRASH_URL")
	if db == "" {
		t.Skip("helper process of TestHistoryKilledRunIsCheckpointed")
	}
	runMain(t, &locust.Program{Classes: []locust.UserClass{histClass()}},
		"--headless", "-u", "1", "-r", "10", "-t", "60s", "-H", url, "--history", db)
}

// A run whose process is killed (SIGKILL) keeps its last checkpoint:
// its totals and time series, without an end (it reads as interrupted
// once the checkpoint is history.StaleAfter old).
func TestHistoryKilledRunIsCheckpointed(t *testing.T) {
	srv := newRunServer(t)
	db := filepath.Join(t.TempDir(), "h.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHistoryCrashHelper$")
	cmd.Env = append(os.Environ(), "GOLOCUST_HISTORY_CRASH_DB="+db, "GOLOCUST_HISTORY_CRASH_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Wait (bounded) for a checkpoint with requests in it.
	var run *history.Run
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		s, err := history.Open(context.Background(), db)
		if err != nil {
			continue
		}
		list, _ := s.List(context.Background(), history.Filter{})
		if len(list) == 1 && list[0].Requests > 0 {
			run, _ = s.Get(context.Background(), list[0].ID)
		}
		s.Close()
		if run != nil && len(run.Points) > 0 {
			break
		}
	}
	if run == nil {
		t.Fatal("no checkpoint with requests within 30 s")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	s := histOpen(t, db)
	got, err := s.Get(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.End.IsZero() || got.Requests == 0 || len(got.Points) == 0 || got.Total.Hist == "" || got.Status == history.Finished {
		t.Errorf("killed run: end %v, %d requests, %d points, status %s", got.End, got.Requests, len(got.Points), got.Status)
	}
}

// A run whose requests are in flight at its end is saved with exactly
// the live final counts, aborted ones included: each row's and the
// total's requests, failures and aborted equal the JSON output's
// num_requests, num_failures and num_aborted (and the server's count),
// and `history show` and the export carry them.
func TestHistoryAbortedCountsSaved(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	class := &locust.Class[*webUser]{
		Name:  "Slow",
		New:   func() *webUser { return &webUser{} },
		Tasks: []locust.Task[*webUser]{{Name: "slow", Weight: 1, Fn: func(u *webUser, ctx context.Context) error { u.Client.Get(ctx, "/slow"); return nil }}},
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	prog := func() *locust.Program { return &locust.Program{Classes: []locust.UserClass{class}} }
	res := runMain(t, prog(), "--headless", "-u", "3", "-r", "100", "-t", "450ms", "-H", srv.URL, "--json", "--history", db)
	if res.code != 0 {
		t.Fatalf("exit code %d\n%s", res.code, res.stderr)
	}
	type counts struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Requests int64  `json:"num_requests"`
		Failures int64  `json:"num_failures"`
		Aborted  int64  `json:"num_aborted"`
	}
	var doc struct {
		Stats []counts `json:"entries"`
		Total counts   `json:"total"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Total.Aborted == 0 || doc.Total.Requests != seen.Load() || len(doc.Stats) != 1 {
		t.Fatalf("live run: %+v, server saw %d; want aborted requests in one row", doc, seen.Load())
	}
	s := histOpen(t, db)
	list, err := s.List(context.Background(), history.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	run, err := s.Get(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := func(r history.Row) counts {
		return counts{Type: r.Type, Name: r.Name, Requests: r.Requests, Failures: r.Failures, Aborted: r.Aborted}
	}
	if got := stored(run.Total); got.Requests != doc.Total.Requests || got.Failures != doc.Total.Failures || got.Aborted != doc.Total.Aborted {
		t.Errorf("stored total %+v, live %+v", got, doc.Total)
	}
	if len(run.Rows) != 1 || stored(run.Rows[0]) != doc.Stats[0] {
		t.Errorf("stored rows %+v, live %+v", run.Rows, doc.Stats)
	}
	snap, err := locust.HistorySnapshot(run)
	if err != nil || snap.Total.Aborted != doc.Total.Aborted {
		t.Errorf("HistorySnapshot: aborted %d, %v; want %d", snap.Total.Aborted, err, doc.Total.Aborted)
	}
	show := runMain(t, prog(), "history", "show", run.ID, "--history", db)
	if !strings.Contains(show.stdout, "Aborted") || !strings.Contains(show.stdout, itoa(doc.Total.Aborted)) {
		t.Errorf("history show does not tell the aborted requests:\n%s", show.stdout)
	}
	exp := runMain(t, prog(), "history", "export", run.ID, "--history", db)
	if !strings.Contains(exp.stdout, `"aborted": `+itoa(doc.Total.Aborted)) {
		t.Errorf("the export does not hold the aborted count %d:\n%.500s", doc.Total.Aborted, exp.stdout)
	}
}

// Retention applied after a run (--history-keep) never deletes the
// baseline that run compared with, however old: it keeps the newest N
// runs and the baseline.
func TestHistoryRetentionKeepsBaseline(t *testing.T) {
	srv := newRunServer(t)
	db := filepath.Join(t.TempDir(), "h.db")
	prog := func() *locust.Program { return &locust.Program{Classes: []locust.UserClass{histClass()}} }
	run := func(args ...string) {
		t.Helper()
		res := runMain(t, prog(), append([]string{"--headless", "-u", "1", "-r", "10", "-i", "10", "-H", srv.URL, "--history", db}, args...)...)
		if res.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, res.code, res.stderr)
		}
	}
	run("--label", "branch=main") // the baseline, the oldest run
	run("--label", "branch=dev")
	run("--label", "branch=dev")
	s := histOpen(t, db)
	base, err := s.Baseline(context.Background(), "label:branch=main", "")
	if err != nil {
		t.Fatal(err)
	}
	run("--label", "branch=dev", "--baseline", "label:branch=main", "--threshold", "requests >= baseline", "--history-keep", "1")
	list, err := s.List(context.Background(), history.Filter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("after --history-keep 1: %d runs (%v), want the new run and the baseline", len(list), err)
	}
	if list[1].ID != base.ID || list[0].Labels["branch"] != "dev" {
		t.Errorf("kept %s and %s, want the newest run and the baseline %s", list[0].ID, list[1].ID, base.ID)
	}
}
