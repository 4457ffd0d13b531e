package locust

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// statsWireVersion is the first byte of an encoded Snapshot. Version 2
// added the schedule statistics (Snapshot.Schedule) after the history;
// version 3 the aborted count of each entry (EntryStats.Aborted) after its
// failures. The decoder also reads version 2 (no aborted counts).
const statsWireVersion = 3

// Limits of the snapshot decoder, so that a hostile input cannot make it
// allocate much more than its own size.
const (
	wireMaxString = 1 << 20
	wireMaxHist   = 4 << 20
)

// MarshalBinary encodes the snapshot with every field, histograms in
// HdrHistogram's standard V2 compressed encoding, so that a worker can
// ship its deltas to the master. [Snapshot.UnmarshalBinary] restores it
// exactly.
func (s *Snapshot) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 256+len(s.Entries)*160)
	b = append(b, statsWireVersion)
	b = wireTime(b, s.Start)
	b = wireTime(b, s.Time)
	b = binary.AppendUvarint(b, uint64(len(s.Entries)))
	var err error
	for _, e := range s.Entries {
		if b, err = wireEntry(b, e); err != nil {
			return nil, err
		}
	}
	if s.Total == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		if b, err = wireEntry(b, s.Total); err != nil {
			return nil, err
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s.Failures)))
	for _, f := range s.Failures {
		b = wireString(b, f.Type)
		b = wireString(b, f.Name)
		b = wireString(b, f.Error)
		b = binary.AppendVarint(b, f.Occurrences)
		b = wireTime(b, f.FirstSeen)
		b = wireTime(b, f.LastSeen)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Exceptions)))
	for _, x := range s.Exceptions {
		b = wireString(b, x.Message)
		b = wireString(b, x.Traceback)
		b = binary.AppendVarint(b, x.Count)
		b = binary.AppendUvarint(b, uint64(len(x.Nodes)))
		for _, n := range x.Nodes {
			b = wireString(b, n)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s.History)))
	for _, h := range s.History {
		b = wireTime(b, h.Time)
		b = binary.AppendVarint(b, int64(h.Users))
		b = wireFloat(b, h.CurrentRPS)
		b = wireFloat(b, h.CurrentFailPerSec)
		b = binary.AppendVarint(b, int64(h.P50))
		b = binary.AppendVarint(b, int64(h.P95))
		b = binary.AppendVarint(b, int64(h.P99))
		b = binary.AppendVarint(b, int64(h.AvgTime))
		b = binary.AppendVarint(b, h.Requests)
		b = binary.AppendVarint(b, h.Failures)
	}
	return wireSchedule(b, s.Schedule)
}

// wireSchedule appends the schedule statistics: a presence byte, the
// three counters and the three timings (count, total, min, max, V2
// histogram).
func wireSchedule(b []byte, s *ScheduleStats) ([]byte, error) {
	if s == nil {
		return append(b, 0), nil
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, s.Scheduled)
	b = binary.AppendVarint(b, s.Dropped)
	b = binary.AppendVarint(b, s.Missed)
	var err error
	for _, t := range []*Timing{&s.Lag, &s.ResponseTime, &s.ServiceTime} {
		b = binary.AppendVarint(b, t.Count)
		b = binary.AppendVarint(b, int64(t.Total))
		b = binary.AppendVarint(b, int64(t.Min))
		b = binary.AppendVarint(b, int64(t.Max))
		if b, err = wireHist(b, t.hist); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func wireTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendVarint(b, t.UnixNano())
}

func wireFloat(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func wireString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func wireHist(b []byte, h *hdr.PackedHistogram) ([]byte, error) {
	if h == nil {
		return binary.AppendUvarint(b, 0), nil
	}
	enc, err := h.Encode()
	if err != nil {
		return nil, fmt.Errorf("failed to encode a histogram: %w", err)
	}
	b = binary.AppendUvarint(b, uint64(len(enc)))
	return append(b, enc...), nil
}

func wireEntry(b []byte, e *EntryStats) ([]byte, error) {
	b = wireString(b, e.Type)
	b = wireString(b, e.Name)
	b = binary.AppendVarint(b, e.Requests)
	b = binary.AppendVarint(b, e.Failures)
	b = binary.AppendVarint(b, e.Aborted)
	b = binary.AppendVarint(b, int64(e.TotalTime))
	b = binary.AppendVarint(b, int64(e.Min))
	b = binary.AppendVarint(b, int64(e.Max))
	b = binary.AppendVarint(b, e.ContentBytes)
	b = wireFloat(b, e.TotalRPS)
	b = wireFloat(b, e.TotalFailPerSec)
	b = wireFloat(b, e.CurrentRPS)
	b = wireFloat(b, e.CurrentFailPerSec)
	var err error
	if b, err = wireHist(b, e.hist); err != nil {
		return nil, err
	}
	return wireHist(b, e.current)
}

// wireReader reads the encoding; the first error sticks.
type wireReader struct {
	b       []byte
	err     error
	version byte // of the encoding being read
}

func (r *wireReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *wireReader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wireReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad unsigned varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a list length, each item taking at least min bytes.
func (r *wireReader) count(what string, min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.fail("%s count %d exceeds what the %d bytes left can hold", what, n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *wireReader) nonNeg(what string) int64 {
	v := r.varint()
	if v < 0 {
		r.fail("%s is negative: %d", what, v)
		return 0
	}
	return v
}

func (r *wireReader) float(what string) float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("truncated %s", what)
		return 0
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	if math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail("%s is not finite", what)
		return 0
	}
	return f
}

func (r *wireReader) bytes(what string, limit int) []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(limit) || n > uint64(len(r.b)) {
		r.fail("%s length %d exceeds the limit or the %d bytes left", what, n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *wireReader) str(what string) string { return string(r.bytes(what, wireMaxString)) }

func (r *wireReader) time() time.Time {
	switch r.byte1() {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, r.varint())
	default:
		r.fail("bad time marker")
		return time.Time{}
	}
}

func (r *wireReader) hist(what string) *hdr.PackedHistogram {
	enc := r.bytes(what, wireMaxHist)
	if r.err != nil || len(enc) == 0 {
		return nil
	}
	h, err := wireDecodeHist(enc)
	if err != nil {
		r.fail("%s: %v", what, err)
		return nil
	}
	if h.LowestTrackableValue() != histLowest || h.HighestTrackableValue() != histHighest || h.SignificantFigures() != histDigits {
		r.fail("%s has range %d..%d with %d digits; only %d..%d with %d digits merges exactly",
			what, h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(), histLowest, histHighest, histDigits)
		return nil
	}
	return h
}

func (r *wireReader) entry() *EntryStats {
	e := &EntryStats{Type: r.str("entry type"), Name: r.str("entry name")}
	e.Requests = r.nonNeg("requests")
	e.Failures = r.nonNeg("failures")
	if r.version >= 3 {
		e.Aborted = r.nonNeg("aborted")
	}
	e.TotalTime = time.Duration(r.nonNeg("total time"))
	e.Min = time.Duration(r.nonNeg("min"))
	e.Max = time.Duration(r.nonNeg("max"))
	e.ContentBytes = r.nonNeg("content bytes")
	e.TotalRPS = r.float("total rps")
	e.TotalFailPerSec = r.float("total failures/s")
	e.CurrentRPS = r.float("current rps")
	e.CurrentFailPerSec = r.float("current failures/s")
	e.hist = r.hist("histogram of " + e.Name)
	e.current = r.hist("current histogram of " + e.Name)
	if r.err != nil {
		return nil
	}
	switch {
	case e.Failures > e.Requests-e.Aborted:
		r.fail("entry %q has %d failures and %d aborted for %d requests", e.Name, e.Failures, e.Aborted, e.Requests)
	case e.Min > e.Max:
		r.fail("entry %q has min %v above max %v", e.Name, e.Min, e.Max)
	case e.hist != nil && e.hist.TotalCount() != e.Requests:
		r.fail("entry %q has %d requests but its histogram %d samples", e.Name, e.Requests, e.hist.TotalCount())
	}
	return e
}

// schedule reads the schedule statistics after their presence byte.
func (r *wireReader) schedule() *ScheduleStats {
	s := &ScheduleStats{Scheduled: r.nonNeg("scheduled"), Dropped: r.nonNeg("dropped"), Missed: r.nonNeg("missed")}
	if r.err == nil && s.Dropped > s.Scheduled {
		r.fail("schedule has %d dropped of %d scheduled", s.Dropped, s.Scheduled)
	}
	for _, x := range []struct {
		name string
		t    *Timing
	}{{"schedule lag", &s.Lag}, {"response time", &s.ResponseTime}, {"service time", &s.ServiceTime}} {
		t := x.t
		t.Count = r.nonNeg(x.name + " count")
		t.Total = time.Duration(r.nonNeg(x.name + " total"))
		t.Min = time.Duration(r.nonNeg(x.name + " min"))
		t.Max = time.Duration(r.nonNeg(x.name + " max"))
		t.hist = r.hist(x.name + " histogram")
		if r.err != nil {
			return nil
		}
		switch {
		case t.Min > t.Max:
			r.fail("%s has min %v above max %v", x.name, t.Min, t.Max)
		case t.Count > 0 && t.hist == nil:
			r.fail("%s has %d durations but no histogram", x.name, t.Count)
		case t.hist != nil && t.hist.TotalCount() != t.Count:
			r.fail("%s has %d durations but its histogram %d samples", x.name, t.Count, t.hist.TotalCount())
		}
	}
	if r.err != nil {
		return nil
	}
	return s
}

// UnmarshalBinary decodes what [Snapshot.MarshalBinary] wrote into s,
// replacing its contents. Malformed input (truncated, inconsistent
// counts, histograms of another range or precision) is an error naming
// what is wrong, never a panic; on error s is left unchanged.
func (s *Snapshot) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return errors.New("failed to decode snapshot: empty")
	}
	if data[0] != statsWireVersion && data[0] != 2 {
		return fmt.Errorf("failed to decode snapshot: version %d, this program reads versions 2 and %d", data[0], statsWireVersion)
	}
	r := &wireReader{b: data[1:], version: data[0]}
	var d Snapshot
	d.Start = r.time()
	d.Time = r.time()
	// Every entry takes at least 2+6+32+2 bytes.
	for n := r.count("entry", 42); n > 0 && r.err == nil; n-- {
		if e := r.entry(); e != nil {
			d.Entries = append(d.Entries, e)
		}
	}
	if r.byte1() == 1 {
		d.Total = r.entry()
	}
	for n := r.count("failure", 6); n > 0 && r.err == nil; n-- {
		f := FailureStats{Type: r.str("failure type"), Name: r.str("failure name"), Error: r.str("failure error")}
		f.Occurrences = r.nonNeg("occurrences")
		f.FirstSeen = r.time()
		f.LastSeen = r.time()
		d.Failures = append(d.Failures, f)
	}
	for n := r.count("exception", 4); n > 0 && r.err == nil; n-- {
		x := ExceptionStats{Message: r.str("exception message"), Traceback: r.str("traceback")}
		x.Count = r.nonNeg("exception count")
		for m := r.count("node", 1); m > 0 && r.err == nil; m-- {
			x.Nodes = append(x.Nodes, r.str("node"))
		}
		d.Exceptions = append(d.Exceptions, x)
	}
	for n := r.count("history point", 26); n > 0 && r.err == nil; n-- {
		h := HistoryPoint{Time: r.time(), Users: int(r.varint())}
		h.CurrentRPS = r.float("history rps")
		h.CurrentFailPerSec = r.float("history failures/s")
		h.P50 = time.Duration(r.varint())
		h.P95 = time.Duration(r.varint())
		h.P99 = time.Duration(r.varint())
		h.AvgTime = time.Duration(r.varint())
		h.Requests = r.varint()
		h.Failures = r.varint()
		d.History = append(d.History, h)
	}
	switch r.byte1() {
	case 0:
	case 1:
		d.Schedule = r.schedule()
	default:
		r.fail("bad schedule marker")
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d unexpected bytes at the end", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("failed to decode snapshot: %w", r.err)
	}
	*s = d
	return nil
}
