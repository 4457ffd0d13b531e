package webui

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/golocust/locust/audit"
)

// Deadlines of the web UI's connections (see [Server.Serve]); variables
// for the tests.
var (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 2 * time.Minute
	reloadEvery       = 2 * time.Second
)

// limitListener closes connections beyond a total and a per-address cap
// as soon as they are accepted, so that one client cannot take every
// socket of the server, and the ones it holds cost nothing but a file
// descriptor until the deadlines close them.
type limitListener struct {
	net.Listener
	max, perSource int
	log            *slog.Logger

	mu       sync.Mutex
	n        int
	bySource map[string]int
	lastLog  time.Time
	refused  int
}

func newLimitListener(ln net.Listener, max, perSource int, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, max: max, perSource: perSource, log: log, bySource: map[string]int{}}
}

// Accept returns the next connection within the caps.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := sourceOf(c.RemoteAddr().String())
		l.mu.Lock()
		if l.n >= l.max || l.bySource[src] >= l.perSource {
			l.refused++
			due := time.Since(l.lastLog) >= time.Minute
			var n int
			if due {
				n, l.refused, l.lastLog = l.refused, 0, time.Now()
			}
			total := l.n
			l.mu.Unlock()
			_ = c.Close()
			if due {
				l.log.Warn("web UI: connections refused at the cap", "refused", n, "source", src, "open", total,
					"max", l.max, "max_per_source", l.perSource)
			}
			continue
		}
		l.n++
		l.bySource[src]++
		l.mu.Unlock()
		return &limitConn{Conn: c, l: l, src: src}, nil
	}
}

type limitConn struct {
	net.Conn
	l    *limitListener
	src  string
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.n--
		if c.l.bySource[c.src]--; c.l.bySource[c.src] <= 0 {
			delete(c.l.bySource, c.src)
		}
		c.l.mu.Unlock()
	})
	return err
}

// housekeeping rereads the users file when it changes and logs the failed
// logins held back, until ctx is done.
func (s *Server) housekeeping(ctx context.Context) {
	if s.auth == nil {
		return
	}
	reload := time.NewTicker(reloadEvery)
	defer reload.Stop()
	flush := time.NewTicker(logEvery)
	defer flush.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			for _, fl := range s.auth.throttle.flush() {
				s.logFailures(fl)
			}
			return
		case <-flush.C:
			for _, fl := range s.auth.throttle.flush() {
				s.logFailures(fl)
			}
		case <-reload.C:
			if err := s.ReloadUsers(); err != nil {
				if err.Error() != lastErr {
					s.log.Error("web UI: the users file has an error; the accounts stay as they were", "error", err)
				}
				lastErr = err.Error()
			} else {
				lastErr = ""
			}
		}
	}
}

// ReloadUsers rereads [Options.UsersFile] if its content changed, and
// ends the sessions of accounts that were removed or whose password or
// role changed. A file with an error leaves the accounts as they were
// and is reported. [Server.Serve] calls it every two seconds.
func (s *Server) ReloadUsers() error {
	if s.auth == nil {
		return nil
	}
	changed, revoked, warning, err := s.auth.reload()
	if err != nil {
		return err
	}
	if changed {
		if warning != "" {
			s.log.Warn(warning)
		}
		s.log.Info("web UI: users file reloaded", "file", s.opts.UsersFile, "sessions_ended", revoked)
		s.record(audit.Entry{Time: time.Now(), Actor: "system", Action: "users.reload",
			Params: map[string]any{"file": s.opts.UsersFile, "sessions_ended": revoked}, Outcome: audit.OK})
	}
	return nil
}
