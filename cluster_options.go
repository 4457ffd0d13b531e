package locust

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/golocust/locust/audit"
)

// The two sides of a cluster's connection: what a master listens with and
// what a worker connects with. Each runner's own file holds the runner.

// MasterOptions configure the cluster side of a [MasterRunner]. The zero
// value listens on 127.0.0.1:5557 without TLS or token.
type MasterOptions struct {
	// Addr is the address workers connect to, "127.0.0.1:5557" by
	// default. Anything but a loopback address requires Token.
	Addr string
	// Listener, when set, is used instead of listening on Addr.
	Listener net.Listener
	// Token is the shared cluster token workers must present.
	Token string
	// TLS, when set, serves workers over TLS.
	TLS *tls.Config
	// HeartbeatInterval is how often heartbeats go both ways (1 s);
	// a worker silent for 3 intervals is marked missing.
	HeartbeatInterval time.Duration
	// NoRebalance keeps users where they are when workers join or go
	// missing, until the next Start; by default they are redistributed
	// at once.
	NoRebalance bool
	// ReadLimit bounds each message from a worker, in bytes (16 MiB).
	ReadLimit int64
	// Audit, when set, receives an entry for every worker that joins,
	// is refused, quits or is lost (written from a queue: the master
	// never waits for it).
	Audit audit.Sink
}

// WorkerOptions configure how a [WorkerRunner] reaches its master. The
// zero value connects to 127.0.0.1:5557 without TLS or token.
type WorkerOptions struct {
	// MasterAddr is the master's host:port, "127.0.0.1:5557" by default.
	MasterAddr string
	// Token is the master's cluster token.
	Token string
	// TLS, when set, connects over TLS with this configuration.
	TLS *tls.Config
	// ID names the worker, "hostname_random" by default.
	ID string
	// ReportInterval is how often statistics are sent (1 s).
	ReportInterval time.Duration
	// LostMasterTimeout is how long users keep running without a master
	// (15 s); the worker keeps reconnecting afterwards.
	LostMasterTimeout time.Duration
	// HeartbeatInterval is used until the master's welcome sets it (1 s).
	HeartbeatInterval time.Duration
	// MaxUsers is the worker's ceiling on users, whatever the master
	// asks (0: distributed.DefaultMaxUsers); see
	// distributed.WorkerConfig.MaxUsers.
	MaxUsers int
	// AllowInsecureToken lets Token travel in clear text to a master
	// that is not on a loopback address (see
	// distributed.WorkerConfig.AllowInsecureToken).
	AllowInsecureToken bool
	// ForwardLogs sends the worker's log lines (those of Config.Logger at
	// INFO and above) to the master, which shows them in its web UI's
	// Logs tab, as Locust's workers do; bounded (see
	// distributed.LogForwarder).
	ForwardLogs bool
}
