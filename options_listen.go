package locust

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golocust/locust/internal/cli"
)

// listenOption is the pair of options of one of the program's side
// listeners, --NAME-port and --NAME-host (--health-port, --metrics-port):
// a port, 0 for none, and the interface it binds, "*" for every one.
type listenOption struct {
	name string // "health", "metrics"
	port int
	host string
}

// register adds --NAME-port and --NAME-host to s.
func (l *listenOption) register(s *cli.Set, name, portHelp, hostHelp string) {
	l.name = name
	s.Int(&l.port, "", name+"-port", "PORT", 0, portHelp)
	s.String(&l.host, "", name+"-host", "HOST", "127.0.0.1", hostHelp)
}

// check validates the port.
func (l *listenOption) check(display func(string) string) error {
	if l.port < 0 || l.port > 65535 {
		return cli.Usagef("%s must be a port number 0..65535 (0: no listener), got %d", display(l.name+"-port"), l.port)
	}
	return nil
}

// addr is the listener's address: host (without brackets, "" for "*")
// and port.
func (l *listenOption) addr() string {
	host := l.host
	if host == "*" {
		host = ""
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(l.port))
}

// loopback reports whether the listener binds a loopback interface only.
func (l *listenOption) loopback() bool { return metricsLoopback(l.host) }

// serve listens on the option's address and serves h until stop is
// called, which shuts the server down (waiting at most 2 s for requests
// in flight) and returns once it has stopped. what names the listener in
// the log.
func (l *listenOption) serve(h http.Handler, what string, log *slog.Logger) (addr net.Addr, stop func(), err error) {
	ln, err := net.Listen("tcp", l.addr())
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("the "+what+" listener stopped", "error", err)
		}
	}()
	return ln.Addr(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
