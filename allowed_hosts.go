package locust

import (
	"context"
	"fmt"

	"github.com/golocust/locust/internal/hostmatch"
	"github.com/golocust/locust/internal/redact"
)

// The allow-list of targets (Config.AllowedHosts, --allowed-hosts) is
// checked where the load is generated: a runner refuses to start a test
// whose host (Config.Host, the web UI's, the master's, or a class's) is
// outside it, and the HTTP clients refuse absolute request URLs outside
// it and do not follow a redirect outside it (every hop is checked, so a
// target cannot bounce the load elsewhere with a 3xx). A worker checks the master's host before it applies a spawn, and
// the master checks the host before it dispatches one. Only the HTTP
// users' requests are checked one by one: code that makes its own
// connections is the program author's to keep within the list.

type allowKey struct{}

// allowContext returns ctx carrying the runner's allow-list, if any.
func (r *LocalRunner) allowContext(ctx context.Context) context.Context {
	l, _ := hostmatch.Parse(r.cfg.AllowedHosts) // validated by NewLocalRunner
	if l.AllowsAll() {
		return ctx
	}
	return context.WithValue(ctx, allowKey{}, l)
}

// allowTarget checks an absolute request URL against the allow-list of
// the test that ctx belongs to.
func allowTarget(ctx context.Context, rawURL string) error {
	l, _ := ctx.Value(allowKey{}).(*hostmatch.List)
	if l == nil {
		return nil
	}
	if err := l.AllowURL(rawURL); err != nil {
		return fmt.Errorf("%w (--allowed-hosts)", err)
	}
	return nil
}

// allowRedirect checks the next hop of a redirect (an absolute URL) that
// an HTTP client is about to follow against the allow-list of the test
// that ctx belongs to. The error ends the request: it is recorded as a
// failure naming the refused hop.
func allowRedirect(ctx context.Context, to string) error {
	if err := allowTarget(ctx, to); err != nil {
		return fmt.Errorf("redirect to %s not followed: %w", redact.URL(to), err)
	}
	return nil
}

// checkHostsLocked checks the host every class's users would get against
// the allow-list; r.mu is held.
func (r *LocalRunner) checkHostsLocked() error {
	l, _ := hostmatch.Parse(r.cfg.AllowedHosts)
	if l.AllowsAll() {
		return nil
	}
	if r.host != "" {
		if err := l.AllowURL(r.host); err != nil {
			return fmt.Errorf("cannot start the test against %s: %w (--allowed-hosts)", redact.URL(r.host), err)
		}
		return nil
	}
	for _, c := range r.classes {
		if c.cc.host == "" {
			continue
		}
		if err := l.AllowURL(c.cc.host); err != nil {
			return fmt.Errorf("cannot start user class %q against %s: %w (--allowed-hosts)", c.cc.name, redact.URL(c.cc.host), err)
		}
	}
	return nil
}

// validateAllowedHosts checks Config.AllowedHosts.
func (c *Config) validateAllowedHosts() error {
	if _, err := hostmatch.Parse(c.AllowedHosts); err != nil {
		return fmt.Errorf("Config.AllowedHosts: %w", err)
	}
	return nil
}

// httpAllowPath checks a request path of an HTTP client: relative paths
// go to the user's host, checked when the test started; absolute URLs
// are checked here.
func httpAllowPath(ctx context.Context, path string) error {
	if !httpIsAbsolute(path) {
		return nil
	}
	return allowTarget(ctx, path)
}
