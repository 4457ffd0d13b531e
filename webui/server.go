package webui

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golocust/locust/audit"
)

// Options configure a [Server]. The zero value serves on 127.0.0.1:8089
// without authentication.
type Options struct {
	// Addr is the host:port to listen on; empty means 127.0.0.1:8089.
	// A host that is not a loopback address ("0.0.0.0", ":8089", a name
	// other than localhost) requires Username and Password unless
	// AllowNoAuth is set.
	Addr string
	// Username and Password, when set, are one account with the admin
	// role (--web-auth USER:PASS). With accounts, every page and endpoint
	// needs a login: browsers log in through a form and get a session
	// cookie, API clients may send HTTP Basic credentials.
	Username, Password string
	// UsersFile is a file of accounts, one a line: NAME ROLE HASH, where
	// ROLE is viewer, operator or admin and HASH an argon2id or bcrypt
	// hash ([HashPassword]). The server rereads it when it changes;
	// sessions of accounts removed or changed end. It must not be
	// writable by other users. Exclusive with Username.
	UsersFile string
	// AllowNoAuth allows a non-loopback Addr without accounts.
	AllowNoAuth bool
	// TLSCert and TLSKey are the files of a certificate and its key;
	// with both set the server speaks HTTPS only.
	TLSCert, TLSKey string
	// Logger receives the server's log; nil means slog.Default().
	Logger *slog.Logger
	// LiveInterval is how often the live feed pushes an update; 0 means
	// one second.
	LiveInterval time.Duration
	// AuthFailureDelay is how long a wrong password is answered late;
	// failures are answered one at a time, so guessing is limited to one
	// password per delay. 0 means one second.
	AuthFailureDelay time.Duration
	// SessionTTL is how long a login lasts at most; 0 means 12 hours.
	SessionTTL time.Duration
	// SessionIdle ends a session after that long without a request (the
	// live feed does not count); 0 means one hour.
	SessionIdle time.Duration
	// MaxConns caps the connections [Server.Serve] holds at once; more
	// are closed at once. 0 means 256. MaxConnsPerSource caps those of
	// one IP address; 0 means 64.
	MaxConns, MaxConnsPerSource int
	// Audit receives an entry for every login, logout, start, edit,
	// stop, reset, host change and role denial; nil records them only in
	// the server's memory (the latest 500, for admins at GET /audit).
	// When it is an [audit.Reader] (and AuditFile is empty) admins see
	// its latest entries instead.
	Audit audit.Sink
	// AuditFile names the file Audit writes to, shown to admins.
	AuditFile string
	// Routes are more endpoints, each with its role (see [Route]); a
	// path that conflicts with a built-in route is an error.
	Routes []Route
	// Metrics, when set, is served at GET /metrics (Prometheus), behind
	// the same credentials as every page.
	Metrics http.Handler
	// Logs holds the program's latest log lines for the Logs tab
	// (GET /logs, viewer role); nil shows no lines.
	Logs *LogRing
	// WorkerLogs holds the lines the workers of a distributed test
	// forwarded, shown in the Logs tab with their worker's id; nil
	// shows none.
	WorkerLogs *WorkerLogRing
	// OIDC, when set, adds single sign-on with an OpenID Connect
	// provider (see [OIDC]); it counts as accounts for the address
	// check, and may stand alone or beside Username or UsersFile.
	OIDC *OIDC
	// MetricsToken, when set, is a read-only bearer token for scrapers:
	// "Authorization: Bearer TOKEN" opens GET /metrics and nothing else.
	MetricsToken string
	// BasePath serves the whole UI and API under a prefix such as
	// "/locust" (--web-base-path), for a reverse proxy or an ingress that
	// forwards /locust/ to the UI without rewriting paths: every page,
	// asset, endpoint, the live feed, /healthz and /readyz, redirects and
	// the session cookie's Path are under it, and requests outside it are
	// answered 404. "" or "/" serves at the root. See [CleanBasePath].
	BasePath string
}

// Server serves the web UI and the JSON API of one [Controller]. Create it
// with [New]; [Server.Handler] can also be mounted in another server.
type Server struct {
	ctrl     Controller
	opts     Options
	log      *slog.Logger
	handler  http.Handler
	loopback bool
	base     string // the canonical base path, "" at the root
	tls      *tls.Config
	auth     *authenticator
	sso      *ssoClient // single sign-on, nil without
	csrf     *http.CrossOriginProtection
	table    []Route
	ring     *audit.Ring
	ringSize int
	sink     audit.Sink

	auditErrMu sync.Mutex
	auditErrAt time.Time

	viewMu   sync.Mutex
	view     *View
	viewTime time.Time

	hist atomic.Pointer[historyBox] // the run store, nil without one

	doneOnce sync.Once
	done     chan struct{} // closed by Serve's shutdown: ends live feeds
}

// DefaultAddr is where the web UI listens by default, as Locust's port but
// on loopback only.
const DefaultAddr = "127.0.0.1:8089"

// New checks opts and returns a server for ctrl. Errors name the option
// at fault: a non-loopback address without credentials, half a
// credential or half a TLS pair, unreadable TLS files.
func New(ctrl Controller, opts *Options) (*Server, error) {
	if ctrl == nil {
		return nil, errors.New("webui: Controller is nil")
	}
	s := &Server{ctrl: ctrl, done: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	o := &s.opts
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("webui: address %q: want host:port, e.g. 127.0.0.1:8089", o.Addr)
	}
	s.loopback = isLoopbackHost(host)
	if s.base, err = CleanBasePath(o.BasePath); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	if (o.Username == "") != (o.Password == "") {
		return nil, errors.New("webui: credentials need both a user name and a password (user:password)")
	}
	if strings.Contains(o.Username, ":") {
		return nil, errors.New("webui: the user name may not contain ':'")
	}
	if o.Username != "" && o.UsersFile != "" {
		return nil, errors.New("webui: give either a users file (--web-users) or one account (--web-auth), not both")
	}
	if !s.loopback && o.Username == "" && o.UsersFile == "" && o.OIDC == nil && !o.AllowNoAuth {
		return nil, fmt.Errorf("webui: refusing to serve on %q without credentials: anyone who can reach it could start load tests; "+
			"set --web-users FILE or --web-auth user:password (or LOCUST_WEB_AUTH), bind a loopback address, or opt out with --web-no-auth", o.Addr)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("webui: TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("webui: failed to load the TLS certificate and key: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if o.LiveInterval <= 0 {
		o.LiveInterval = time.Second
	}
	if o.AuthFailureDelay <= 0 {
		o.AuthFailureDelay = time.Second
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = time.Hour
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 256
	}
	if o.MaxConnsPerSource <= 0 {
		o.MaxConnsPerSource = 64
	}
	s.log = o.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	switch {
	case o.UsersFile != "":
		accts, data, warning, err := loadUsers(o.UsersFile)
		if err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
		if warning != "" {
			s.log.Warn(warning)
		}
		s.auth = newAuthenticator(accts, o, s.tls != nil)
		s.auth.usersFile, s.auth.usersData = o.UsersFile, data
	case o.Username != "":
		s.auth = newAuthenticator(map[string]*account{o.Username: plainAccount(o.Username, o.Password)}, o, s.tls != nil)
	}
	if o.OIDC != nil {
		if s.sso, err = newSSOClient(o.OIDC); err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
		if s.auth == nil {
			// Single sign-on only: no password accounts.
			s.auth = newAuthenticator(map[string]*account{}, o, s.tls != nil)
		}
	}
	if s.auth != nil {
		s.auth.cookiePath = s.path("/")
	}
	s.ringSize = 500
	s.ring = audit.NewRing(s.ringSize)
	s.sink = audit.Multi(s.ring, o.Audit)
	s.csrf = http.NewCrossOriginProtection()
	if s.handler, err = s.routes(o.Routes); err != nil {
		return nil, err
	}
	return s, nil
}

// isLoopbackHost reports whether host (an IP or a name) is a loopback
// address. Empty (all interfaces) is not.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the server's HTTP handler: pages, assets, the JSON API
// and the live feed, behind the security checks.
func (s *Server) Handler() http.Handler { return s.handler }

// TLS reports whether the server speaks HTTPS.
func (s *Server) TLS() bool { return s.tls != nil }

// Serve serves on ln until ctx is done, then shuts down gracefully (live
// feeds are closed, requests in flight get up to 5 seconds) and returns
// nil. Other errors of the listener are returned.
//
// Slow clients cannot hold connections: headers must arrive within 10
// seconds, a whole request within 30, an answer be taken within 2 minutes
// (the live feed excepted, once authenticated), and an idle connection
// closes after 2 minutes; past [Options.MaxConns] connections (or
// MaxConnsPerSource from one address) new ones are closed at once. While
// it serves, the users file is reread when it changes, and failed logins
// held back for aggregation are logged.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ln = newLimitListener(ln, s.opts.MaxConns, s.opts.MaxConnsPerSource, s.log)
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if s.tls != nil {
		hs.TLSConfig = s.tls
		ln = tls.NewListener(ln, s.tls)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go s.housekeeping(ctx)
	select {
	case err := <-errc:
		s.doneOnce.Do(func() { close(s.done) })
		return fmt.Errorf("webui: failed to serve: %w", err)
	case <-ctx.Done():
	}
	s.doneOnce.Do(func() { close(s.done) })
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	<-errc
	return nil
}

// URL returns the address of the UI for a listener address, as a browser
// would use it: http(s)://127.0.0.1:8089/ (with the base path:
// http://127.0.0.1:8089/locust/).
func (s *Server) URL(addr net.Addr) string {
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	return scheme + "://" + addr.String() + s.path("/")
}

// currentView returns the controller's view, computed at most every
// quarter of the live interval so that many tabs cost one snapshot.
func (s *Server) currentView() *View {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if s.view == nil || time.Since(s.viewTime) > s.opts.LiveInterval/4 {
		s.view = s.ctrl.View()
		s.viewTime = time.Now()
	}
	return s.view
}

// forgetView drops the cached view after a change of state.
func (s *Server) forgetView() {
	s.viewMu.Lock()
	s.view = nil
	s.viewMu.Unlock()
}
