package locust_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// wireSnapshot records n entries with spread durations, failures and an
// exception, and returns the stats and their delta.
func wireStats(n, samples int) *locust.Stats {
	s := locust.NewStats("w1")
	for i := range n {
		for j := range samples {
			var err error
			if j%17 == 0 {
				err = errors.New("boom")
			}
			s.Record(locust.Sample{Type: "GET", Name: fmt.Sprintf("/item/%d", i), Duration: time.Duration(100+j*37%5000) * time.Microsecond * time.Duration(1+i%7), Size: 100, Err: err})
		}
	}
	s.RecordException("kaput", "main.go:1")
	s.Tick(3)
	return s
}

func TestSnapshotWireRoundTrip(t *testing.T) {
	snap := wireStats(5, 200).Snapshot()
	b, err := snap.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got locust.Snapshot
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(snap.Start) || !got.Time.Equal(snap.Time) || len(got.Entries) != len(snap.Entries) ||
		len(got.History) != len(snap.History) || !reflect.DeepEqual(got.Failures[0].Error, snap.Failures[0].Error) ||
		!reflect.DeepEqual(got.Exceptions, snap.Exceptions) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, *snap)
	}
	for i, e := range snap.Entries {
		g := got.Entries[i]
		if g.Name != e.Name || g.Requests != e.Requests || g.Failures != e.Failures || g.TotalTime != e.TotalTime ||
			g.Min != e.Min || g.Max != e.Max || g.ContentBytes != e.ContentBytes || g.CurrentRPS != e.CurrentRPS {
			t.Errorf("entry %d: got %+v, want %+v", i, g, e)
		}
		for _, q := range locust.Percentiles {
			if g.Percentile(q) != e.Percentile(q) || g.CurrentPercentile(q) != e.CurrentPercentile(q) {
				t.Errorf("entry %s p%v differs", e.Name, q)
			}
		}
	}
	// Merging the decoded delta into other stats equals merging the
	// original.
	a, bb := locust.NewStats("m"), locust.NewStats("m")
	a.Add(snap)
	bb.Add(&got)
	if x, y := a.Snapshot().Total, bb.Snapshot().Total; x.Requests != y.Requests || x.Percentile(0.99) != y.Percentile(0.99) {
		t.Errorf("merged totals differ: %+v vs %+v", x, y)
	}
}

func TestSnapshotUnmarshalRejects(t *testing.T) {
	good, err := wireStats(1, 10).Delta().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{nil, {9}, good[:len(good)/2], append(append([]byte{}, good...), 0)} {
		var s locust.Snapshot
		if err := s.UnmarshalBinary(b); err == nil {
			t.Errorf("UnmarshalBinary(%d bytes) accepted malformed input", len(b))
		}
	}
}

// FuzzSnapshotUnmarshal checks that the decoder of worker reports never
// panics and that what it accepts merges without panicking.
func FuzzSnapshotUnmarshal(f *testing.F) {
	for _, n := range []int{0, 1, 3} {
		b, err := wireStats(n, 20).Delta().MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s locust.Snapshot
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		st := locust.NewStats("m")
		st.Add(&s)
		_ = st.Snapshot()
		if _, err := s.MarshalBinary(); err != nil {
			t.Fatalf("decoded snapshot does not encode: %v", err)
		}
	})
}

// BenchmarkMasterMergeReport measures what the master does with one worker
// report of 50 entries: decode (V2 histograms) and merge into its Stats,
// and the merge alone. samples is the number of samples per entry in the
// report (20: a worker at 1,000 req/s; 400: at 20,000 req/s with a wide
// latency spread).
func BenchmarkMasterMergeReport(b *testing.B) {
	for _, samples := range []int{20, 400} {
		data, err := wireStats(50, samples).Delta().MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("samples=%d/decode+merge", samples), func(b *testing.B) {
			m := locust.NewStats("master")
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var s locust.Snapshot
				if err := s.UnmarshalBinary(data); err != nil {
					b.Fatal(err)
				}
				m.Add(&s)
			}
		})
		b.Run(fmt.Sprintf("samples=%d/merge", samples), func(b *testing.B) {
			var s locust.Snapshot
			if err := s.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
			m := locust.NewStats("master")
			b.ReportAllocs()
			for b.Loop() {
				m.Add(&s)
			}
		})
	}
}
