package locust_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// The end-of-run log line counts exceptions (every occurrence) and names
// the distinct kinds separately: 7 identical errors are exceptions=7
// exception_kinds=1, not exceptions=1.
func TestRunEndLineCountsExceptions(t *testing.T) {
	class := &locust.Class[*struct{}]{
		Name: "Broken",
		New:  func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "fail", Weight: 1, Fn: func(*struct{}, context.Context) error {
			return errors.New("no such item")
		}}},
	}
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{class}}, "--headless", "-u", "1", "-r", "10", "-i", "7")
	if res.code != 1 {
		t.Errorf("exit code %d, want 1 (exceptions)", res.code)
	}
	if !strings.Contains(res.stderr, "exceptions=7 exception_kinds=1") {
		t.Errorf("the end line should count 7 exceptions of 1 kind:\n%s", res.stderr)
	}
}

// A headless run whose requests are in flight at the end exits 0, its
// JSON has them in num_requests and num_aborted (not num_failures), the
// console summary and the end line say how many, and the totals equal
// what the server saw.
func TestRunAbortedInOutputs(t *testing.T) {
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
	res := runMain(t, &locust.Program{Classes: []locust.UserClass{class}},
		"--headless", "-u", "3", "-r", "100", "-t", "450ms", "-H", srv.URL, "--json")
	if res.code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", res.code, res.stderr)
	}
	var doc struct {
		Total struct {
			NumRequests int64 `json:"num_requests"`
			NumFailures int64 `json:"num_failures"`
			NumAborted  int64 `json:"num_aborted"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	tot := doc.Total
	if tot.NumFailures != 0 || tot.NumAborted == 0 || tot.NumRequests != seen.Load() {
		t.Errorf("JSON total: %d requests, %d failures, %d aborted; server saw %d", tot.NumRequests, tot.NumFailures, tot.NumAborted, seen.Load())
	}
	if !strings.Contains(res.stderr, "Aborted: ") || !strings.Contains(res.stderr, "failures=0 aborted=") {
		t.Errorf("the console summary and end line should tell the aborted requests:\n%s", res.stderr)
	}
}
