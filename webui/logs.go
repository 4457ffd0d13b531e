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
	for line := range bytes.Lines(p) {
		line = bytes.TrimSuffix(line, []byte{'\n'})
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

// DefaultWorkerLogLines is how many lines a [WorkerLogRing] made with a
// size of 0 keeps, over all workers.
const DefaultWorkerLogLines = 1000

// WorkerLogRing keeps the latest log lines the workers of a distributed
// test forwarded, for the Logs tab (GET /logs): one bounded ring over all
// workers, each line with its worker's id, the oldest dropped first.
// Lines longer than 4096 bytes are cut. It is safe for concurrent use.
type WorkerLogRing struct {
	mu    sync.Mutex
	lines []workerLine
	next  int
	size  int
}

type workerLine struct{ worker, line string }

// NewWorkerLogRing returns a ring of size lines; 0 means
// [DefaultWorkerLogLines].
func NewWorkerLogRing(size int) *WorkerLogRing {
	if size <= 0 {
		size = DefaultWorkerLogLines
	}
	return &WorkerLogRing{size: size}
}

// Add keeps lines of the worker.
func (r *WorkerLogRing) Add(worker string, lines []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range lines {
		if len(l) > maxLogLine {
			l = truncate(l, maxLogLine)
		}
		wl := workerLine{worker, l}
		if len(r.lines) < r.size {
			r.lines = append(r.lines, wl)
			continue
		}
		r.lines[r.next] = wl
		r.next = (r.next + 1) % r.size
	}
}

// Lines returns the kept lines by worker id, oldest first.
func (r *WorkerLogRing) Lines() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for _, part := range [][]workerLine{r.lines[r.next:], r.lines[:r.next]} {
		for _, wl := range part {
			out[wl.worker] = append(out[wl.worker], wl.line)
		}
	}
	return out
}

// logsResponse is GET /logs, in Locust's shape: the master's (or the
// local runner's) lines and, by worker id, the lines the workers
// forwarded (distributed mode).
type logsResponse struct {
	Master  []string            `json:"master"`
	Workers map[string][]string `json:"workers"`
}

func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	resp := logsResponse{Master: []string{}, Workers: map[string][]string{}}
	if s.opts.Logs != nil {
		resp.Master = s.opts.Logs.Lines()
	}
	if s.opts.WorkerLogs != nil {
		resp.Workers = s.opts.WorkerLogs.Lines()
	}
	writeJSON(w, http.StatusOK, resp)
}
