package main

// Process tests: the quickstart is built and run as a user would run it,
// and what it reports is compared with what the demo shop counted.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golocust/locust/internal/demo"
)

// quickstartBin is the built program, shared by the tests.
var quickstartBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quickstart-test")
	if err != nil {
		panic(err)
	}
	quickstartBin = filepath.Join(dir, "quickstart")
	build := exec.Command("go", "build", "-o", quickstartBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building the quickstart: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// qsRun is one finished run of the program.
type qsRun struct {
	code           int
	stdout, stderr string
}

// qsStart starts the program with args; LOCUST_* variables of the test's
// environment are left out so that they cannot change the run.
func qsStart(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(quickstartBin, args...)
	cmd.Dir = t.TempDir() // no locust.conf there
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LOCUST_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// qsWait waits for the program, at most 30 s.
func qsWait(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) qsRun {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the program did not end within 30 s; stderr:\n%s", stderr)
	}
	return qsRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

func qsRunArgs(t *testing.T, args ...string) qsRun {
	t.Helper()
	cmd, out, errb := qsStart(t, args...)
	return qsWait(t, cmd, out, errb)
}

// Locust's CSV headers, spelled out here so that a change in the library
// shows up as a failure of this test too.
var locustHeaders = map[string]string{
	"_stats.csv": "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time," +
		"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%",
	"_stats_history.csv": "Timestamp,User Count,Type,Name,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%," +
		"Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time," +
		"Total Min Response Time,Total Max Response Time,Total Average Content Size",
	"_failures.csv":   "Method,Name,Error,Occurrences,First Seen,Last Seen",
	"_exceptions.csv": "Count,Message,Traceback,Nodes",
}

// qsCSV checks the four files of prefix and returns the rows of
// _stats.csv by "TYPE NAME" as [requests, failures].
func qsCSV(t *testing.T, prefix string) map[string][2]int64 {
	t.Helper()
	var stats map[string][2]int64
	for suffix, header := range locustHeaders {
		f, err := os.Open(prefix + suffix)
		if err != nil {
			t.Fatalf("CSV file: %v", err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", suffix, err)
		}
		if len(recs) == 0 || strings.Join(recs[0], ",") != header {
			t.Fatalf("%s header:\n got %q\nwant %q", suffix, recs, header)
		}
		if suffix != "_stats.csv" {
			continue
		}
		stats = map[string][2]int64{}
		for _, r := range recs[1:] {
			req, _ := strconv.ParseInt(r[2], 10, 64)
			fail, _ := strconv.ParseInt(r[3], 10, 64)
			stats[strings.TrimSpace(r[0]+" "+r[1])] = [2]int64{req, fail}
		}
		if _, ok := stats["Aggregated"]; !ok {
			t.Fatalf("_stats.csv has no Aggregated row: %q", recs)
		}
	}
	return stats
}

// qsExpected turns the shop's counters into the rows the test should
// report: requests and failures per "METHOD NAME", where a 404 of
// /items/{id} is expected (a success) and any other status >= 400 is a
// failure.
func qsExpected(counts map[demo.Key]int64) map[string][2]int64 {
	want := map[string][2]int64{}
	var total [2]int64
	for k, n := range counts {
		name := strings.ReplaceAll(k.Pattern, "{id}", "[id]")
		row := want[k.Method+" "+name]
		row[0] += n
		total[0] += n
		if k.Status >= 400 && !(k.Pattern == "/items/{id}" && k.Status == 404) {
			row[1] += n
			total[1] += n
		}
		want[k.Method+" "+name] = row
	}
	want["Aggregated"] = total
	return want
}

func qsCompare(t *testing.T, what string, got, want map[string][2]int64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: row %q has [requests failures] %v, the shop counted %v", what, k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && g != [2]int64{} {
			t.Errorf("%s: row %q %v was never seen by the shop", what, k, g)
		}
	}
}

// qsWantCode is the exit code Locust gives: 1 when anything failed.
func qsWantCode(t *testing.T, r qsRun, failures int64) {
	t.Helper()
	want := 0
	if failures > 0 {
		want = 1
	}
	if r.code != want {
		t.Fatalf("exit code %d with %d failures, want %d; stderr:\n%s", r.code, failures, want, r.stderr)
	}
}

// The program as README shows it, with its own demo shop: the live and
// final tables on stdout, Locust's four CSV files, the exit code.
func TestQuickstartEmbeddedDemo(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "out")
	// -s 5s: no request is cut off at the end, so any failure is the shop's
	// and the exit code must be 1 exactly when there is one.
	r := qsRunArgs(t, "--headless", "-u", "20", "-r", "20", "-t", "3s", "-s", "5s", "--csv", prefix)
	stats := qsCSV(t, prefix)
	qsWantCode(t, r, stats["Aggregated"][1])
	for _, want := range []string{"Type     Name", "Aggregated", "Response time percentiles", "99.9%", "POST     /login", "GET      /items/[id]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if got := stats["POST /login"][0]; got != 20 {
		t.Errorf("POST /login: %d requests, want one per user (20)", got)
	}
}

// Conservation: what the shop counted, by route and status, is exactly
// what the CSV file and the JSON document report.
func TestQuickstartConservation(t *testing.T) {
	t.Parallel()
	shop, err := demo.Start(demo.Options{Seed: 42, NoLatency: true, CheckoutErrorRate: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	prefix := filepath.Join(t.TempDir(), "out")
	// -s 5s: users finish the request they are in when the run ends, so
	// that no request is cut off between the shop and the client.
	r := qsRunArgs(t, "--headless", "-H", shop.URL, "-u", "20", "-r", "20", "-t", "3s", "-s", "5s",
		"--csv", prefix, "--json", "--seed", "7")
	want := qsExpected(shop.Counts())
	qsCompare(t, "_stats.csv", qsCSV(t, prefix), want)

	var doc struct {
		Entries []struct {
			Type        string `json:"type"`
			Name        string `json:"name"`
			NumRequests int64  `json:"num_requests"`
			NumFailures int64  `json:"num_failures"`
		} `json:"entries"`
		Total struct {
			NumRequests int64 `json:"num_requests"`
			NumFailures int64 `json:"num_failures"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("--json: stdout is not one JSON document: %v\n%s", err, r.stdout)
	}
	got := map[string][2]int64{"Aggregated": {doc.Total.NumRequests, doc.Total.NumFailures}}
	for _, e := range doc.Entries {
		got[e.Type+" "+e.Name] = [2]int64{e.NumRequests, e.NumFailures}
	}
	qsCompare(t, "--json", got, want)
	if want["POST /checkout"][1] == 0 || want["GET /items/[id]"][0] == 0 {
		t.Errorf("the run did not cover checkout failures and item views: %v", want)
	}
	qsWantCode(t, r, want["Aggregated"][1])
	if !strings.Contains(r.stderr, "Aggregated") {
		t.Errorf("with --json the tables go to stderr; stderr:\n%s", r.stderr)
	}
}

// An interrupt stops the test gracefully: the files are complete, the
// counts conserved, the exit code right.
func TestQuickstartInterrupt(t *testing.T) {
	t.Parallel()
	shop, err := demo.Start(demo.Options{Seed: 5, NoLatency: true, CheckoutErrorRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	prefix := filepath.Join(t.TempDir(), "out")
	cmd, out, errb := qsStart(t, "--headless", "-H", shop.URL, "-u", "20", "-r", "20", "-t", "1m", "-s", "5s", "--csv", prefix)
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := qsWait(t, cmd, out, errb)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the program took %v to stop after SIGINT", d)
	}
	if !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("stderr does not say the test was interrupted:\n%s", r.stderr)
	}
	want := qsExpected(shop.Counts())
	qsCompare(t, "_stats.csv", qsCSV(t, prefix), want)
	qsWantCode(t, r, want["Aggregated"][1])
	if want["Aggregated"][0] == 0 {
		t.Error("no request was made before the interrupt")
	}
	if !strings.Contains(r.stdout, "Response time percentiles") {
		t.Errorf("no final summary on stdout:\n%s", r.stdout)
	}
}

// Bad input: exit code 2 and a one-line error that says what is wrong.
func TestQuickstartBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--headless", "--user", "5"}, "did you mean --users"},
		{[]string{"--headless", "-t", "3x"}, "3x"},
		{[]string{"--headless", "-u", "-1"}, "-1"},
		{[]string{"--headless", "-H", "shop.example"}, "shop.example"},
		{[]string{"--headless", "NoSuchClass"}, "NoSuchClass"},
	} {
		r := qsRunArgs(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%q: exit code %d, stderr %q; want 2 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
