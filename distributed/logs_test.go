package distributed_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/distributed"
)

// logSink collects what MasterConfig.OnLogs receives.
type logSink struct {
	mu    sync.Mutex
	lines map[string][]string
}

func (s *logSink) add(worker string, lines []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lines == nil {
		s.lines = map[string][]string{}
	}
	s.lines[worker] = append(s.lines[worker], lines...)
}

func (s *logSink) of(worker string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines[worker]...)
}

// TestWorkerForwardsLogLines: a real worker's lines reach the master's
// OnLogs, cut to MaxLogLineBytes and without control characters.
func TestWorkerForwardsLogLines(t *testing.T) {
	sink := &logSink{}
	m, _ := newMaster(t, distributed.MasterConfig{OnLogs: sink.add})
	fwd := distributed.NewLogForwarder()
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "logger_1", Logs: fwd})
	waitFor(t, "the worker", w.Connected)
	fmt.Fprintf(fwd, "first line\nsecond \x1b[31mred\x1b[0m line\n%s\n", strings.Repeat("é", 1000))
	waitFor(t, "three lines on the master", func() bool { return len(sink.of("logger_1")) == 3 })
	got := sink.of("logger_1")
	if got[0] != "first line" || got[1] != "second [31mred[0m line" {
		t.Errorf("lines %q", got[:2])
	}
	if len(got[2]) > distributed.MaxLogLineBytes || !strings.HasSuffix(got[2], "…") {
		t.Errorf("a long line arrived as %d bytes: %q...", len(got[2]), got[2][:20])
	}
}

// TestLogForwarderBounded: a worker whose log floods keeps at most
// MaxPendingLogLines and tells the master how many it dropped.
func TestLogForwarderBounded(t *testing.T) {
	sink := &logSink{}
	m, _ := newMaster(t, distributed.MasterConfig{OnLogs: sink.add})
	fwd := distributed.NewLogForwarder()
	for i := range distributed.MaxPendingLogLines + 500 {
		fmt.Fprintf(fwd, "line %d\n", i)
	}
	w, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: m.Addr().String(), ID: "flood_1", Logs: fwd})
	waitFor(t, "the worker", w.Connected)
	waitFor(t, "the first message", func() bool { return len(sink.of("flood_1")) > 0 })
	got := sink.of("flood_1")
	if got[0] != "[500 log lines were not forwarded: more than 1000 waited]" || got[1] != "line 0" {
		t.Errorf("first lines %q", got[:2])
	}
	if len(got) > distributed.MaxLogLines {
		t.Errorf("%d lines in the first second, want at most %d", len(got), distributed.MaxLogLines)
	}
}

// TestMasterLimitsAFloodingWorker is an attacker with the cluster token
// that sends log messages as fast as it can: the master passes at most
// its burst plus its rate, warns once, keeps the connection and the other
// workers, and closes the connection of a message over the bounds.
func TestMasterLimitsAFloodingWorker(t *testing.T) {
	sink := &logSink{}
	m, logs := newMaster(t, distributed.MasterConfig{Token: "t0k", OnLogs: sink.add})
	addr := m.Addr().String()
	good, _ := runWorker(t, distributed.WorkerConfig{MasterAddr: addr, Token: "t0k", ID: "good_1"})
	waitFor(t, "the good worker", good.Connected)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// dial connects a fake worker id and returns how it sends.
	dial := func(id string) func(b []byte) error {
		c, _, err := websocket.Dial(ctx, "ws://"+addr+distributed.WorkerPath, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer t0k"}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		send := func(b []byte) error { return c.Write(ctx, websocket.MessageBinary, b) }
		if err := send(mustEncode(t, &distributed.Hello{Version: distributed.ProtocolVersion, WorkerID: id, Classes: []string{"A"}})); err != nil {
			t.Fatal(err)
		}
		go func() { // drain the welcome and what follows
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		return send
	}
	send := dial("evil_1")
	lines := make([]string, distributed.MaxLogLines)
	for i := range lines {
		lines[i] = strings.Repeat("x", distributed.MaxLogLineBytes)
	}
	start := time.Now()
	const msgs = 40 // 4,000 lines of 1 KiB, 10 times the burst
	flood := mustEncode(t, &distributed.Logs{Lines: lines})
	for range msgs {
		if err := send(flood); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the master's warning", func() bool { return strings.Contains(logs.String(), "lines dropped") })
	elapsed := time.Since(start)
	got := len(sink.of("evil_1"))
	limit := distributed.LogLinesBurst + int((elapsed.Seconds()+1)*distributed.LogLinesPerSecond)
	if got == 0 || got > limit || got >= msgs*distributed.MaxLogLines {
		t.Errorf("the master took %d of %d lines in %v; want some, at most %d", got, msgs*distributed.MaxLogLines, elapsed, limit)
	}
	if n := strings.Count(logs.String(), "lines dropped"); n != 1 {
		t.Errorf("%d warnings about dropped lines, want 1 (at most one a minute):\n%s", n, logs)
	}
	if !good.Connected() {
		t.Error("the flood cost the good worker its connection")
	}

	// A line over the bound is a malformed message: the connection ends.
	send = dial("evil_2")
	b := []byte{byte(distributed.KindLogs)}
	hdr := []byte(`{"lines":["` + strings.Repeat("y", distributed.MaxLogLineBytes+1) + `"]}`)
	b = append(append(b, byte(len(hdr)&0x7f|0x80), byte(len(hdr)>>7)), hdr...)
	if err := send(b); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the connection closed", func() bool {
		return strings.Contains(logs.String(), "worker sent a malformed message") && strings.Contains(logs.String(), "1025 bytes long")
	})
	if !good.Connected() {
		t.Error("the good worker lost its connection")
	}
}
