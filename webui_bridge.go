package locust

// The bridge between the runners and package webui, which cannot import
// this package: webuiBridge adapts a Runner to webui.Controller and turns
// snapshots into the UI's view types. The web UI mode of Program.Main is
// in webui_run.go, the --html report in output_html.go.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golocust/locust/internal/redact"
	"github.com/golocust/locust/webui"
)

// webuiWorkerLister is implemented by runners that have workers (the
// master of a distributed test); the web UI's Workers tab and header show
// what it returns.
type webuiWorkerLister interface {
	webuiWorkers() []webui.WorkerView
}

// webuiBridge adapts a Runner to webui.Controller: a LocalRunner, or a
// MasterRunner whose view is the cluster's (merged statistics, workers).
// Class picking needs a LocalRunner: a master refuses a subset of classes
// with a clear error (the start form shows no picker in master mode).
type webuiBridge struct {
	r     sessionRunner
	local *LocalRunner // r when it is a LocalRunner
	info  webui.Info
	log   *slog.Logger
	// runClasses are the runner's user classes (weights, task ratios).
	runClasses []runClass
	// arrival and shape are the runner's Config.Arrival and Shape, read
	// once (a master's configuration changes with the form's host).
	arrival *Arrival
	shape   LoadShape

	mu      sync.Mutex
	timer   *time.Timer // the run time of a test started from the UI
	classes []string    // the classes picked for the current test
	started chan struct{}
	once    sync.Once
}

func newWebUIBridge(r sessionRunner, info webui.Info, log *slog.Logger) *webuiBridge {
	b := &webuiBridge{r: r, info: info, log: log, started: make(chan struct{})}
	b.local, _ = r.(*LocalRunner)
	b.runClasses = webuiRunClasses(r)
	cfg := r.testConfig()
	b.arrival, b.shape = cfg.Arrival, cfg.Shape
	if _, ok := r.(webuiWorkerLister); ok {
		b.info.Mode = "master"
	} else if b.info.Mode == "" {
		b.info.Mode = "local"
	}
	return b
}

func (b *webuiBridge) Info() webui.Info { return b.info }

// webuiHoster is a runner whose target host the form can change.
type webuiHoster interface {
	webuiHost() string
	webuiSetHost(host string)
}

// webuiRunClasses returns the user classes of r: a local runner's own, a
// master's compiled from its configuration (the workers run the same
// program).
func webuiRunClasses(r Runner) []runClass {
	switch r := r.(type) {
	case *LocalRunner:
		return r.classes
	case *MasterRunner:
		cfg := r.testConfig()
		classes, err := compileClasses(cfg.Classes, tagFilter{include: cfg.Tags, exclude: cfg.ExcludeTags})
		if err != nil {
			return nil // NewMasterRunner compiled them already
		}
		return classes
	}
	return nil
}

// host returns the current target host.
func (b *webuiBridge) host() string {
	if h, ok := b.r.(webuiHoster); ok {
		if host := h.webuiHost(); host != "" {
			return host
		}
	}
	return b.info.Host
}

// classStarter is a runner that starts tests with a class list: the local
// runner and the master.
type classStarter interface {
	startClasses(users int, rate float64, classes []string) error
}

// checkHost refuses a start whose HTTP classes would have no host: the
// form's host, else the runner's (-H), else each class's own.
func (b *webuiBridge) checkHost(req webui.StartRequest) error {
	host := req.Host
	if host == "" {
		host = b.host()
	}
	var classes []UserClass
	for _, c := range b.r.testConfig().Classes {
		if len(req.Classes) == 0 || slices.Contains(req.Classes, c.ClassName()) {
			classes = append(classes, c)
		}
	}
	if err := checkHosts(classes, host, "the host field (or -H/--host)"); err != nil {
		return &webui.FieldError{Field: "host", Message: err.Error()}
	}
	return nil
}

func (b *webuiBridge) Start(req webui.StartRequest) error {
	running := false
	switch b.r.State() {
	case StateSpawning, StateRunning:
		running = true
	case StateStopping:
		return errors.New("the test is stopping; start again when it has stopped")
	}
	// The form shows the host with its password redacted: sent back
	// unchanged, it keeps the host (and its password).
	if req.Host != "" && req.Host == redact.URL(b.host()) {
		req.Host = b.host()
	}
	if !running {
		if err := b.checkHost(req); err != nil {
			return err
		}
	}
	if req.Host != "" && req.Host != b.host() {
		if running {
			return errors.New("the host cannot change while a test runs; stop it first")
		}
		h, ok := b.r.(webuiHoster)
		if !ok {
			return errors.New("this runner cannot change its host")
		}
		h.webuiSetHost(req.Host)
	}
	starter, _ := b.r.(classStarter)
	var err error
	switch {
	case !running && b.arrival != nil:
		// Arrival-rate mode (--arrival-rate): the schedule, not the
		// form's user count, drives the test.
		err = b.r.StartArrival(*b.arrival)
	case b.info.Shape && !running && b.shape != nil:
		err = b.r.StartShape(b.shape)
	case starter != nil:
		if len(req.Classes) == len(b.info.Classes) {
			req.Classes = nil
		}
		b.mu.Lock()
		if running && len(req.Classes) == 0 {
			// An edit keeps the classes the test was started with.
			req.Classes = b.classes
		}
		b.classes = req.Classes
		b.mu.Unlock()
		err = starter.startClasses(req.Users, req.SpawnRate, req.Classes)
	default:
		err = b.r.Start(req.Users, req.SpawnRate)
	}
	if err != nil {
		return err
	}
	b.once.Do(func() { close(b.started) })
	if !running {
		b.mu.Lock()
		if b.timer != nil {
			b.timer.Stop()
			b.timer = nil
		}
		if req.RunTime > 0 {
			b.timer = time.AfterFunc(req.RunTime, func() {
				b.log.Info("run time limit reached, stopping", "run_time", req.RunTime)
				_ = b.Stop()
			})
		}
		b.mu.Unlock()
	}
	return nil
}

func (b *webuiBridge) Stop() error {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.mu.Unlock()
	go func() {
		if err := b.r.Stop(context.Background()); err != nil {
			b.log.Warn("stopping the test", "error", err)
		}
	}()
	return nil
}

func (b *webuiBridge) ResetStats() { b.r.ResetStats() }

func (b *webuiBridge) View() *webui.View { return b.viewOf(b.r.Snapshot()) }

// viewOf returns the UI's view of the statistics s.
func (b *webuiBridge) viewOf(s *Snapshot) *webui.View {
	v := webuiView(s, b.r.State(), b.r.UserCount(), b.r.UserCounts())
	webuiQuantiles(v, s, b.info.Percentiles)
	v.Host = redact.URL(b.host())
	v.Thresholds = b.verdict(s)
	if wl, ok := b.r.(webuiWorkerLister); ok {
		v.Workers = wl.webuiWorkers()
		for _, w := range v.Workers {
			if w.State != "missing" {
				v.WorkerCount++ // as Locust, the header counts live workers
			}
		}
	}
	return v
}

// webuiVerdicter is a runner that evaluates its own thresholds (a master
// over its merged statistics); the UI shows its Verdict when it has any
// results.
type webuiVerdicter interface {
	Verdict() Verdict
}

// verdict returns the verdict of the runner's thresholds over s (the
// verdict so far while the test runs, the final one after it), nil
// without thresholds.
func (b *webuiBridge) verdict(s *Snapshot) *webui.VerdictView {
	var v Verdict
	switch {
	case b.local != nil:
		if len(b.local.cfg.Thresholds) == 0 {
			return nil
		}
		v = b.local.verdictOf(s)
	default:
		vr, ok := b.r.(webuiVerdicter)
		if !ok {
			return nil
		}
		v = vr.Verdict()
	}
	if len(v.Results) == 0 {
		return nil
	}
	return webuiVerdict(v)
}

// webuiVerdict converts a verdict, with the values and texts of --json.
func webuiVerdict(v Verdict) *webui.VerdictView {
	j := jsonNewThresholds(&v)
	out := &webui.VerdictView{Pass: j.Pass, Aborted: j.Aborted, AbortReason: j.AbortReason,
		Results: make([]webui.ThresholdView, len(j.Results))}
	for i, r := range j.Results {
		out.Results[i] = webui.ThresholdView{Threshold: r.Threshold, Entry: r.Entry, Metric: r.Metric, Op: r.Op,
			Limit: outputFinite(r.Limit), Unit: r.Unit, Observed: outputFinite(r.Observed), ObservedText: r.ObservedTx,
			WindowSecs: r.WindowS, Abort: r.Abort, Pass: r.Pass, Note: r.Note}
	}
	return out
}

// webuiSchedule converts the schedule statistics, nil when empty.
func webuiSchedule(ss *ScheduleStats) *webui.ScheduleView {
	if ss.Empty() {
		return nil
	}
	return &webui.ScheduleView{Scheduled: ss.Scheduled, Dropped: ss.Dropped, DroppedRatio: outputFinite(ss.DroppedRatio()),
		Missed: ss.Missed, Lag: webuiTiming(&ss.Lag), ResponseTime: webuiTiming(&ss.ResponseTime),
		ServiceTime: webuiTiming(&ss.ServiceTime)}
}

func webuiTiming(t *Timing) webui.TimingView {
	if t.Count == 0 {
		return webui.TimingView{}
	}
	return webui.TimingView{Count: t.Count, Avg: webuiMS(t.Mean()), Min: webuiMS(t.Min), Max: webuiMS(t.Max),
		P50: webuiMS(t.Percentile(0.5)), P90: webuiMS(t.Percentile(0.9)), P95: webuiMS(t.Percentile(0.95)),
		P99: webuiMS(t.Percentile(0.99)), P999: webuiMS(t.Percentile(0.999))}
}

// Ratios returns Locust's /tasks: class shares from the running users
// (from the class weights when none run) and task shares per class.
func (b *webuiBridge) Ratios() *webui.Ratios {
	tasks := map[string]map[string]float64{}
	for _, c := range b.runClasses {
		tasks[c.cc.name] = c.cc.ratios
	}
	shares := map[string]float64{}
	counts := b.r.UserCounts()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total > 0 {
		for c, n := range counts {
			if n > 0 {
				shares[c] = float64(n) / float64(total)
			}
		}
	} else {
		sum := 0
		for _, c := range b.runClasses {
			sum += max(c.cc.weight, 1)
		}
		for _, c := range b.runClasses {
			shares[c.cc.name] = float64(max(c.cc.weight, 1)) / float64(sum)
		}
	}
	out := &webui.Ratios{PerClass: map[string]webui.ClassRatio{}, Total: map[string]webui.ClassRatio{}}
	for c, share := range shares {
		per := webui.ClassRatio{Ratio: share, Tasks: map[string]webui.TaskRatio{}}
		tot := webui.ClassRatio{Ratio: share, Tasks: map[string]webui.TaskRatio{}}
		for t, r := range tasks[c] {
			per.Tasks[t] = webui.TaskRatio{Ratio: r}
			tot.Tasks[t] = webui.TaskRatio{Ratio: r * share}
		}
		out.PerClass[c], out.Total[c] = per, tot
	}
	return out
}

func (b *webuiBridge) WriteCSV(w io.Writer, kind webui.CSVKind) error {
	s := b.r.Snapshot()
	c := csvWriter{quantiles: b.info.Percentiles}
	var data []byte
	switch kind {
	case webui.CSVRequests:
		data = c.statsFile(s)
	case webui.CSVFailures:
		data = c.failuresFile(s)
	case webui.CSVExceptions:
		data = c.exceptionsFile(s)
	default:
		return fmt.Errorf("unknown CSV kind %d", kind)
	}
	_, err := w.Write(data)
	return err
}

func (b *webuiBridge) WriteJSON(w io.Writer) error {
	return writeJSON(w, b.r.Snapshot(), b.r.UserCount())
}

// report returns the HTML report of the statistics s.
func (b *webuiBridge) report(s *Snapshot) *webui.Report {
	return &webui.Report{Info: b.info, View: b.viewOf(s), Ratios: b.Ratios(), Generated: time.Now()}
}

// webuiMaxRows bounds the rows and failure groups of a view, as Locust's
// UI (the Aggregated row is always kept).
const webuiMaxRows = 500

// webuiView converts a snapshot into the UI's view.
func webuiView(s *Snapshot, state State, users int, classes map[string]int) *webui.View {
	v := &webui.View{State: state.String(), UserCount: users, UserClasses: classes,
		StartTime: webuiUnix(s.Start), Time: webuiUnix(s.Time),
		Stats:  make([]webui.EntryView, 0, min(len(s.Entries), webuiMaxRows)+1),
		Errors: make([]webui.ErrorView, 0, min(len(s.Failures), webuiMaxRows))}
	for _, e := range s.Entries[:min(len(s.Entries), webuiMaxRows)] {
		v.Stats = append(v.Stats, webuiEntry(e))
	}
	total := s.Total
	if total == nil {
		total = &EntryStats{Name: "Aggregated"}
	}
	t := webuiEntry(total)
	t.Method, t.Name = "", "Aggregated"
	v.Stats = append(v.Stats, t)
	v.TotalRPS, v.TotalFailPerSec = t.TotalRPS, t.TotalFailPerSec
	v.CurrentRPS, v.CurrentFailPerSec = t.CurrentRPS, t.CurrentFailPerSec
	v.FailRatio = outputFinite(total.FailRatio())
	v.Schedule = webuiSchedule(s.Schedule)
	v.CurrentResponseTimePercentiles = map[string]float64{
		"response_time_percentile_0.5":  webuiMS(total.CurrentPercentile(0.5)),
		"response_time_percentile_0.95": webuiMS(total.CurrentPercentile(0.95)),
		"response_time_percentile_0.99": webuiMS(total.CurrentPercentile(0.99)),
	}
	for _, f := range s.Failures[:min(len(s.Failures), webuiMaxRows)] {
		v.Errors = append(v.Errors, webui.ErrorView{Method: f.Type, Name: f.Name, Error: f.Error,
			Occurrences: f.Occurrences, FirstSeen: webuiUnix(f.FirstSeen), LastSeen: webuiUnix(f.LastSeen)})
	}
	for _, x := range s.Exceptions[:min(len(s.Exceptions), webuiMaxRows)] {
		nodes := x.Nodes
		if nodes == nil {
			nodes = []string{}
		}
		v.Exceptions = append(v.Exceptions, webui.ExceptionView{Count: x.Count, Msg: x.Message, Traceback: x.Traceback, Nodes: nodes})
	}
	v.History = make([]webui.HistoryPoint, len(s.History))
	for i, h := range s.History {
		v.History[i] = webui.HistoryPoint{Time: webuiUnix(h.Time), Users: h.Users,
			RPS: outputFinite(h.CurrentRPS), FPS: outputFinite(h.CurrentFailPerSec),
			P50: webuiMS(h.P50), P95: webuiMS(h.P95), P99: webuiMS(h.P99), Avg: webuiMS(h.AvgTime),
			P: webuiMSList(h.Percentiles)}
	}
	return v
}

// RowSeries returns the per-row chart series of the runner's statistics
// (webui.RowSeriesController).
func (b *webuiBridge) RowSeries(method, name string) ([]webui.HistoryPoint, bool) {
	st, ok := b.r.(interface{ Stats() *Stats })
	if !ok {
		return nil, false
	}
	pts, ok := st.Stats().RowSeries(method, name)
	if !ok {
		return nil, false
	}
	out := make([]webui.HistoryPoint, len(pts))
	for i, h := range pts {
		out[i] = webui.HistoryPoint{Time: webuiUnix(h.Time), RPS: outputFinite(h.CurrentRPS),
			FPS: outputFinite(h.CurrentFailPerSec), P: webuiMSList(h.Percentiles)}
	}
	return out, true
}

// webuiMSList converts durations into milliseconds; nil for none.
func webuiMSList(ds []time.Duration) []float64 {
	if len(ds) == 0 {
		return nil
	}
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = webuiMS(d)
	}
	return out
}

// webuiQuantiles sets the rows' Quantiles, the live table's percentile
// columns: the response times at qs (webuiView made v's rows from s).
func webuiQuantiles(v *webui.View, s *Snapshot, qs []float64) {
	if len(qs) == 0 {
		return
	}
	at := func(e *EntryStats) []float64 {
		out := make([]float64, len(qs))
		for i, q := range qs {
			out[i] = webuiMS(e.Percentile(q))
		}
		return out
	}
	n := len(v.Stats) - 1 // the Aggregated row is last
	for i := range n {
		v.Stats[i].Quantiles = at(s.Entries[i])
	}
	v.Stats[n].Quantiles = at(cmp.Or(s.Total, &EntryStats{}))
}

func webuiEntry(e *EntryStats) webui.EntryView {
	v := webui.EntryView{Method: e.Type, Name: e.Name, NumRequests: e.Requests, NumFailures: e.Failures, NumAborted: e.Aborted,
		AvgResponseTime: webuiMS(e.Mean()), MinResponseTime: webuiMS(outputMin(e)), MaxResponseTime: webuiMS(e.Max),
		MedianResponseTime: webuiMS(e.Median()), P95: webuiMS(e.Percentile(0.95)), P99: webuiMS(e.Percentile(0.99)),
		CurrentRPS: outputFinite(e.CurrentRPS), CurrentFailPerSec: outputFinite(e.CurrentFailPerSec),
		TotalRPS: outputFinite(e.TotalRPS), TotalFailPerSec: outputFinite(e.TotalFailPerSec),
		AvgContentLength: outputFinite(e.AvgContentSize())}
	if e.Requests == 0 {
		v.MaxResponseTime = 0
	}
	v.Percentiles = make([]float64, len(webui.ReportQuantiles))
	for i, q := range webui.ReportQuantiles {
		v.Percentiles[i] = webuiMS(e.Percentile(q))
	}
	return v
}

// webuiMS converts a duration into milliseconds, rounded to the µs.
func webuiMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func webuiUnix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// webuiInfo describes the program to the UI.
func webuiInfo(p *Program, r Runner, o *options) webui.Info {
	info := webui.Info{Program: filepath.Base(os.Args[0]), Version: strings.TrimPrefix(versionString(), "golocust "),
		Host: o.host, Users: o.users, SpawnRate: o.spawnRate, RunTime: o.runTime, ClassPicker: o.classPicker,
		Shape: p.Shape != nil, Percentiles: outputQuantiles(o.pct.reportQ), ChartPercentiles: o.pct.chartQ}
	classes := webuiRunClasses(r)
	for _, c := range classes {
		info.Classes = append(info.Classes, c.cc.name)
	}
	if info.Host == "" {
		for _, c := range classes {
			if c.cc.host != "" {
				info.Host = c.cc.host
				break
			}
		}
	}
	info.Host = redact.URL(info.Host)
	return info
}
