package locust

// The bridge between the runners and package internal/metrics, which
// cannot import this package: metricsExporter turns a runner's lifetime
// statistics into a metrics.Snapshot at each scrape, and startMetrics
// sets up /metrics (on the web UI and on --metrics-port) for
// Program.Main.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"math/bits"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/golocust/locust/internal/metrics"
)

// metricsExporter reads a runner's statistics for the exporters. Reading
// costs a lifetime snapshot (the shards are drained as for the web UI);
// recording samples costs the same with or without it.
type metricsExporter struct {
	r     Runner
	stats *Stats
	coll  *metrics.Collector
}

// newMetricsExporter makes the exporter of r's statistics; info are the
// labels of locust_run_info. From now on, resets of r's statistics are
// folded into the exported counters.
func newMetricsExporter(r Runner, info map[string]string, maxNames int, log *slog.Logger) *metricsExporter {
	m := &metricsExporter{r: r, stats: metricsStatsOf(r)}
	m.stats.keepLifetime()
	m.coll = metrics.NewCollector(m.snapshot, metrics.Options{MaxNames: maxNames, Info: info, Logger: log})
	return m
}

// metricsStatsOf returns the statistics of a runner: a master's are the
// cluster's, a worker's its own.
func metricsStatsOf(r Runner) *Stats {
	switch r := r.(type) {
	case *LocalRunner:
		return r.stats
	case *MasterRunner:
		return r.stats
	case *WorkerRunner:
		return r.lr.stats
	}
	return nil
}

// metricsVerdicter is a runner with thresholds.
type metricsVerdicter interface {
	Verdict() Verdict
	testConfig() Config
}

// snapshot returns the runner's state as the exporters see it.
func (m *metricsExporter) snapshot() *metrics.Snapshot {
	lt := m.stats.lifetime()
	s := &metrics.Snapshot{Users: m.r.UserCounts(), State: m.r.State().String(), Resets: lt.Resets, Start: lt.Start,
		Rows: make([]metrics.Row, 0, len(lt.Entries))}
	for _, e := range lt.Entries {
		s.Rows = append(s.Rows, metrics.Row{Type: e.Type, Name: e.Name, Requests: e.Requests, Failures: e.Failures,
			ContentBytes: e.ContentBytes, Duration: metricsHistogram(e.hist, e.Requests, e.TotalTime)})
	}
	for _, f := range lt.Failures {
		s.Failures = append(s.Failures, metrics.Failure{Type: f.Type, Name: f.Name, Error: f.Error, Count: f.Occurrences})
	}
	if sc := lt.Schedule; sc != nil {
		s.Schedule = &metrics.Schedule{Scheduled: sc.Scheduled, Dropped: sc.Dropped, Missed: sc.Missed,
			Lag: metricsHistogram(sc.Lag.hist, sc.Lag.Count, sc.Lag.Total)}
	}
	if mr, ok := m.r.(*MasterRunner); ok {
		s.Workers = map[string]int{}
		for _, w := range mr.Workers() {
			s.Workers[w.State]++
		}
	}
	if v, ok := m.r.(metricsVerdicter); ok && len(v.testConfig().Thresholds) > 0 {
		for _, res := range v.Verdict().Results {
			s.Thresholds = append(s.Thresholds, metrics.Threshold{Name: res.Threshold.String(), Pass: res.Pass})
		}
	}
	return s
}

// metricsHistogram converts an HDR histogram of count samples (µs) whose
// exact sum is total. Each populated bucket is given by the exclusive
// upper end of the durations it holds: samples are truncated to whole
// microseconds, so a bucket whose highest equivalent value is H µs holds
// durations shorter than H+1 µs.
func metricsHistogram(h *hdr.PackedHistogram, count int64, total time.Duration) metrics.Histogram {
	out := metrics.Histogram{Count: count, Sum: total.Seconds()}
	if h == nil {
		return out
	}
	out.Buckets = make([]metrics.Bucket, 0, h.Populated())
	var n int64
	for v, c := range h.ForEachBucket {
		if c <= 0 {
			continue
		}
		out.Buckets = append(out.Buckets, metrics.Bucket{Upper: float64(metricsBucketEnd(v)) / 1e6, Count: c})
		n += c
	}
	if n != count && len(out.Buckets) > 0 {
		// Hand-built snapshots may hold counts without their distribution;
		// the exported histogram stays consistent with its count.
		out.Buckets[len(out.Buckets)-1].Count += count - n
	}
	return out
}

// metricsBucketEnd returns one past the highest value equivalent to v in
// the project's histograms (1 µs lowest, 3 significant digits: 2048
// sub-buckets, so values below 2048 are exact and each power of two
// above is split into 1024 equal parts).
func metricsBucketEnd(v int64) int64 {
	if v < 2048 {
		return v + 1
	}
	unit := int64(1) << (bits.Len64(uint64(v)) - 11)
	return v&^(unit-1) + unit
}

// metricsInfo returns the labels of locust_run_info for a process (r
// may be nil before the runner exists); the run id is the same at each
// call.
func metricsInfo(p *Program, r Runner, o *options, mode string) map[string]string {
	if o.metrics.runID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.metrics.runID = hex.EncodeToString(b[:])
	}
	info := map[string]string{
		"run_id":  o.metrics.runID,
		"mode":    mode,
		"program": filepath.Base(os.Args[0]),
		"version": strings.TrimPrefix(versionString(), "golocust "),
		"host":    o.host,
	}
	if w, ok := r.(*WorkerRunner); ok {
		info["worker_id"] = w.ID()
	}
	return info
}

// startMetrics makes the metrics exporter of r, sets the web UI's
// /metrics handler and starts the --metrics-port listener if asked. The
// returned stop ends the listener and pushes the final values over OTLP.
// Worker processes started by --processes neither listen nor push: their
// master exports their merged view.
func (p *Program) startMetrics(r Runner, o *options, mode string, log *slog.Logger) (stop func(), err error) {
	mo := &o.metrics
	info := metricsInfo(p, r, o, mode)
	exp := newMetricsExporter(r, info, mo.maxNames, log)
	mo.handler = metrics.Handler(exp.coll)
	if o.workerOf != "" {
		return func() {}, nil
	}
	stopOTel := func() {}
	if mo.otelEndpoint != "" {
		getenv := p.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		if stopOTel, err = startOTel(exp, mo.otelEndpoint, otelProtocol(mo.otelProtocol, "METRICS", getenv), mo.otelInterval, info, log); err != nil {
			return nil, err
		}
	}
	if mo.listen.port == 0 {
		return stopOTel, nil
	}
	addr, stopListen, err := mo.listen.serve(metricsGuard(mo.handler, mo.bearer, mo.listen.loopback()), "metrics", log)
	if err != nil {
		stopOTel()
		return nil, err
	}
	log.Info("serving Prometheus metrics at http://" + addr.String() + "/metrics")
	return func() {
		stopListen()
		stopOTel()
	}, nil
}

// metricsGuard serves GET /metrics of h, with the bearer token if one is
// set; a loopback listener answers only to loopback Host names, so that a
// web page cannot read it by DNS rebinding.
func metricsGuard(h http.Handler, token string, loopback bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path != "/metrics" {
			http.Error(w, "not found: metrics are at /metrics", http.StatusNotFound)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
			return
		}
		if loopback && !metricsLoopbackHost(r.Host) {
			http.Error(w, "this metrics listener is on a loopback address and answers only to localhost, 127.0.0.1 or [::1]", http.StatusMisdirectedRequest)
			return
		}
		if token != "" && !metricsBearerOK(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="golocust metrics"`)
			http.Error(w, "authentication required: send Authorization: Bearer <the --metrics-token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// metricsLoopbackHost reports whether a Host header names loopback.
func metricsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return metricsLoopback(host) || strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".localhost")
}

// metricsBearerOK reports whether r carries "Authorization: Bearer
// token", compared in constant time.
func metricsBearerOK(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
