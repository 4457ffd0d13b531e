package distributed

import (
	"net"
	"sync"
)

// DefaultMaxConnections is the master's cap on open connections (workers
// and anything else that connects) when MasterConfig.MaxConnections is 0.
const DefaultMaxConnections = 1024

// limitListener accepts at most n connections at a time: the next
// Accept waits until one of them is closed. Connections beyond the
// limit wait in the kernel's backlog, unread, so that a flood of
// connections costs the master neither goroutines nor memory.
type limitListener struct {
	net.Listener
	sem    chan struct{}
	done   chan struct{}
	closed sync.Once
}

func newLimitListener(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func (l *limitListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return l.Listener.Close()
}
