package locust

// Console output: the tables that Locust prints in headless mode (the
// periodic stats table, the final summary, the percentile table and the
// error report), with the same columns, widths and separators, so that
// people used to reading Locust's console read ours the same way.
//
// Differences from Locust, on purpose:
//   - durations are rounded to the nearest millisecond (Locust truncates);
//   - names longer than the name column are shortened in the middle with
//     "..." (Locust lets them push the other columns to the right), and
//     types longer than the type column are cut;
//   - control characters in names and error texts (which come from user
//     code and targets) are replaced, so they cannot break the table or
//     drive the terminal;
//   - the percentile table is computed from the full histogram of every
//     sample, so its title does not say "approximated";
//   - lines carry no trailing spaces.

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"
)

const (
	// consoleTypeWidth is the width of the Type column (Locust's
	// STATS_TYPE_WIDTH).
	consoleTypeWidth = 8
	// consoleDefaultNameWidth is the name width without a terminal, or
	// the largest one with a wide terminal (Locust's STATS_NAME_WIDTH).
	consoleDefaultNameWidth = 80
	// consoleMinNameWidth keeps names readable in narrow terminals; the
	// table is then wider than the terminal and wraps, as Locust's does.
	consoleMinNameWidth = 20
)

// consoleTermCols returns the terminal width announced by the COLUMNS
// environment variable, or 0 when it is unset or not a positive integer
// (then [consoleNameWidth] uses the no-terminal default, as Locust does
// when stdout is not a terminal).
func consoleTermCols() int {
	n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS")))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// consoleNameWidth returns the name width for a terminal of termCols
// columns, as Locust computes it: termCols-80 (so that the stats table
// fills the terminal exactly), at most 80, at least 20; 80 when termCols
// is zero or negative (no terminal or unknown width).
//
// The stats table's Name column is 4 characters narrower than this
// width and the percentile table's is exactly this width, as in Locust.
func consoleNameWidth(termCols int) int {
	if termCols <= 0 {
		return consoleDefaultNameWidth
	}
	return min(max(termCols-80, consoleMinNameWidth), consoleDefaultNameWidth)
}

// writeStatsTable writes Locust's request statistics table of s to w:
// one row per entry, then the Aggregated row, then an empty line.
// With current, the req/s and failures/s columns are the current rates
// (the periodic table while running); otherwise they are the rates over
// the whole run (the final summary). nameWidth comes from
// [consoleNameWidth]; values below 8 are raised to 8.
func writeStatsTable(w io.Writer, s *Snapshot, current bool, nameWidth int) error {
	nw := max(nameWidth, consoleTypeWidth) - consoleTypeWidth + 4
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %-*s %7s %12s |%7s %7s %7s%7s | %7s %11s\n", consoleTypeWidth, "Type", nw, "Name",
		"# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s")
	sep := consoleSeparator(consoleTypeWidth, nw, 7, 13, 7, 7, 7, 7, 8, 11)
	b.WriteString(sep)
	row := func(e *EntryStats) {
		rps, fps := e.TotalRPS, e.TotalFailPerSec
		if current {
			rps, fps = e.CurrentRPS, e.CurrentFailPerSec
		}
		fails := fmt.Sprintf("%d(%.2f%%)", e.Failures, outputFailRatio(e)*100)
		fmt.Fprintf(&b, "%-*s %-*s %7d %12s |%7d %7d %7d%7d | %7.2f %11.2f\n",
			consoleTypeWidth, consoleCell(e.Type, consoleTypeWidth, false), nw, consoleCell(e.Name, nw, true),
			e.Requests, fails, consoleMS(e.Mean()), consoleMS(outputMin(e)), consoleMS(e.Max),
			consoleMS(outputMedian(e)), outputFinite(rps), outputFinite(fps))
	}
	for _, e := range s.Entries {
		row(e)
	}
	b.WriteString(sep)
	if s.Total != nil {
		row(s.Total)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAbortedLine writes, under the final stats table, how many of the
// requests the end of the test cut short: they are in "# reqs" (the
// target saw them) but not in "# fails". It writes nothing without any.
func writeAbortedLine(w io.Writer, s *Snapshot) error {
	if s.Total == nil || s.Total.Aborted == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "Aborted: %d of the %d requests were cut short by the end of the test (in # reqs, not in # fails; --stop-timeout lets them finish)\n",
		s.Total.Aborted, s.Total.Requests)
	return err
}

// writePercentileTable writes Locust's response time percentile table
// of s to w: the percentiles of [Percentiles] in milliseconds and the
// request count, one row per entry with requests, then the Aggregated
// row (if it has requests), then an empty line.
func writePercentileTable(w io.Writer, s *Snapshot, nameWidth int) error {
	return writePercentileTableOf(w, s, nameWidth, Percentiles)
}

// writePercentileTableOf is writePercentileTable with the columns qs
// (--percentiles).
func writePercentileTableOf(w io.Writer, s *Snapshot, nameWidth int, qs []float64) error {
	nw := max(nameWidth, consoleTypeWidth)
	var b strings.Builder
	b.WriteString("Response time percentiles (ms, from every sample)\n")
	fmt.Fprintf(&b, "%-*s %-*s", consoleTypeWidth, "Type", nw, "Name")
	widths := []int{consoleTypeWidth, nw}
	for i, q := range qs {
		cw := 6
		if i == 0 {
			cw = 8
		}
		widths = append(widths, cw)
		fmt.Fprintf(&b, " %*s", cw, outputPercentileLabel(q)+"%")
	}
	widths = append(widths, 6)
	fmt.Fprintf(&b, " %6s\n", "# reqs")
	sep := consoleSeparator(widths...)
	b.WriteString(sep)
	row := func(e *EntryStats) {
		fmt.Fprintf(&b, "%-*s %-*s", consoleTypeWidth, consoleCell(e.Type, consoleTypeWidth, false), nw, consoleCell(e.Name, nw, true))
		for i, q := range qs {
			cw := 6
			if i == 0 {
				cw = 8
			}
			fmt.Fprintf(&b, " %*d", cw, consoleMS(outputPercentile(e, q)))
		}
		fmt.Fprintf(&b, " %6d\n", e.Requests)
	}
	for _, e := range s.Entries {
		if e.Requests > 0 {
			row(e)
		}
	}
	b.WriteString(sep)
	if s.Total != nil && s.Total.Requests > 0 {
		row(s.Total)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeErrorReport writes Locust's error report of s to w: the failure
// groups, most frequent first, as "# occurrences" and "TYPE name: error",
// then an empty line. It writes nothing when there are no failures.
// The separator spans the stats table's width for the terminal of
// [consoleTermCols], as in Locust.
func writeErrorReport(w io.Writer, s *Snapshot) error {
	rows := make([]consoleCountRow, 0, len(s.Failures))
	for _, f := range outputSortedFailures(s.Failures) {
		rows = append(rows, consoleCountRow{f.Occurrences, f.Type + " " + f.Name + ": " + f.Error})
	}
	return writeCountReport(w, "Error report", "Error", rows)
}

// writeExceptionReport writes the errors and panics of user code in s to
// w, most frequent first, as "# occurrences" and the message, then an
// empty line; tracebacks are in the CSV and JSON outputs. It writes
// nothing when there are none. Locust prints no such table; it follows
// the error report's layout.
func writeExceptionReport(w io.Writer, s *Snapshot) error {
	rows := make([]consoleCountRow, 0, len(s.Exceptions))
	for _, e := range outputSortedExceptions(s.Exceptions) {
		rows = append(rows, consoleCountRow{e.Count, e.Message})
	}
	return writeCountReport(w, "Exception report", "Message", rows)
}

// consoleCountRow is one line of a count report.
type consoleCountRow struct {
	n    int64
	text string // from targets or user code: sanitized when written
}

// writeCountReport writes the layout of Locust's error report: a title,
// "# occurrences" and column, one line per row, then an empty line;
// nothing without rows.
func writeCountReport(w io.Writer, title, column string, rows []consoleCountRow) error {
	if len(rows) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(title + "\n")
	b.WriteString("# occurrences      " + column + "\n")
	sep := consoleSeparator(18, 80+consoleNameWidth(consoleTermCols())-19)
	b.WriteString(sep)
	for _, r := range rows {
		fmt.Fprintf(&b, "%-18d %s\n", r.n, consoleSanitize(r.text))
	}
	b.WriteString(sep)
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// consoleSeparator returns a line of dashes, one run per column width,
// joined by "|".
func consoleSeparator(widths ...int) string {
	var b strings.Builder
	for i, n := range widths {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(strings.Repeat("-", n))
	}
	b.WriteByte('\n')
	return b.String()
}

// consoleMS returns d in whole milliseconds, rounded to the nearest.
func consoleMS(d time.Duration) int64 {
	return int64(d.Round(time.Millisecond) / time.Millisecond)
}

// consoleCell returns s made safe for the terminal and at most width
// runes long: shortened in the middle with "..." when middle is true
// (names, which differ at both ends: "/api/v1/.../details"), else cut.
func consoleCell(s string, width int, middle bool) string {
	s = consoleSanitize(s)
	n := utf8.RuneCountInString(s)
	if n <= width {
		return s
	}
	r := []rune(s)
	if !middle || width < 5 {
		return string(r[:width])
	}
	keep := width - 3
	head := (keep + 1) / 2
	return string(r[:head]) + "..." + string(r[n-(keep-head):])
}

// consoleSanitize replaces control characters, which could break the
// table's lines or drive the terminal, with spaces (line breaks and
// tabs) or U+FFFD (the others).
func consoleSanitize(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

// openQuantiles are the percentiles of the schedule table.
var openQuantiles = []float64{0.5, 0.9, 0.99, 0.999, 1}

// writeScheduleTable writes the schedule statistics of s, if any: the
// counters and the lag, response-time and service-time percentiles.
func writeScheduleTable(w io.Writer, s *Snapshot) error {
	ss := s.Schedule
	if ss.Empty() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Schedule: %d arrivals scheduled, %d dropped (%.2f%%), %d paced starts missed\n",
		ss.Scheduled, ss.Dropped, ss.DroppedRatio()*100, ss.Missed)
	fmt.Fprintf(&b, "%-32s %9s %7s %7s %7s", "Timing (ms)", "# iters", "Avg", "Min", "Max")
	widths := []int{32, 9, 7, 7, 7}
	for _, q := range openQuantiles {
		fmt.Fprintf(&b, " %7s", outputPercentileLabel(q)+"%")
		widths = append(widths, 7)
	}
	b.WriteString("\n")
	sep := consoleSeparator(widths...)
	b.WriteString(sep)
	for _, row := range []struct {
		name string
		t    *Timing
	}{{"Schedule lag", &ss.Lag}, {"Response time (from schedule)", &ss.ResponseTime}, {"Service time", &ss.ServiceTime}} {
		if row.t.Count == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-32s %9d %7d %7d %7d", row.name, row.t.Count, consoleMS(row.t.Mean()), consoleMS(row.t.Min), consoleMS(row.t.Max))
		for _, q := range openQuantiles {
			fmt.Fprintf(&b, " %7d", consoleMS(row.t.Percentile(q)))
		}
		b.WriteString("\n")
	}
	b.WriteString(sep)
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeScheduleLine writes the one-line schedule summary of the periodic
// console output, if there is a schedule.
func writeScheduleLine(w io.Writer, s *Snapshot) error {
	ss := s.Schedule
	if ss.Empty() {
		return nil
	}
	_, err := fmt.Fprintf(w, "Schedule: %d scheduled, %d dropped, %d missed; lag p99 %d ms, max %d ms\n\n",
		ss.Scheduled, ss.Dropped, ss.Missed, consoleMS(ss.Lag.Percentile(0.99)), consoleMS(ss.Lag.Max))
	return err
}

// writeVerdictTable writes one line per threshold and the verdict.
func writeVerdictTable(w io.Writer, v Verdict) error {
	if len(v.Results) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Thresholds\n")
	tw := len("Threshold")
	for _, r := range v.Results {
		tw = max(tw, len(consoleSanitize(r.Threshold.String())))
	}
	tw = min(tw, 70)
	fmt.Fprintf(&b, "%-6s %-*s %12s  %s\n", "Result", tw, "Threshold", "Observed", "Note")
	sep := consoleSeparator(6, tw+1, 13, 30)
	b.WriteString(sep)
	for _, r := range v.Results {
		res := "pass"
		if !r.Pass {
			res = "FAIL"
		}
		line := fmt.Sprintf("%-6s %-*s %12s  %s", res, tw, consoleCell(r.Threshold.String(), tw, true), r.ObservedText(), consoleSanitize(r.Note))
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	b.WriteString(sep)
	failed := len(v.Failed())
	switch {
	case v.Aborted:
		fmt.Fprintf(&b, "Verdict: FAIL, the test was aborted by %s (%d of %d thresholds failed)\n", consoleSanitize(v.AbortReason), failed, len(v.Results))
	case !v.Pass:
		fmt.Fprintf(&b, "Verdict: FAIL (%d of %d thresholds failed)\n", failed, len(v.Results))
	default:
		fmt.Fprintf(&b, "Verdict: PASS (%d thresholds)\n", len(v.Results))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// consoleInterval is how often the live table is printed, as Locust.
const consoleInterval = 2 * time.Second

// consoleOut is the console as a session output: the live table every
// consoleInterval, the summary, percentile, schedule, error and verdict
// tables at the end.
type consoleOut struct {
	w io.Writer
	o *options
	// live prints the periodic table (headless, or --print-stats).
	live  bool
	ticks int
}

// newConsoleOut returns the console output: stdout, or stderr when
// stdout carries the JSON document alone (--json).
func newConsoleOut(stdout, stderr io.Writer, o *options) *consoleOut {
	c := &consoleOut{w: stdout, o: o, live: o.headless || o.printStats}
	if o.json {
		c.w = stderr
	}
	return c
}

func (c *consoleOut) nameWidth() int {
	cols := consoleTermCols()
	if f, ok := c.w.(*os.File); ok && cols == 0 {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			cols = w
		}
	}
	return consoleNameWidth(cols)
}

func (c *consoleOut) onTick(s *Snapshot, _ int) {
	c.ticks++
	if !c.live || c.o.onlySummary || time.Duration(c.ticks)*sessionTick%consoleInterval != 0 {
		return
	}
	_ = writeStatsTable(c.w, s, true, c.nameWidth())
	fmt.Fprintln(c.w)
	_ = writeScheduleLine(c.w, s)
}

func (c *consoleOut) onFinish(res *runResult) {
	if !res.ran {
		return
	}
	s := res.snapshot
	w := c.nameWidth()
	_ = writeStatsTable(c.w, s, false, w)
	_ = writeAbortedLine(c.w, s)
	fmt.Fprintln(c.w)
	_ = writePercentileTableOf(c.w, s, w, outputQuantiles(c.o.pct.reportQ))
	fmt.Fprintln(c.w)
	_ = writeScheduleTable(c.w, s)
	if len(s.Failures) > 0 {
		_ = writeErrorReport(c.w, s)
		fmt.Fprintln(c.w)
	}
	if len(s.Exceptions) > 0 {
		_ = writeExceptionReport(c.w, s)
		fmt.Fprintln(c.w)
	}
	if res.verdict != nil {
		_ = writeVerdictTable(c.w, *res.verdict)
	}
}
