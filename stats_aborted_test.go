package locust_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// Aborted samples (an error wrapping ErrAborted) are requests, never
// failures: they have their own count in every row and the total, join
// no failure group, and keep that status through Merge, Delta/Add and
// the wire encoding a worker ships to its master.
func TestStatsAbortedIsItsOwnCount(t *testing.T) {
	s := locust.NewStats("w1")
	s.Record(locust.Sample{Type: "GET", Name: "/slow", Duration: 300 * time.Millisecond})
	s.Record(locust.Sample{Type: "GET", Name: "/slow", Duration: 100 * time.Millisecond, Err: locust.ErrAborted})
	s.Record(locust.Sample{Type: "GET", Name: "/slow", Duration: 50 * time.Millisecond,
		Err: fmt.Errorf("checking the answer: %w", locust.ErrAborted)})
	s.Record(locust.Sample{Type: "GET", Name: "/fast", Duration: time.Millisecond, Err: errors.New("HTTP 500")})
	delta := s.Delta()
	snap := s.Snapshot()

	slow := statsEntry(t, snap, "GET", "/slow")
	if slow.Requests != 3 || slow.Failures != 0 || slow.Aborted != 2 {
		t.Errorf("/slow: %d requests, %d failures, %d aborted; want 3, 0, 2", slow.Requests, slow.Failures, slow.Aborted)
	}
	if tot := snap.Total; tot.Requests != 4 || tot.Failures != 1 || tot.Aborted != 2 {
		t.Errorf("total: %d requests, %d failures, %d aborted; want 4, 1, 2", tot.Requests, tot.Failures, tot.Aborted)
	}
	if len(snap.Failures) != 1 || snap.Failures[0].Error != "HTTP 500" {
		t.Errorf("failure groups %+v, want only HTTP 500", snap.Failures)
	}

	// A master adding the delta, decoded from the wire, holds the same.
	b, err := delta.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var dec locust.Snapshot
	if err := dec.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	m := locust.NewStats("master")
	m.Add(&dec)
	statsSameSnapshot(t, "master", m.Snapshot(), snap)

	// Merging two processes' snapshots adds the aborted counts.
	if got := snap.Merge(snap).Total; got.Aborted != 4 || got.Failures != 2 {
		t.Errorf("merged total: %d aborted, %d failures; want 4, 2", got.Aborted, got.Failures)
	}
}

// Record turns the cancellation of a stopped user's request into an
// aborted sample, and an error a task passes on that wraps ErrAborted
// stays aborted.
func TestRecordAbortedFromContext(t *testing.T) {
	s := locust.NewStats("")
	ctx := locust.ContextWithStats(context.Background(), s)
	locust.Record(ctx, locust.Sample{Type: "X", Name: "passed-on", Err: fmt.Errorf("login: %w", locust.ErrAborted)})
	locust.Record(ctx, locust.Sample{Type: "X", Name: "cancelled", Err: context.Canceled})
	snap := s.Snapshot()
	if e := statsEntry(t, snap, "X", "passed-on"); e.Aborted != 1 || e.Failures != 0 {
		t.Errorf("passed-on: %d aborted, %d failures; want 1, 0", e.Aborted, e.Failures)
	}
	// A cancellation that is not a stopped user's is the task's own doing:
	// a failure.
	if e := statsEntry(t, snap, "X", "cancelled"); e.Aborted != 0 || e.Failures != 1 {
		t.Errorf("cancelled: %d aborted, %d failures; want 0, 1", e.Aborted, e.Failures)
	}
}

// A master still decodes the reports of a worker that encodes version 2
// (before aborted counts), and refuses unknown versions by name.
func TestSnapshotWireReadsVersion2(t *testing.T) {
	b, err := (&locust.Snapshot{Start: time.Unix(1, 0), Time: time.Unix(2, 0)}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b[0] = 2 // without rows, versions 2 and 3 differ only in this byte
	var s locust.Snapshot
	if err := s.UnmarshalBinary(b); err != nil {
		t.Errorf("version 2: %v", err)
	}
	b[0] = 9
	if err := s.UnmarshalBinary(b); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("version 9: %v", err)
	}
}
