package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// TestHistogramMetricSameAsBefore checks that histogramMetric, built in a
// few allocations, writes the same native spans, deltas and classic
// buckets as its first version (kept below as the reference), for empty,
// sparse, dense and gapped histograms, and that its native keys are
// NativeKey's.
func TestHistogramMetricSameAsBefore(t *testing.T) {
	desc := prometheus.NewDesc("x", "x", []string{"name"}, nil)
	rnd := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]Bucket{"empty": nil, "one": {{Upper: 0.2, Count: 1}}, "zero counts": {{Upper: 0.1, Count: 0}, {Upper: 0.3, Count: 2}}}
	var dense, sparse, gapped []Bucket
	for us := int64(1); us < 5000; us++ { // every µs bucket: many per native bucket
		dense = append(dense, Bucket{Upper: float64(us+1) / 1e6, Count: us%7 + 1})
	}
	for i := range 200 { // as BenchmarkScrape1000Rows
		sparse = append(sparse, Bucket{Upper: float64(100+i*i*13+1) / 1e6, Count: 1})
	}
	for v := 1e-5; v < 100; v *= 1 + rnd.Float64()/10 { // gaps of 0 to 4 native buckets
		gapped = append(gapped, Bucket{Upper: v, Count: rnd.Int64N(3)})
	}
	cases["dense"], cases["sparse"], cases["gapped"] = dense, sparse, gapped
	var scratch histScratch // reused, as by a Collector
	for name, bs := range cases {
		h := &Histogram{Buckets: bs}
		for _, b := range bs {
			h.Count += b.Count
			h.Sum += b.Upper * float64(b.Count)
		}
		var got, want dto.Metric
		if err := histogramMetric(desc, h, &scratch, "a").Write(&got); err != nil {
			t.Fatal(err)
		}
		if err := histogramMetricRef(desc, h, "a").Write(&want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, &want) {
			t.Errorf("%s: histogramMetric wrote\n%v\nthe reference\n%v", name, &got, &want)
		}
	}
	for v := 1e-6; v < 4000; v *= 1.0007 {
		k, bound := nativeKeyBound(v)
		if k != NativeKey(v) || v > bound || NativeKey(bound) != k || NativeKey(math.Nextafter(bound, math.Inf(1))) != k+1 {
			t.Fatalf("nativeKeyBound(%v) = %d, %v; NativeKey %d", v, k, bound, NativeKey(v))
		}
	}
}

// histogramMetricRef is the first version of histogramMetric.
func histogramMetricRef(desc *prometheus.Desc, h *Histogram, labels ...string) prometheus.Metric {
	m := &histMetric{desc: desc, labels: prometheus.MakeLabelPairs(desc, labels)}
	dh := &m.h
	dh.SampleCount = proto.Uint64(uint64(h.Count))
	dh.SampleSum = proto.Float64(h.Sum)
	dh.Schema = proto.Int32(NativeSchema)
	dh.ZeroThreshold = proto.Float64(nativeZeroThreshold)
	dh.ZeroCount = proto.Uint64(0)
	dh.Bucket = make([]*dto.Bucket, len(ClassicBuckets))
	ci := 0
	var cum uint64
	// Native buckets: runs of consecutive keys form spans; counts are
	// stored as deltas from the previous bucket's count.
	var prevKey int
	var prevCount, cur int64
	dh.PositiveDelta = make([]int64, 0, len(h.Buckets))
	var spanLen *uint32
	flush := func(key int) {
		switch gap := key - prevKey - 1; {
		case spanLen == nil:
			spanLen = proto.Uint32(0)
			dh.PositiveSpan = append(dh.PositiveSpan, &dto.BucketSpan{Offset: proto.Int32(int32(key)), Length: spanLen})
		case gap > 2:
			spanLen = proto.Uint32(0)
			dh.PositiveSpan = append(dh.PositiveSpan, &dto.BucketSpan{Offset: proto.Int32(int32(gap)), Length: spanLen})
		default:
			// A small gap costs less as empty buckets than as a new span.
			for range gap {
				dh.PositiveDelta = append(dh.PositiveDelta, -prevCount)
				prevCount = 0
				*spanLen++
			}
		}
		*spanLen++
		dh.PositiveDelta = append(dh.PositiveDelta, cur-prevCount)
		prevKey, prevCount = key, cur
	}
	curKey, open := 0, false
	for _, b := range h.Buckets {
		if b.Count <= 0 {
			continue
		}
		k := NativeKey(b.Upper)
		if open && k != curKey {
			flush(curKey)
			cur = 0
		}
		curKey, open = k, true
		cur += b.Count
		for ci < len(ClassicBuckets) && ClassicBuckets[ci] < b.Upper {
			dh.Bucket[ci] = &dto.Bucket{UpperBound: proto.Float64(ClassicBuckets[ci]), CumulativeCount: proto.Uint64(cum)}
			ci++
		}
		cum += uint64(b.Count)
	}
	if open {
		flush(curKey)
	}
	for ; ci < len(ClassicBuckets); ci++ {
		dh.Bucket[ci] = &dto.Bucket{UpperBound: proto.Float64(ClassicBuckets[ci]), CumulativeCount: proto.Uint64(cum)}
	}
	if len(dh.PositiveSpan) == 0 {
		// No sample: an empty span marks the histogram as native.
		dh.PositiveSpan = []*dto.BucketSpan{{Offset: proto.Int32(0), Length: proto.Uint32(0)}}
	}
	return m
}
