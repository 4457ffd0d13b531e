package distributed

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/internal/hostmatch"
	"github.com/golocust/locust/internal/redact"
)

// Load is what a worker drives: the runner that owns its users. Spawn,
// Stop, ResetStats are called from one goroutine, in the master's order;
// Report and Status may be called concurrently with them.
type Load interface {
	// Spawn applies absolute per-class targets; it returns at once.
	Spawn(s *Spawn) error
	// Stop stops every user and returns when they have stopped.
	Stop()
	// ResetStats discards the statistics.
	ResetStats()
	// Report returns the statistics recorded since the previous call, in
	// the form the master's MasterConfig.OnReport decodes.
	Report() []byte
	// Status returns the current state and user counts.
	Status() Status
}

// Status is a worker's current state.
type Status struct {
	// State is "ready", "spawning", "running", "stopping" or "stopped".
	State string
	// Users is the running user count; Counts per class.
	Users  int
	Counts map[string]int
}

// WorkerConfig configures a [Worker]. The zero value of every field but
// MasterAddr, Classes and Load is a valid default.
type WorkerConfig struct {
	// MasterAddr is the master's host:port.
	MasterAddr string
	// TLS, when set, connects over TLS (wss://) with this configuration
	// (RootCAs to verify the master, Certificates for a client
	// certificate).
	TLS *tls.Config
	// Token is the cluster token the master requires. It is sent only
	// over TLS or to a loopback address (127.0.0.0/8, ::1, localhost):
	// NewWorker refuses to send it in clear text elsewhere unless
	// AllowInsecureToken is set.
	Token string
	// AllowInsecureToken lets the token travel in clear text (ws://) to
	// a master that is not on a loopback address, where anyone on the
	// path can read it and join the cluster or impersonate the master.
	AllowInsecureToken bool
	// MaxUsers is this worker's ceiling on users, whatever the master
	// asks: a spawn asking for more (in total over the classes, or an
	// arrival-rate pool larger than this) is refused and logged, and
	// the worker keeps what it runs. 0 means DefaultMaxUsers; negative
	// is an error.
	MaxUsers int
	// AllowedHosts, when not empty, are the only targets a master may
	// aim this worker's load at (patterns as --allowed-hosts: names,
	// *.suffix, IP addresses, networks, each with an optional :port): a
	// spawn with a host outside them is refused. The runner also checks
	// every request where it is made.
	AllowedHosts []string
	// ID names the worker; "hostname_random" by default.
	ID string
	// Classes are the user classes this worker's program has.
	Classes []string
	// Capabilities are optional features announced to the master.
	Capabilities []string
	// Load is the runner the master drives.
	Load Load
	// ReportInterval is how often statistics are sent; one second by
	// default.
	ReportInterval time.Duration
	// HeartbeatInterval is how often heartbeats are sent until the
	// master's welcome sets it; one second by default.
	HeartbeatInterval time.Duration
	// Liveness is how many heartbeat intervals the master may stay silent
	// before the connection is dropped and made again; 3 by default.
	Liveness int
	// LostMasterTimeout is how long the worker keeps its users running
	// without a master; 15 s by default. It keeps reconnecting after
	// that.
	LostMasterTimeout time.Duration
	// MaxBackoff caps the wait between connection attempts; 5 s by
	// default.
	MaxBackoff time.Duration
	// ReadLimit bounds each message from the master, in bytes;
	// DefaultReadLimit by default.
	ReadLimit int64
	// Logger receives the worker's log; nil means slog.Default().
	Logger *slog.Logger
	// Logs, when set, holds the log lines to forward to the master
	// (write the worker's log to it too); nil forwards none.
	Logs *LogForwarder
}

// DefaultMaxUsers is a worker's ceiling on users when WorkerConfig.MaxUsers
// is 0: more than one process usually runs well (split a bigger test over
// more workers), far less than what exhausts a machine's memory.
const DefaultMaxUsers = 50_000

// ErrRefused is wrapped by the error [Worker.Run] returns when the master
// refuses the worker for good (wrong token, protocol version, classes).
var ErrRefused = errors.New("refused by the master")

// maxUnacked bounds the reports sent but not acknowledged yet; while it is
// reached no new report is taken, so the statistics stay in the runner.
const maxUnacked = 64

// Worker connects to a master and lets it drive a [Load]. Create it with
// [NewWorker] and call Run; the other methods are safe for concurrent
// use.
type Worker struct {
	cfg     WorkerConfig
	log     *slog.Logger
	use     usageMeter
	allowed *hostmatch.List

	mu        sync.Mutex
	conn      *websocket.Conn // nil while disconnected
	index     int
	session   string
	iv        time.Duration
	lastSeen  time.Time
	handlers  map[string]func(data []byte)
	lostSince time.Time // when the master was last heard from, while disconnected

	repMu   sync.Mutex // serialises taking and sending reports
	seq     uint64
	unacked []pendingReport
	full    bool // the unacked limit was reached (logged once)

	cmds chan Message
	quit chan struct{}
}

type pendingReport struct {
	seq   uint64
	frame []byte
}

// NewWorker validates cfg and returns a worker; Run connects it.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.MasterAddr == "" {
		return nil, errors.New("WorkerConfig.MasterAddr is empty: give the master's host:port")
	}
	masterHost, _, err := net.SplitHostPort(cfg.MasterAddr)
	if err != nil {
		return nil, fmt.Errorf("WorkerConfig.MasterAddr %q is not host:port: %w", cfg.MasterAddr, err)
	}
	if cfg.Token != "" && cfg.TLS == nil && !cfg.AllowInsecureToken && !loopbackName(masterHost) {
		return nil, fmt.Errorf("refusing to send the cluster token in clear text to the master at %s, which is not a loopback address: connect over TLS (--master-tls-ca), or allow it with --allow-insecure-token (WorkerConfig.AllowInsecureToken) on a network you trust", cfg.MasterAddr)
	}
	if cfg.MaxUsers < 0 {
		return nil, fmt.Errorf("WorkerConfig.MaxUsers is %d: allowed 0 (the default, %d) or more", cfg.MaxUsers, DefaultMaxUsers)
	}
	if cfg.MaxUsers == 0 {
		cfg.MaxUsers = DefaultMaxUsers
	}
	allowed, err := hostmatch.Parse(cfg.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("WorkerConfig.AllowedHosts: %w", err)
	}
	if cfg.Load == nil {
		return nil, errors.New("WorkerConfig.Load is nil")
	}
	if len(cfg.Classes) == 0 {
		return nil, errors.New("WorkerConfig.Classes is empty: at least one user class is required")
	}
	if cfg.ID == "" {
		cfg.ID = NewWorkerID()
	}
	if err := checkName("WorkerConfig.ID", cfg.ID); err != nil {
		return nil, err
	}
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if cfg.Liveness <= 0 {
		cfg.Liveness = DefaultLiveness
	}
	if cfg.LostMasterTimeout <= 0 {
		cfg.LostMasterTimeout = 15 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, allowed: allowed, index: -1, iv: cfg.HeartbeatInterval, handlers: map[string]func([]byte){},
		cmds: make(chan Message, 64), quit: make(chan struct{})}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.log = w.log.With("worker", cfg.ID)
	return w, nil
}

// NewWorkerID returns "hostname_" followed by 8 random hex digits.
func NewWorkerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	host = strings.ReplaceAll(host, " ", "-")
	var b [4]byte
	_, _ = cryptoRead(b[:])
	return host + "_" + hex.EncodeToString(b[:])
}

var cryptoRead = crand.Read

// ID returns the worker's id.
func (w *Worker) ID() string { return w.cfg.ID }

// Index returns the index the master gave the worker, -1 before the first
// welcome.
func (w *Worker) Index() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.index
}

// Connected reports whether the worker is connected to a master now.
func (w *Worker) Connected() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn != nil
}

// Handle registers fn for custom messages of type typ from the master,
// replacing any previous handler (nil removes it). Handlers run one at a
// time, in the order the messages arrived, never on the connection's
// reading goroutine.
func (w *Worker) Handle(typ string, fn func(data []byte)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if fn == nil {
		delete(w.handlers, typ)
		return
	}
	w.handlers[typ] = fn
}

// Send sends a custom message to the master. It fails while the worker
// is not connected.
func (w *Worker) Send(ctx context.Context, typ string, data []byte) error {
	b, err := Encode(&Custom{Type: typ, Data: data})
	if err != nil {
		return err
	}
	return w.write(ctx, b)
}

func (w *Worker) write(ctx context.Context, b []byte) error {
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	if c == nil {
		return errors.New("failed to send to the master: not connected")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, b); err != nil {
		return fmt.Errorf("failed to send to the master: %w", err)
	}
	return nil
}

func (w *Worker) send(m Message) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	return w.write(context.Background(), b)
}

// Run connects to the master and serves it until the master tells the
// worker to quit (Run returns nil after the final report), the master
// refuses the worker (an error wrapping ErrRefused), or ctx is done
// (ctx's error; the load is not stopped, that is the caller's). Lost
// connections are made again with exponential backoff; if the master
// stays silent for LostMasterTimeout the load is stopped, and the worker
// rejoins as ready when the master is back.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(3)
	go func() {
		defer wg.Done()
		w.control(ctx)
	}()
	go func() {
		defer wg.Done()
		w.logLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		w.watchdog(ctx)
	}()

	backoff := 200 * time.Millisecond
	for {
		welcomed, err := w.connect(ctx)
		select {
		case <-w.quit:
			return nil
		default:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrRefused) {
			w.log.Error("the master refused this worker", "error", err)
			return err
		}
		if welcomed {
			backoff = 200 * time.Millisecond
		}
		w.log.Warn("not connected to the master; retrying", "master", w.cfg.MasterAddr, "error", err, "in", backoff.Round(time.Millisecond))
		jitter := time.Duration(rand.Int64N(int64(backoff)/5 + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.quit:
			return nil
		case <-time.After(backoff + jitter):
		}
		backoff = min(backoff*2, w.cfg.MaxBackoff)
	}
}

func (w *Worker) url() string {
	if w.cfg.TLS != nil {
		return "wss://" + w.cfg.MasterAddr + WorkerPath
	}
	return "ws://" + w.cfg.MasterAddr + WorkerPath
}

// connect makes one connection and serves it until it ends.
func (w *Worker) connect(ctx context.Context) (welcomed bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	hdr := http.Header{}
	if w.cfg.Token != "" {
		hdr.Set("Authorization", "Bearer "+w.cfg.Token)
	}
	opts := &websocket.DialOptions{HTTPHeader: hdr}
	if w.cfg.TLS != nil {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: w.cfg.TLS}}
	}
	c, resp, err := websocket.Dial(dctx, w.url(), opts)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return false, fmt.Errorf("%w: wrong or missing cluster token (set --cluster-token or LOCUST_CLUSTER_TOKEN to the master's)", ErrRefused)
		}
		return false, fmt.Errorf("failed to connect to %s: %w", w.url(), err)
	}
	defer c.CloseNow()
	c.SetReadLimit(w.cfg.ReadLimit)
	hello, err := Encode(&Hello{Version: ProtocolVersion, WorkerID: w.cfg.ID, Capabilities: w.cfg.Capabilities, Classes: w.cfg.Classes,
		MaxUsers: min(w.cfg.MaxUsers, msgMaxUsers)})
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if err := c.Write(dctx, websocket.MessageBinary, hello); err != nil {
		return false, fmt.Errorf("failed to send hello: %w", err)
	}
	_, b, err := c.Read(dctx)
	if err != nil {
		return false, fmt.Errorf("no answer to hello: %w", err)
	}
	msg, err := Decode(b)
	if err != nil {
		return false, fmt.Errorf("malformed answer to hello: %w", err)
	}
	switch v := msg.(type) {
	case *Reject:
		return false, fmt.Errorf("%w: %s", ErrRefused, v.Reason)
	case *Welcome:
		w.welcome(c, v)
	default:
		return false, fmt.Errorf("the master answered hello with %s", msg.Kind())
	}
	err = w.serve(ctx, c)
	w.mu.Lock()
	w.conn = nil
	w.lostSince = w.lastSeen
	w.mu.Unlock()
	return true, err
}

func (w *Worker) welcome(c *websocket.Conn, v *Welcome) {
	w.repMu.Lock()
	defer w.repMu.Unlock()
	w.mu.Lock()
	prev := w.session
	w.conn, w.index, w.session, w.lastSeen, w.lostSince = c, v.Index, v.Session, time.Now(), time.Time{}
	if v.HeartbeatInterval > 0 {
		w.iv = v.HeartbeatInterval
	}
	w.mu.Unlock()
	if prev != "" && prev != v.Session {
		// Another master: what the previous one never acknowledged
		// belongs to its test.
		w.log.Warn("connected to a new master: dropping the previous master's unacknowledged statistics", "reports", len(w.unacked))
		w.unacked = nil
		w.cfg.Load.ResetStats()
	}
	w.log.Info("connected to the master", "master", w.cfg.MasterAddr, "index", v.Index, "resending_reports", len(w.unacked))
}

// serve runs one welcomed connection: reading, heartbeats and reports.
func (w *Worker) serve(ctx context.Context, c *websocket.Conn) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Reports the master has not acknowledged go first, in order.
	w.repMu.Lock()
	for _, p := range w.unacked {
		if err := c.Write(ctx, websocket.MessageBinary, p.frame); err != nil {
			w.repMu.Unlock()
			return fmt.Errorf("failed to re-send report %d: %w", p.seq, err)
		}
	}
	w.repMu.Unlock()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(3)
	go func() {
		defer wg.Done()
		cancel(w.readLoop(ctx, c))
	}()
	go func() {
		defer wg.Done()
		cancel(w.heartbeatLoop(ctx, c))
	}()
	go func() {
		defer wg.Done()
		cancel(w.reportLoop(ctx))
	}()
	select {
	case <-ctx.Done():
	case <-w.quit:
		// The close handshake first, while readLoop still reads: closing
		// a socket with unread data in it (an acknowledgement, a
		// heartbeat) makes the kernel reset the connection, and the
		// master can lose what it had not read yet, the Quit included.
		_ = c.Close(websocket.StatusNormalClosure, "quit")
		cancel(errors.New("quit"))
	}
	_ = c.CloseNow()
	return context.Cause(ctx)
}

func (w *Worker) readLoop(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("connection to the master lost: %w", err)
		}
		if typ != websocket.MessageBinary {
			return errors.New("the master sent a text message")
		}
		msg, err := Decode(b)
		if err != nil {
			return fmt.Errorf("the master sent a malformed message: %w", err)
		}
		w.mu.Lock()
		w.lastSeen = time.Now()
		w.mu.Unlock()
		switch v := msg.(type) {
		case *Heartbeat:
		case *ReportAck:
			w.acked(v.Seq)
		case *Spawn, *Stop, *ResetStats, *Quit, *Custom:
			select {
			case w.cmds <- msg:
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			return fmt.Errorf("the master sent %s, which only workers send", msg.Kind())
		}
	}
}

func (w *Worker) acked(seq uint64) {
	w.repMu.Lock()
	defer w.repMu.Unlock()
	i := 0
	for i < len(w.unacked) && w.unacked[i].seq <= seq {
		i++
	}
	w.unacked = w.unacked[i:]
	w.full = false
}

// heartbeatLoop heartbeats on its own goroutine, timer-driven, so that it
// never waits behind the users; it also ends the connection when the
// master has been silent for Liveness intervals.
func (w *Worker) heartbeatLoop(ctx context.Context, c *websocket.Conn) error {
	w.mu.Lock()
	iv := w.iv
	w.mu.Unlock()
	return every(ctx, iv, func() error {
		w.mu.Lock()
		silent := time.Since(w.lastSeen)
		w.mu.Unlock()
		if limit := w.silenceLimit(iv); silent > limit {
			return fmt.Errorf("the master missed %d heartbeats (silent for %v)", w.cfg.Liveness, silent.Round(time.Millisecond))
		}
		st := w.cfg.Load.Status()
		b, err := Encode(&Heartbeat{State: st.State, CPU: w.use.cpuPercent(), Memory: processMemory(), Users: st.Users, Counts: st.Counts})
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, iv)
		err = c.Write(wctx, websocket.MessageBinary, b)
		cancel()
		if err != nil && ctx.Err() == nil {
			w.log.Debug("heartbeat not sent", "error", err)
		}
		return nil
	})
}

// silenceLimit is how long the master may stay silent before the worker
// drops the connection and dials again. It is longer than the master's
// own limit (Liveness intervals) because a worker whose users saturate
// every CPU reads late: its heartbeats are timer-driven and go out on
// time, but the goroutine reading the master's can wait its turn behind
// the users. At most half of LostMasterTimeout, so that a master that is
// really gone is noticed in time.
func (w *Worker) silenceLimit(iv time.Duration) time.Duration {
	return min(max(time.Duration(w.cfg.Liveness)*iv, 5*time.Second), w.cfg.LostMasterTimeout/2)
}

func (w *Worker) reportLoop(ctx context.Context) error {
	return every(ctx, w.cfg.ReportInterval, func() error { return w.report(ctx, false) })
}

// every calls f each interval until ctx ends (returning its error) or f
// fails (returning f's error).
func every(ctx context.Context, interval time.Duration, f func() error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if err := f(); err != nil {
			return err
		}
	}
}

// report takes the load's statistics since the last report and sends
// them; they stay pending until acknowledged and are re-sent after a
// reconnection. While disconnected, or while too many are pending, the
// statistics stay in the load for a later report.
func (w *Worker) report(ctx context.Context, final bool) error {
	w.repMu.Lock()
	defer w.repMu.Unlock()
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	if c == nil {
		return nil
	}
	if len(w.unacked) >= maxUnacked {
		if !w.full {
			w.full = true
			w.log.Warn("the master has not acknowledged recent reports; holding statistics back", "pending", len(w.unacked))
		}
		return nil
	}
	data := w.cfg.Load.Report()
	st := w.cfg.Load.Status()
	w.seq++
	b, err := Encode(&Report{Seq: w.seq, Final: final, Users: st.Users, Counts: st.Counts, Stats: data})
	if err != nil {
		return err
	}
	w.unacked = append(w.unacked, pendingReport{seq: w.seq, frame: b})
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Write(wctx, websocket.MessageBinary, b); err != nil {
		return fmt.Errorf("failed to send report %d: %w", w.seq, err)
	}
	return nil
}

// control applies the master's commands one at a time.
func (w *Worker) control(ctx context.Context) {
	for {
		var msg Message
		select {
		case <-ctx.Done():
			return
		case msg = <-w.cmds:
		}
		switch v := msg.(type) {
		case *Spawn:
			if err := w.checkSpawn(v); err != nil {
				w.log.Error("refused the master's spawn", "error", err)
				continue
			}
			if err := w.cfg.Load.Spawn(v); err != nil {
				w.log.Error("cannot apply the master's targets", "error", err)
				continue
			}
			st := w.cfg.Load.Status()
			_ = w.send(&Spawned{Counts: st.Counts})
		case *Stop:
			w.cfg.Load.Stop()
			_ = w.report(ctx, true)
			_ = w.send(&Stopped{})
		case *ResetStats:
			w.cfg.Load.ResetStats()
		case *Quit:
			w.log.Info("the master asks this worker to quit", "reason", v.Reason)
			w.cfg.Load.Stop()
			_ = w.report(ctx, true)
			_ = w.send(&Quit{Reason: "asked by the master"})
			close(w.quit) // ends the connection and Run
			return
		case *Custom:
			w.mu.Lock()
			fn := w.handlers[v.Type]
			w.mu.Unlock()
			if fn == nil {
				w.log.Warn("no handler for a custom message from the master", "type", v.Type)
				continue
			}
			fn(v.Data)
		case *leave:
			w.log.Info("leaving the master", "reason", v.reason)
			w.cfg.Load.Stop()
			_ = w.report(ctx, true)
			_ = w.send(&Quit{Reason: v.reason})
			close(w.quit) // ends the connection and Run
			close(v.done)
			return
		case *lostMaster:
			w.log.Warn("lost the master: stopping the load", "silent_for", v.silent.Round(time.Millisecond), "timeout", w.cfg.LostMasterTimeout)
			w.cfg.Load.Stop()
		}
	}
}

// checkSpawn applies the worker's own limits to a spawn: the master is
// obeyed only within them.
func (w *Worker) checkSpawn(s *Spawn) error {
	total := 0
	for _, n := range s.Counts { // each 0..2^30, at most msgMaxList: no overflow
		total += n
	}
	if total > w.cfg.MaxUsers {
		return fmt.Errorf("the master asks for %d users, more than this worker's ceiling of %d (--max-users-per-worker): run more workers, or raise the ceiling on the workers", total, w.cfg.MaxUsers)
	}
	if a := s.Arrival; a != nil && s.Part != nil {
		for _, pool := range []struct {
			what string
			n    int
		}{{"maximum users", a.MaxUsers}, {"pre-allocated users", a.PreAllocated}} {
			// This worker's share, rounded up.
			if share := (pool.n + s.Part.Of - 1) / s.Part.Of; share > w.cfg.MaxUsers {
				return fmt.Errorf("the master's arrival-rate test gives this worker %d %s, more than its ceiling of %d (--max-users-per-worker)", share, pool.what, w.cfg.MaxUsers)
			}
		}
	}
	if s.Host != "" {
		if err := w.allowed.AllowURL(s.Host); err != nil {
			return fmt.Errorf("the master aims the load at %s: %w (--allowed-hosts)", redact.URL(s.Host), err)
		}
	}
	return nil
}

// loopbackName reports whether host is a loopback IP address or
// "localhost".
func loopbackName(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// lostMaster is an internal command: stop the load, the master is gone.
type lostMaster struct{ silent time.Duration }

func (*lostMaster) Kind() Kind   { return 0 }
func (*lostMaster) check() error { return nil }
func (*lostMaster) data() []byte { return nil }

// watchdog stops the load when the master has been silent for
// LostMasterTimeout.
func (w *Worker) watchdog(ctx context.Context) {
	t := time.NewTicker(min(250*time.Millisecond, w.cfg.LostMasterTimeout/4))
	defer t.Stop()
	fired := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		connected, since := w.conn != nil, w.lastSeen
		w.mu.Unlock()
		if connected || since.IsZero() {
			fired = false
			continue
		}
		if silent := time.Since(since); !fired && silent >= w.cfg.LostMasterTimeout {
			fired = true
			st := w.cfg.Load.Status()
			if st.State == "stopped" || st.State == "ready" {
				continue
			}
			select {
			case w.cmds <- &lostMaster{silent: silent}:
			case <-ctx.Done():
				return
			}
		}
	}
}
