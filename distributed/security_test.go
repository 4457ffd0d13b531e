package distributed_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/distributed"
)

// fakeLoad is a Load that records what the master asks.
type fakeLoad struct {
	mu     sync.Mutex
	counts map[string]int
	state  string
}

func (l *fakeLoad) Spawn(s *distributed.Spawn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts, l.state = s.Counts, "running"
	return nil
}
func (l *fakeLoad) Stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts, l.state = nil, "stopped"
}
func (l *fakeLoad) ResetStats()    {}
func (l *fakeLoad) Report() []byte { return []byte("stats") }
func (l *fakeLoad) Status() distributed.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.counts {
		n += c
	}
	st := l.state
	if st == "" {
		st = "ready"
	}
	return distributed.Status{State: st, Users: n, Counts: l.counts}
}

// logBuf collects log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newMaster(t *testing.T, cfg distributed.MasterConfig) (*distributed.Master, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if cfg.Classes == nil {
		cfg.Classes = []distributed.Class{{Name: "A", Weight: 1}}
	}
	if cfg.Listener == nil && cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	m, err := distributed.NewMaster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, logs
}

func runWorker(t *testing.T, cfg distributed.WorkerConfig) (*distributed.Worker, <-chan error) {
	t.Helper()
	if cfg.Load == nil {
		cfg.Load = &fakeLoad{}
	}
	if cfg.Classes == nil {
		cfg.Classes = []string{"A"}
	}
	w, err := distributed.NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ch <- w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return w, ch
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTokenRequiredBeyondLoopback(t *testing.T) {
	_, err := distributed.NewMaster(distributed.MasterConfig{Addr: "0.0.0.0:0", Classes: []distributed.Class{{Name: "A", Weight: 1}}})
	if err == nil || !strings.Contains(err.Error(), "cluster token or mutual TLS is required") {
		t.Fatalf("NewMaster on 0.0.0.0 without a token: %v", err)
	}
}

// TestRefusals checks that a wrong token, another protocol version,
// missing classes, oversized and malformed frames are refused with a
// clear log line while the master keeps serving a good worker.
func TestRefusals(t *testing.T) {
	m, logs := newMaster(t, distributed.MasterConfig{Token: "s3cret", ReadLimit: 1 << 10})
	addr := m.Addr().String()
	good, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: addr, Token: "s3cret", ID: "good_1"})
	waitFor(t, "the good worker", func() bool { return good.Connected() })

	// Wrong token: refused for good, never welcomed.
	_, errc := runWorker(t, distributed.WorkerConfig{MasterAddr: addr, Token: "wrong", ID: "bad_1"})
	select {
	case err := <-errc:
		if !errors.Is(err, distributed.ErrRefused) || !strings.Contains(err.Error(), "token") {
			t.Errorf("wrong token: Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a worker with a wrong token was not refused")
	}
	if !strings.Contains(logs.String(), "wrong or missing cluster token") {
		t.Errorf("no log line for the wrong token:\n%s", logs)
	}

	// Missing classes.
	_, errc = runWorker(t, distributed.WorkerConfig{MasterAddr: addr, Token: "s3cret", ID: "other_1", Classes: []string{"B"}})
	select {
	case err := <-errc:
		if !errors.Is(err, distributed.ErrRefused) || !strings.Contains(err.Error(), "lacks user classes A") {
			t.Errorf("missing class: Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a worker without the test's classes was not refused")
	}

	hdr := http.Header{"Authorization": {"Bearer s3cret"}}
	dial := func() *websocket.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws://"+addr+distributed.WorkerPath, &websocket.DialOptions{HTTPHeader: hdr})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	readReject := func(c *websocket.Conn) string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, b, err := c.Read(ctx)
		if err != nil {
			return "closed: " + err.Error()
		}
		msg, err := distributed.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := msg.(*distributed.Reject); ok {
			return r.Reason
		}
		return msg.Kind().String()
	}
	write := func(c *websocket.Conn, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Write(ctx, websocket.MessageBinary, b)
	}

	// Another protocol version.
	c := dial()
	b, _ := distributed.Encode(&distributed.Hello{Version: distributed.ProtocolVersion + 1, WorkerID: "future_1", Classes: []string{"A"}})
	write(c, b)
	if r := readReject(c); !strings.Contains(r, fmt.Sprintf("protocol version %d", distributed.ProtocolVersion+1)) {
		t.Errorf("version mismatch: got %q", r)
	}
	c.CloseNow()

	// Malformed hello.
	c = dial()
	write(c, []byte{byte(distributed.KindHello), 2, '{', '}', 'x'})
	if r := readReject(c); !strings.Contains(r, "malformed hello") {
		t.Errorf("malformed hello: got %q", r)
	}
	c.CloseNow()

	// A welcomed connection that then sends an oversized frame, and one
	// that sends garbage.
	for _, tc := range []struct {
		id, log string
		frame   []byte
	}{
		{"big_1", "over the read limit", append([]byte{byte(distributed.KindCustom)}, make([]byte, 4<<10)...)},
		{"junk_1", "malformed message", []byte{0xff, 1, 2, 3}},
	} {
		c = dial()
		b, _ = distributed.Encode(&distributed.Hello{Version: distributed.ProtocolVersion, WorkerID: tc.id, Classes: []string{"A"}})
		write(c, b)
		if k := readReject(c); k != "welcome" {
			t.Fatalf("%s: got %q, want welcome", tc.id, k)
		}
		write(c, tc.frame)
		waitFor(t, tc.log+" logged", func() bool { return strings.Contains(logs.String(), tc.log) })
		c.CloseNow()
	}

	// The good worker is still served.
	if err := m.Start(distributed.Target{Users: 3, Rate: 10}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the good worker's users", func() bool {
		for _, w := range m.Workers() {
			if w.ID == "good_1" && w.Users == 3 {
				return true
			}
		}
		return false
	})
}

func TestCustomMessagesBothWays(t *testing.T) {
	m, _ := newMaster(t, distributed.MasterConfig{})
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "h_1"})
	got := make(chan string, 2)
	m.Handle("pong", func(id string, data []byte) { got <- id + ":" + string(data) })
	w.Handle("ping", func(data []byte) { _ = w.Send(context.Background(), "pong", append(data, '!')) })
	waitFor(t, "connection", w.Connected)
	if err := m.Send("h_1", "ping", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := m.Send("nobody", "ping", nil); err == nil {
		t.Error("Send to an unknown worker succeeded")
	}
	select {
	case s := <-got:
		if s != "h_1:hi!" {
			t.Errorf("got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
}

// TestTLSWithClientCertificates: the master serves TLS and requires a
// client certificate; a worker with one is welcomed, one without is not.
func TestTLSWithClientCertificates(t *testing.T) {
	ca, caKey := selfSigned(t, nil, nil, "test CA", true)
	srv := leaf(t, ca, caKey, "127.0.0.1")
	cli := leaf(t, ca, caKey, "worker")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	m, _ := newMaster(t, distributed.MasterConfig{TLS: &tls.Config{Certificates: []tls.Certificate{srv}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}})
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "tls_1",
		TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cli}, MinVersion: tls.VersionTLS12}})
	waitFor(t, "the TLS worker", w.Connected)
	nocert, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "tls_2",
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxBackoff: 100 * time.Millisecond})
	time.Sleep(500 * time.Millisecond)
	if nocert.Connected() || m.LiveWorkers() != 1 {
		t.Errorf("a worker without a client certificate connected")
	}
}

func selfSigned(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if ip := net.ParseIP(cn); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func leaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string) tls.Certificate {
	c, key := selfSigned(t, ca, caKey, cn, false)
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}
}
