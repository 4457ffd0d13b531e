package locust

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocust/locust/webui"
)

type webuiHostUser struct{ HTTPUser }

func (u *webuiHostUser) get(ctx context.Context) error {
	u.Client.Get(ctx, "/")
	return nil
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// webuiHostServer serves the UI of a LocalRunner of one HTTP class
// without a Class.Host; host is -H (empty: not given).
func webuiHostServer(t *testing.T, host string) (*httptest.Server, *syncBuffer) {
	t.Helper()
	class := &Class[*webuiHostUser]{Name: "Web", New: func() *webuiHostUser { return &webuiHostUser{} },
		Wait:  Constant(50 * time.Millisecond),
		Tasks: []Task[*webuiHostUser]{{Name: "get", Weight: 1, Fn: (*webuiHostUser).get}}}
	r, err := NewLocalRunner(Config{Classes: []UserClass{class}, Host: host, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	info := webui.Info{Program: "test", Version: "dev", Host: host, Users: 1, SpawnRate: 1, Classes: []string{"Web"}}
	srv, err := webui.New(newWebUIBridge(r, info, log), &webui.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, logs
}

// Without -H and without a host in the form, the web UI refuses the start
// with a 400 naming the host field, instead of running users that cannot
// make a request.
func TestWebUIRefusesStartWithoutHost(t *testing.T) {
	ts, _ := webuiHostServer(t, "")
	resp, body := webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}})
	var e struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	if resp.StatusCode != http.StatusBadRequest || e.Field != "host" || !strings.Contains(e.Message, `"Web"`) {
		t.Fatalf("POST /swarm without a host: %d %s; want 400 naming the host field and the class", resp.StatusCode, body)
	}
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer target.Close()
	resp, body = webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}, "host": {target.URL}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST /swarm with a host: %d %s", resp.StatusCode, body)
	}
}

// The start's log line shows the test's host, -H's when the form leaves
// the field empty, never host="".
func TestWebUIStartLogsTheHost(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer target.Close()
	ts, logs := webuiHostServer(t, target.URL)
	resp, body := webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /swarm: %d %s", resp.StatusCode, body)
	}
	if out := logs.String(); !strings.Contains(out, "host="+target.URL) {
		t.Errorf("the start log does not show host=%s:\n%s", target.URL, out)
	}
}
