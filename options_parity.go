package locust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/golocust/locust/internal/cli"
	"github.com/golocust/locust/internal/dispatch"
	"github.com/golocust/locust/webui"
)

// parityOptions are Locust options that scripts, Helm charts and habits
// pass and that golocust accepts as Locust does (see docs/migrating.md).
// They are registered into Locust's own help groups.
type parityOptions struct {
	locustfile        string
	configUsers       []string
	webBasePath       string
	webLogin          bool
	jsonFile          string
	skipLogSetup      bool
	showTaskRatio     bool
	showTaskRatioJSON bool
	equalWeights      bool
	enableRebalancing bool
	// logs keeps the program's latest log lines for the web UI's Logs
	// tab; programLogger sets it.
	logs *webui.LogRing
}

// registerParityOptions adds the options of o to s.
func registerParityOptions(s *cli.Set, o *parityOptions) {
	s.Group("Common options")
	s.String(&o.locustfile, "f", "locustfile", "FILE", "", "Accepted for Locust's command lines and ignored with a warning: the test is this program.")
	s.Var((*openRepeat)(&o.configUsers), "", "config-users", "JSON", `Change user classes: a JSON object, a JSON list of objects or a .json file, e.g. '{"user_class_name": "Admin", "fixed_count": 2}' (keys: user_class_name, weight, fixed_count, host). Repeatable.`)
	s.Group("Web UI options")
	s.String(&o.webBasePath, "", "web-base-path", "PATH", "", "Serve the web UI and its API under this path, e.g. /locust, behind a reverse proxy or an ingress that forwards it without rewriting (default: /).")
	s.Bool(&o.webLogin, "", "web-login", false, "Require logging in to the web UI: accepted for Locust's command lines; the login page is on whenever --web-auth, --web-users or --web-oidc-issuer gives accounts, which --web-login requires.")
	s.Group("Master options")
	s.Bool(&o.enableRebalancing, "", "enable-rebalancing", false, "Accepted for Locust's command lines: rebalancing is the default (see --no-rebalance).")
	s.SetEnv("enable-rebalancing", "")
	s.Group("Request statistics options")
	s.String(&o.jsonFile, "", "json-file", "NAME", "", "Write the final statistics as JSON to NAME.json.")
	s.SetEnv("json-file", "")
	s.Group("Logging options")
	s.Bool(&o.skipLogSetup, "", "skip-log-setup", false, "Leave logging as the program set it up (slog.Default()): --loglevel and --logfile are not used.")
	s.Group("Other options")
	s.Bool(&o.showTaskRatio, "", "show-task-ratio", false, "Print the table of the user classes' and tasks' shares (using -u for fixed counts) and exit.")
	s.SetEnv("show-task-ratio", "")
	s.Bool(&o.showTaskRatioJSON, "", "show-task-ratio-json", false, "Print the user classes' and tasks' shares as JSON and exit.")
	s.SetEnv("show-task-ratio-json", "")
	s.Bool(&o.equalWeights, "", "equal-weights", false, "Give every task the same weight.")
}

// check validates the options; display names an option as the user gave
// it.
// accounts is true when the web UI has accounts (--web-auth or
// --web-users): --web-login asks for them, as Locust's asks the locustfile
// for its login callback.
func (o *parityOptions) check(display func(string) string, noRebalance, accounts bool) error {
	if o.webLogin && !accounts {
		return cli.Usagef("%s needs accounts to log in with: --web-auth USER:PASS (or --web-auth-file), --web-users FILE or single sign-on (--web-oidc-issuer); with them the login page is always on", display("web-login"))
	}
	if _, err := webui.CleanBasePath(o.webBasePath); err != nil {
		return cli.Usagef("%s: %v", display("web-base-path"), err)
	}
	if o.enableRebalancing && noRebalance {
		return cli.Usagef("--enable-rebalancing and --no-rebalance contradict each other")
	}
	if o.jsonFile != "" && strings.ContainsRune(o.jsonFile, 0) {
		return cli.Usagef("--json-file %q is not a valid file name", o.jsonFile)
	}
	return nil
}

// apply sets the fields of cfg the options change.
func (o *parityOptions) apply(cfg *Config, display func(string) string) error {
	users, err := parseConfigUsers(o.configUsers, display("config-users"))
	if err != nil {
		return err
	}
	cfg.Classes, err = overrideClasses(cfg.Classes, users, o.equalWeights)
	return err
}

// programLogger returns the program's logger: slog.Default() with
// --skip-log-setup (the program set logging up itself), else one from
// --loglevel and --logfile.
//
// The logger also keeps its latest lines in o.parity.logs for the web
// UI's Logs tab.
func (o *options) programLogger(stderr io.Writer) (*slog.Logger, io.Closer, error) {
	o.parity.logs = webui.NewLogRing(0)
	if o.parity.skipLogSetup {
		return withLogRing(slog.Default(), o.parity.logs, slog.LevelInfo), io.NopCloser(nil), nil
	}
	log, closer, err := newLoggerMode(o.loglevel, o.logfile, stderr, o.fileMode())
	if err != nil {
		return nil, nil, err
	}
	lv, _ := optLogLevel(o.loglevel) // valid: newLoggerMode checked it
	return withLogRing(log, o.parity.logs, lv), closer, nil
}

// showTaskRatio answers --show-task-ratio and --show-task-ratio-json,
// with -u (when given) apportioning fixed counts, as Locust.
func showTaskRatio(o *options, cfg Config, stdout, stderr io.Writer, prog string) int {
	users := 0
	if _, ok := o.optSource("users"); ok {
		users = cfg.Users
	}
	r, err := taskRatios(cfg.Classes, users)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", prog, err)
		return ExitUsage
	}
	if o.parity.showTaskRatioJSON {
		err = printTaskRatioJSON(stdout, r)
	} else {
		err = printTaskRatio(stdout, r)
	}
	if err != nil {
		return ExitError
	}
	return ExitOK
}

// jsonFileOutput writes --json-file: the document of --json, to a file,
// at the end of the session.
type jsonFileOutput struct {
	path string
	log  *slog.Logger
}

func (j *jsonFileOutput) onTick(*Snapshot, int) {}

func (j *jsonFileOutput) onFinish(res *runResult) {
	if !res.ran || res.abrupt {
		return
	}
	var b bytes.Buffer
	if err := writeJSONVerdict(&b, res.snapshot, res.users, res.verdict); err != nil {
		j.log.Error("writing JSON", "error", err)
		return
	}
	if err := os.WriteFile(j.path, b.Bytes(), 0o644); err != nil {
		j.log.Error("cannot write --json-file", "file", j.path, "error", err)
	}
}

// warnings are the log lines the options call for once the logger exists.
func (o *parityOptions) warnings() []string {
	var w []string
	if o.locustfile != "" {
		w = append(w, fmt.Sprintf("-f/--locustfile %s is ignored: the test is this program", o.locustfile))
	}
	return w
}

// jsonFilePath is the file --json-file names: NAME.json, as Locust.
func (o *parityOptions) jsonFilePath() string {
	if o.jsonFile == "" {
		return ""
	}
	return o.jsonFile + ".json"
}

// taskRatios returns the class and task shares of classes for users
// users (--show-task-ratio): class shares from the user distribution
// (fixed counts first, as the runners spawn them), or from the weights
// when users is 0.
func taskRatios(classes []UserClass, users int) (*webui.Ratios, error) {
	rc, err := compileClasses(classes, tagFilter{})
	if err != nil {
		return nil, err
	}
	dc := make([]dispatch.Class, len(rc))
	all := 0
	for i, c := range rc {
		dc[i] = dispatch.Class{Weight: c.cc.weight, Fixed: c.cc.fixedCount}
		all += max(c.cc.weight, c.cc.fixedCount)
	}
	if users <= 0 {
		users = all
	}
	counts := dispatch.Counts(dc, users)
	total := max(1, dispatchSum(counts))
	out := &webui.Ratios{PerClass: map[string]webui.ClassRatio{}, Total: map[string]webui.ClassRatio{}}
	for i, c := range rc {
		share := float64(counts[i]) / float64(total)
		per := webui.ClassRatio{Ratio: share, Tasks: map[string]webui.TaskRatio{}}
		tot := webui.ClassRatio{Ratio: share, Tasks: map[string]webui.TaskRatio{}}
		for t, r := range c.cc.ratios {
			per.Tasks[t] = webui.TaskRatio{Ratio: r}
			tot.Tasks[t] = webui.TaskRatio{Ratio: r * share}
		}
		out.PerClass[c.cc.name], out.Total[c.cc.name] = per, tot
	}
	return out, nil
}

func dispatchSum(s []int) int {
	t := 0
	for _, v := range s {
		t += v
	}
	return t
}

// printTaskRatio writes --show-task-ratio's tables, as Locust's.
func printTaskRatio(w io.Writer, r *webui.Ratios) error {
	var b strings.Builder
	section := func(title string, m map[string]webui.ClassRatio) {
		fmt.Fprintf(&b, "\n %s\n%s\n", title, strings.Repeat("-", 80))
		for _, name := range slices.Sorted(maps.Keys(m)) {
			c := m[name]
			fmt.Fprintf(&b, " %-10s %-50s\n", fmt.Sprintf("%-6.1f", c.Ratio*100), name)
			for _, t := range slices.Sorted(maps.Keys(c.Tasks)) {
				fmt.Fprintf(&b, " %-10s %-50s\n", fmt.Sprintf("  %-6.1f", c.Tasks[t].Ratio*100), "  "+t)
			}
		}
	}
	section("Task ratio per User class", r.PerClass)
	section("Total task ratio", r.Total)
	_, err := io.WriteString(w, b.String())
	return err
}

// printTaskRatioJSON writes --show-task-ratio-json's document.
func printTaskRatioJSON(w io.Writer, r *webui.Ratios) error {
	b, err := json.MarshalIndent(r, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
