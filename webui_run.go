package locust

// The web UI mode of Program.Main (without --headless): it serves the UI
// of a local runner or of a master within a session (session.go).

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golocust/locust/webui"
)

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
func runWebUI(ctx context.Context, p *Program, r sessionRunner, o *options, console *consoleOut, log *slog.Logger) int {
	if o.autoquit >= 0 && !o.autostart {
		log.Error("--autoquit requires --autostart")
		return ExitUsage
	}
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
	if st, ok := r.(interface{ Stats() *Stats }); ok {
		st.Stats().KeepRowSeries() // the per-row charts
	}
	wopts := &webui.Options{Addr: addr, Username: user, Password: pass,
		AllowNoAuth: o.webNoAuth, TLSCert: o.tlsCert, TLSKey: o.tlsKey, Logger: log,
		Metrics: o.metrics.handler, MetricsToken: o.metrics.bearer, Logs: o.parity.logs, BasePath: o.parity.webBasePath}
	if m, ok := r.(*MasterRunner); ok {
		wopts.WorkerLogs = m.workerLogs // the workers' forwarded lines
	}
	if err := webuiSecurity(o, wopts); err != nil {
		log.Error(err.Error())
		return ExitUsage
	}
	srv, err := webui.New(bridge, wopts)
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

	s, closeSession, err := newSession(p, r, o, console, log)
	if err != nil {
		ln.Close()
		log.Error(err.Error())
		return ExitError
	}
	defer closeSession()
	webuiSetHistory(srv, s)
	srvCtx, stopSrv := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(srvCtx, ln); err != nil && srvCtx.Err() == nil {
			log.Error("the web UI stopped", "error", err)
		}
	}()
	defer func() {
		stopSrv()
		<-served
	}()

	if o.autostart {
		if err := bridge.Start(webui.StartRequest{Users: o.users, SpawnRate: o.spawnRate}); err != nil {
			log.Error("cannot start the test", "error", err)
			return ExitError
		}
	}
	// end fires when the server stops, or --autoquit seconds after an
	// autostarted test ends.
	end := make(chan struct{})
	var endOnce sync.Once
	go func() {
		<-served
		endOnce.Do(func() { close(end) })
	}()
	if o.autostart && o.autoquit >= 0 {
		go func() {
			if r.Wait(srvCtx) != nil {
				return
			}
			after := time.Duration(o.autoquit) * time.Second
			log.Info("the test ended; quitting", "after", after)
			select {
			case <-time.After(after):
				endOnce.Do(func() { close(end) })
			case <-srvCtx.Done():
			}
		}()
	}
	interrupted := s.watch(ctx, end, "shutting down")
	abrupt := s.stop()
	var ran bool
	select {
	case <-bridge.started:
		ran = true
	default:
	}
	res := s.finish(ran, abrupt, interrupted)
	if !ran {
		log.Info("no test was run")
		return ExitOK
	}
	s.logEnd(res)
	log.Info("web UI closed", endCounts(res.snapshot, res.exitCode)...)
	return res.exitCode
}
