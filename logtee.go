package locust

// The program's log also goes to a bounded ring of lines that the web
// UI's Logs tab shows (GET /logs), as Locust's does.

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/golocust/locust/webui"
)

// teeHandler sends each record to two handlers, each filtering by its own
// level.
type teeHandler struct{ a, b slog.Handler }

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.a.Enabled(ctx, l) || h.b.Enabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.a.Enabled(ctx, r.Level) {
		err = h.a.Handle(ctx, r.Clone())
	}
	if h.b.Enabled(ctx, r.Level) {
		_ = h.b.Handle(ctx, r) // the ring cannot fail
	}
	return err
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{h.a.WithAttrs(as), h.b.WithAttrs(as)}
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{h.a.WithGroup(name), h.b.WithGroup(name)}
}

// withLogRing returns log that also writes its records at level and above
// to ring, in Locust's line format.
func withLogRing(log *slog.Logger, ring *webui.LogRing, level slog.Level) *slog.Logger {
	return withLogWriter(log, ring, level)
}

// withLogWriter returns log that also writes its records at level and
// above to w (whole lines), in Locust's line format: the web UI's ring,
// a worker's forwarder to its master.
func withLogWriter(log *slog.Logger, ring io.Writer, level slog.Level) *slog.Logger {
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	if host == "" {
		host = "localhost"
	}
	rh := &logHandler{out: &logOutput{w: ring}, level: level, host: host, name: "locust"}
	return slog.New(teeHandler{log.Handler(), rh})
}
