package locust

// The bridge between the runners and package webui, which cannot import
// this package: webuiBridge adapts a Runner to webui.Controller and turns
// snapshots into the UI's view types; runWebUI is the non-headless mode
// of Program.Main; writeHTMLReport writes --html FILE.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golocust/locust/internal/redact"
	"github.com/golocust/locust/webui"
)

// WebUIWorkerLister is implemented by runners that have workers (the
// master of a distributed test); the web UI's Workers tab and header show
// what it returns.
type WebUIWorkerLister interface {
	WebUIWorkers() []webui.WorkerView
}

// webuiBridge adapts a Runner to webui.Controller: a LocalRunner, or a
// MasterRunner whose view is the cluster's (merged statistics, workers).
// Class picking needs a LocalRunner: a master refuses a subset of classes
// with a clear error (the start form shows no picker in master mode).
type webuiBridge struct {
	r     Runner
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

func newWebUIBridge(r Runner, info webui.Info, log *slog.Logger) *webuiBridge {
	b := &webuiBridge{r: r, info: info, log: log, started: make(chan struct{})}
	b.local, _ = r.(*LocalRunner)
	b.runClasses = webuiRunClasses(r)
	if hr, ok := r.(headlessRunner); ok {
		cfg := hr.testConfig()
		b.arrival, b.shape = cfg.Arrival, cfg.Shape
	}
	if _, ok := r.(WebUIWorkerLister); ok {
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

// webuiShaper is a runner that runs load shapes.
type webuiShaper interface {
	StartShape(shape LoadShape) error
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

func (r *LocalRunner) webuiHost() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.host
}

// webuiSetHost sets the host of the next test; no user runs now: users
// read the host when they start, after start() takes the same lock.
func (r *LocalRunner) webuiSetHost(host string) {
	r.mu.Lock()
	r.host = host
	r.mu.Unlock()
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
	if req.Host != "" && req.Host != b.host() && req.Host != redact.URL(b.host()) {
		if running {
			return errors.New("the host cannot change while a test runs; stop it first")
		}
		h, ok := b.r.(webuiHoster)
		if !ok {
			return errors.New("this runner cannot change its host")
		}
		h.webuiSetHost(req.Host)
	}
	hr, _ := b.r.(headlessRunner)
	shaper, _ := b.r.(webuiShaper)
	var err error
	switch {
	case !running && hr != nil && b.arrival != nil:
		// Arrival-rate mode (--arrival-rate): the schedule, not the
		// form's user count, drives the test.
		err = hr.StartArrival(*b.arrival)
	case b.info.Shape && !running && shaper != nil && b.shape != nil:
		err = shaper.StartShape(b.shape)
	case b.local != nil:
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
		err = b.local.start(rampCmd{users: req.Users, rate: req.SpawnRate, classes: req.Classes})
	case len(req.Classes) > 0 && len(req.Classes) < len(b.info.Classes):
		return fmt.Errorf("user_classes: picking classes is not available in %s mode; every class runs (send all classes or none)", b.info.Mode)
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

func (b *webuiBridge) View() *webui.View {
	s := b.r.Snapshot()
	v := webuiView(s, b.r.State(), b.r.UserCount(), b.r.UserCounts())
	v.Host = redact.URL(b.host())
	v.Thresholds = b.verdict(s)
	if wl, ok := b.r.(WebUIWorkerLister); ok {
		v.Workers = wl.WebUIWorkers()
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
	var c csvWriter
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

// report returns the HTML report of the current statistics.
func (b *webuiBridge) report() *webui.Report {
	return &webui.Report{Info: b.info, View: b.View(), Ratios: b.Ratios(), Generated: time.Now()}
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
			P50: webuiMS(h.P50), P95: webuiMS(h.P95), P99: webuiMS(h.P99), Avg: webuiMS(h.AvgTime)}
	}
	return v
}

func webuiEntry(e *EntryStats) webui.EntryView {
	v := webui.EntryView{Method: e.Type, Name: e.Name, NumRequests: e.Requests, NumFailures: e.Failures,
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

// webuiInfo describes the program to the UI. A master has no class
// picker: its workers run every class.
func webuiInfo(p *Program, r Runner, o *options) webui.Info {
	_, local := r.(*LocalRunner)
	info := webui.Info{Program: filepath.Base(os.Args[0]), Version: strings.TrimPrefix(versionString(), "golocust "),
		Host: o.host, Users: o.users, SpawnRate: o.spawnRate, RunTime: o.runTime, ClassPicker: o.classPicker && local,
		Shape: p.Shape != nil}
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

// htmlReportPath replaces {u}, {r} and {t} in --html FILE by the users,
// the spawn rate and the run time in seconds, as Locust.
func htmlReportPath(o *options) string {
	return strings.NewReplacer("{u}", strconv.Itoa(o.users),
		"{r}", strconv.FormatFloat(math.Trunc(o.spawnRate), 'f', 0, 64),
		"{t}", strconv.FormatInt(int64(o.runTime/time.Second), 10)).Replace(o.html)
}

// writeHTMLReport writes the report of r to --html FILE (atomically) if
// the option is set.
func writeHTMLReport(p *Program, r Runner, o *options, log *slog.Logger) {
	if o.html == "" {
		return
	}
	b := newWebUIBridge(r, webuiInfo(p, r, o), log)
	path := htmlReportPath(o)
	var sb strings.Builder
	if err := webui.WriteReport(&sb, b.report()); err != nil {
		log.Error("writing the HTML report", "file", path, "error", err)
		return
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Error("writing the HTML report", "file", path, "error", err)
			return
		}
	}
	if err := csvWriteFileAtomicMode(path, []byte(sb.String()), o.fileMode()); err != nil {
		log.Error("writing the HTML report", "file", path, "error", err)
		return
	}
	log.Info("HTML report written", "file", path)
}

// webuiAddr returns the listen address of --web-host and --web-port:
// loopback by default, every interface for "*".
func webuiAddr(o *options) (string, error) {
	if o.webPort < 0 || o.webPort > 65535 {
		return "", fmt.Errorf("%s must be a port from 0 to 65535, got %d", o.optDisplay("web-port"), o.webPort)
	}
	host := o.webHost
	switch host {
	case "":
		host = "127.0.0.1"
	case "*":
		host = ""
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(o.webPort)), nil
}

// runWebUI is Program.Main without --headless: it serves the web UI of a
// local runner or of a master (the cluster's view) until an interrupt (or
// ctx), with --autostart/--autoquit, --csv, --print-stats and --html, and
// returns the exit code of the last test.
func runWebUI(ctx context.Context, p *Program, r headlessRunner, o *options, out *consoleOut, log *slog.Logger) int {
	if o.autoquit >= 0 && !o.autostart {
		log.Error("--autoquit requires --autostart")
		return ExitUsage
	}
	if _, local := r.(*LocalRunner); !local && o.classPicker {
		log.Warn("--class-picker is not available in master mode: the workers run every class")
	}
	thresholds := r.testConfig().Thresholds
	addr, err := webuiAddr(o)
	if err != nil {
		log.Error(err.Error())
		return ExitUsage
	}
	user, pass := "", ""
	if o.webAuth != "" {
		var ok bool
		if user, pass, ok = strings.Cut(o.webAuth, ":"); !ok || user == "" || pass == "" {
			log.Error("--web-auth must be USER:PASSWORD with both parts non-empty")
			return ExitUsage
		}
	}
	bridge := newWebUIBridge(r, webuiInfo(p, r, o), log)
	srv, err := webui.New(bridge, &webui.Options{Addr: addr, Username: user, Password: pass,
		AllowNoAuth: o.webNoAuth, TLSCert: o.tlsCert, TLSKey: o.tlsKey, Logger: log})
	if err != nil {
		log.Error(strings.TrimPrefix(err.Error(), "webui: "))
		return ExitUsage
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("cannot listen for the web UI", "address", addr, "error", err)
		return ExitError
	}
	log.Info("Starting web interface at " + srv.URL(ln.Addr()))

	sigs := p.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	srvCtx, stopSrv := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(srvCtx, ln) }()
	defer func() {
		stopSrv()
		<-served
	}()

	var csv *csvWriter
	if o.csv != "" {
		if csv, err = newCSVWriterMode(o.csv, o.csvFullHistory, o.fileMode()); err != nil {
			log.Error("cannot write CSV files", "prefix", o.csv, "error", err)
			return ExitError
		}
	}
	if o.autostart {
		if err := bridge.Start(webui.StartRequest{Users: o.users, SpawnRate: o.spawnRate}); err != nil {
			log.Error("cannot start the test", "error", err)
			return ExitError
		}
	}

	// ended fires when an autostarted test ends, for --autoquit.
	var ended <-chan struct{}
	if o.autostart && o.autoquit >= 0 {
		ch := make(chan struct{})
		ended = ch
		go func() {
			_ = r.Wait(srvCtx)
			close(ch)
		}()
	}
	var quit <-chan time.Time
	table := time.NewTicker(consoleInterval)
	defer table.Stop()
	csvTick := time.NewTicker(time.Second)
	defer csvTick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case sig := <-sigs:
			log.Info("shutting down (interrupt again to exit at once)", "signal", sig.String())
			break loop
		case err := <-served:
			log.Error("the web UI stopped", "error", err)
			served <- err
			break loop
		case <-ended:
			ended = nil
			log.Info("the test ended; quitting", "after", time.Duration(o.autoquit)*time.Second)
			quit = time.After(time.Duration(o.autoquit) * time.Second)
		case <-quit:
			break loop
		case <-table.C:
			if o.printStats && r.State() != StateReady {
				out.periodic(r.Snapshot())
			}
		case <-csvTick.C:
			if csv != nil && r.State() != StateReady {
				if err := csv.update(r.Snapshot(), r.UserCount()); err != nil {
					log.Error("writing CSV files", "error", err)
				}
			}
		}
	}

	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(context.Background()) }()
	select {
	case <-stopped:
	case sig := <-sigs:
		log.Warn("exiting at once", "signal", sig.String())
	}
	s := r.Snapshot()
	if csv != nil {
		if err := csv.close(s, r.UserCount()); err != nil {
			log.Error("writing CSV files", "error", err)
		}
		if err := writeScheduleCSV(o.csv, s); err != nil {
			log.Error("writing CSV files", "error", err)
		}
	}
	var verdict *Verdict
	if len(thresholds) > 0 {
		v := r.Verdict()
		verdict = &v
	}
	select {
	case <-bridge.started:
		writeHTMLReport(p, r, o, log)
		if o.json {
			if err := writeJSONVerdict(p.stdout(), s, r.UserCount(), verdict); err != nil {
				log.Error("writing JSON", "error", err)
			}
		}
		out.summary(s)
	default:
		log.Info("no test was run")
		return ExitOK
	}
	code := exitCode(o, s)
	if verdict != nil {
		_ = writeVerdictTable(out.w, *verdict)
		code = openExitCode(*verdict, thresholds, s, code, o.exitCodeOnError)
	}
	log.Info("web UI closed", "requests", s.Total.Requests, "failures", s.Total.Failures, "exceptions", len(s.Exceptions), "exit_code", code)
	return code
}
