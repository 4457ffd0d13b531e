package distributed

// Workers' log lines, forwarded to the master (Locust's "logs" message):
// the worker queues its lines in a bounded LogForwarder and sends them
// once a second; the master checks each message (Logs.check), limits each
// worker's rate and hands the lines to MasterConfig.OnLogs.

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of log forwarding.
const (
	// MaxPendingLogLines is how many lines a [LogForwarder] holds while
	// they wait to be sent; further lines are dropped and counted.
	MaxPendingLogLines = 1000
	// LogLinesPerSecond and LogLinesBurst limit the lines the master
	// takes from one worker: a bucket of LogLinesBurst lines refilled
	// at LogLinesPerSecond. Lines beyond it are dropped (and counted in
	// one warning a minute per worker). A worker sends at most
	// MaxLogLines a second, which the bucket always takes.
	LogLinesPerSecond = MaxLogLines + MaxLogLines/2
	LogLinesBurst     = 4 * MaxLogLines
	// logSendInterval is how often a worker sends its pending lines.
	logSendInterval = time.Second
)

// LogForwarder queues a worker's log lines for the master: an [io.Writer]
// of whole lines (a Write may hold several; a missing final newline ends
// the line anyway). Lines longer than [MaxLogLineBytes] are cut; at most
// [MaxPendingLogLines] wait, later ones are dropped and counted, and the
// master is told how many in a line of its own. Set it as
// WorkerConfig.Logs. It is safe for concurrent use.
type LogForwarder struct {
	mu      sync.Mutex
	lines   []string
	dropped int
}

// NewLogForwarder returns an empty forwarder.
func NewLogForwarder() *LogForwarder { return &LogForwarder{} }

// Write queues the lines of p.
func (f *LogForwarder) Write(p []byte) (int, error) {
	n := len(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	for line := range bytes.Lines(p) {
		line = bytes.TrimSuffix(line, []byte{'\n'})
		if len(f.lines) >= MaxPendingLogLines {
			f.dropped++
			continue
		}
		f.lines = append(f.lines, cleanLogLine(string(line)))
	}
	return n, nil
}

// take removes and returns up to MaxLogLines lines, with a line counting
// the dropped ones first when there are any.
func (f *LogForwarder) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	if f.dropped > 0 {
		out = append(out, fmt.Sprintf("[%d log lines were not forwarded: more than %d waited]", f.dropped, MaxPendingLogLines))
		f.dropped = 0
	}
	n := min(len(f.lines), MaxLogLines-len(out))
	out = append(out, f.lines[:n]...)
	f.lines = append(f.lines[:0], f.lines[n:]...)
	return out
}

// cleanLogLine makes s a valid line of a Logs message: valid UTF-8, no
// control characters but tabs, at most MaxLogLineBytes.
func cleanLogLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) > MaxLogLineBytes {
		cut := MaxLogLineBytes - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// logLoop sends the forwarder's pending lines once a second while the
// worker is connected; lines stay queued while it is not.
func (w *Worker) logLoop(ctx context.Context) {
	if w.cfg.Logs == nil {
		return
	}
	t := time.NewTicker(logSendInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.quit:
			return
		case <-t.C:
		}
		if !w.Connected() {
			continue
		}
		if lines := w.cfg.Logs.take(); len(lines) > 0 {
			_ = w.send(&Logs{Lines: lines}) // lost with a lost connection, as the log's own lines would be
		}
	}
}

// logLimiter is a worker's bucket of log lines on the master.
type logLimiter struct {
	tokens  float64
	last    time.Time
	dropped int       // lines dropped since the last warning
	warned  time.Time // the last warning
}

// admit returns how many of n lines may pass at now.
func (l *logLimiter) admit(now time.Time, n int) int {
	if l.last.IsZero() {
		l.tokens = LogLinesBurst
	} else {
		l.tokens = min(LogLinesBurst, l.tokens+now.Sub(l.last).Seconds()*LogLinesPerSecond)
	}
	l.last = now
	ok := min(n, int(l.tokens))
	l.tokens -= float64(ok)
	l.dropped += n - ok
	return ok
}

// takeLogs passes a worker's lines, within its rate, to OnLogs, and
// warns at most once a minute of the lines it dropped.
func (m *Master) takeLogs(w *mworker, lines []string) {
	now := time.Now()
	w.logMu.Lock()
	n := w.logs.admit(now, len(lines))
	dropped := 0
	if w.logs.dropped > 0 && now.Sub(w.logs.warned) >= time.Minute {
		dropped, w.logs.dropped, w.logs.warned = w.logs.dropped, 0, now
	}
	w.logMu.Unlock()
	if dropped > 0 {
		m.log.Warn("worker sends more log lines than the master takes: lines dropped", "worker", w.id,
			"dropped", dropped, "limit_per_second", LogLinesPerSecond)
	}
	if n == 0 || m.cfg.OnLogs == nil {
		return
	}
	out := make([]string, n)
	for i, s := range lines[:n] {
		out[i] = cleanLogLine(s) // checked by Decode; control characters go
	}
	m.cfg.OnLogs(w.id, out)
}
