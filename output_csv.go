package locust

// CSV output (--csv PREFIX): the four files Locust writes, with Locust's
// headers, column order and value formats, so that scripts written for
// Locust's CSV files read ours unchanged:
//
//	PREFIX_stats.csv          one row per entry, then Aggregated; rewritten
//	PREFIX_stats_history.csv  one batch per update, appended
//	PREFIX_failures.csv       failure groups; rewritten
//	PREFIX_exceptions.csv     errors and panics of user code; rewritten
//
// Durations are milliseconds: integers where Locust writes integers (the
// median and the percentile columns, rounded to the nearest), floats with
// microsecond precision where Locust writes floats (average, min, max).
// Floats are written as Python writes them (shortest form that reads
// back exactly, always with a decimal point: "12.0", "4.329985926471868"),
// the current rates of the history file with six decimals ("1.666667"),
// and "N/A" replaces percentiles of rows without requests. Lines end in
// CRLF and fields are quoted only when needed, as Python's csv module
// does. Timestamps are Unix seconds (history) or UTC
// "YYYY-MM-DDTHH:MM:SSZ" (failures).
//
// Differences from Locust, on purpose: the rewritten files are replaced
// atomically (a reader never sees a half-written file), the history is
// flushed at every update (not every 10 s), and every file is complete
// after close, also after Ctrl-C.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CSV headers, as Locust's StatsCSV and StatsCSVFileWriter write them.
var (
	csvFailuresHeader   = []string{"Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"}
	csvExceptionsHeader = []string{"Count", "Message", "Traceback", "Nodes"}
)

// csvStatsHeader is the header of PREFIX_stats.csv with the percentile
// columns of qs.
func csvStatsHeader(qs []float64) []string {
	return append([]string{"Type", "Name", "Request Count", "Failure Count", "Median Response Time",
		"Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
		"Requests/s", "Failures/s"}, csvPercentileHeaders(qs)...)
}

// csvHistoryHeader is the header of PREFIX_stats_history.csv with the
// percentile columns of qs.
func csvHistoryHeader(qs []float64) []string {
	return append(append([]string{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"},
		csvPercentileHeaders(qs)...), "Total Request Count", "Total Failure Count", "Total Median Response Time",
		"Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
		"Total Average Content Size")
}

// csvPercentileHeaders returns the percentile column names of qs: "50%"
// ... "100%".
func csvPercentileHeaders(qs []float64) []string {
	h := make([]string, len(qs))
	for i, q := range qs {
		h[i] = outputPercentileLabel(q) + "%"
	}
	return h
}

// csvCurrentPercentiler is implemented by stats engines that keep the
// current (windowed, about 10 s) histogram of an entry. The full history
// uses it when available, else the cumulative percentiles.
type csvCurrentPercentiler interface {
	CurrentPercentile(q float64) time.Duration
}

// csvWriter writes the CSV files of one test run. Its methods are safe
// for concurrent use: the stats ticker calls update while a signal
// handler may call close.
type csvWriter struct {
	prefix      string
	fullHistory bool
	mode        fs.FileMode
	// quantiles are the percentile columns (--percentiles); empty means
	// [Percentiles].
	quantiles []float64

	mu       sync.Mutex
	history  *os.File
	hw       *bufio.Writer
	lastHist int64 // Unix second of the last history batch, -1 for none
	closed   bool
	buf      []byte
	row      []string
}

// newCSVWriter creates the directories of prefix and the four CSV files
// named prefix+"_stats.csv", "_stats_history.csv", "_failures.csv" and
// "_exceptions.csv", each holding its header. With fullHistory, every
// history batch has one row per entry before the Aggregated row, and
// uses current percentiles.
func newCSVWriter(prefix string, fullHistory bool) (*csvWriter, error) {
	return newCSVWriterMode(prefix, fullHistory, defaultOutputMode)
}

// newCSVWriterMode is newCSVWriter creating the files with mode.
func newCSVWriterMode(prefix string, fullHistory bool, mode fs.FileMode) (*csvWriter, error) {
	return newCSVWriterQuantiles(prefix, fullHistory, mode, nil)
}

// newCSVWriterQuantiles is newCSVWriterMode with the percentile columns
// qs (nil: [Percentiles]).
func newCSVWriterQuantiles(prefix string, fullHistory bool, mode fs.FileMode, qs []float64) (*csvWriter, error) {
	if prefix == "" {
		return nil, errors.New("invalid --csv prefix: empty; want a path prefix such as results/run1")
	}
	if strings.HasSuffix(prefix, "/") || strings.HasSuffix(prefix, string(filepath.Separator)) {
		// Locust then writes hidden files such as "dir/_stats.csv"; so do
		// we, but the directory must exist first.
		if err := os.MkdirAll(prefix, 0o755); err != nil {
			return nil, fmt.Errorf("failed to create the directory of --csv prefix %q: %w", prefix, err)
		}
	} else if dir := filepath.Dir(prefix); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("failed to create the directory of --csv prefix %q: %w", prefix, err)
		}
	}
	c := &csvWriter{prefix: prefix, fullHistory: fullHistory, lastHist: -1, mode: mode, quantiles: qs}
	for _, f := range []struct {
		suffix string
		header []string
	}{{"_stats.csv", csvStatsHeader(c.qs())}, {"_failures.csv", csvFailuresHeader}, {"_exceptions.csv", csvExceptionsHeader}} {
		if err := writeFileAtomic(prefix+f.suffix, csvAppendRecord(nil, f.header), mode); err != nil {
			return nil, err
		}
	}
	h, err := os.OpenFile(prefix+"_stats_history.csv", os.O_RDWR|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return nil, fmt.Errorf("failed to create CSV file: %w", err)
	}
	c.history, c.hw = h, bufio.NewWriter(h)
	c.hw.Write(csvAppendRecord(nil, csvHistoryHeader(c.qs())))
	if err := c.hw.Flush(); err != nil {
		h.Close()
		return nil, fmt.Errorf("failed to write CSV file %s: %w", h.Name(), err)
	}
	return c, nil
}

// qs returns the percentile columns.
func (c *csvWriter) qs() []float64 { return outputQuantiles(c.quantiles) }

// update rewrites the stats, failures and exceptions files from s, each
// replaced atomically, and appends one batch to the history file with
// users as the user count. It is meant to be called about once a second
// while the test runs; it fails after close.
func (c *csvWriter) update(s *Snapshot, users int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("failed to update CSV files %s_*.csv: writer is closed", c.prefix)
	}
	return c.writeLocked(s, users, true)
}

// close rewrites the stats, failures and exceptions files from final (if
// not nil), appends its history batch unless one was already written in
// the same second or later, flushes and closes the files. Only the first call has
// an effect; later ones return nil.
func (c *csvWriter) close(final *Snapshot, users int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var err error
	if final != nil {
		err = c.writeLocked(final, users, final.Time.Unix() > c.lastHist)
	}
	if cerr := c.history.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("failed to close CSV file %s: %w", c.history.Name(), cerr)
	}
	return err
}

func (c *csvWriter) writeLocked(s *Snapshot, users int, history bool) error {
	errs := []error{
		writeFileAtomic(c.prefix+"_stats.csv", c.statsFile(s), c.mode),
		writeFileAtomic(c.prefix+"_failures.csv", c.failuresFile(s), c.mode),
		writeFileAtomic(c.prefix+"_exceptions.csv", c.exceptionsFile(s), c.mode),
	}
	if history {
		c.buf = c.historyBatch(c.buf[:0], s, users)
		c.hw.Write(c.buf)
		if err := c.hw.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("failed to write CSV file %s: %w", c.history.Name(), err))
		}
		c.lastHist = s.Time.Unix()
	}
	return errors.Join(errs...)
}

// statsFile returns the content of PREFIX_stats.csv: Locust's request
// statistics with whole-run rates and cumulative percentiles.
func (c *csvWriter) statsFile(s *Snapshot) []byte {
	b := csvAppendRecord(nil, csvStatsHeader(c.qs()))
	row := func(e *EntryStats) {
		r := append(c.row[:0], e.Type, e.Name, csvInt(e.Requests), csvInt(e.Failures))
		r = append(r, csvEntryDurations(e)...)
		r = append(r, csvPyFloat(e.TotalRPS), csvPyFloat(e.TotalFailPerSec))
		r = csvAppendPercentiles(r, e, false, c.qs())
		b = csvAppendRecord(b, r)
		c.row = r
	}
	for _, e := range s.Entries {
		row(e)
	}
	if s.Total != nil {
		row(s.Total)
	}
	return b
}

// historyBatch appends to b the history rows of s: every entry (with
// full history) then the Aggregated row.
func (c *csvWriter) historyBatch(b []byte, s *Snapshot, users int) []byte {
	ts, u := strconv.FormatInt(s.Time.Unix(), 10), strconv.Itoa(users)
	row := func(e *EntryStats) {
		r := append(c.row[:0], ts, u, e.Type, e.Name,
			strconv.FormatFloat(outputFinite(e.CurrentRPS), 'f', 6, 64),
			strconv.FormatFloat(outputFinite(e.CurrentFailPerSec), 'f', 6, 64))
		r = csvAppendPercentiles(r, e, c.fullHistory, c.qs())
		r = append(r, csvInt(e.Requests), csvInt(e.Failures))
		r = append(r, csvEntryDurations(e)...)
		b = csvAppendRecord(b, r)
		c.row = r
	}
	if c.fullHistory {
		for _, e := range s.Entries {
			row(e)
		}
	}
	if s.Total != nil {
		row(s.Total)
	}
	return b
}

// failuresFile returns the content of PREFIX_failures.csv.
func (c *csvWriter) failuresFile(s *Snapshot) []byte {
	b := csvAppendRecord(nil, csvFailuresHeader)
	for _, f := range outputSortedFailures(s.Failures) {
		b = csvAppendRecord(b, []string{f.Type, f.Name, f.Error, csvInt(f.Occurrences),
			csvTime(f.FirstSeen), csvTime(f.LastSeen)})
	}
	return b
}

// exceptionsFile returns the content of PREFIX_exceptions.csv.
func (c *csvWriter) exceptionsFile(s *Snapshot) []byte {
	b := csvAppendRecord(nil, csvExceptionsHeader)
	for _, e := range outputSortedExceptions(s.Exceptions) {
		b = csvAppendRecord(b, []string{csvInt(e.Count), e.Message, e.Traceback, strings.Join(e.Nodes, ", ")})
	}
	return b
}

// csvEntryDurations returns the median, average, min, max and average
// size columns, as Locust writes them: zeros ("0", "0.0") without
// requests.
func csvEntryDurations(e *EntryStats) []string {
	if e.Requests == 0 {
		return []string{"0", "0.0", "0", "0", "0"}
	}
	return []string{strconv.FormatInt(consoleMS(outputMedian(e)), 10), csvMS(e.Mean()), csvMS(e.Min), csvMS(e.Max),
		csvPyFloat(e.AvgContentSize())}
}

// csvAppendPercentiles appends the percentile columns of e to r: whole
// milliseconds, "N/A" without requests; current ones if asked and the
// engine keeps them.
func csvAppendPercentiles(r []string, e *EntryStats, current bool, qs []float64) []string {
	if e.Requests == 0 {
		for range qs {
			r = append(r, "N/A")
		}
		return r
	}
	pct := func(q float64) time.Duration { return outputPercentile(e, q) }
	if cp, ok := any(e).(csvCurrentPercentiler); current && ok {
		pct = cp.CurrentPercentile
	}
	for _, q := range qs {
		r = append(r, strconv.FormatInt(consoleMS(pct(q)), 10))
	}
	return r
}

func csvInt(n int64) string { return strconv.FormatInt(n, 10) }

// csvMS returns d in milliseconds with microsecond precision, as a
// Python float ("12.345", "3.0").
func csvMS(d time.Duration) string {
	return csvPyFloat(float64(d.Round(time.Microsecond)/time.Microsecond) / 1e3)
}

// csvTime returns t as Locust's failure timestamps: UTC, to the second.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// csvPyFloat formats x as Python's repr: the shortest digits that read
// back exactly, positional between 1e-4 and 1e16 with at least one
// decimal ("2.0"), else in exponent form ("1e-05", "1.5e+16").
func csvPyFloat(x float64) string {
	x = outputFinite(x)
	if a := math.Abs(x); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(x, 'e', -1, 64)
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// csvAppendRecord appends one CSV record to b as Python's csv module
// writes it: fields quoted only when they hold a comma, a quote or a line
// break, quotes doubled, CRLF at the end. Line breaks inside fields are
// kept as they are.
func csvAppendRecord(b []byte, fields []string) []byte {
	for i, f := range fields {
		f = csvNeutral(f) // output_safety.go
		if i > 0 {
			b = append(b, ',')
		}
		if !strings.ContainsAny(f, ",\"\r\n") {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		for j := 0; j < len(f); j++ {
			if f[j] == '"' {
				b = append(b, '"')
			}
			b = append(b, f[j])
		}
		b = append(b, '"')
	}
	return append(b, '\r', '\n')
}

// csvScheduleHeader is the header of PREFIX_schedule.csv.
var csvScheduleHeader = append([]string{"Metric", "Count", "Average (ms)", "Min (ms)", "Max (ms)"}, csvPercentileHeaders(Percentiles)...)

// writeScheduleCSV writes PREFIX_schedule.csv: the counters (Scheduled,
// Dropped, Missed: Count only) and one row per timing (Schedule Lag,
// Response Time, Service Time). It writes nothing without a schedule.
// The file is new to golocust; Locust's four files are unchanged.
func writeScheduleCSV(prefix string, s *Snapshot, mode fs.FileMode) error {
	ss := s.Schedule
	if ss.Empty() {
		return nil
	}
	var b strings.Builder
	line := func(fields []string) { b.WriteString(strings.Join(fields, ",") + "\r\n") }
	line(csvScheduleHeader)
	empty := make([]string, len(csvScheduleHeader)-2)
	for i := range empty {
		empty[i] = ""
	}
	for _, c := range []struct {
		name string
		n    int64
	}{{"Scheduled", ss.Scheduled}, {"Dropped", ss.Dropped}, {"Missed", ss.Missed}} {
		line(append([]string{c.name, strconv.FormatInt(c.n, 10)}, empty...))
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(jsonMS(d), 'f', -1, 64) }
	for _, row := range []struct {
		name string
		t    *Timing
	}{{"Schedule Lag", &ss.Lag}, {"Response Time", &ss.ResponseTime}, {"Service Time", &ss.ServiceTime}} {
		f := []string{row.name, strconv.FormatInt(row.t.Count, 10), ms(row.t.Mean()), ms(row.t.Min), ms(row.t.Max)}
		for _, q := range Percentiles {
			if row.t.Count == 0 {
				f = append(f, "N/A")
			} else {
				f = append(f, strconv.FormatInt(consoleMS(row.t.Percentile(q)), 10))
			}
		}
		line(f)
	}
	return writeFileAtomic(prefix+"_schedule.csv", []byte(b.String()), mode)
}

// csvOutput is the CSV files as a session output: the stats and history
// files every second, every file and the schedule file at the end.
type csvOutput struct {
	w      *csvWriter
	prefix string
	log    *slog.Logger
}

func (c *csvOutput) onTick(s *Snapshot, users int) {
	if err := c.w.update(s, users); err != nil {
		c.log.Error("writing CSV files", "error", err)
	}
}

func (c *csvOutput) onFinish(res *runResult) {
	if err := c.w.close(res.snapshot, res.users); err != nil {
		c.log.Error("writing CSV files", "error", err)
	}
	if err := writeScheduleCSV(c.prefix, res.snapshot, c.w.mode); err != nil {
		c.log.Error("writing CSV files", "error", err)
	}
}
