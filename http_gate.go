package locust

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// httpGate is the line in front of a shared connection pool when requests
// run on workers (http_handoff.go). It lets a request through while fewer
// than limit requests of the pool are in flight; the others wait in line,
// first come first served, holding nothing but their parked goroutine.
//
// The limit is the pool's open connections plus a few being dialled,
// never more than its MaxConnections. Without that bound a short stall of
// the generator (a GC, a neighbour on the core) let every request that
// piled up meanwhile through at once; finding no idle connection, each
// dialled its own, and thousands of dials (and their buffers) took the
// core for a second or more: a stall of 100 ms became one of 1 s, and the
// pool kept thousands of connections the load never needed. With the
// bound the backlog drains through the connections already open while
// the pool grows by at most a quarter (at least httpGateDials) at a time:
// from nothing to 1,000 connections in about 15 dial round trips.
//
// The pool reports its connections with opened and closed (a dialler
// wrapped by countConn). A gate whose pool does not report them (HTTP/2,
// where one connection carries many requests) limits to MaxConnections.
//
// Its methods are safe for concurrent use.
type httpGate struct {
	max   int  // MaxConnections: never more requests in flight
	track bool // the pool reports its connections

	mu    sync.Mutex
	busy  int // requests in flight
	conns int // connections open in the pool
	line  []*httpGateWaiter
}

// httpGateDials is the least number of connections a gate lets the pool
// dial at once.
const httpGateDials = 16

// httpGateWaiter is a request waiting in line.
type httpGateWaiter struct {
	ready chan struct{} // closed when the request may go
	gone  bool          // it stopped waiting (its context or deadline ended)
}

// newHTTPGate makes the gate of a pool of at most conns connections;
// track says that the pool reports its connections.
func newHTTPGate(conns int, track bool) *httpGate {
	return &httpGate{max: conns, track: track}
}

// limitLocked is how many requests may be in flight now.
func (g *httpGate) limitLocked() int {
	if !g.track {
		return g.max
	}
	return min(g.max, g.conns+max(httpGateDials, g.conns/4))
}

// enter waits for a place. It fails with httpNotSentError if ctx ends
// first (the request was never sent), or with a timeout error if the
// request's deadline passes first (it counts as the request's timeout, as
// a wait for a connection inside the transport would).
func (g *httpGate) enter(ctx context.Context, deadline time.Time) error {
	g.mu.Lock()
	g.dropGoneLocked()
	if len(g.line) == 0 && g.busy < g.limitLocked() {
		g.busy++
		g.mu.Unlock()
		return nil
	}
	w := &httpGateWaiter{ready: make(chan struct{})}
	g.line = append(g.line, w)
	g.mu.Unlock()

	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	var err error
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		err = httpNotSentError{ctx.Err()}
	case <-expired:
		err = httpGateTimeout{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-w.ready: // let through meanwhile: give the place to the next
		g.busy--
		g.wakeLocked()
	default:
		w.gone = true // wakeLocked drops it when it reaches the front
	}
	return err
}

// leave gives the place back.
func (g *httpGate) leave() {
	g.mu.Lock()
	g.busy--
	g.wakeLocked()
	g.mu.Unlock()
}

// wakeLocked lets waiting requests through while there is room.
func (g *httpGate) wakeLocked() {
	for g.dropGoneLocked(); len(g.line) > 0 && g.busy < g.limitLocked(); g.dropGoneLocked() {
		g.busy++
		close(g.line[0].ready)
		g.popLocked()
	}
}

// dropGoneLocked removes the requests at the front of the line that
// stopped waiting, so that a request never queues behind them.
func (g *httpGate) dropGoneLocked() {
	for len(g.line) > 0 && g.line[0].gone {
		g.popLocked()
	}
}

func (g *httpGate) popLocked() {
	g.line[0] = nil
	g.line = g.line[1:]
}

// opened and closed count the pool's connections.
func (g *httpGate) opened() {
	g.mu.Lock()
	g.conns++
	g.wakeLocked()
	g.mu.Unlock()
}

func (g *httpGate) closed() {
	g.mu.Lock()
	g.conns--
	g.mu.Unlock()
}

// countConn tells g when c is closed; g has counted it as opened.
func (g *httpGate) countConn(c net.Conn) net.Conn {
	g.opened()
	return &httpCountedConn{Conn: c, g: g}
}

// httpCountedConn is a pool's connection that its gate counts.
type httpCountedConn struct {
	net.Conn
	g    *httpGate
	done atomic.Bool
}

// Close closes the connection and, the first time, tells the gate.
func (c *httpCountedConn) Close() error {
	if c.done.CompareAndSwap(false, true) {
		c.g.closed()
	}
	return c.Conn.Close()
}
