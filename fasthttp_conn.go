package locust

import (
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// fasthttp bounds a request with a timeout by setting the connection's
// write and read deadlines before every request: two updates of the
// runtime's network poller timers per request, which a bare loop without
// timeouts does not pay. fastConn makes those updates coarse: a deadline
// is moved only when the one already set is earlier than asked, or later
// by more than a small slack, and is then set that slack later than
// asked. On a busy connection the timers change about once per slack
// instead of twice per request, and a request still times out, at most
// the slack after its deadline: 1/64 of the time that was left when the
// deadline in place was set (at most 1 s), which is the request's own
// timeout unless a request with a longer one set it. Only moving a
// deadline reads the clock: keeping it compares the asked deadline with
// the one set and its slack.

// fastDeadlineSlack bounds the slack of a deadline: 1/64 of the time left
// until it, at most this.
const fastDeadlineSlack = time.Second

// fastConn is a connection whose deadlines move coarsely. A connection
// serves one request at a time (fasthttp's pool hands it to one caller),
// so its fields need no lock.
type fastConn struct {
	net.Conn
	read, write fastDeadline
}

// fastDeadline is a deadline set on a connection and its slack.
type fastDeadline struct {
	at    int64 // Unix ns; 0 means none
	slack int64 // ns that at may be later than asked
}

// fastDialer dials the connections of the clients made from now on:
// fastDial, replaced by benchmarks only.
var fastDialer = fastDial

// fastDial dials addr (host:port, from fasthttp's pool) as fasthttp's
// dual-stack dialer does, within timeout if it is positive.
func fastDial(addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	var err error
	if timeout > 0 {
		c, err = fasthttp.DialDualStackTimeout(addr, timeout)
	} else {
		c, err = fasthttp.DialDualStack(addr)
	}
	if err != nil {
		return nil, err
	}
	return &fastConn{Conn: c}, nil
}

// SetDeadline sets both deadlines.
func (c *fastConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline to t or up to its slack later.
func (c *fastConn) SetReadDeadline(t time.Time) error {
	set, ok := fastCoarse(&c.read, t)
	if !ok {
		return nil
	}
	return c.Conn.SetReadDeadline(set)
}

// SetWriteDeadline sets the write deadline to t or up to its slack later.
func (c *fastConn) SetWriteDeadline(t time.Time) error {
	set, ok := fastCoarse(&c.write, t)
	if !ok {
		return nil
	}
	return c.Conn.SetWriteDeadline(set)
}

// fastCoarse decides whether the deadline cur must change for a caller
// that asks for t: if so it returns the deadline to set and records it
// and its slack in cur.
func fastCoarse(cur *fastDeadline, t time.Time) (time.Time, bool) {
	if t.IsZero() {
		if cur.at == 0 {
			return t, false
		}
		*cur = fastDeadline{}
		return t, true
	}
	want := t.UnixNano()
	if cur.at != 0 && cur.at >= want && cur.at-want <= cur.slack {
		return t, false // the deadline set is late by less than its slack
	}
	slack := min(int64(time.Until(t)/64), int64(fastDeadlineSlack))
	if slack < 0 {
		slack = 0
	}
	set := t.Add(time.Duration(slack))
	*cur = fastDeadline{at: set.UnixNano(), slack: slack}
	return set, true
}
