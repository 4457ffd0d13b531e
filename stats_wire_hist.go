package locust

// A cheaper decoder of the histograms in worker reports. hdr.DecodePacked
// opens a new zlib reader (about 40 KB of allocations) for every
// histogram, which made decoding, and the garbage collection it causes,
// most of a master's CPU. wireDecodeHist reads the same standard V2
// compressed encoding with pooled zlib readers and buffers, for the one
// geometry the statistics use; anything else, malformed or unusual input
// included, goes to hdr.DecodePacked, whose result and errors are thus
// unchanged. TestWireDecodeHistEqualsDecodePacked checks that both give
// byte-identical histograms.

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The index geometry of histLowest, histHighest and histDigits, as
// package hdr computes it.
var (
	wireHistUnitMag, wireHistHalfMag = wireHistMagnitudes()
	wireHistCountsLen                = wireHistCounts()
)

func wireHistMagnitudes() (unit, half int32) {
	sub := int32(math.Ceil(math.Log2(2 * math.Pow10(histDigits))))
	half = max(sub, 1) - 1
	unit = max(int32(math.Floor(math.Log2(float64(histLowest)))), 0)
	return unit, half
}

func wireHistCounts() int64 {
	subCount := int64(1) << (wireHistHalfMag + 1)
	smallest := subCount << wireHistUnitMag
	buckets := int64(1)
	for smallest <= histHighest {
		smallest <<= 1
		buckets++
	}
	return (buckets + 1) * (subCount / 2)
}

// wireHistValue is the lowest value of the bucket at a counts index.
func wireHistValue(index int64) int64 {
	bucket := index>>wireHistHalfMag - 1
	half := int64(1) << wireHistHalfMag
	sub := index&(half-1) + half
	if bucket < 0 {
		sub -= half
		bucket = 0
	}
	return sub << (bucket + int64(wireHistUnitMag))
}

// wireHistDecoder holds a reusable zlib reader and buffers.
type wireHistDecoder struct {
	raw     []byte
	br      bytes.Reader
	z       io.ReadCloser
	payload []byte
}

var wireHistPool = sync.Pool{New: func() any { return &wireHistDecoder{} }}

// wireDecodeHist decodes one histogram of a report.
func wireDecodeHist(enc []byte) (*hdr.PackedHistogram, error) {
	d := wireHistPool.Get().(*wireHistDecoder)
	h, err := d.decode(enc)
	if len(d.raw) <= 1<<16 && len(d.payload) <= 1<<16 {
		wireHistPool.Put(d)
	}
	if err != nil {
		return hdr.DecodePacked(enc)
	}
	return h, nil
}

var errWireHistSlow = errors.New("not the common case")

func (d *wireHistDecoder) decode(enc []byte) (*hdr.PackedHistogram, error) {
	n := base64.StdEncoding.DecodedLen(len(enc))
	if cap(d.raw) < n {
		d.raw = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(d.raw[:n], enc)
	if err != nil || n < 8 {
		return nil, errWireHistSlow
	}
	raw := d.raw[:n]
	if int32(binary.BigEndian.Uint32(raw))&^0xf0 != hdr.V2CompressedEncodingCookieBase {
		return nil, errWireHistSlow
	}
	clen := int64(int32(binary.BigEndian.Uint32(raw[4:])))
	if clen < 0 || clen > int64(len(raw)-8) {
		return nil, errWireHistSlow
	}
	d.br.Reset(raw[8 : 8+clen])
	if d.z == nil {
		if d.z, err = zlib.NewReader(&d.br); err != nil {
			d.z = nil
			return nil, errWireHistSlow
		}
	} else if err := d.z.(zlib.Resetter).Reset(&d.br, nil); err != nil {
		return nil, errWireHistSlow
	}
	var head [hdr.ENCODING_HEADER_SIZE]byte
	if _, err := io.ReadFull(d.z, head[:]); err != nil {
		return nil, errWireHistSlow
	}
	payloadLen := int64(int32(binary.BigEndian.Uint32(head[4:])))
	if int32(binary.BigEndian.Uint32(head[0:]))&^0xf0 != hdr.V2EncodingCookieBase ||
		int32(binary.BigEndian.Uint32(head[12:])) != histDigits ||
		int64(binary.BigEndian.Uint64(head[16:])) != histLowest ||
		int64(binary.BigEndian.Uint64(head[24:])) != histHighest ||
		math.Float64frombits(binary.BigEndian.Uint64(head[32:])) != 1 ||
		payloadLen < 0 || payloadLen > wireHistCountsLen*9 {
		return nil, errWireHistSlow
	}
	if int64(cap(d.payload)) < payloadLen+1 {
		d.payload = make([]byte, payloadLen+1)
	}
	p := d.payload[:payloadLen+1]
	// The payload, then EOF (which also verifies the zlib checksum).
	if m, err := io.ReadFull(d.z, p); int64(m) != payloadLen || err != io.ErrUnexpectedEOF && (err != io.EOF || payloadLen != 0) {
		return nil, errWireHistSlow
	}
	p = p[:payloadLen]
	h := newStatsPacked()
	var index int64
	for len(p) > 0 {
		// hdr's zig-zag LEB128 agrees with binary.Varint up to 8 bytes;
		// longer ones (counts above 2^55) take the slow path.
		count, m := binary.Varint(p)
		if m <= 0 || m > 8 {
			return nil, errWireHistSlow
		}
		p = p[m:]
		if count < 0 {
			if count == math.MinInt64 || -count > wireHistCountsLen-index {
				return nil, errWireHistSlow
			}
			index -= count
			continue
		}
		if index >= wireHistCountsLen {
			return nil, errWireHistSlow
		}
		if count > 0 {
			if err := h.RecordValues(wireHistValue(index), count); err != nil {
				return nil, errWireHistSlow
			}
		}
		index++
	}
	return h, nil
}
