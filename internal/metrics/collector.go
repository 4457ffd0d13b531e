package metrics

import (
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Namespace prefixes every metric name.
const Namespace = "locust"

// OtherName is the type and name of the series that rows beyond
// [Options.MaxNames] fold into.
const OtherName = "(other)"

// DefaultMaxNames is the default of [Options.MaxNames].
const DefaultMaxNames = 1000

// NativeSchema is the schema of the native histograms: 2^5 = 32 buckets
// per power of two, each about 2.2% wide.
const NativeSchema = 5

// ClassicBuckets are the upper bounds, in seconds, of the classic
// histogram buckets (for Prometheus servers without native histograms).
var ClassicBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60}

// TestStates are the values of the state label of locust_test_state.
var TestStates = []string{"ready", "spawning", "running", "stopping", "stopped"}

// WorkerStates are the values of the state label of locust_workers.
var WorkerStates = []string{"ready", "spawning", "running", "stopping", "stopped", "missing"}

// Options configure a [Collector].
type Options struct {
	// MaxNames bounds the request rows exported with their own labels:
	// the first MaxNames (type, name) pairs seen keep their series, later
	// ones are added to one series whose type and name are "(other)". 0
	// means DefaultMaxNames.
	MaxNames int
	// Info are the labels of locust_run_info (run id, version, mode,
	// host, ...).
	Info map[string]string
	// Logger receives the warning when rows start folding; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Collector is a prometheus.Collector of a load test's statistics. Each
// Collect calls read for a fresh [Snapshot], so recording samples costs
// nothing more with the collector registered. Collect is safe for
// concurrent use; scrapes are served one at a time.
type Collector struct {
	read func() *Snapshot
	max  int
	log  *slog.Logger

	requests, failures, content, duration      *prometheus.Desc
	users, workers, state, info, resets, start *prometheus.Desc
	scheduled, dropped, missed, lag            *prometheus.Desc
	threshold                                  *prometheus.Desc
	infoNames, infoValues                      []string

	mu       sync.Mutex
	admitted map[rowKey]bool // rows with their own series
	warned   bool
	scratch  histScratch // histogramMetric's buffers, under mu
}

type rowKey struct{ typ, name string }

// NewCollector returns a collector that reads the statistics with read.
func NewCollector(read func() *Snapshot, opts Options) *Collector {
	c := &Collector{read: read, max: opts.MaxNames, log: opts.Logger, admitted: map[rowKey]bool{}}
	if c.max <= 0 {
		c.max = DefaultMaxNames
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	for k := range opts.Info {
		c.infoNames = append(c.infoNames, k)
	}
	slices.Sort(c.infoNames)
	for _, k := range c.infoNames {
		c.infoValues = append(c.infoValues, opts.Info[k])
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
	}
	c.requests = d("requests_total", "Requests made, failures included, by request type and name.", "type", "name")
	c.failures = d("request_failures_total", "Failed requests by request type, name and error class.", "type", "name", "error_class")
	c.content = d("response_content_bytes_total", "Bytes of response content received.", "type", "name")
	c.duration = d("request_duration_seconds", "Response time of requests (from the HDR histogram of every sample).", "type", "name")
	c.users = d("users", "Running users by user class.", "class")
	c.workers = d("workers", "Workers of this master by state.", "state")
	c.state = d("test_state", "1 for the runner's current state, 0 for the others.", "state")
	c.info = d("run_info", "Always 1; the labels describe the run.", c.infoNames...)
	c.resets = d("stats_resets_total", "Statistics resets since the process started (counters carry on across them).")
	c.start = d("stats_start_time_seconds", "When the process's statistics started, Unix time.")
	c.scheduled = d("arrival_iterations_scheduled_total", "Open model: iterations that fell due.")
	c.dropped = d("arrival_iterations_dropped_total", "Open model: iterations that found no free user and never ran.")
	c.missed = d("paced_iterations_missed_total", "Paced users: starts that never happened because a task overran the pace.")
	c.lag = d("schedule_lag_seconds", "How late iterations started compared with their schedule.")
	c.threshold = d("threshold_pass", "1 while the threshold holds, 0 when it failed.", "threshold")
	return c
}

// Describe sends the descriptions of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.failures, c.content, c.duration, c.users, c.workers, c.state,
		c.info, c.resets, c.start, c.scheduled, c.dropped, c.missed, c.lag, c.threshold} {
		ch <- d
	}
}

// Collect reads a snapshot and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	if s == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rows, fails := c.fold(s)
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(r.Requests), r.Type, r.Name)
		ch <- prometheus.MustNewConstMetric(c.content, prometheus.CounterValue, float64(r.ContentBytes), r.Type, r.Name)
		ch <- histogramMetric(c.duration, &r.Duration, &c.scratch, r.Type, r.Name)
	}
	for k, n := range fails {
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(n), k.typ, k.name, k.class)
	}
	for class, n := range s.Users {
		ch <- prometheus.MustNewConstMetric(c.users, prometheus.GaugeValue, float64(n), class)
	}
	if s.Workers != nil {
		for _, st := range WorkerStates {
			ch <- prometheus.MustNewConstMetric(c.workers, prometheus.GaugeValue, float64(s.Workers[st]), st)
		}
	}
	for _, st := range TestStates {
		v := 0.0
		if st == s.State {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, st)
	}
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, c.infoValues...)
	ch <- prometheus.MustNewConstMetric(c.resets, prometheus.CounterValue, float64(s.Resets))
	if !s.Start.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.start, prometheus.GaugeValue, float64(s.Start.UnixNano())/1e9)
	}
	if sc := s.Schedule; sc != nil {
		ch <- prometheus.MustNewConstMetric(c.scheduled, prometheus.CounterValue, float64(sc.Scheduled))
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(sc.Dropped))
		ch <- prometheus.MustNewConstMetric(c.missed, prometheus.CounterValue, float64(sc.Missed))
		ch <- histogramMetric(c.lag, &sc.Lag, &c.scratch)
	}
	seen := map[string]bool{}
	for _, t := range s.Thresholds {
		if seen[t.Name] {
			continue // the same threshold twice: one series
		}
		seen[t.Name] = true
		v := 0.0
		if t.Pass {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.threshold, prometheus.GaugeValue, v, t.Name)
	}
}

type failKey struct{ typ, name, class string }

// fold returns the rows with those beyond the limit added into one
// "(other)" row, and the failures by (type, name, error class) folded the
// same way. Call with c.mu held.
func (c *Collector) fold(s *Snapshot) ([]Row, map[failKey]int64) {
	rows := make([]Row, 0, len(s.Rows))
	var other *Row
	folded := 0
	for _, r := range s.Rows {
		k := rowKey{r.Type, r.Name}
		if !c.admitted[k] && len(c.admitted) < c.max {
			c.admitted[k] = true
		}
		if c.admitted[k] {
			rows = append(rows, r)
			continue
		}
		folded++
		if other == nil {
			other = &Row{Type: OtherName, Name: OtherName}
		}
		other.Requests += r.Requests
		other.Failures += r.Failures
		other.ContentBytes += r.ContentBytes
		other.Duration = mergeHistograms(other.Duration, r.Duration)
	}
	if other != nil {
		rows = append(rows, *other)
		if !c.warned {
			c.warned = true
			c.log.Warn("too many request names for metrics: the rows beyond the limit are exported as one series named "+OtherName,
				"limit", c.max, "folded", folded)
		}
	}
	fails := map[failKey]int64{}
	for _, f := range s.Failures {
		k := failKey{f.Type, f.Name, ErrorClass(f.Error)}
		if !c.admitted[rowKey{f.Type, f.Name}] {
			k.typ, k.name = OtherName, OtherName
		}
		fails[k] += f.Count
	}
	return rows, fails
}

// mergeHistograms returns a histogram of the samples of a and b.
func mergeHistograms(a, b Histogram) Histogram {
	m := Histogram{Count: a.Count + b.Count, Sum: a.Sum + b.Sum, Buckets: make([]Bucket, 0, len(a.Buckets)+len(b.Buckets))}
	i, j := 0, 0
	for i < len(a.Buckets) || j < len(b.Buckets) {
		switch {
		case j == len(b.Buckets) || i < len(a.Buckets) && a.Buckets[i].Upper < b.Buckets[j].Upper:
			m.Buckets = append(m.Buckets, a.Buckets[i])
			i++
		case i == len(a.Buckets) || b.Buckets[j].Upper < a.Buckets[i].Upper:
			m.Buckets = append(m.Buckets, b.Buckets[j])
			j++
		default:
			m.Buckets = append(m.Buckets, Bucket{Upper: a.Buckets[i].Upper, Count: a.Buckets[i].Count + b.Buckets[j].Count})
			i++
			j++
		}
	}
	return m
}

// ErrorClass returns the bounded class of a failure's error text:
// "http_4xx", "http_5xx", "http_other" for HTTP status failures,
// "timeout", "canceled", "aborted", "not_sent", "connection", or "other".
func ErrorClass(text string) string {
	switch {
	case strings.HasPrefix(text, "HTTP 4"):
		return "http_4xx"
	case strings.HasPrefix(text, "HTTP 5"):
		return "http_5xx"
	case strings.HasPrefix(text, "HTTP "):
		return "http_other"
	case strings.HasPrefix(text, "aborted"):
		return "aborted"
	case strings.HasPrefix(text, "timeout") || strings.Contains(text, "deadline exceeded"):
		return "timeout"
	case strings.HasPrefix(text, "request canceled"):
		return "canceled"
	case strings.Contains(text, " not sent: "):
		return "not_sent"
	case strings.Contains(text, "connection") || strings.Contains(text, "EOF") || strings.Contains(text, "no such host"):
		return "connection"
	}
	return "other"
}

// histogramMetric returns h as a Prometheus histogram with both native
// buckets (schema NativeSchema) and the classic ClassicBuckets, as
// client_golang's own histograms are when both are configured: the
// protobuf format carries both, the text formats the classic ones. The
// buckets are ascending, so the native buckets are found in one pass;
// the metric is built in a few allocations whatever its bucket count (a
// scrape of 1,000 rows builds 1,000 of them).
func histogramMetric(desc *prometheus.Desc, h *Histogram, scratch *histScratch, labels ...string) prometheus.Metric {
	m := &histMetric{desc: desc, labels: prometheus.MakeLabelPairs(desc, labels), count: uint64(h.Count), sum: h.Sum,
		schema: NativeSchema, zeroThreshold: nativeZeroThreshold}
	dh := &m.h
	dh.SampleCount, dh.SampleSum, dh.Schema, dh.ZeroThreshold, dh.ZeroCount = &m.count, &m.sum, &m.schema, &m.zeroThreshold, &m.zeroCount

	// Native buckets: the counts of the HDR buckets summed per native
	// key, ascending.
	keys, counts := scratch.keys[:0], scratch.counts[:0]
	defer func() { scratch.keys, scratch.counts = keys, counts }()
	// Classic buckets, cumulative.
	classic := make([]dto.Bucket, len(ClassicBuckets))
	cums := make([]uint64, len(ClassicBuckets))
	ci := 0
	var cum uint64
	bound := math.Inf(-1) // upper bound of the last native key
	for _, b := range h.Buckets {
		if b.Count <= 0 {
			continue
		}
		if b.Upper > bound {
			var k int
			k, bound = nativeKeyBound(b.Upper)
			keys = append(keys, k)
			counts = append(counts, 0)
		}
		counts[len(counts)-1] += b.Count
		for ci < len(ClassicBuckets) && ClassicBuckets[ci] < b.Upper {
			cums[ci] = cum
			ci++
		}
		cum += uint64(b.Count)
	}
	for ; ci < len(ClassicBuckets); ci++ {
		cums[ci] = cum
	}
	dh.Bucket = make([]*dto.Bucket, len(ClassicBuckets))
	for i := range classic {
		classic[i].UpperBound, classic[i].CumulativeCount = &ClassicBuckets[i], &cums[i]
		dh.Bucket[i] = &classic[i]
	}

	// Runs of keys form spans: a gap of up to 2 empty buckets costs less
	// as empty buckets than as a new span. Counts are deltas from the
	// previous bucket's count.
	nSpans, nDeltas := 0, 0
	for i, k := range keys {
		gap := 0
		if i > 0 {
			gap = k - keys[i-1] - 1
		}
		if i == 0 || gap > 2 {
			nSpans++
		} else {
			nDeltas += gap
		}
		nDeltas++
	}
	if nSpans == 0 {
		// No sample: an empty span marks the histogram as native.
		m.spanOffsets, m.spanLengths = []int32{0}, []uint32{0}
		dh.PositiveSpan = []*dto.BucketSpan{{Offset: &m.spanOffsets[0], Length: &m.spanLengths[0]}}
		return m
	}
	spans := make([]dto.BucketSpan, nSpans)
	m.spanOffsets, m.spanLengths = make([]int32, nSpans), make([]uint32, nSpans)
	dh.PositiveDelta = make([]int64, 0, nDeltas)
	var prev int64
	s := -1
	for i, k := range keys {
		gap := 0
		if i > 0 {
			gap = k - keys[i-1] - 1
		}
		switch {
		case i == 0:
			s++
			m.spanOffsets[s] = int32(k)
		case gap > 2:
			s++
			m.spanOffsets[s] = int32(gap)
		default:
			for range gap {
				dh.PositiveDelta = append(dh.PositiveDelta, -prev)
				prev = 0
				m.spanLengths[s]++
			}
		}
		m.spanLengths[s]++
		dh.PositiveDelta = append(dh.PositiveDelta, counts[i]-prev)
		prev = counts[i]
	}
	dh.PositiveSpan = make([]*dto.BucketSpan, nSpans)
	for i := range spans {
		spans[i].Offset, spans[i].Length = &m.spanOffsets[i], &m.spanLengths[i]
		dh.PositiveSpan[i] = &spans[i]
	}
	return m
}

// histScratch holds the native keys and counts of the histogram being
// built, reused from one to the next.
type histScratch struct {
	keys   []int
	counts []int64
}

// nativeZeroThreshold is client_golang's default: no sample is that short.
var nativeZeroThreshold = math.Ldexp(1, -128)

// histMetric is a constant histogram written as built; it holds the
// values its dto.Histogram points to.
type histMetric struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	h      dto.Histogram

	count              uint64
	sum, zeroThreshold float64
	schema             int32
	zeroCount          uint64
	spanOffsets        []int32
	spanLengths        []uint32
}

func (m *histMetric) Desc() *prometheus.Desc { return m.desc }

func (m *histMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	out.Histogram = &m.h
	return nil
}

// nativeKeyBound returns NativeKey(v) and the upper bound of that bucket:
// the values up to it (and above the previous bucket's bound) have the
// same key.
func nativeKeyBound(v float64) (key int, bound float64) {
	frac, exp := math.Frexp(v)
	i, _ := slices.BinarySearch(nativeBounds, frac)
	if i == len(nativeBounds) {
		return i + (exp-1)*len(nativeBounds), math.Ldexp(1, exp)
	}
	return i + (exp-1)*len(nativeBounds), math.Ldexp(nativeBounds[i], exp)
}

// NativeKey returns the index of the native histogram bucket (schema
// NativeSchema) holding v > 0: bucket i holds (2^((i-1)/32), 2^(i/32)].
func NativeKey(v float64) int {
	frac, exp := math.Frexp(v)
	i, _ := slices.BinarySearch(nativeBounds, frac)
	return i + (exp-1)*len(nativeBounds)
}

// nativeBounds[j] is 2^(j/32)/2, the fractions of the bucket bounds
// within one power of two, as client_golang computes them.
var nativeBounds = func() []float64 {
	n := 1 << NativeSchema
	b := make([]float64, n)
	for j := range b {
		b[j] = math.Exp2(float64(j)/float64(n)) / 2
	}
	return b
}()
