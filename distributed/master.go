package distributed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/internal/dispatch"
	"github.com/golocust/locust/internal/hostmatch"
	"github.com/golocust/locust/internal/redact"
)

// WorkerPath is the HTTP path of the master's WebSocket endpoint.
const WorkerPath = "/golocust/v1/worker"

// Defaults of the liveness settings, as Locust's.
const (
	DefaultHeartbeatInterval = time.Second
	DefaultLiveness          = 3
)

// Class describes a user class to the master's dispatcher.
type Class struct {
	// Name is the class's unique name.
	Name string
	// Weight is the relative share of weighted users (>= 1).
	Weight int
	// Fixed, when > 0, is the exact number of users of the class over
	// the whole cluster, spawned before weighted ones.
	Fixed int
}

// MasterConfig configures a [Master]. The zero value of every field but
// Classes is a valid default.
type MasterConfig struct {
	// Listener, when set, is where workers connect; Addr is then unused.
	Listener net.Listener
	// Addr is the address to listen on, "127.0.0.1:5557" by default.
	Addr string
	// Token is the shared cluster token workers must present. It is
	// required unless the master listens on a loopback address only, or
	// TLS requires and verifies client certificates (mutual TLS), which
	// then authenticate workers instead (both apply when both are set).
	Token string
	// TLS, when set, serves workers over TLS (wss://) with this
	// configuration (certificates, client certificate policy: set
	// ClientAuth to tls.RequireAndVerifyClientCert and ClientCAs for
	// mutual TLS).
	TLS *tls.Config
	// MaxConnections caps the connections open at a time (workers and
	// anything else connecting); DefaultMaxConnections by default.
	// Further connections wait in the kernel's backlog.
	MaxConnections int
	// TokenFailures is how many wrong tokens a source address may send
	// before it is locked out, for a second at first, doubling with each
	// further failure up to ten minutes; DefaultTokenFailures by
	// default. A locked-out source is refused (429) without its token
	// being looked at.
	TokenFailures int
	// AllowedHosts, when not empty, are the only hosts Start may aim the
	// workers' load at (see WorkerConfig.AllowedHosts); workers check
	// their own list too.
	AllowedHosts []string
	// Classes are the user classes of the test; workers lacking any of
	// them are refused.
	Classes []Class
	// HeartbeatInterval is how often heartbeats go both ways; one second
	// by default.
	HeartbeatInterval time.Duration
	// Liveness is how many heartbeat intervals a worker may stay silent
	// before it is marked missing; 3 by default.
	Liveness int
	// ReadLimit bounds each message from a worker, in bytes;
	// DefaultReadLimit by default. A larger message closes the
	// connection.
	ReadLimit int64
	// NoRebalance, when set, gives new and returning workers users only
	// at the next Start, and leaves the users of a missing worker
	// missing. By default users are redistributed at once.
	NoRebalance bool
	// OnReport merges a worker's statistics report. It is called once per
	// report (reports re-sent after a reconnection are recognised and not
	// passed again), never concurrently for the same worker. An error
	// is logged and the report is not acknowledged.
	OnReport func(workerID string, r *Report) error
	// OnLogs, when set, receives the log lines a worker forwards (see
	// [Logs]), within the worker's rate (LogLinesPerSecond, bursts of
	// LogLinesBurst; more are dropped and logged), cleaned of control
	// characters. It is never called concurrently for the same worker and
	// must return at once.
	OnLogs func(workerID string, lines []string)
	// OnRampDone is called when a Start's ramp has reached its target.
	OnRampDone func(users int)
	// OnWorkerEvent, when set, is told of every worker that joins, is
	// refused, quits or is lost, for the audit log. It may be called with
	// the master's lock held: it must return at once (queue the event).
	OnWorkerEvent func(WorkerEvent)
	// Logger receives the master's log; nil means slog.Default().
	Logger *slog.Logger
}

// WorkerInfo describes one worker as the master sees it.
type WorkerInfo struct {
	// ID is the worker's id, "hostname_random".
	ID string
	// Index is the worker's stable 0-based index.
	Index int
	// State is "ready", "spawning", "running", "stopping", "stopped" or
	// "missing".
	State string
	// Users is the worker's running user count; Counts per class.
	Users  int
	Counts map[string]int
	// CPU is the worker process's CPU use, percent of one core; Memory
	// its resident memory in bytes.
	CPU    float64
	Memory uint64
	// LastSeen is when the worker was last heard from.
	LastSeen time.Time
}

// Target is what a test asks of the cluster.
type Target struct {
	// Users is the total user count over every worker.
	Users int
	// Rate is the cluster-wide spawn rate, users per second.
	Rate float64
	// Host overrides every class's host when not empty.
	Host string
	// StopTimeout lets running tasks finish when users stop.
	StopTimeout time.Duration
	// Options are passed to workers as they are.
	Options map[string]string
	// Classes, when not empty, lists the classes new users come from, as
	// Locust's user_classes: users of other classes already running are
	// not stopped, and shrinking stops the newest users whatever their
	// class (see dispatch.Extend). Empty: every class, in the weighted mix.
	Classes []string
	// MaxRPS is the cluster-wide request-rate ceiling, 0 for none: each
	// of the N live workers enforces MaxRPS/N, re-split when workers
	// join or leave.
	MaxRPS float64
	// Arrival, when set, makes the test an arrival-rate (open model) one:
	// Users is not used, and every live worker gets the schedule with its
	// Part; Arrival.Start (0: now) is the common start, Arrival.From is
	// set by the master. Workers joining or leaving re-split the schedule
	// from one heartbeat interval ahead (see PROTOCOL.md).
	Arrival *ArrivalSpec
}

// StateMissing is the state of a worker the master no longer hears from.
const StateMissing = "missing"

// Master accepts workers, dispatches users to them and collects their
// reports. Create it with [NewMaster]; all methods are safe for
// concurrent use.
type Master struct {
	cfg     MasterConfig
	log     *slog.Logger
	ln      net.Listener
	srv     *http.Server
	session string
	iv      time.Duration
	classes []dispatch.Class
	names   []string
	token   [sha256.Size]byte
	guard   *tokenThrottle
	allowed *hostmatch.List

	mu       sync.Mutex
	workers  map[string]*mworker
	next     int
	test     *mtest
	handlers map[string]func(workerID string, data []byte)
	changed  chan struct{}
	lost     int
	closed   bool

	done chan struct{}
	wg   sync.WaitGroup
}

type mworker struct {
	id       string
	index    int
	conn     *mconn // nil while disconnected
	state    string
	lastSeen time.Time
	users    int
	counts   map[string]int
	cpu      float64
	mem      uint64
	target   []int // per class; nil: none
	part     Part  // last part sent with a spawn; zero: none
	stopped  bool  // answered the last Stop
	maxUsers int   // the worker's ceiling on users, from its hello
	quit     bool  // announced it is going away

	repMu   sync.Mutex // serialises report merging
	lastSeq uint64     // highest merged report

	logMu sync.Mutex // guards logs
	logs  logLimiter // the worker's forwarded log lines' rate
}

type mconn struct {
	c      *websocket.Conn
	out    chan []byte
	done   chan struct{}
	once   sync.Once
	remote string // the worker's address, for WorkerEvent
}

func (c *mconn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.c.CloseNow()
	})
}

type mtest struct {
	target     Target
	current    int
	goal       int    // users at the end of the ramp (Target.Users, or fewer when only full fixed classes can take them)
	base       []int  // classes of the users running when the test started or changed, in spawn order
	listed     []bool // Target.Classes by class index; nil: every class
	cancel     context.CancelFunc
	dispatched bool // an arrival test's schedule was sent once
}

// NewMaster validates cfg and starts listening for workers. Close it when
// done.
func NewMaster(cfg MasterConfig) (*Master, error) {
	if len(cfg.Classes) == 0 {
		return nil, errors.New("MasterConfig.Classes is empty: at least one user class is required")
	}
	m := &Master{cfg: cfg, log: cfg.Logger, iv: cfg.HeartbeatInterval, workers: map[string]*mworker{},
		handlers: map[string]func(string, []byte){}, changed: make(chan struct{}), done: make(chan struct{})}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.iv <= 0 {
		m.iv = DefaultHeartbeatInterval
	}
	if m.cfg.Liveness <= 0 {
		m.cfg.Liveness = DefaultLiveness
	}
	if m.cfg.ReadLimit <= 0 {
		m.cfg.ReadLimit = DefaultReadLimit
	}
	seen := map[string]bool{}
	for i, c := range cfg.Classes {
		if err := checkName(fmt.Sprintf("MasterConfig.Classes[%d].Name", i), c.Name); err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("MasterConfig.Classes: the name %q is used twice", c.Name)
		}
		seen[c.Name] = true
		m.names = append(m.names, c.Name)
		m.classes = append(m.classes, dispatch.Class{Weight: c.Weight, Fixed: c.Fixed})
	}
	if cfg.Token != "" {
		m.token = sha256.Sum256([]byte(cfg.Token))
	}
	m.guard = newTokenThrottle(m.log, cfg.TokenFailures)
	allowed, err := hostmatch.Parse(cfg.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("MasterConfig.AllowedHosts: %w", err)
	}
	m.allowed = allowed
	if cfg.MaxConnections < 0 {
		return nil, fmt.Errorf("MasterConfig.MaxConnections is %d: allowed 0 (the default, %d) or more", cfg.MaxConnections, DefaultMaxConnections)
	}
	if m.cfg.MaxConnections == 0 {
		m.cfg.MaxConnections = DefaultMaxConnections
	}
	mutual := cfg.TLS != nil && cfg.TLS.ClientAuth == tls.RequireAndVerifyClientCert && cfg.TLS.ClientCAs != nil
	var sid [8]byte
	_, _ = rand.Read(sid[:])
	m.session = hex.EncodeToString(sid[:])

	ln := cfg.Listener
	if ln == nil {
		addr := cfg.Addr
		if addr == "" {
			addr = "127.0.0.1:5557"
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("failed to listen for workers on %s: %w", addr, err)
		}
	}
	if cfg.Token == "" && !mutual && !isLoopback(ln.Addr()) {
		_ = ln.Close()
		return nil, fmt.Errorf("a cluster token or mutual TLS is required when the master listens on %s, which is not a loopback address: set --cluster-token or LOCUST_CLUSTER_TOKEN on master and workers, or --master-tls-client-ca on the master and client certificates on workers", ln.Addr())
	}
	ln = newLimitListener(ln, m.cfg.MaxConnections)
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	m.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc(WorkerPath, m.serveWorker)
	// The timeouts bound what a peer that is not a worker yet can hold:
	// a worker's WebSocket connection is hijacked before they apply.
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 15 * time.Second, IdleTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelDebug)}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		_ = m.srv.Serve(ln)
	}()
	go func() {
		defer m.wg.Done()
		m.heartbeatLoop()
	}()
	scheme := "ws"
	if cfg.TLS != nil {
		scheme = "wss"
	}
	m.log.Info("master listening for workers", "address", scheme+"://"+ln.Addr().String()+WorkerPath, "token_required", cfg.Token != "", "client_certificate_required", mutual)
	return m, nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// Addr returns the address the master listens on.
func (m *Master) Addr() net.Addr { return m.ln.Addr() }

// Session returns the random id of this master process.
func (m *Master) Session() string { return m.session }

// Close stops listening, closes every worker connection (without telling
// the workers to quit: use Quit first for that) and waits for the
// master's goroutines.
func (m *Master) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	if t := m.test; t != nil {
		t.cancel()
	}
	for _, w := range m.workers {
		if w.conn != nil {
			w.conn.close()
		}
	}
	m.mu.Unlock()
	close(m.done)
	err := m.srv.Close()
	m.wg.Wait()
	return err
}

func (m *Master) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *Master) checkToken(r *http.Request) bool {
	if m.cfg.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	h := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(h[:], m.token[:]) == 1
}

// handshakeLimit bounds messages before a worker is welcomed.
const handshakeLimit = 64 << 10

func (m *Master) serveWorker(rw http.ResponseWriter, r *http.Request) {
	if locked, left := m.guard.locked(r.RemoteAddr); locked {
		rw.Header().Set("Retry-After", fmt.Sprint(int(left.Seconds())+1))
		http.Error(rw, "too many wrong cluster tokens from this address: try again later", http.StatusTooManyRequests)
		return
	}
	if !m.checkToken(r) {
		m.guard.failed(r.RemoteAddr) // logs the first, then a summary a minute
		m.workerEvent(WorkerRefused, "", r.RemoteAddr, "wrong or missing cluster token")
		http.Error(rw, "wrong or missing cluster token", http.StatusUnauthorized)
		return
	}
	if m.cfg.Token != "" {
		m.guard.succeeded(r.RemoteAddr)
	}
	c, err := websocket.Accept(rw, r, nil)
	if err != nil {
		m.log.Warn("refused a worker: not a WebSocket handshake", "remote", r.RemoteAddr, "error", err)
		return
	}
	c.SetReadLimit(handshakeLimit)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	hello, err := m.readHello(ctx, c)
	cancel()
	if err != nil {
		m.workerEvent(WorkerRefused, "", r.RemoteAddr, err.Error())
		m.log.Warn("refused a worker", "remote", r.RemoteAddr, "reason", err.Error())
		m.reject(c, err.Error())
		return
	}
	mc := &mconn{c: c, out: make(chan []byte, 256), done: make(chan struct{}), remote: r.RemoteAddr}
	w, err := m.register(hello, mc)
	if err != nil {
		m.workerEvent(WorkerRefused, hello.WorkerID, r.RemoteAddr, err.Error())
		m.log.Warn("refused a worker", "worker", hello.WorkerID, "remote", r.RemoteAddr, "reason", err.Error())
		m.reject(c, err.Error())
		return
	}
	c.SetReadLimit(m.cfg.ReadLimit)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		m.writeLoop(w, mc)
	}()
	m.readLoop(w, mc)
	mc.close()
	<-writerDone
	m.disconnected(w, mc)
}

func (m *Master) readHello(ctx context.Context, c *websocket.Conn) (*Hello, error) {
	typ, b, err := c.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("no hello message: %w", err)
	}
	if typ != websocket.MessageBinary {
		return nil, errors.New("the hello message is not a binary message")
	}
	msg, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("malformed hello: %w", err)
	}
	h, ok := msg.(*Hello)
	if !ok {
		return nil, fmt.Errorf("the first message is %s, not hello", msg.Kind())
	}
	if h.Version != ProtocolVersion {
		return nil, fmt.Errorf("worker %s speaks protocol version %d, this master speaks version %d: run the same golocust version on master and workers", h.WorkerID, h.Version, ProtocolVersion)
	}
	var missing []string
	for _, n := range m.names {
		if !slices.Contains(h.Classes, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("worker %s lacks user classes %s that this test runs (it has %s): build workers from the same load-test program", h.WorkerID, strings.Join(missing, ", "), strings.Join(h.Classes, ", "))
	}
	return h, nil
}

func (m *Master) reject(c *websocket.Conn, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if len(reason) > msgMaxText {
		reason = reason[:msgMaxText]
	}
	if b, err := Encode(&Reject{Reason: reason}); err == nil {
		_ = c.Write(ctx, websocket.MessageBinary, b)
	}
	// A close reason is limited to 123 bytes.
	short := reason
	if len(short) > 120 {
		short = short[:120]
	}
	_ = c.Close(websocket.StatusPolicyViolation, short)
}

// register adds (or re-admits) the worker and welcomes it.
func (m *Master) register(h *Hello, mc *mconn) (*mworker, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("the master is shutting down")
	}
	w := m.workers[h.WorkerID]
	if w == nil {
		w = &mworker{id: h.WorkerID, index: m.next}
		m.next++
		m.workers[w.id] = w
		m.log.Info("worker connected", "worker", w.id, "index", w.index)
		m.workerEvent(WorkerJoined, w.id, mc.remote, "")
	} else {
		if w.conn != nil {
			w.conn.close() // a stale connection of the same worker
		}
		m.log.Info("worker reconnected", "worker", w.id, "index", w.index, "was", w.state)
		m.workerEvent(WorkerRejoined, w.id, mc.remote, "was "+w.state)
	}
	w.conn, w.state, w.lastSeen, w.quit = mc, "ready", time.Now(), false
	w.target, w.users, w.counts, w.part = nil, 0, nil, Part{}
	w.maxUsers = h.MaxUsers
	if w.maxUsers == 0 {
		w.maxUsers = DefaultMaxUsers
	}
	welcome, err := Encode(&Welcome{Index: w.index, Session: m.session, HeartbeatInterval: m.iv})
	if err != nil {
		return nil, err
	}
	mc.out <- welcome // the queue is empty: never blocks
	if m.test != nil && !m.cfg.NoRebalance {
		m.dispatchLocked()
	}
	m.notifyLocked()
	return w, nil
}

// writeLoop sends the connection's queued frames.
func (m *Master) writeLoop(w *mworker, mc *mconn) {
	for {
		select {
		case <-mc.done:
			return
		case b := <-mc.out:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := mc.c.Write(ctx, websocket.MessageBinary, b)
			cancel()
			if err != nil {
				m.log.Debug("writing to a worker failed", "worker", w.id, "error", err)
				mc.close()
				return
			}
		}
	}
}

// sendLocked queues msg for w's connection; a worker whose queue is full
// is disconnected rather than allowed to block the master.
func (m *Master) sendLocked(w *mworker, msg Message) {
	if w.conn == nil {
		return
	}
	b, err := Encode(msg)
	if err != nil {
		m.log.Error("cannot encode a message", "kind", msg.Kind(), "error", err)
		return
	}
	select {
	case w.conn.out <- b:
	default:
		m.log.Warn("worker does not keep up with the master's messages: disconnecting it", "worker", w.id)
		w.conn.close()
	}
}

func (m *Master) readLoop(w *mworker, mc *mconn) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-mc.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		typ, b, err := mc.c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				// A worker closes normally only when it leaves (after its
				// Quit, which a reset connection can lose): it quit, it is
				// not missing.
				m.mu.Lock()
				if w.conn == mc && !w.quit {
					w.quit = true
					m.log.Info("worker quits", "worker", w.id, "reason", "closed the connection")
					m.workerEvent(WorkerQuit, w.id, mc.remote, "closed the connection")
				}
				m.mu.Unlock()
				return
			}
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig || errors.Is(err, websocket.ErrMessageTooBig) {
				m.log.Warn("worker sent a message over the read limit: connection closed", "worker", w.id, "limit_bytes", m.cfg.ReadLimit)
			} else {
				m.log.Debug("worker connection ended", "worker", w.id, "error", err)
			}
			return
		}
		if typ != websocket.MessageBinary {
			m.log.Warn("worker sent a text message: connection closed", "worker", w.id)
			return
		}
		msg, err := Decode(b)
		if err != nil {
			m.log.Warn("worker sent a malformed message: connection closed", "worker", w.id, "error", err)
			return
		}
		if !m.handle(w, mc, msg) {
			return
		}
	}
}

// handle processes one message; false ends the connection.
func (m *Master) handle(w *mworker, mc *mconn, msg Message) bool {
	m.mu.Lock()
	if w.conn != mc {
		m.mu.Unlock()
		return false // replaced by a newer connection
	}
	w.lastSeen = time.Now()
	switch v := msg.(type) {
	case *Heartbeat:
		if w.state != StateMissing && v.State != "" {
			w.state = v.State
		}
		w.cpu, w.mem, w.users = v.CPU, v.Memory, v.Users
		if v.Counts != nil {
			w.counts = v.Counts
		}
	case *Spawned:
		w.counts = v.Counts
		w.users = sumCounts(v.Counts)
		w.state = "running"
		m.notifyLocked()
	case *Stopped:
		w.stopped = true
		w.users, w.counts = 0, nil
		w.state = "stopped"
		m.notifyLocked()
	case *Quit:
		w.quit = true
		m.log.Info("worker quits", "worker", w.id, "reason", v.Reason)
		m.workerEvent(WorkerQuit, w.id, mc.remote, v.Reason)
		m.mu.Unlock()
		return false
	case *Report:
		w.users, w.counts = v.Users, v.Counts
		m.mu.Unlock()
		m.merge(w, v)
		return true
	case *Logs:
		m.mu.Unlock()
		m.takeLogs(w, v.Lines)
		return true
	case *Custom:
		fn := m.handlers[v.Type]
		m.mu.Unlock()
		if fn == nil {
			m.log.Warn("no handler for a custom message from a worker", "worker", w.id, "type", v.Type)
		} else {
			fn(w.id, v.Data)
		}
		return true
	default:
		m.log.Warn("worker sent a message only the master sends: connection closed", "worker", w.id, "kind", msg.Kind())
		m.mu.Unlock()
		return false
	}
	m.mu.Unlock()
	return true
}

func (m *Master) merge(w *mworker, r *Report) {
	w.repMu.Lock()
	defer w.repMu.Unlock()
	if r.Seq > w.lastSeq {
		if m.cfg.OnReport != nil {
			if err := m.cfg.OnReport(w.id, r); err != nil {
				m.log.Error("cannot merge a worker's report", "worker", w.id, "seq", r.Seq, "error", err)
				return
			}
		}
		w.lastSeq = r.Seq
	}
	m.mu.Lock()
	m.sendLocked(w, &ReportAck{Seq: w.lastSeq})
	m.mu.Unlock()
}

func (m *Master) disconnected(w *mworker, mc *mconn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.conn != mc {
		return
	}
	w.conn = nil
	if w.quit || m.closed {
		delete(m.workers, w.id)
	} else {
		m.markMissingLocked(w, "connection closed")
	}
	if m.test != nil && !m.cfg.NoRebalance {
		m.dispatchLocked()
	}
	m.notifyLocked()
}

func (m *Master) markMissingLocked(w *mworker, why string) {
	if w.state == StateMissing {
		return
	}
	remote := ""
	if w.conn != nil {
		remote = w.conn.remote
	}
	m.workerEvent(WorkerLost, w.id, remote, why)
	if m.test != nil && w.users > 0 || len(w.target) > 0 && dispatch.Sum(w.target) > 0 {
		m.lost++
		m.log.Warn("worker lost: its users go to the other workers", "worker", w.id, "users", w.users, "reason", why)
	} else {
		m.log.Warn("worker missing", "worker", w.id, "reason", why)
	}
	w.state = StateMissing
	w.users, w.counts, w.target, w.part = 0, nil, nil, Part{}
}

func (m *Master) heartbeatLoop() {
	t := time.NewTicker(m.iv)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		m.mu.Lock()
		now := time.Now()
		limit := time.Duration(m.cfg.Liveness) * m.iv
		changed := false
		for _, w := range m.workers {
			if w.conn == nil {
				continue
			}
			if now.Sub(w.lastSeen) > limit {
				m.log.Warn("worker missed heartbeats: marked missing", "worker", w.id, "silent", now.Sub(w.lastSeen).Round(time.Millisecond), "liveness", m.cfg.Liveness)
				m.markMissingLocked(w, "missed heartbeats")
				w.conn.close()
				w.conn = nil
				changed = true
				continue
			}
			m.sendLocked(w, &Heartbeat{})
		}
		if changed {
			if m.test != nil && !m.cfg.NoRebalance {
				m.dispatchLocked()
			}
			m.notifyLocked()
		}
		m.mu.Unlock()
	}
}

// liveLocked returns the connected, non-missing workers in dispatch order.
func (m *Master) liveLocked() []*mworker {
	var ids []string
	for id, w := range m.workers {
		if w.conn != nil && w.state != StateMissing && !w.quit {
			ids = append(ids, id)
		}
	}
	out := make([]*mworker, 0, len(ids))
	for _, id := range dispatch.OrderWorkers(ids) {
		out = append(out, m.workers[id])
	}
	return out
}

// dispatchLocked sends every live worker whose share changed its new
// absolute per-class targets for the test's current user count.
func (m *Master) dispatchLocked() {
	t := m.test
	live := m.liveLocked()
	if t.target.Arrival != nil {
		m.dispatchArrivalLocked(t, live)
		return
	}
	per := dispatch.Split(t.order(m.classes, t.current), len(m.classes), len(live))
	for i, w := range live {
		part := Part{Index: i, Of: len(live)}
		if slices.Equal(w.target, per[i]) && (t.target.MaxRPS == 0 || w.part == part) {
			continue
		}
		w.target = per[i]
		counts := make(map[string]int, len(m.names))
		for c, n := range per[i] {
			counts[m.names[c]] = n
		}
		w.state = "spawning"
		msg := &Spawn{Counts: counts, Rate: t.target.Rate, Host: t.target.Host,
			StopTimeout: t.target.StopTimeout, Options: t.target.Options}
		if t.target.MaxRPS > 0 {
			w.part = part
			msg.Part, msg.MaxRPS = &part, t.target.MaxRPS
		}
		m.sendLocked(w, msg)
	}
}

// order returns the classes of the test's first n users in spawn order.
func (t *mtest) order(classes []dispatch.Class, n int) []int {
	if t.listed == nil {
		return dispatch.Sequence(classes, n)
	}
	return dispatch.Extend(classes, t.base, n, t.listed)
}

// dispatchArrivalLocked sends every live worker whose part changed the
// schedule with its new part. The first dispatch takes effect at the
// test's start; a re-split (a worker joined or left) one heartbeat
// interval from now, so that every worker has it before it applies and
// the parts before and after partition the schedule exactly.
func (m *Master) dispatchArrivalLocked(t *mtest, live []*mworker) {
	from := t.target.Arrival.Start
	if t.dispatched {
		from = max(from, time.Now().Add(m.iv).UnixNano())
	}
	t.dispatched = true
	for i, w := range live {
		part := Part{Index: i, Of: len(live)}
		if w.part == part {
			continue
		}
		w.part = part
		spec := *t.target.Arrival
		spec.Stages = slices.Clone(spec.Stages)
		spec.From = from
		w.state = "spawning"
		m.sendLocked(w, &Spawn{Counts: map[string]int{}, Rate: t.target.Rate, Host: t.target.Host,
			StopTimeout: t.target.StopTimeout, Options: t.target.Options, Part: &part, MaxRPS: t.target.MaxRPS, Arrival: &spec})
	}
}

// Start starts a test, or changes the running one: the cluster ramps to
// t.Users at t.Rate users per second, in batches of max(1, floor(rate))
// every batch/rate seconds, each batch sent to the workers as absolute
// per-class targets. It returns at once. It fails without a connected
// worker.
func (m *Master) Start(t Target) error {
	if t.Users < 0 {
		return fmt.Errorf("users is %d: allowed 0 or more", t.Users)
	}
	if math.IsNaN(t.Rate) || math.IsInf(t.Rate, 0) || t.Rate < dispatch.MinRate {
		return fmt.Errorf("spawn rate is %v: allowed a finite number of users per second, at least 0.0001", t.Rate)
	}
	if t.StopTimeout < 0 {
		return fmt.Errorf("stop timeout is %v: allowed 0 or more", t.StopTimeout)
	}
	if t.MaxRPS < 0 || math.IsNaN(t.MaxRPS) || math.IsInf(t.MaxRPS, 0) {
		return fmt.Errorf("max rps is %v: allowed a finite number >= 0", t.MaxRPS)
	}
	if t.Host != "" {
		if err := m.allowed.AllowURL(t.Host); err != nil {
			return fmt.Errorf("cannot aim the load at %s: %w (--allowed-hosts)", redact.URL(t.Host), err)
		}
	}
	t.Options = maps.Clone(t.Options)
	t.Classes = slices.Clone(t.Classes)
	var listed []bool
	if len(t.Classes) > 0 {
		listed = make([]bool, len(m.names))
		for _, name := range t.Classes {
			i := slices.Index(m.names, name)
			if i < 0 {
				return fmt.Errorf("user class %q is not one of this test's classes %v", name, m.names)
			}
			listed[i] = true
		}
	}
	if t.Arrival != nil {
		a := *t.Arrival
		a.Stages = slices.Clone(a.Stages)
		if a.Start == 0 {
			a.Start = time.Now().UnixNano()
		}
		a.From = a.Start
		if err := a.check(); err != nil {
			return err
		}
		t.Arrival = &a
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("the master is closed")
	}
	live := m.liveLocked()
	if len(live) == 0 {
		return errors.New("no worker is connected: start workers before the test")
	}
	if t.Arrival == nil {
		// Before anything proportional to t.Users is computed (the
		// spawn order of every user): a request beyond what the workers
		// run is refused, not materialized.
		ceiling := 0
		for _, w := range live {
			ceiling += w.maxUsers
		}
		if t.Users > ceiling {
			return fmt.Errorf("users is %d: more than the %d connected workers run (%d in all, the sum of their --max-users-per-worker): start more workers or raise their ceiling", t.Users, len(live), ceiling)
		}
	}
	mt := &mtest{target: t, listed: listed, goal: t.Users}
	if old := m.test; old != nil {
		if old.target.Arrival != nil || t.Arrival != nil {
			return errors.New("an arrival-rate test is running, or is asked for while users run: stop the test first")
		}
		old.cancel()
		mt.current = old.current
		mt.base = old.order(m.classes, old.current)
	}
	if t.Arrival == nil {
		// Only full fixed classes left to take users: the ramp ends
		// where the fixed counts are reached instead of "spawning" users
		// that never come.
		if reach := len(mt.order(m.classes, t.Users)); reach < t.Users {
			m.log.Warn("the user classes that can take new users all have fixed counts: fewer users than asked will run", "users", t.Users, "possible", reach)
			mt.goal = reach
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	mt.cancel = cancel
	m.test = mt
	if t.Arrival != nil {
		// No ramp: every worker gets its part of the schedule now.
		m.dispatchLocked()
		return nil
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.ramp(ctx, mt)
	}()
	return nil
}

func (m *Master) ramp(ctx context.Context, t *mtest) {
	size, iv := dispatch.Batch(t.target.Rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		m.mu.Lock()
		if ctx.Err() != nil {
			m.mu.Unlock()
			return
		}
		goal := t.goal
		switch {
		case t.current < goal:
			t.current = min(goal, t.current+size)
		case t.current > goal:
			t.current = max(goal, t.current-size)
		}
		m.dispatchLocked()
		done := t.current == goal
		m.mu.Unlock()
		if done {
			m.log.Info("ramp complete", "users", goal)
			if m.cfg.OnRampDone != nil {
				m.cfg.OnRampDone(goal)
			}
			return
		}
		timer.Reset(iv)
	}
}

// Stop ends the test: every connected worker is told to stop, and Stop
// waits until each has answered (after its final report) or gone
// missing, or ctx is done.
func (m *Master) Stop(ctx context.Context) error {
	m.mu.Lock()
	if t := m.test; t != nil {
		t.cancel()
		m.test = nil
	}
	var waiting []*mworker
	for _, w := range m.workers {
		w.target, w.part = nil, Part{}
		if w.conn != nil && w.state != StateMissing {
			w.stopped = false
			w.state = "stopping"
			m.sendLocked(w, &Stop{})
			waiting = append(waiting, w)
		}
	}
	m.mu.Unlock()
	return m.waitFor(ctx, func() (bool, []string) {
		var left []string
		for _, w := range waiting {
			if w.conn != nil && !w.stopped && w.state != StateMissing {
				left = append(left, w.id)
			}
		}
		return len(left) == 0, left
	}, "stop")
}

// Quit tells every connected worker to quit and waits until each has sent
// its final report and gone, or ctx is done.
func (m *Master) Quit(ctx context.Context) error {
	m.mu.Lock()
	if t := m.test; t != nil {
		t.cancel()
		m.test = nil
	}
	for _, w := range m.workers {
		if w.conn != nil {
			m.sendLocked(w, &Quit{Reason: "the master quits"})
		}
	}
	m.mu.Unlock()
	return m.waitFor(ctx, func() (bool, []string) {
		var left []string
		for _, w := range m.workers {
			if w.conn != nil {
				left = append(left, w.id)
			}
		}
		return len(left) == 0, left
	}, "quit")
}

// waitFor waits until cond (called with m.mu held) is true or ctx is done.
func (m *Master) waitFor(ctx context.Context, cond func() (bool, []string), what string) error {
	for {
		m.mu.Lock()
		ok, left := cond()
		ch := m.changed
		m.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			m.log.Warn("workers did not answer in time", "request", what, "workers", left)
			return fmt.Errorf("failed to %s workers %s: %w", what, strings.Join(left, ", "), ctx.Err())
		}
	}
}

// WaitWorkers waits until at least n workers are connected, or ctx is
// done.
func (m *Master) WaitWorkers(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		have := len(m.liveLocked())
		ch := m.changed
		m.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("failed to wait for %d workers (%d connected): %w", n, have, ctx.Err())
		}
	}
}

// ResetStats tells every connected worker to discard its statistics.
func (m *Master) ResetStats() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.workers {
		m.sendLocked(w, &ResetStats{})
	}
}

// Send sends a custom message to the worker workerID, or to every
// connected worker if workerID is empty. It fails for an unknown or
// disconnected worker and for an invalid type.
func (m *Master) Send(workerID, typ string, data []byte) error {
	if err := checkName("custom message type", typ); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	msg := &Custom{Type: typ, Data: data}
	if workerID == "" {
		for _, w := range m.workers {
			m.sendLocked(w, msg)
		}
		return nil
	}
	w := m.workers[workerID]
	if w == nil || w.conn == nil {
		return fmt.Errorf("failed to send %q: worker %q is not connected", typ, workerID)
	}
	m.sendLocked(w, msg)
	return nil
}

// Handle registers fn for custom messages of type typ from workers,
// replacing any previous handler (nil removes it). fn runs on the
// sending worker's connection goroutine: messages of one worker are
// handled in order, and a slow fn delays that worker's other messages.
func (m *Master) Handle(typ string, fn func(workerID string, data []byte)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if fn == nil {
		delete(m.handlers, typ)
		return
	}
	m.handlers[typ] = fn
}

// Workers returns every known worker, by index.
func (m *Master) Workers() []WorkerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]WorkerInfo, 0, len(m.workers))
	for _, w := range m.workers {
		out = append(out, WorkerInfo{ID: w.id, Index: w.index, State: w.state, Users: w.users,
			Counts: maps.Clone(w.counts), CPU: w.cpu, Memory: w.mem, LastSeen: w.lastSeen})
	}
	slices.SortFunc(out, func(a, b WorkerInfo) int { return a.Index - b.Index })
	return out
}

// LiveWorkers returns the number of connected, non-missing workers.
func (m *Master) LiveWorkers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.liveLocked())
}

// Lost returns how many times a worker running users went missing.
func (m *Master) Lost() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lost
}

// UserCount returns the users running on every live worker, as they last
// reported.
func (m *Master) UserCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, w := range m.workers {
		if w.state != StateMissing {
			n += w.users
		}
	}
	return n
}

// UserCounts returns the running users per class over every live worker.
func (m *Master) UserCounts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.names))
	for _, n := range m.names {
		out[n] = 0
	}
	for _, w := range m.workers {
		if w.state == StateMissing {
			continue
		}
		for c, n := range w.counts {
			out[c] += n
		}
	}
	return out
}

// TargetUsers returns the user count the cluster is ramping to or at, 0
// without a test.
func (m *Master) TargetUsers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.test == nil {
		return 0
	}
	return m.test.target.Users
}

func sumCounts(m map[string]int) int {
	t := 0
	for _, n := range m {
		t += n
	}
	return t
}

// WorkerEvent is a change in the membership of the cluster, reported to
// MasterConfig.OnWorkerEvent.
type WorkerEvent struct {
	// Kind is what happened.
	Kind WorkerEventKind
	// Worker is the worker's id; empty when it was refused before saying
	// it.
	Worker string
	// Remote is the worker's address.
	Remote string
	// Reason says why it was refused, quit or was lost.
	Reason string
}

// WorkerEventKind names a WorkerEvent.
type WorkerEventKind string

// The kinds of WorkerEvent.
const (
	WorkerJoined   WorkerEventKind = "worker.join"
	WorkerRejoined WorkerEventKind = "worker.rejoin"
	WorkerRefused  WorkerEventKind = "worker.refused"
	WorkerQuit     WorkerEventKind = "worker.quit"
	WorkerLost     WorkerEventKind = "worker.lost"
)

func (m *Master) workerEvent(kind WorkerEventKind, worker, remote, reason string) {
	if m.cfg.OnWorkerEvent != nil {
		m.cfg.OnWorkerEvent(WorkerEvent{Kind: kind, Worker: worker, Remote: remote, Reason: reason})
	}
}
