package locust

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/internal/cli"
)

// distWorkerOfEnv, when set in a process's environment, makes it a worker
// of the master at that address whatever its options say: --processes
// starts its worker processes with the parent's arguments and this.
const distWorkerOfEnv = "GOLOCUST_WORKER_OF"

func (o *options) distWorker() bool { return o.worker || o.workerOf != "" }

func (o *options) distMaster() bool {
	return o.workerOf == "" && (o.master || (o.processes != 0 && !o.worker))
}

// distCheck validates the distributed options.
func (o *options) distCheck() error {
	if o.workerOf != "" {
		return nil // a process started by --processes: the parent checked
	}
	switch {
	case o.master && o.worker:
		return cli.Usagef("--master and --worker cannot be combined: run one master and any number of workers")
	case o.master && o.processes != 0:
		return cli.Usagef("--processes starts its own master: drop --master (or use --worker --processes N to start only workers)")
	case o.processes < -1:
		return cli.Usagef("%s must be -1 (one per CPU), 0 or more, got %d", o.optDisplay("processes"), o.processes)
	case o.expectWorkers < 1:
		return cli.Usagef("%s must be 1 or more, got %d", o.optDisplay("expect-workers"), o.expectWorkers)
	case o.expectWorkersMaxWait < 0:
		return cli.Usagef("%s must be 0 (wait forever) or more, got %d", o.optDisplay("expect-workers-max-wait"), o.expectWorkersMaxWait)
	case o.masterBindPort < 0 || o.masterBindPort > 65535:
		return cli.Usagef("%s must be a port number 0..65535, got %d", o.optDisplay("master-bind-port"), o.masterBindPort)
	case o.masterPort < 1 || o.masterPort > 65535:
		return cli.Usagef("%s must be a port number 1..65535, got %d", o.optDisplay("master-port"), o.masterPort)
	case (o.masterTLSCert == "") != (o.masterTLSKey == ""):
		return cli.Usagef("--master-tls-cert and --master-tls-key go together")
	case (o.workerTLSCert == "") != (o.workerTLSKey == ""):
		return cli.Usagef("--worker-tls-cert and --worker-tls-key go together")
	case o.workerTLSCert != "" && o.masterTLSCA == "":
		return cli.Usagef("--worker-tls-cert needs --master-tls-ca: client certificates are only sent over TLS")
	case o.masterTLSClientCA != "" && o.masterTLSCert == "":
		return cli.Usagef("--master-tls-client-ca needs --master-tls-cert and --master-tls-key")
	case o.masterLostTimeout <= 0:
		return cli.Usagef("%s must be more than 0", o.optDisplay("master-lost-timeout"))
	case o.reportInterval <= 0:
		return cli.Usagef("%s must be more than 0", o.optDisplay("report-interval"))
	case o.distMaster() && o.iterations > 0:
		return cli.Usagef("%s is not supported in distributed mode yet: use --run-time", o.optDisplay("iterations"))
	}
	return nil
}

// runDistributed runs the master, worker or --processes modes; ok is
// false in local mode.
func (p *Program) runDistributed(ctx context.Context, o *options, cfg Config, log *slog.Logger, console *consoleOut) (code int, ok bool) {
	switch {
	case o.distWorker() && o.processes != 0 && o.workerOf == "":
		addr := net.JoinHostPort(o.masterHost, strconv.Itoa(o.masterPort))
		return p.distSupervise(ctx, o, addr, o.clusterToken, log), true
	case o.distWorker():
		return p.distRunWorker(ctx, o, cfg, log), true
	case o.distMaster():
		return p.distRunMaster(ctx, o, cfg, log, console), true
	}
	return 0, false
}

func distProcesses(n int) int {
	if n < 0 {
		return runtime.NumCPU()
	}
	return n
}

func (p *Program) distRunMaster(ctx context.Context, o *options, cfg Config, log *slog.Logger, console *consoleOut) int {
	bind := o.masterBindHost
	if bind == "*" {
		bind = ""
	}
	opts := MasterOptions{Addr: net.JoinHostPort(bind, strconv.Itoa(o.masterBindPort)), Token: o.clusterToken, NoRebalance: o.noRebalance}
	opts.Audit = o.sec.sink
	expect := o.expectWorkers
	procs := distProcesses(o.processes)
	if procs > 0 {
		// Local worker processes: an ephemeral loopback port and, unless
		// one was given, a fresh token.
		opts.Addr = "127.0.0.1:0"
		expect = procs
		if opts.Token == "" {
			var b [16]byte
			_, _ = rand.Read(b[:])
			opts.Token = hex.EncodeToString(b[:])
		}
	}
	if o.masterTLSCert != "" {
		tc, err := distServerTLS(o.masterTLSCert, o.masterTLSKey, o.masterTLSClientCA)
		if err != nil {
			log.Error("cannot set up TLS for workers", "error", err)
			return ExitUsage
		}
		opts.TLS = tc
	}
	r, err := NewMasterRunner(cfg, opts)
	if err != nil {
		log.Error("cannot start the master", "error", err)
		return ExitError
	}
	o.deploy.probe.setReady(func() bool { return true }) // listening for workers
	var kids []*exec.Cmd
	defer func() {
		// Quit the workers (they send their final reports), then reap
		// the processes this master started.
		qctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Quit(qctx)
		if kids != nil {
			distReap(kids, log)
		}
	}()
	stopMetrics, ok := p.setUp(r, o, "master", log)
	if !ok {
		return ExitError
	}
	defer stopMetrics()
	if procs > 0 {
		kids, err = distStartWorkers(procs, o.args, r.Addr().String(), opts.Token, p.stderrW())
		if err != nil {
			log.Error("cannot start worker processes", "error", err)
			return ExitError
		}
	}

	workersSummary := func() {
		writeWorkersTable(console.w, r.Workers())
		if lost := r.LostWorkers(); lost > 0 {
			fmt.Fprintf(console.w, "%d worker(s) were lost during the test: their users were moved to the others; requests of a lost worker's last unsent report interval are missing.\n\n", lost)
			log.Warn("workers were lost during the test", "lost", lost)
		}
	}
	if !o.headless && !o.autostart {
		// The web UI: workers join while it serves; a test started
		// before any has connected is refused with a clear message.
		code := runWebUI(ctx, p, r, o, console, log)
		workersSummary()
		return code
	}

	// Wait for the workers, interruptibly.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.expectWorkersMaxWait > 0 {
		wctx, cancel = context.WithTimeout(wctx, time.Duration(o.expectWorkersMaxWait)*time.Second)
		defer cancel()
	}
	stopSig := distOnSignal(p.Signals, cancel)
	log.Info("waiting for workers", "expect", expect)
	err = r.WaitWorkers(wctx, expect)
	stopSig()
	if err != nil {
		if ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
			log.Error("gave up waiting for workers to connect", "expected", expect, "connected", len(r.Workers()), "waited", time.Duration(o.expectWorkersMaxWait)*time.Second)
		} else {
			log.Warn("interrupted while waiting for workers")
		}
		return ExitError
	}

	var code int
	if o.headless {
		code = runHeadless(ctx, p, r, o, console, log)
	} else {
		code = runWebUI(ctx, p, r, o, console, log)
	}
	workersSummary()
	return code
}

// distOnSignal calls fn on the first interrupt until the returned function
// is called.
func distOnSignal(sigs <-chan os.Signal, fn func()) (stop func()) {
	sigs, stopSigs := programSignals(sigs)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			fn()
		case <-done:
		}
	}()
	return func() {
		close(done)
		stopSigs()
	}
}

func (p *Program) distRunWorker(ctx context.Context, o *options, cfg Config, log *slog.Logger) int {
	cfg.RunTime, cfg.Iterations, cfg.Shape, cfg.ResetStats = 0, 0, nil, false
	// The master sends the schedule and the ceiling and judges thresholds.
	cfg.Arrival, cfg.MaxRPS, cfg.Thresholds = nil, 0, nil
	addr := o.workerOf
	if addr == "" {
		addr = net.JoinHostPort(o.masterHost, strconv.Itoa(o.masterPort))
	}
	opts := WorkerOptions{MasterAddr: addr, Token: o.clusterToken, ReportInterval: o.reportInterval, LostMasterTimeout: o.masterLostTimeout,
		MaxUsers: o.maxUsersPerWorker, AllowInsecureToken: o.allowInsecureToken, ForwardLogs: true}
	if o.masterTLSCA != "" {
		tc, err := distClientTLS(o.masterTLSCA, o.workerTLSCert, o.workerTLSKey, o.masterHost)
		if err != nil {
			log.Error("cannot set up TLS to the master", "error", err)
			return ExitUsage
		}
		opts.TLS = tc
	}
	r, err := NewWorkerRunner(cfg, opts)
	if err != nil {
		log.Error("cannot start the worker", "error", err)
		return ExitUsage
	}
	r.prog = o.prog
	stopMetrics, ok := p.setUp(r, o, "worker", log)
	if !ok {
		return ExitError
	}
	defer stopMetrics()
	o.deploy.probe.setReady(r.connected)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A signal (an orchestrator stopping the worker) leaves the master
	// gracefully: users stop, the final report is sent, the master moves
	// the users to the other workers.
	stopSig := distOnSignal(p.Signals, func() {
		go func() {
			lctx, lcancel := context.WithTimeout(rctx, cfg.StopTimeout+10*time.Second)
			defer lcancel()
			if err := r.leave(lctx, "the worker was interrupted"); err != nil {
				log.Warn("could not leave the master gracefully", "error", err)
			}
			cancel()
		}()
	})
	defer stopSig()
	lost := workerLostExit(rctx, r.connected, o.deploy.masterLostExit, cancel, log, addr)
	log.Info("worker starting", "id", r.ID(), "master", addr)
	err = r.Run(rctx)
	switch {
	case errors.Is(err, distributed.ErrRefused):
		return ExitError
	case lost.Load():
		return ExitError
	case err != nil && rctx.Err() == nil:
		log.Error("worker failed", "error", err)
		return ExitError
	}
	return ExitOK
}

// distSupervise runs --worker --processes N: N worker processes of this
// program, and nothing else.
func (p *Program) distSupervise(ctx context.Context, o *options, addr, token string, log *slog.Logger) int {
	kids, err := distStartWorkers(distProcesses(o.processes), o.args, addr, token, p.stderrW())
	if err != nil {
		log.Error("cannot start worker processes", "error", err)
		return ExitError
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, k := range kids {
			_ = k.Wait()
		}
	}()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := distOnSignal(p.Signals, cancel)
	defer stop()
	select {
	case <-done:
	case <-sctx.Done():
		distReap(kids, log)
	}
	code := ExitOK
	for _, k := range kids {
		if k.ProcessState != nil && k.ProcessState.ExitCode() > 0 {
			code = ExitError
		}
	}
	return code
}

// distStartWorkers starts n worker processes of this program with args.
func distStartWorkers(n int, args []string, addr, token string, stderr io.Writer) ([]*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("failed to find this program's executable: %w", err)
	}
	var kids []*exec.Cmd
	for range n {
		c := exec.Command(exe, args...)
		c.Env = append(os.Environ(), distWorkerOfEnv+"="+addr, "LOCUST_CLUSTER_TOKEN="+token)
		c.Stdout, c.Stderr = stderr, stderr
		if err := c.Start(); err != nil {
			for _, k := range kids {
				_ = k.Process.Kill()
				_ = k.Wait()
			}
			return nil, fmt.Errorf("failed to start worker process %s: %w", exe, err)
		}
		kids = append(kids, c)
	}
	return kids, nil
}

// distReap waits for worker processes to exit (they quit when told), then
// interrupts and finally kills the rest.
func distReap(kids []*exec.Cmd, log *slog.Logger) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, k := range kids {
			if k.ProcessState == nil {
				_ = k.Wait()
			}
		}
	}()
	select {
	case <-done:
		return
	case <-time.After(5 * time.Second):
	}
	for _, k := range kids {
		_ = k.Process.Signal(os.Interrupt)
	}
	select {
	case <-done:
		return
	case <-time.After(5 * time.Second):
	}
	log.Warn("killing worker processes that did not exit")
	for _, k := range kids {
		_ = k.Process.Kill()
	}
	<-done
}

func distServerTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--master-tls-cert %s / --master-tls-key %s: %w", certFile, keyFile, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pool, err := distCAPool(clientCA)
		if err != nil {
			return nil, fmt.Errorf("--master-tls-client-ca: %w", err)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

func distClientTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	pool, err := distCAPool(caFile)
	if err != nil {
		return nil, fmt.Errorf("--master-tls-ca: %w", err)
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, ServerName: serverName}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--worker-tls-cert %s / --worker-tls-key %s: %w", certFile, keyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func distCAPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// writeWorkersTable prints the master's workers: id, state, users, CPU.
func writeWorkersTable(w io.Writer, ws []distributed.WorkerInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Worker\tState\tUsers\tCPU %\tMemory MiB")
	for _, x := range ws {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\n", x.ID, x.State, x.Users, x.CPU, float64(x.Memory)/(1<<20))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
}
