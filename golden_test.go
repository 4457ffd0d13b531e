package locust

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The -update flag (or UPDATE_GOLDEN=1 in the environment) rewrites the
// golden files of the package's tests:
//
//	go test -run 'Output|Options' -update
//
// It is registered in init (after every package-level variable) and only
// if no other test file registered a flag of that name, so that golden
// tests of other areas can share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

func goldenUpdating() bool {
	if os.Getenv("UPDATE_GOLDEN") != "" {
		return true
	}
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

// checkGolden compares got with testdata/name, or rewrites the file with
// -update. It is the package's one golden-file helper.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if goldenUpdating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// outputErr is an error with a fixed text.
type outputErr string

func (e outputErr) Error() string { return string(e) }

var outputT0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// outputTestSnapshot returns a snapshot with a fixed content and fixed
// times and rates: GET / (100 requests 1..100 ms, 10 failures), POST
// /login (4 requests, 1 failure), a very long name, a "websocket" type
// longer than the type column, a row without requests, two exceptions.
func outputTestSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	st := NewStats("local")
	for i := 1; i <= 100; i++ {
		var err error
		if i%10 == 0 {
			err = outputErr("HTTP 404 Not Found")
		}
		st.Record(Sample{Type: "GET", Name: "/", Duration: time.Duration(i) * time.Millisecond, Size: 1000 + int64(i), Err: err})
	}
	for i, d := range []time.Duration{120 * time.Millisecond, 130500 * time.Microsecond, 250 * time.Millisecond, 1500 * time.Millisecond} {
		var err error
		if i == 3 {
			err = outputErr(`Post "http://127.0.0.1:1/login": dial tcp 127.0.0.1:1: connect: connection refused`)
		}
		st.Record(Sample{Type: "POST", Name: "/login", Duration: d, Size: 20, Err: err})
	}
	long := "/api/v1/organisations/{org}/projects/{project}/environments/{environment}/deployments/{id}/details"
	for _, us := range []int64{700, 800, 950} {
		st.Record(Sample{Type: "GET", Name: long, Duration: time.Duration(us) * time.Microsecond, Size: 0})
	}
	st.Record(Sample{Type: "websocket", Name: "chat\nsend", Duration: 3 * time.Millisecond, Size: 5})
	st.RecordException("task panicked: index out of range [3] with length 3", "goroutine 7 [running]:\nexample.(*Shop).Browse(...)\n\t/src/shop.go:42 +0x1d\n")
	st.RecordException("task panicked: index out of range [3] with length 3", "goroutine 7 [running]:\nexample.(*Shop).Browse(...)\n\t/src/shop.go:42 +0x1d\n")
	st.RecordException(`open "data.csv": no such file`, "example.(*Shop).OnStart\n\t/src/shop.go:17")
	st.Tick(10)
	s := st.Snapshot()

	s.Start, s.Time = outputT0, outputT0.Add(60*time.Second)
	s.Entries = append(s.Entries, &EntryStats{Type: "GET", Name: "/never"}) // no requests (as after a reset)
	slices.SortFunc(s.Entries, func(a, b *EntryStats) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
	s.Failures = outputSortedFailures(s.Failures)
	for _, e := range append(s.Entries, s.Total) {
		e.TotalRPS = float64(e.Requests) / 60
		e.TotalFailPerSec = float64(e.Failures) / 60
		e.CurrentRPS = float64(e.Requests) / 7
		e.CurrentFailPerSec = float64(e.Failures) / 7
	}
	for i := range s.Failures {
		s.Failures[i].FirstSeen = outputT0.Add(time.Duration(i+1) * time.Second)
		s.Failures[i].LastSeen = outputT0.Add(time.Duration(i+50)*time.Second + 300*time.Millisecond)
	}
	for i := range s.History {
		s.History[i].Time = outputT0.Add(time.Duration(i+1) * time.Second)
	}
	return s
}

// outputBenchSnapshot returns a snapshot of 100 rows of 100 samples each.
func outputBenchSnapshot() *Snapshot {
	st := NewStats("local")
	for i := range 100 {
		name := fmt.Sprintf("/items/%03d/%s", i, strings.Repeat("x", i%40))
		for j := range 100 {
			st.Record(Sample{Type: "GET", Name: name, Duration: time.Duration(j+1) * time.Millisecond, Size: 512})
		}
	}
	return st.Snapshot()
}
