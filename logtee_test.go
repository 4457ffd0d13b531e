package locust

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/golocust/locust/webui"
)

// The program's log reaches both its output and the ring the Logs tab
// shows, each at its level, attributes and groups included; GET /logs
// serves the ring to logged-in viewers only.
func TestLogsTab(t *testing.T) {
	var out bytes.Buffer
	base, _, err := newLogger("WARNING", "", &out)
	if err != nil {
		t.Fatal(err)
	}
	ring := webui.NewLogRing(10)
	log := withLogRing(base, ring, slog.LevelInfo)
	log.Info("hello from the program", "n", 1)
	log.WithGroup("g").With("a", "b").Warn("careful")
	lines := ring.Lines()
	if len(lines) != 2 || !strings.Contains(lines[0], "/INFO/locust: hello from the program n=1") ||
		!strings.Contains(lines[1], "/WARNING/locust: careful g.a=b") {
		t.Errorf("ring lines %q", lines)
	}
	if s := out.String(); strings.Contains(s, "hello") || !strings.Contains(s, "careful g.a=b") {
		t.Errorf("output at WARNING: %q", s)
	}

	ts, _ := webuiTestServer(t, &webui.Options{Username: "admin", Password: "pw", Logs: ring})
	req, _ := http.NewRequest("GET", ts.URL+"/logs", nil)
	if resp, _ := webuiDo(t, req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /logs without credentials: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", ts.URL+"/logs", nil)
	req.SetBasicAuth("admin", "pw")
	resp, body := webuiDo(t, req)
	var got struct {
		Master  []string            `json:"master"`
		Workers map[string][]string `json:"workers"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /logs: %d %s", resp.StatusCode, body)
	}
	if len(got.Master) != 2 || got.Workers == nil || len(got.Workers) != 0 {
		t.Errorf("GET /logs: %s", body)
	}
}
