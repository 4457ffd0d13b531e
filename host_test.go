package locust_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/golocust/locust"
)

type hostHTTPUser struct{ locust.HTTPUser }
type hostFastUser struct{ locust.FastHTTPUser }

func hostNoop[U any](U, context.Context) error { return nil }

// RunTest refuses, before anything runs, a class of HTTP (or fast HTTP)
// users without a host, naming every such class and the option; a class
// with its own Host, or whose users make no HTTP requests, needs none.
func TestRunTestRefusesMissingHost(t *testing.T) {
	web := &locust.Class[*hostHTTPUser]{Name: "Web", New: func() *hostHTTPUser { return &hostHTTPUser{} },
		Tasks: []locust.Task[*hostHTTPUser]{{Name: "t", Weight: 1, Fn: hostNoop[*hostHTTPUser]}}}
	fast := &locust.Class[*hostFastUser]{Name: "Fast", New: func() *hostFastUser { return &hostFastUser{} },
		Tasks: []locust.Task[*hostFastUser]{{Name: "t", Weight: 1, Fn: hostNoop[*hostFastUser]}}}
	plain := &locust.Class[*struct{}]{Name: "Plain", New: func() *struct{} { return &struct{}{} },
		Tasks: []locust.Task[*struct{}]{{Name: "t", Weight: 1, Fn: hostNoop[*struct{}]}}}
	own := &locust.Class[*hostHTTPUser]{Name: "Own", Host: "http://127.0.0.1:1", New: func() *hostHTTPUser { return &hostHTTPUser{} },
		Tasks: []locust.Task[*hostHTTPUser]{{Name: "t", Weight: 1, Fn: hostNoop[*hostHTTPUser]}}}
	bad := &locust.Class[*hostHTTPUser]{Name: "Bad", Host: "127.0.0.1:8080", New: func() *hostHTTPUser { return &hostHTTPUser{} },
		Tasks: []locust.Task[*hostHTTPUser]{{Name: "t", Weight: 1, Fn: hostNoop[*hostHTTPUser]}}}
	run := func(host string, classes ...locust.UserClass) error {
		_, err := locust.RunTest(context.Background(), locust.Config{Classes: classes, Host: host, Users: 1, SpawnRate: 1,
			Iterations: 1, Logger: slog.New(slog.DiscardHandler)})
		return err
	}
	err := run("", web, fast, plain, own)
	if err == nil || !strings.Contains(err.Error(), `"Web", "Fast"`) || !strings.Contains(err.Error(), "Config.Host") {
		t.Errorf("missing hosts: %v; want an error naming Web, Fast and Config.Host", err)
	}
	if err := run("", bad); err == nil || !strings.Contains(err.Error(), `"Bad"`) || !strings.Contains(err.Error(), "127.0.0.1:8080") {
		t.Errorf("malformed Class.Host: %v", err)
	}
	if err := run("", plain, own); err != nil {
		t.Errorf("classes that need no host: %v", err)
	}
}
