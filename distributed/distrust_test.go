package distributed_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/distributed"
)

// fakeMaster is a hostile master written for the test: it speaks the real
// protocol over a real socket, welcomes any worker and then sends it
// whatever the test wants.
type fakeMaster struct {
	addr  string
	auth  chan string // the Authorization header of each connection
	hello chan *distributed.Hello
	send  chan distributed.Message
}

func newFakeMaster(t *testing.T) *fakeMaster {
	t.Helper()
	fm := &fakeMaster{auth: make(chan string, 16), hello: make(chan *distributed.Hello, 16), send: make(chan distributed.Message, 16)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fm.addr = ln.Addr().String()
	done := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fm.auth <- r.Header.Get("Authorization")
		c, err := websocket.Accept(rw, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		msg, err := distributed.Decode(b)
		if err != nil {
			return
		}
		fm.hello <- msg.(*distributed.Hello)
		write := func(m distributed.Message) bool {
			b, err := distributed.Encode(m)
			if err != nil {
				b = encodeUnchecked(t, m)
			}
			return c.Write(ctx, websocket.MessageBinary, b) == nil
		}
		if !write(&distributed.Welcome{Index: 0, Session: "evil", HeartbeatInterval: time.Second}) {
			return
		}
		go func() { // drain the worker's heartbeats and reports
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		for {
			select {
			case m := <-fm.send:
				if !write(m) {
					return
				}
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		close(done)
		_ = srv.Close()
	})
	return fm
}

// encodeUnchecked is for messages Encode refuses: the hostile master
// does not check what it sends.
func encodeUnchecked(t *testing.T, m distributed.Message) []byte {
	t.Helper()
	t.Fatalf("cannot encode %#v: the fake master only sends valid frames", m)
	return nil
}

// spawnLoad records every Spawn the worker applies.
type spawnLoad struct {
	fakeLoad
	spawns atomic.Int64
	mu     sync.Mutex
	hosts  []string
}

func (l *spawnLoad) Spawn(s *distributed.Spawn) error {
	l.spawns.Add(1)
	l.mu.Lock()
	l.hosts = append(l.hosts, s.Host)
	l.mu.Unlock()
	return l.fakeLoad.Spawn(s)
}

func runDistrustingWorker(t *testing.T, fm *fakeMaster, cfg distributed.WorkerConfig) (*spawnLoad, *logBuf) {
	t.Helper()
	load := &spawnLoad{}
	logs := &logBuf{}
	cfg.MasterAddr, cfg.Load, cfg.Classes = fm.addr, load, []string{"A", "B"}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	runWorker(t, cfg)
	select {
	case <-fm.hello:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker did not say hello")
	}
	return load, logs
}

// A master asking for 2^30 users (the protocol's largest count, per
// class) is refused by the worker's ceiling, with a clear error, and
// nothing reaches the runner; a legitimate spawn after it still works.
func TestWorkerCeilingRefusesAHugeSpawn(t *testing.T) {
	fm := newFakeMaster(t)
	load, logs := runDistrustingWorker(t, fm, distributed.WorkerConfig{MaxUsers: 100})
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": 1 << 30, "B": 1 << 30}, Rate: 1}
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": 60, "B": 41}, Rate: 1}
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": 60, "B": 40}, Rate: 1}
	waitFor(t, "the allowed spawn", func() bool { return load.spawns.Load() == 1 })
	time.Sleep(100 * time.Millisecond)
	if n := load.spawns.Load(); n != 1 {
		t.Errorf("%d spawns reached the runner, want only the one within the ceiling", n)
	}
	out := logs.String()
	for _, want := range []string{"2147483648 users", "101 users", "ceiling of 100", "--max-users-per-worker"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
	if got := load.Status().Users; got != 100 {
		t.Errorf("%d users run, want 100", got)
	}
}

// The default ceiling applies without configuration, and an arrival-rate
// pool beyond it is refused too.
func TestWorkerDefaultCeilingAndArrivalPool(t *testing.T) {
	fm := newFakeMaster(t)
	load, logs := runDistrustingWorker(t, fm, distributed.WorkerConfig{})
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": distributed.DefaultMaxUsers + 1}, Rate: 1}
	part := &distributed.Part{Index: 0, Of: 2}
	fm.send <- &distributed.Spawn{Counts: map[string]int{}, Rate: 1, Part: part,
		Arrival: &distributed.ArrivalSpec{Rate: 10, MaxUsers: 1 << 30, Start: time.Now().UnixNano(), From: time.Now().UnixNano()}}
	waitFor(t, "both refusals", func() bool { return strings.Count(logs.String(), "refused the master's spawn") == 2 })
	if n := load.spawns.Load(); n != 0 {
		t.Errorf("%d spawns beyond the default ceiling reached the runner", n)
	}
	if !strings.Contains(logs.String(), "536870912 maximum users") {
		t.Errorf("the arrival refusal does not name the pool:\n%s", logs.String())
	}
}

// A master cannot aim the worker's load outside its allow-list; the
// refusal does not echo a password the master put in the URL.
func TestWorkerAllowListRefusesTheMastersHost(t *testing.T) {
	fm := newFakeMaster(t)
	load, logs := runDistrustingWorker(t, fm, distributed.WorkerConfig{AllowedHosts: []string{"127.0.0.1", "*.test.internal"}})
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": 1}, Rate: 1, Host: "https://user:hunter2@victim.example"}
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": 1}, Rate: 1, Host: "http://169.254.169.254"}
	fm.send <- &distributed.Spawn{Counts: map[string]int{"A": 1}, Rate: 1, Host: "http://api.test.internal:8080"}
	waitFor(t, "the allowed spawn", func() bool { return load.spawns.Load() == 1 })
	time.Sleep(100 * time.Millisecond)
	load.mu.Lock()
	hosts := fmt.Sprint(load.hosts)
	load.mu.Unlock()
	if hosts != "[http://api.test.internal:8080]" {
		t.Errorf("the runner got hosts %s, want only the allowed one", hosts)
	}
	out := logs.String()
	if !strings.Contains(out, "victim.example") || !strings.Contains(out, "169.254.169.254") || !strings.Contains(out, "--allowed-hosts") {
		t.Errorf("the refusals are not logged clearly:\n%s", out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("the log shows the password the master sent:\n%s", out)
	}
}

// A master's spawn rate of 1e-10 (which overflowed the ramp's interval
// and started every user at once) does not pass the worker's decoding.
func TestWorkerRefusesATinySpawnRate(t *testing.T) {
	_, err := distributed.Encode(&distributed.Spawn{Counts: map[string]int{"A": 5}, Rate: 1e-10})
	if err == nil || !strings.Contains(err.Error(), "at least 0.0001") {
		t.Fatalf("Encode of rate 1e-10: %v", err)
	}
}

// The worker sends its token only over TLS or to loopback: a master
// address beyond loopback is refused before anything is dialled, unless
// explicitly allowed.
func TestWorkerKeepsItsTokenOffCleartextNetworks(t *testing.T) {
	base := distributed.WorkerConfig{Token: "s3cret", Load: &fakeLoad{}, Classes: []string{"A"}}
	for _, addr := range []string{"10.0.0.7:5557", "master.example:5557", "[2001:db8::1]:5557", "127.0.0.1.nip.io:5557"} {
		cfg := base
		cfg.MasterAddr = addr
		_, err := distributed.NewWorker(cfg)
		if err == nil || !strings.Contains(err.Error(), "clear text") || !strings.Contains(err.Error(), "--allow-insecure-token") {
			t.Errorf("NewWorker to %s with a token over ws:// = %v, want a refusal naming --allow-insecure-token", addr, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the token: %v", err)
		}
		cfg.AllowInsecureToken = true
		if _, err := distributed.NewWorker(cfg); err != nil {
			t.Errorf("NewWorker to %s with AllowInsecureToken: %v", addr, err)
		}
		cfg.AllowInsecureToken = false
		cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		if _, err := distributed.NewWorker(cfg); err != nil {
			t.Errorf("NewWorker to %s over TLS: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:5557", "localhost:5557", "[::1]:5557", "127.9.9.9:5557"} {
		cfg := base
		cfg.MasterAddr = addr
		if _, err := distributed.NewWorker(cfg); err != nil {
			t.Errorf("NewWorker to loopback %s: %v", addr, err)
		}
	}
}

// Mutual TLS replaces the token: a master beyond loopback may run
// without one when it requires verified client certificates, and then a
// worker without a certificate is not admitted.
func TestMutualTLSInsteadOfAToken(t *testing.T) {
	ca, caKey := selfSigned(t, nil, nil, "test CA", true)
	srv := leaf(t, ca, caKey, "127.0.0.1")
	cli := leaf(t, ca, caKey, "worker")
	other, otherKey := selfSigned(t, nil, nil, "other CA", true)
	forged := leaf(t, other, otherKey, "worker")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	classes := []distributed.Class{{Name: "A", Weight: 1}}
	if _, err := distributed.NewMaster(distributed.MasterConfig{Listener: nonLoopback(t), Classes: classes,
		TLS: &tls.Config{Certificates: []tls.Certificate{srv}, MinVersion: tls.VersionTLS12}}); err == nil {
		t.Fatal("a master beyond loopback with TLS but no client certificates and no token was accepted")
	}
	ln := nonLoopback(t)
	m, _ := newMaster(t, distributed.MasterConfig{Listener: ln, TLS: &tls.Config{Certificates: []tls.Certificate{srv}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}})
	addr := ln.(*fakeAddrListener).Listener.Addr().String()
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: addr, ID: "mtls_1",
		TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cli}, MinVersion: tls.VersionTLS12}})
	waitFor(t, "the worker with a certificate", w.Connected)
	bad, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: addr, ID: "mtls_2", MaxBackoff: 100 * time.Millisecond,
		TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{forged}, MinVersion: tls.VersionTLS12}})
	time.Sleep(500 * time.Millisecond)
	if bad.Connected() || m.LiveWorkers() != 1 {
		t.Error("a worker with a certificate from another CA was admitted")
	}
}

// fakeAddrListener is a loopback listener that reports a non-loopback
// address, so that a test can check the master's rules for listening
// beyond loopback without listening beyond loopback.
type fakeAddrListener struct{ net.Listener }

func (l *fakeAddrListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: l.Listener.Addr().(*net.TCPAddr).Port}
}

func nonLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return &fakeAddrListener{ln}
}

// An attacker guessing the cluster token is locked out after a few
// tries (429, even with the right token, until the lockout ends), and
// the master's log gets one line for the first wrong token rather than
// one per attempt.
func TestWrongTokensAreThrottledAndLoggedOnce(t *testing.T) {
	m, logs := newMaster(t, distributed.MasterConfig{Token: "right-token", TokenFailures: 3})
	url := "http://" + m.Addr().String() + distributed.WorkerPath
	try := func(token string) int {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var codes []int
	for i := range 40 {
		codes = append(codes, try(fmt.Sprintf("guess-%d", i)))
	}
	if fmt.Sprint(codes[:3]) != "[401 401 401]" {
		t.Errorf("the first wrong tokens got %v, want 401s", codes[:3])
	}
	for i, c := range codes[3:] {
		if c != http.StatusTooManyRequests {
			t.Fatalf("attempt %d after the lockout got %d, want 429", i+4, c)
		}
	}
	if c := try("right-token"); c != http.StatusTooManyRequests {
		t.Errorf("the right token during the lockout got %d, want 429 (the lockout does not look at tokens)", c)
	}
	if n := strings.Count(logs.String(), "wrong"); n > 2 {
		t.Errorf("%d log lines about 40 wrong tokens, want at most 2:\n%s", n, logs.String())
	}
	// A worker from the same address waits out the lockout and joins.
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), Token: "right-token", MaxBackoff: 200 * time.Millisecond})
	_ = w
	waitForLong(t, "the worker after the lockout", 20*time.Second, func() bool { return m.LiveWorkers() == 1 })
}

func waitForLong(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The master holds a bounded number of connections: beyond the cap a
// connection is not served until another closes, and silent connections
// are dropped by the read-header timeout rather than held forever.
func TestMasterConnectionCap(t *testing.T) {
	m, _ := newMaster(t, distributed.MasterConfig{Token: "t", MaxConnections: 2})
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", m.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	third, err := net.Dial("tcp", m.Addr().String()) // the kernel accepts it into the backlog
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	_, _ = third.Write([]byte("GET " + distributed.WorkerPath + " HTTP/1.1\r\nHost: x\r\n\r\n"))
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 64)
	if n, err := third.Read(buf); err == nil {
		t.Fatalf("a connection beyond the cap was served: %q", buf[:n])
	}
	conns[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := third.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "401") {
		t.Fatalf("after a slot freed, the waiting connection got %q, %v; want a 401", buf[:n], err)
	}
	conns[1].Close()
}
