package webui

import (
	"bytes"
	"net/http"
	"sync"
)

// DefaultLogLines is how many log lines a [LogRing] made with a size of
// 0 keeps.
const DefaultLogLines = 500

// maxLogLine is the longest line a LogRing keeps; longer ones are cut.
const maxLogLine = 4096

// LogRing keeps the latest lines of the program's log for the Logs tab
// (GET /logs), as Locust's web UI shows them: a bounded ring, the oldest
// line dropped first. It is an [io.Writer] of whole lines; a Write may hold
// several lines, and a line without its newline is kept as it is. It is
// safe for concurrent use.
type LogRing struct {
	mu    sync.Mutex
	lines []string
	next  int // where the next line goes once the ring is full
	size  int
}

// NewLogRing returns a ring of size lines; 0 means [DefaultLogLines].
func NewLogRing(size int) *LogRing {
	if size <= 0 {
		size = DefaultLogLines
	}
	return &LogRing{size: size}
}

// Write adds the lines of p.
func (l *LogRing) Write(p []byte) (int, error) {
	n := len(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(p) > 0 {
		line, rest, _ := bytes.Cut(p, []byte{'\n'})
		p = rest
		if len(line) > maxLogLine {
			line = append(line[:maxLogLine:maxLogLine], "…"...)
		}
		s := string(line)
		if len(l.lines) < l.size {
			l.lines = append(l.lines, s)
			continue
		}
		l.lines[l.next] = s
		l.next = (l.next + 1) % l.size
	}
	return n, nil
}

// Lines returns the kept lines, oldest first.
func (l *LogRing) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.lines))
	out = append(out, l.lines[l.next:]...)
	return append(out, l.lines[:l.next]...)
}

// logsResponse is GET /logs, in Locust's shape: the master's (or the
// local runner's) lines and, by worker id, the workers' lines. Workers do
// not forward their log: Workers is always empty.
type logsResponse struct {
	Master  []string            `json:"master"`
	Workers map[string][]string `json:"workers"`
}

func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	resp := logsResponse{Master: []string{}, Workers: map[string][]string{}}
	if s.opts.Logs != nil {
		resp.Master = s.opts.Logs.Lines()
	}
	writeJSON(w, http.StatusOK, resp)
}
