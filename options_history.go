package locust

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golocust/locust/history"
	"github.com/golocust/locust/internal/cli"
)

// historyOptions are the run store's options (see docs/history.md).
type historyOptions struct {
	store            string
	off              bool
	labels           []string
	baseline         string
	baselineOptional bool
	profile          string
	keep             int
	maxAge           time.Duration

	// openErr is why the audit log could not open the store a moment
	// before the history output would (openAuditStore): the history
	// output reports it instead of waiting out a locked store's busy
	// timeout a second time before the run starts.
	openErr error
}

// registerHistoryOptions adds the options of o to s, in their own group.
func registerHistoryOptions(s *cli.Set, o *historyOptions) {
	s.Group("Run history")
	s.String(&o.store, "", "history", "PATH|URL", "", "Keep every run in this run store: an SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (put a password in LOCUST_HISTORY or PGPASSWORD, not the command line). Default: on with the web UI (a file in the user's data directory, named in the log), off in --headless runs.")
	s.Bool(&o.off, "", "no-history", false, "Keep no run history.")
	s.Var((*openRepeat)(&o.labels), "", "label", "KEY=VALUE", "Label the run in the history, repeatable, e.g. --label commit=abc123 --label env=staging.")
	s.String(&o.baseline, "", "baseline", "last|RUN_ID|label:K=V", "", "Compare thresholds such as 'p95 < baseline*1.10' with this run from the history: last (the latest finished run), label:KEY=VALUE (the latest finished run with that label) or a run id.")
	s.Bool(&o.baselineOptional, "", "baseline-optional", false, "When no run matches --baseline, pass the baseline thresholds with a warning instead of failing.")
	s.String(&o.profile, "", "profile", "NAME", "", "Name of this test's profile, kept in the history (Locust's --profile).")
	s.Int(&o.keep, "", "history-keep", "N", 0, "Keep only the newest N runs in the history (0: all). The baseline in use is never deleted.")
	s.Var(cli.TimespanVar(&o.maxAge), "", "history-max-age", "TIME", "Delete runs older than this from the history, e.g. 720h for 30 days. Default: keep them.")
}

// check validates the options; baseline thresholds need --baseline and
// a store.
func (o *historyOptions) check(ths []Threshold, display func(string) string) error {
	for _, l := range o.labels {
		k, _, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return cli.Usagef("%s %q: want KEY=VALUE, e.g. commit=abc123", display("label"), l)
		}
	}
	if o.keep < 0 {
		return cli.Usagef("%s must be 0 (keep all) or more, got %d", display("history-keep"), o.keep)
	}
	if o.baseline != "" {
		if err := history.ParseBaseline(o.baseline); err != nil {
			return cli.Usagef("%s: %v", display("baseline"), err)
		}
		if o.off {
			return cli.Usagef("%s needs the run history: drop %s", display("baseline"), display("no-history"))
		}
	}
	for _, th := range ths {
		if th.Baseline > 0 && o.baseline == "" {
			return cli.Usagef("threshold %q compares with a baseline: name it with --baseline last|RUN_ID|label:K=V", th.String())
		}
	}
	return nil
}

// labelMap returns the labels as a map (a later KEY wins).
func (o *historyOptions) labelMap() map[string]string {
	if len(o.labels) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, l := range o.labels {
		k, v, _ := strings.Cut(l, "=")
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m
}

// dsn returns the run store to use, "" for none: --history, else the
// default file with the web UI or a --baseline.
func (o *historyOptions) dsn(headless bool, getenv func(string) string) string {
	switch {
	case o.off:
		return ""
	case o.store != "":
		return o.store
	case !headless || o.baseline != "":
		return historyDefaultPath(getenv)
	}
	return ""
}

// historyDefaultPath is the default SQLite file:
// $XDG_DATA_HOME/golocust/history.db, else ~/.local/share/golocust on
// Unix systems, else the user's configuration directory; history.db in
// the working directory as a last resort.
func historyDefaultPath(getenv func(string) string) string {
	dir := getenv("XDG_DATA_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil && home != "" && filepath.Separator == '/' {
			dir = filepath.Join(home, ".local", "share")
		} else if cfg, err := os.UserConfigDir(); err == nil {
			dir = cfg
		}
	}
	if dir == "" {
		return "golocust-history.db"
	}
	return filepath.Join(dir, "golocust", "history.db")
}

// historySecretWords are parts of option names whose values are never
// stored.
var historySecretWords = []string{"token", "auth", "pass", "secret", "key", "credential", "cookie"}

// historyOptionValues returns every option that was set, by long name,
// with secrets redacted: options whose name suggests a secret, and
// passwords in URLs.
func historyOptionValues(fs *flag.FlagSet, set func(name string) bool) map[string]string {
	out := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if !set(f.Name) {
			return
		}
		v := f.Value.String()
		lower := strings.ToLower(f.Name)
		for _, w := range historySecretWords {
			if strings.Contains(lower, w) && v != "" {
				v = "REDACTED"
			}
		}
		if strings.Contains(v, "://") && strings.Contains(v, "@") {
			v = historyRedactURL(v)
		}
		out[f.Name] = v
	})
	return out
}

// historyRedactURL hides the user information of a URL.
func historyRedactURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return v
	}
	return scheme + "://REDACTED@" + rest[at+1:]
}
