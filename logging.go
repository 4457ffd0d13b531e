package locust

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// logLevelCritical is Locust's CRITICAL level, above slog.LevelError.
const logLevelCritical = slog.Level(12)

// optLogLevel converts a --loglevel value (debug, info, warning, error,
// critical; any case) to its slog level.
func optLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warning", "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "critical":
		return logLevelCritical, nil
	}
	return 0, fmt.Errorf("unknown log level; use one of %s", strings.Join(optLogLevels, ", "))
}

// newLogger returns the logger of a load-test program: records at level
// and above, written to logfile (appended to, created if needed) or, when
// logfile is "", to stderr, in Locust's format
//
//	[2006-01-02 15:04:05,000] host/INFO/locust: message key=value
//
// The closer closes the log file; it does nothing for stderr.
func newLogger(level string, logfile string, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	return newLoggerMode(level, logfile, stderr, defaultOutputMode)
}

// newLoggerMode is newLogger creating the log file with mode.
func newLoggerMode(level string, logfile string, stderr io.Writer, mode fs.FileMode) (*slog.Logger, io.Closer, error) {
	lv, err := optLogLevel(level)
	if err != nil {
		return nil, nil, fmt.Errorf("bad log level %q: %w", level, err)
	}
	w, closer := stderr, io.Closer(logNopCloser{})
	if logfile != "" {
		f, err := os.OpenFile(logfile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, mode)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to open log file: %w", err)
		}
		w, closer = f, f
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	if host == "" {
		host = "localhost"
	}
	h := &logHandler{out: &logOutput{w: w}, level: lv, host: host, name: "locust"}
	return slog.New(h), closer, nil
}

type logNopCloser struct{}

func (logNopCloser) Close() error { return nil }

// logOutput serialises writes of whole records from every handler derived
// from one logger.
type logOutput struct {
	mu sync.Mutex
	w  io.Writer
}

// logHandler is a slog.Handler writing Locust-style lines. Groups become
// key prefixes ("group.key"); attributes added with WithAttrs are
// pre-formatted.
type logHandler struct {
	out    *logOutput
	level  slog.Leveler
	host   string
	name   string
	prefix string // group prefix for keys, "g1.g2."
	attrs  []byte // pre-formatted " key=value" pairs
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteByte('[')
	b.WriteString(t.Format("2006-01-02 15:04:05,000"))
	b.WriteString("] ")
	b.WriteString(h.host)
	b.WriteByte('/')
	b.WriteString(logLevelName(r.Level))
	b.WriteByte('/')
	b.WriteString(h.name)
	b.WriteString(": ")
	b.WriteString(r.Message)
	b.Write(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		logAppendAttr(&b, h.prefix, a)
		return true
	})
	b.WriteByte('\n')
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := h.out.w.Write(b.Bytes())
	return err
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	var b bytes.Buffer
	b.Write(h.attrs)
	for _, a := range as {
		logAppendAttr(&b, h.prefix, a)
	}
	h2.attrs = b.Bytes()
	return &h2
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// logLevelName returns Locust's (Python's) name of a level.
func logLevelName(l slog.Level) string {
	switch {
	case l >= logLevelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

func logAppendAttr(b *bytes.Buffer, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			logAppendAttr(b, p, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(logQuote(prefix + a.Key))
	b.WriteByte('=')
	var s string
	if a.Value.Kind() == slog.KindTime {
		s = a.Value.Time().Format(time.RFC3339Nano)
	} else {
		s = a.Value.String()
	}
	b.WriteString(logQuote(s))
}

// logQuote quotes s when it is empty or has spaces, quotes, '=' or
// non-printable characters, so that values from targets and user code
// cannot forge log lines.
func logQuote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == ' ' || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
