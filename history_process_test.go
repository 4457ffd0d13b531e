package locust_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
	"github.com/golocust/locust/history"
)

// TestHistoryWriterHelper is a process of TestHistoryTwoProcessesOneFile:
// a short headless run with --history.
func TestHistoryWriterHelper(t *testing.T) {
	db, url, n := os.Getenv("GOLOCUST_HISTORY_WRITER_DB"), os.Getenv("GOLOCUST_HISTORY_WRITER_URL"), os.Getenv("GOLOCUST_HISTORY_WRITER_N")
	if db == "" {
		t.Skip("helper process of TestHistoryTwoProcessesOneFile")
	}
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{histClass()}},
		"--headless", "-u", "2", "-r", "100", "-t", "3s", "-i", "20000", "-H", url, "--history", db, "--label", "proc="+n)
	os.Stderr.WriteString(res.stderr)
	if res.code != 0 {
		t.Fatalf("exit code %d", res.code)
	}
}

// Two processes running a test at the same time, both with --history
// naming one SQLite file, both checkpoint every second and save their
// run: both runs end up stored, finished and complete (their requests
// are what the server counted), and neither logs a store error.
func TestHistoryTwoProcessesOneFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes; skipped with -short")
	}
	srv := newRunServer(t)
	db := filepath.Join(t.TempDir(), "h.db")
	type proc struct {
		cmd    *exec.Cmd
		stderr strings.Builder
		done   chan error
	}
	procs := make([]*proc, 2)
	for i := range procs {
		p := &proc{done: make(chan error, 1)}
		p.cmd = exec.Command(os.Args[0], "-test.run=^TestHistoryWriterHelper$", "-test.count=1")
		p.cmd.Env = append(os.Environ(), "GOLOCUST_HISTORY_WRITER_DB="+db, "GOLOCUST_HISTORY_WRITER_URL="+srv.URL,
			"GOLOCUST_HISTORY_WRITER_N="+strconv.Itoa(i))
		p.cmd.Stdout, p.cmd.Stderr = &p.stderr, &p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.done <- p.cmd.Wait() }()
		procs[i] = p
	}
	for i, p := range procs {
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("process %d: %v\n%s", i, err, p.stderr.String())
			}
		case <-time.After(90 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Fatalf("process %d did not end within 90 s:\n%s", i, p.stderr.String())
		}
		if out := p.stderr.String(); strings.Contains(out, "cannot checkpoint") || strings.Contains(out, "cannot save") ||
			!strings.Contains(out, "run saved in the history") {
			t.Errorf("process %d did not save its run cleanly:\n%s", i, out)
		}
	}
	s := histOpen(t, db)
	list, err := s.List(context.Background(), history.Filter{Finished: true})
	if err != nil || len(list) != 2 {
		t.Fatalf("%d finished runs (%v), want 2: %+v", len(list), err, list)
	}
	var sum, aborted, failed int64
	seen := map[string]bool{}
	for _, sum1 := range list {
		run, err := s.Get(context.Background(), sum1.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen[run.Labels["proc"]] = true
		sum += run.Requests
		aborted += run.Total.Aborted
		failed += run.Total.Failures
		if run.Requests == 0 || run.Total.Hist == "" || len(run.Points) == 0 || run.ExitCode != 0 {
			t.Errorf("run %s (proc %s): %d requests, %d points, exit code %d", run.ID, run.Labels["proc"], run.Requests, len(run.Points), run.ExitCode)
		}
	}
	if !seen["0"] || !seen["1"] {
		t.Errorf("runs of processes %v, want 0 and 1", seen)
	}
	// A request cut short by the run's end was sent and is counted (as
	// aborted) by its process, which may exit before this server's
	// handler has read it, or without the server ever handling it: every
	// request that was not aborted reached the server, and none it did
	// not send.
	deadline := time.Now().Add(10 * time.Second)
	for srv.total.Load() != sum && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := srv.total.Load(); got < sum-aborted || got > sum {
		t.Errorf("the runs hold %d requests (%d aborted, %d failed), the server counted %d", sum, aborted, failed, got)
	}
}
