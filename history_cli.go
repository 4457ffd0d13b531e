package locust

// The history sub-mode of a load-test program: `./loadtest history
// list|show|compare|export|import|delete|prune`, reading the run store
// that --history names (or LOCUST_HISTORY, or the default file).

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/golocust/locust/history"
)

const historyUsage = `Usage: %[1]s history COMMAND [options]

Commands:
  list [--label K=V]... [--host H] [--profile P] [--limit N] [--offset N] [--json]
                          the runs, newest first
  show RUN_ID [--json]    one run: its options, rows (exact percentiles), thresholds
  compare RUN_ID RUN_ID... [--tolerance 10%%]
                          rows side by side, deltas against the first run;
                          changes beyond the tolerance are marked with !
  export RUN_ID [--output FILE]
                          the run as one JSON file (histograms included)
  import FILE             a run exported elsewhere
  delete RUN_ID...        delete runs
  prune [--keep N] [--max-age DURATION]
                          delete old runs

Every command takes --history PATH|URL (default: LOCUST_HISTORY, else %[2]s).
`

// historyMain runs the history sub-mode with args (after "history").
func (p *Program) historyMain(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	getenv := p.getenv()
	usage := func() { fmt.Fprintf(stderr, historyUsage, prog, historyDefaultPath(getenv)) }
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(prog+" history "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("history", "", "run store: an SQLite file or a postgres:// URL")
	asJSON := fs.Bool("json", false, "print JSON")
	var labels openRepeat
	fs.Var(&labels, "label", "only runs with this label KEY=VALUE (repeatable)")
	host := fs.String("host", "", "only runs against this host")
	profile := fs.String("profile", "", "only runs of this profile")
	limit := fs.Int("limit", 50, "at most this many runs (0: all)")
	offset := fs.Int("offset", 0, "skip this many runs")
	tolerance := fs.String("tolerance", "10%", "mark changes beyond this relative tolerance")
	output := fs.String("output", "", "write to this file instead of standard output")
	keep := fs.Int("keep", 0, "keep only the newest N runs")
	maxAge := fs.Duration("max-age", 0, "delete runs older than this")
	// Options may follow the positional arguments.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ExitOK
			}
			return ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "%s history %s: "+format+"\n", append([]any{prog, cmd}, a...)...)
		return code
	}
	store := *dsn
	if store == "" {
		store = getenv("LOCUST_HISTORY")
	}
	if store == "" {
		store = historyDefaultPath(getenv)
		if _, err := os.Stat(store); err != nil {
			return fail(ExitError, "no run store at %s (name one with --history PATH|URL)", store)
		}
	}
	s, err := history.Open(ctx, store)
	if err != nil {
		return fail(ExitError, "%v", err)
	}
	defer s.Close()
	need := func(n int, what string) bool {
		if len(pos) < n {
			fail(ExitUsage, "want %s", what)
			return false
		}
		return true
	}
	switch cmd {
	case "list":
		f := history.Filter{Host: *host, Profile: *profile, Limit: *limit, Offset: *offset}
		if len(labels) > 0 {
			f.Labels = (&historyOptions{labels: labels}).labelMap()
		}
		list, err := s.List(ctx, f)
		if err != nil {
			return fail(ExitError, "%v", err)
		}
		if *asJSON {
			return historyPrintJSON(stdout, list)
		}
		historyPrintList(stdout, list)
	case "show":
		if !need(1, "a run id") {
			return ExitUsage
		}
		run, err := s.Get(ctx, pos[0])
		if err != nil {
			return fail(ExitError, "%v", err)
		}
		if *asJSON {
			return historyPrintJSON(stdout, run)
		}
		if err := historyPrintRun(stdout, run); err != nil {
			return fail(ExitError, "%v", err)
		}
	case "compare":
		if !need(2, "two run ids or more") {
			return ExitUsage
		}
		tol, err := historyParseTolerance(*tolerance)
		if err != nil {
			return fail(ExitUsage, "--tolerance: %v", err)
		}
		var runs []*history.Run
		for _, id := range pos {
			r, err := s.Get(ctx, id)
			if err != nil {
				return fail(ExitError, "%v", err)
			}
			runs = append(runs, r)
		}
		c, err := history.Compare(runs...)
		if err != nil {
			return fail(ExitError, "%v", err)
		}
		if *asJSON {
			return historyPrintJSON(stdout, c)
		}
		historyPrintCompare(stdout, c, tol)
	case "export":
		if !need(1, "a run id") {
			return ExitUsage
		}
		run, err := s.Get(ctx, pos[0])
		if err != nil {
			return fail(ExitError, "%v", err)
		}
		w := stdout
		if *output != "" {
			f, err := os.OpenFile(*output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return fail(ExitError, "%v", err)
			}
			defer f.Close()
			w = f
		}
		if err := history.Export(w, run); err != nil {
			return fail(ExitError, "%v", err)
		}
	case "import":
		if !need(1, "a file written by export") {
			return ExitUsage
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return fail(ExitError, "%v", err)
		}
		defer f.Close()
		run, err := s.Import(ctx, f)
		if err != nil {
			return fail(ExitError, "%s: %v", pos[0], err)
		}
		fmt.Fprintf(stdout, "imported run %s\n", run.ID)
	case "delete":
		if !need(1, "run ids") {
			return ExitUsage
		}
		for _, id := range pos {
			if err := s.Delete(ctx, id); err != nil {
				return fail(ExitError, "%v", err)
			}
			fmt.Fprintf(stdout, "deleted run %s\n", id)
		}
	case "prune":
		if *keep <= 0 && *maxAge <= 0 {
			return fail(ExitUsage, "want --keep N or --max-age DURATION")
		}
		n, err := s.Prune(ctx, history.Retention{Keep: *keep, MaxAge: *maxAge})
		if err != nil {
			return fail(ExitError, "%v", err)
		}
		fmt.Fprintf(stdout, "deleted %d runs\n", n)
	default:
		usage()
		return fail(ExitUsage, "unknown command; want list, show, compare, export, import, delete or prune")
	}
	return ExitOK
}

func historyPrintJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return ExitError
	}
	return ExitOK
}

// historyDuration rounds d for display: to the millisecond under a
// minute, else to the second.
func historyDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

func historyMS(d time.Duration) string {
	return strconv.FormatFloat(jsonMS(d), 'f', -1, 64)
}

func historyLabels(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// historyPrintList prints runs as a table.
func historyPrintList(w io.Writer, list []history.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tStarted (UTC)\tDuration\tStatus\tVerdict\tHost\tUsers\tRequests\tFail %\tp95 ms\tLabels")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%s\n", s.ID, s.Start.UTC().Format("2006-01-02 15:04:05"),
			historyDuration(s.Duration()), s.Status, consoleSanitize(s.Verdict), consoleSanitize(s.Host), s.Users,
			s.Requests, 100*s.FailRatio(), historyMS(s.P95), consoleSanitize(historyLabels(s.Labels)))
	}
	_ = tw.Flush()
}

// historyPrintRun prints one run.
func historyPrintRun(w io.Writer, r *history.Run) error {
	fmt.Fprintf(w, "Run %s (%s)\n", r.ID, r.Status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Started\t%s\n", r.Start.UTC().Format(time.RFC3339))
	if !r.End.IsZero() {
		fmt.Fprintf(tw, "Ended\t%s (%s, %s)\n", r.End.UTC().Format(time.RFC3339), r.Duration().Round(time.Millisecond), consoleSanitize(r.EndReason))
	}
	fmt.Fprintf(tw, "Exit code\t%d\n", r.ExitCode)
	if r.Verdict != "" {
		fmt.Fprintf(tw, "Verdict\t%s\n", r.Verdict)
	}
	fmt.Fprintf(tw, "Host\t%s\n", consoleSanitize(r.Host))
	fmt.Fprintf(tw, "Users\t%d (spawn rate %g/s)\n", r.Users, r.SpawnRate)
	if r.Profile != "" {
		fmt.Fprintf(tw, "Profile\t%s\n", consoleSanitize(r.Profile))
	}
	if len(r.Labels) > 0 {
		fmt.Fprintf(tw, "Labels\t%s\n", consoleSanitize(historyLabels(r.Labels)))
	}
	if r.Baseline != "" {
		fmt.Fprintf(tw, "Baseline\t%s\n", r.Baseline)
	}
	fmt.Fprintf(tw, "Program\t%s %s %s\n", r.Build.Module, r.Build.Version, r.Build.Revision)
	fmt.Fprintf(tw, "golocust\t%s (%s)\n", r.Build.Golocust, r.Build.GoVersion)
	if len(r.Options) > 0 {
		fmt.Fprintf(tw, "Options\t%s\n", consoleSanitize(historyLabels(r.Options)))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Type\tName\tRequests\tFails\tAborted\tAvg ms\tp50\tp95\tp99\tp99.9\tMax ms\t")
	rows := append(append([]history.Row{}, r.Rows...), r.Total)
	for _, row := range rows {
		var ps []string
		for _, q := range []float64{0.5, 0.95, 0.99, 0.999} {
			v, err := row.Percentile(q)
			if err != nil {
				return err
			}
			ps = append(ps, historyMS(v))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", consoleSanitize(row.Type), consoleSanitize(row.Name),
			row.Requests, row.Failures, row.Aborted, historyMS(row.Mean()), ps[0], ps[1], ps[2], ps[3], historyMS(row.Max))
	}
	_ = tw.Flush()
	if len(r.Thresholds) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "Result\tThreshold\tObserved\tBaseline\tNote")
		for _, t := range r.Thresholds {
			res := "pass"
			if !t.Pass {
				res = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res, consoleSanitize(t.Threshold), t.Observed, t.Baseline, consoleSanitize(t.Note))
		}
		_ = tw.Flush()
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nFailures\n")
		for _, f := range r.Errors {
			fmt.Fprintf(w, "  %d  %s %s: %s\n", f.Occurrences, consoleSanitize(f.Type), consoleSanitize(f.Name), consoleSanitize(f.Error))
		}
	}
	return nil
}

// historyParseTolerance parses "10%" or "0.1".
func historyParseTolerance(s string) (float64, error) {
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if pct {
		f /= 100
	}
	if err != nil || !(f >= 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: want a percentage such as 10%% or a ratio such as 0.1", s)
	}
	return f, nil
}

// historyPrintCompare prints a comparison: for each row, each run's
// figures with the relative change from the first run, marked with "!"
// beyond the tolerance.
func historyPrintCompare(w io.Writer, c *history.Comparison, tol float64) {
	fmt.Fprintf(w, "Reference: %s\n", c.Runs[0].ID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Row\tRun\tReq/s\tFail %\tAborted\tp50 ms\tp95 ms\tp99 ms")
	delta := func(ref, v float64) string {
		d := history.Delta(ref, v)
		if d == 0 {
			return ""
		}
		mark := ""
		if math.Abs(d) > tol {
			mark = "!"
		}
		if math.IsInf(d, 0) {
			return " (new)" + mark
		}
		return fmt.Sprintf(" (%+.1f%%)%s", 100*d, mark)
	}
	for _, row := range c.Rows {
		name := strings.TrimSpace(row.Type + " " + row.Name)
		ref := row.Runs[0]
		for i, st := range row.Runs {
			label := ""
			if i == 0 {
				label = consoleSanitize(name)
			}
			if !st.Present {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\n", label, c.Runs[i].ID)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f%s\t%.2f%s\t%d\t%s%s\t%s%s\t%s%s\n", label, c.Runs[i].ID,
				st.RPS, delta(ref.RPS, st.RPS), 100*st.FailRatio, delta(ref.FailRatio, st.FailRatio), st.Aborted,
				historyMS(st.P50), delta(float64(ref.P50), float64(st.P50)),
				historyMS(st.P95), delta(float64(ref.P95), float64(st.P95)),
				historyMS(st.P99), delta(float64(ref.P99), float64(st.P99)))
		}
	}
	_ = tw.Flush()
}
