package locust

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestWireDecodeHistEqualsDecodePacked checks that the pooled decoder gives
// exactly hdr.DecodePacked's histograms (re-encoded byte for byte), on
// valid histograms over the whole range and on corrupted ones.
func TestWireDecodeHistEqualsDecodePacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var cases [][]byte
	enc := func(h *hdr.PackedHistogram) []byte {
		b, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases = append(cases, enc(newStatsPacked()))
	every := newStatsPacked() // one value in every bucket
	for i := range wireHistCountsLen {
		if v := wireHistValue(i); v <= histHighest {
			_ = every.RecordValues(v, i%5+1)
		}
	}
	cases = append(cases, enc(every))
	for i := range 300 {
		h := newStatsPacked()
		for range rng.IntN(200) {
			v := rng.Int64N(histHighest) >> rng.IntN(32)
			n := int64(1)
			if i%7 == 0 {
				n = rng.Int64N(1 << 40) // wide counts
			}
			_ = h.RecordValues(v, n)
		}
		cases = append(cases, enc(h))
	}
	other := hdr.NewPacked(1, 1000, 2) // another geometry: the slow path
	_ = other.RecordValue(7)
	cases = append(cases, enc(other))
	// Corruptions of a valid encoding.
	base := cases[len(cases)-2]
	for i := range 200 {
		b := bytes.Clone(base)
		switch i % 3 {
		case 0:
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		case 1:
			b = b[:rng.IntN(len(b))]
		default:
			b = append(b, "AAAA"...)
		}
		cases = append(cases, b)
	}
	for i, c := range cases {
		want, werr := hdr.DecodePacked(c)
		got, gerr := wireDecodeHist(c)
		if (werr != nil) != (gerr != nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("case %d: error %v, DecodePacked's %v", i, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if got.TotalCount() != want.TotalCount() || got.Min() != want.Min() || got.Max() != want.Max() ||
			!bytes.Equal(enc(got), enc(want)) {
			t.Fatalf("case %d: decoded %d samples %d..%d, DecodePacked %d samples %d..%d", i,
				got.TotalCount(), got.Min(), got.Max(), want.TotalCount(), want.Min(), want.Max())
		}
	}
}

// BenchmarkWireDecodeHist compares the pooled decoder with
// hdr.DecodePacked on a histogram of 20 samples.
func BenchmarkWireDecodeHist(b *testing.B) {
	h := newStatsPacked()
	for j := range 20 {
		_ = h.RecordValue(int64(100 + j*37))
	}
	enc, _ := h.Encode()
	for _, d := range []struct {
		name string
		fn   func([]byte) (*hdr.PackedHistogram, error)
	}{{"pooled", wireDecodeHist}, {"DecodePacked", hdr.DecodePacked}} {
		b.Run(fmt.Sprint(d.name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.fn(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
