package webui

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestThrottleLockout: three free failures, then lockouts of 1 s, 2 s,
// 4 s ...; a success clears the count; log lines are aggregated per
// minute.
func TestThrottleLockout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := newLoginThrottle()
		ctx := context.Background()
		fail := func() (failureLog, bool) {
			st, _ := th.begin(ctx, "10.0.0.1")
			if st == nil {
				t.Fatal("locked out too early")
			}
			return th.end(st, "10.0.0.1", "bob", false)
		}
		fl, logged := fail()
		if !logged || fl.count != 1 || fl.users[0] != "bob" {
			t.Errorf("first failure not logged at once: %+v %v", fl, logged)
		}
		for range 2 {
			if _, logged := fail(); logged {
				t.Error("a failure within the minute was logged one by one")
			}
		}
		fail() // the fourth: locked for 1 s
		if st, left := th.begin(ctx, "10.0.0.1"); st != nil || left != time.Second {
			t.Fatalf("not locked: %v %v", st, left)
		}
		// Another source is not affected.
		if st, _ := th.begin(ctx, "10.0.0.2"); st == nil {
			t.Fatal("another source locked out")
		} else {
			th.end(st, "10.0.0.2", "x", true)
		}
		time.Sleep(time.Second)
		fail() // the fifth: 2 s
		if _, left := th.begin(ctx, "10.0.0.1"); left != 2*time.Second {
			t.Errorf("second lockout %v, want 2s", left)
		}
		time.Sleep(time.Minute)
		out := th.flush()
		if len(out) != 1 || out[0].count != 4 {
			t.Errorf("flush: %+v", out)
		}
		st, _ := th.begin(ctx, "10.0.0.1")
		th.end(st, "10.0.0.1", "bob", true)
		fail()
		if st, _ := th.begin(ctx, "10.0.0.1"); st == nil {
			t.Error("a success did not clear the count")
		} else {
			th.end(st, "10.0.0.1", "bob", true)
		}
		// The lockout is capped.
		for range 40 {
			st, left := th.begin(ctx, "10.0.0.3")
			if st == nil {
				if left > maxLockout {
					t.Fatalf("lockout %v beyond the cap", left)
				}
				time.Sleep(left)
				continue
			}
			th.end(st, "10.0.0.3", "x", false)
		}
	})
}

// TestSessionExpiry: idle and absolute expiry, with a fake clock.
func TestSessionExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newSessionStore(time.Hour, 3*time.Hour)
		a := &account{name: "a", role: RoleViewer, stamp: "1"}
		look := func(string) *account { return a }
		id, _ := st.create(a)
		time.Sleep(59 * time.Minute)
		if st.get(id, look) == nil {
			t.Fatal("expired before the idle time")
		}
		time.Sleep(59 * time.Minute)
		if !st.alive(id, look) || st.get(id, look) == nil {
			t.Fatal("expired while in use")
		}
		time.Sleep(61 * time.Minute)
		if st.get(id, look) != nil {
			t.Fatal("alive after an hour idle")
		}
		id, _ = st.create(a)
		for range 4 {
			time.Sleep(50 * time.Minute)
			st.get(id, look)
		}
		if st.get(id, look) != nil {
			t.Fatal("alive beyond the absolute lifetime")
		}
		id, _ = st.create(a)
		a2 := *a
		a2.stamp = "2"
		if st.get(id, func(string) *account { return &a2 }) != nil {
			t.Error("alive after the account changed")
		}
	})
}

// TestSessionTableBounded: one account cannot fill memory with sessions.
func TestSessionTableBounded(t *testing.T) {
	st := newSessionStore(time.Hour, time.Hour)
	a := &account{name: "a", role: RoleViewer, stamp: "1"}
	for range maxSessionsPerUser + 10 {
		st.create(a)
	}
	st.mu.Lock()
	n := len(st.m)
	st.mu.Unlock()
	if n != maxSessionsPerUser {
		t.Errorf("%d sessions, want %d", n, maxSessionsPerUser)
	}
}

type nopController struct{ Controller }

// TestSlowClientsAndConnectionCap plays a client that sends a request's
// headers and then its body one byte at a time, never finishing, and one
// that opens more connections than allowed: the slow one is cut at the
// read deadline before any authentication, the extra ones are closed at
// once.
func TestSlowClientsAndConnectionCap(t *testing.T) {
	oldH, oldR := readHeaderTimeout, readTimeout
	readHeaderTimeout, readTimeout = 300*time.Millisecond, 500*time.Millisecond
	defer func() { readHeaderTimeout, readTimeout = oldH, oldR }()
	srv, err := New(nopController{}, &Options{Addr: "127.0.0.1:0", Username: "a", Password: "b",
		MaxConns: 4, MaxConnsPerSource: 3, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	addr := ln.Addr().String()
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.ReadAll(c)
		return err == nil // EOF: the server closed it (a timeout is an error)
	}
	// Slow headers.
	c1, _ := net.Dial("tcp", addr)
	defer c1.Close()
	_, _ = io.WriteString(c1, "GET /stats/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	// Slow body.
	c2, _ := net.Dial("tcp", addr)
	defer c2.Close()
	_, _ = io.WriteString(c2, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nu")
	// The cap: a third connection from this address is accepted, the fourth closed.
	c3, _ := net.Dial("tcp", addr)
	defer c3.Close()
	c4, _ := net.Dial("tcp", addr)
	defer c4.Close()
	if !closed(c4) {
		t.Error("a connection beyond the per-source cap was kept")
	}
	if !closed(c1) {
		t.Error("slow headers held the connection")
	}
	data := make([]byte, 0, 512)
	_ = c2.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c2)
	data = append(data, b...)
	if err != nil || strings.Contains(string(data), "200 OK") {
		t.Errorf("slow body held the connection: %q %v", data, err)
	}
}
