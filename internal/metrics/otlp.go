package metrics

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// ScopeName is the instrumentation scope of the OpenTelemetry metrics.
const ScopeName = "github.com/golocust/locust"

// Producer is an OpenTelemetry metric producer (sdk/metric's Producer)
// of the same metrics as the [Collector] it reads through, with the same
// folding of rows beyond the limit: cumulative sums for the counters,
// gauges, and exponential histograms of scale NativeSchema whose buckets
// are the native histogram's. Names follow OpenTelemetry's conventions:
// locust.requests, locust.request.failures, locust.request.duration, ...
type Producer struct {
	c *Collector
}

// NewProducer returns a producer reading through c.
func NewProducer(c *Collector) *Producer { return &Producer{c: c} }

// Produce returns the current metrics; safe for concurrent use.
func (p *Producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	s := p.c.read()
	if s == nil {
		return nil, nil
	}
	p.c.mu.Lock()
	rows, fails := p.c.fold(s)
	p.c.mu.Unlock()
	now := time.Now()
	start := s.Start
	if start.IsZero() {
		start = now
	}
	sum := func(name, desc, unit string, pts []metricdata.DataPoint[int64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Description: desc, Unit: unit,
			Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: pts}}
	}
	gauge := func(name, desc, unit string, pts []metricdata.DataPoint[int64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Description: desc, Unit: unit, Data: metricdata.Gauge[int64]{DataPoints: pts}}
	}
	pt := func(v int64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(kv...), StartTime: start, Time: now, Value: v}
	}
	var reqs, content, fl []metricdata.DataPoint[int64]
	var durs []metricdata.ExponentialHistogramDataPoint[float64]
	for _, r := range rows {
		kv := []attribute.KeyValue{attribute.String("type", r.Type), attribute.String("name", r.Name)}
		reqs = append(reqs, pt(r.Requests, kv...))
		content = append(content, pt(r.ContentBytes, kv...))
		durs = append(durs, expHistogram(&r.Duration, start, now, kv...))
	}
	for k, n := range fails {
		fl = append(fl, pt(n, attribute.String("type", k.typ), attribute.String("name", k.name), attribute.String("error_class", k.class)))
	}
	out := []metricdata.Metrics{
		sum("locust.requests", "Requests made, failures included, by request type and name.", "{request}", reqs),
		sum("locust.request.failures", "Failed requests by request type, name and error class.", "{request}", fl),
		sum("locust.response.content", "Bytes of response content received.", "By", content),
		{Name: "locust.request.duration", Description: "Response time of requests (from the HDR histogram of every sample).", Unit: "s",
			Data: metricdata.ExponentialHistogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: durs}},
		sum("locust.stats.resets", "Statistics resets since the process started (counters carry on across them).", "{reset}",
			[]metricdata.DataPoint[int64]{pt(s.Resets)}),
	}
	var users, workers, states, ths []metricdata.DataPoint[int64]
	for class, n := range s.Users {
		users = append(users, pt(int64(n), attribute.String("class", class)))
	}
	out = append(out, gauge("locust.users", "Running users by user class.", "{user}", users))
	if s.Workers != nil {
		for _, st := range WorkerStates {
			workers = append(workers, pt(int64(s.Workers[st]), attribute.String("state", st)))
		}
		out = append(out, gauge("locust.workers", "Workers of this master by state.", "{worker}", workers))
	}
	for _, st := range TestStates {
		v := int64(0)
		if st == s.State {
			v = 1
		}
		states = append(states, pt(v, attribute.String("state", st)))
	}
	out = append(out, gauge("locust.test.state", "1 for the runner's current state, 0 for the others.", "1", states))
	if sc := s.Schedule; sc != nil {
		out = append(out,
			sum("locust.arrival.iterations.scheduled", "Open model: iterations that fell due.", "{iteration}", []metricdata.DataPoint[int64]{pt(sc.Scheduled)}),
			sum("locust.arrival.iterations.dropped", "Open model: iterations that found no free user and never ran.", "{iteration}", []metricdata.DataPoint[int64]{pt(sc.Dropped)}),
			sum("locust.paced.iterations.missed", "Paced users: starts that never happened because a task overran the pace.", "{iteration}", []metricdata.DataPoint[int64]{pt(sc.Missed)}),
			metricdata.Metrics{Name: "locust.schedule.lag", Description: "How late iterations started compared with their schedule.", Unit: "s",
				Data: metricdata.ExponentialHistogram[float64]{Temporality: metricdata.CumulativeTemporality,
					DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{expHistogram(&sc.Lag, start, now)}}})
	}
	seen := map[string]bool{}
	for _, t := range s.Thresholds {
		if seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		v := int64(0)
		if t.Pass {
			v = 1
		}
		ths = append(ths, pt(v, attribute.String("threshold", t.Name)))
	}
	if len(ths) > 0 {
		out = append(out, gauge("locust.threshold.pass", "1 while the threshold holds, 0 when it failed.", "1", ths))
	}
	return []metricdata.ScopeMetrics{{Scope: instrumentation.Scope{Name: ScopeName}, Metrics: out}}, nil
}

// expHistogram returns h as an exponential histogram of scale
// NativeSchema: OpenTelemetry's bucket i is (base^i, base^(i+1)], the
// native histogram's bucket i+1.
func expHistogram(h *Histogram, start, now time.Time, kv ...attribute.KeyValue) metricdata.ExponentialHistogramDataPoint[float64] {
	dp := metricdata.ExponentialHistogramDataPoint[float64]{Attributes: attribute.NewSet(kv...), StartTime: start, Time: now,
		Count: uint64(h.Count), Sum: h.Sum, Scale: NativeSchema, ZeroThreshold: 0}
	first := true
	for _, b := range h.Buckets {
		if b.Count <= 0 {
			continue
		}
		i := int32(NativeKey(b.Upper) - 1)
		if first {
			dp.PositiveBucket.Offset = i
			first = false
		}
		for int(i-dp.PositiveBucket.Offset) >= len(dp.PositiveBucket.Counts) {
			dp.PositiveBucket.Counts = append(dp.PositiveBucket.Counts, 0)
		}
		dp.PositiveBucket.Counts[i-dp.PositiveBucket.Offset] += uint64(b.Count)
	}
	return dp
}
