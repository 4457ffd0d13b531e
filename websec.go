package locust

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golocust/locust/audit"
	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/history"
	"github.com/golocust/locust/internal/cli"
	"github.com/golocust/locust/webui"
)

// webSecOptions are the options of the web UI's accounts and of the audit
// log (docs/security.md).
type webSecOptions struct {
	usersFile     string
	noAuthConfirm bool
	auditLog      string
	hashPassword  bool
	verifyAudit   string
	newTOTP       string

	// sink is the open audit log: --audit-log and the run store's (nil
	// without either), set by Main.
	sink audit.Sink
}

// registerWebSecOptions adds the options of accounts and auditing to the
// web UI group.
func registerWebSecOptions(s *cli.Set, o *webSecOptions) {
	s.String(&o.usersFile, "", "web-users", "FILE", "", "File of web UI accounts, one a line: NAME ROLE HASH, ROLE viewer, operator or admin, HASH from --hash-password (argon2id) or bcrypt. Reread when it changes.")
	s.Bool(&o.noAuthConfirm, "", "web-no-auth-confirm", false, "Confirm --web-no-auth on an address beyond loopback: anyone who reaches the web UI may start, stop and aim load tests.")
	s.String(&o.auditLog, "", "audit-log", "FILE", "", "Append who did what (logins, starts, stops, resets, host changes, denials) to FILE, one hash-chained JSON line an event, mode 0600.")
	s.Bool(&o.hashPassword, "", "hash-password", false, "Read a password on standard input, print its argon2id hash for --web-users, and exit.")
	s.SetEnv("hash-password", "")
	s.String(&o.verifyAudit, "", "verify-audit-log", "FILE", "", "Check the hash chain of an audit log (an --audit-log file, or a run store's: its SQLite file or postgres:// URL), print the first tampered entry (exit 1) or a summary, and exit.")
	s.SetEnv("verify-audit-log", "")
	s.String(&o.newTOTP, "", "new-totp", "NAME", "", "Print a new one-time-code secret for the account NAME (the fourth field of --web-users: totp=SECRET) and its otpauth:// address for an authenticator app, and exit.")
	s.SetEnv("new-totp", "")
}

// openAuditLog opens the audit log's sinks: --audit-log, and the run
// store's audit log when the program keeps a run history (not on
// workers, which keep none), then records the configuration the program
// starts with. The returned function closes them.
func openAuditLog(o *options, getenv func(string) string, log *slog.Logger) (func(), error) {
	var (
		sinks  []audit.Sink
		closes []func()
	)
	if o.sec.auditLog != "" {
		f, err := audit.OpenFile(o.sec.auditLog)
		if err != nil {
			return nil, err
		}
		sinks, closes = append(sinks, f), append(closes, func() { _ = f.Close() })
	}
	if st := openAuditStore(o, getenv, log); st != nil {
		sinks, closes = append(sinks, st.AuditLog()), append(closes, func() { _ = st.Close() })
	}
	if len(sinks) == 0 {
		return func() {}, nil
	}
	sink := audit.Multi(sinks...)
	o.sec.sink = sink
	mode := "local"
	switch {
	case o.master:
		mode = "master"
	case o.worker:
		mode = "worker"
	}
	params := map[string]any{"mode": mode, "args": redactArgs(o.args), "headless": o.headless}
	if o.host != "" {
		params["host"] = o.host
	}
	if !o.headless && !o.worker {
		params["web_host"], params["web_port"] = o.webHost, o.webPort
		params["web_users"], params["web_auth"] = o.sec.usersFile, o.webAuth != ""
		if o.oidc.issuer != "" {
			params["web_oidc_issuer"], params["web_oidc_roles"] = o.oidc.issuer, o.oidc.roles
		}
	}
	if err := sink.Record(audit.Entry{Time: time.Now(), Actor: "system", Action: "config", Params: params, Outcome: audit.OK}); err != nil {
		log.Error("cannot write the audit log", "error", err)
	}
	return func() {
		_ = sink.Record(audit.Entry{Time: time.Now(), Actor: "system", Action: "exit", Outcome: audit.OK})
		for _, c := range closes {
			c()
		}
	}, nil
}

// openAuditStore opens the run store the program keeps its history in,
// for the audit log; nil without one, on a worker, or when it cannot be
// opened (logged: the history output says so too).
func openAuditStore(o *options, getenv func(string) string, log *slog.Logger) *history.Store {
	dsn := o.hist.dsn(o.headless, getenv)
	if dsn == "" || o.worker {
		return nil
	}
	if dsn == historyDefaultPath(getenv) {
		if err := historyMkdir(dsn); err != nil {
			log.Warn("the audit log is not kept in the run store: cannot create its directory", "path", dsn, "error", err)
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := history.Open(ctx, dsn)
	if err != nil {
		log.Warn("the audit log is not kept in the run store: cannot open it", "error", err)
		o.hist.openErr = err
		return nil
	}
	return st
}

// secretFlags are options whose values never reach the audit log.
var secretFlags = []string{"web-auth", "cluster-token", "web-oidc-client-secret"}

// redactArgs returns the command line with the values of secret options
// and URL passwords replaced.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	hideNext := false
	for i, a := range args {
		switch {
		case hideNext:
			out[i], hideNext = "[redacted]", false
			continue
		}
		out[i] = audit.RedactURL(a)
		for _, f := range secretFlags {
			if a == "--"+f || a == "-"+f {
				hideNext = true
			} else if strings.HasPrefix(a, "--"+f+"=") || strings.HasPrefix(a, "-"+f+"=") {
				out[i] = a[:strings.IndexByte(a, '=')+1] + "[redacted]"
			}
		}
	}
	return out
}

// webuiSecurity returns the web UI options of accounts and auditing, after
// checking that --web-no-auth beyond loopback is confirmed.
func webuiSecurity(o *options, opts *webui.Options) error {
	opts.UsersFile = o.sec.usersFile
	opts.OIDC = o.oidc.parsed
	if o.sec.sink != nil {
		opts.Audit, opts.AuditFile = o.sec.sink, o.sec.auditLog
	}
	if opts.AllowNoAuth && !o.sec.noAuthConfirm && opts.Username == "" && opts.UsersFile == "" && opts.OIDC == nil && !webuiLoopback(opts.Addr) {
		return fmt.Errorf("--web-no-auth on %q also needs --web-no-auth-confirm: anyone who reaches it may start, stop and aim load tests; "+
			"prefer --web-users FILE or --web-auth USER:PASS", opts.Addr)
	}
	return nil
}

// webuiLoopback reports whether a web UI address is a loopback one.
func webuiLoopback(addr string) bool {
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		host = addr[:i]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return strings.HasPrefix(host, "127.") || host == "::1"
}

// workerAuditQueue bounds the worker events waiting for the audit sink.
const workerAuditQueue = 1024

// workerAuditor returns the master's OnWorkerEvent for sink: events are
// queued and written by one goroutine, so the master never waits for the
// disk; a full queue drops events and says so in the log. Nil without a
// sink.
func workerAuditor(sink audit.Sink, log *slog.Logger) func(distributed.WorkerEvent) {
	if sink == nil {
		return nil
	}
	q := make(chan audit.Entry, workerAuditQueue)
	go func() {
		for e := range q {
			if err := sink.Record(e); err != nil {
				log.Error("cannot write the audit log", "error", err)
			}
		}
	}()
	var mu sync.Mutex
	dropped := 0
	return func(ev distributed.WorkerEvent) {
		actor := ev.Worker
		if actor == "" {
			actor = "unknown worker"
		}
		outcome := audit.OK
		switch ev.Kind {
		case distributed.WorkerRefused:
			outcome = audit.Denied
		case distributed.WorkerLost:
			outcome = audit.Failed
		}
		e := audit.Entry{Time: time.Now(), Actor: actor, Role: "worker", Source: ev.Remote, Action: string(ev.Kind), Outcome: outcome, Reason: ev.Reason}
		select {
		case q <- e:
		default:
			mu.Lock()
			dropped++
			n := dropped
			mu.Unlock()
			if n == 1 || n%1000 == 0 {
				log.Warn("audit log: worker events dropped (the queue is full)", "dropped", n)
			}
		}
	}
}
