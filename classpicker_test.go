package locust

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/golocust/locust/webui"
)

func waitCounts(t *testing.T, what string, counts func() map[string]int, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !maps.Equal(counts(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: counts %v, want %v", what, counts(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func postSwarm(t *testing.T, base string, form url.Values) {
	t.Helper()
	resp, body := webuiPostForm(t, base+"/swarm", form)
	if resp.StatusCode != 200 {
		t.Fatalf("POST /swarm %v: %d %s", form, resp.StatusCode, body)
	}
}

// TestClassPickerLocal: the class picker's list is Locust's user_classes
// on a local runner: at 3 users of 3 classes, 4 users of [User1] end
// with {2,1,1}; going down stops the newest users first.
func TestClassPickerLocal(t *testing.T) {
	mk := func(name string) UserClass {
		return &Class[*webuiTestUser]{Name: name, New: func() *webuiTestUser { return &webuiTestUser{} },
			Wait:  Constant(time.Hour),
			Tasks: []Task[*webuiTestUser]{{Name: "work", Weight: 1, Fn: (*webuiTestUser).work}}}
	}
	r, err := NewLocalRunner(Config{Classes: []UserClass{mk("User1"), mk("User2"), mk("User3")}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	info := webui.Info{Program: "test", Host: "http://127.0.0.1:1", Users: 1, SpawnRate: 1, Classes: []string{"User1", "User2", "User3"}, ClassPicker: true}
	srv, err := webui.New(newWebUIBridge(r, info, slog.New(slog.DiscardHandler)), &webui.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	postSwarm(t, ts.URL, url.Values{"user_count": {"3"}, "spawn_rate": {"100"}})
	waitCounts(t, "3 users", r.UserCounts, map[string]int{"User1": 1, "User2": 1, "User3": 1})
	postSwarm(t, ts.URL, url.Values{"user_count": {"4"}, "spawn_rate": {"100"}, "user_classes": {"User1"}})
	waitCounts(t, "4 of [User1]", r.UserCounts, map[string]int{"User1": 2, "User2": 1, "User3": 1})
	postSwarm(t, ts.URL, url.Values{"user_count": {"6"}, "spawn_rate": {"100"}, "user_classes": {"User3", "User2"}})
	waitCounts(t, "6 of [User2 User3]", r.UserCounts, map[string]int{"User1": 2, "User2": 2, "User3": 2})
	postSwarm(t, ts.URL, url.Values{"user_count": {"4"}, "spawn_rate": {"100"}, "user_classes": {"User1"}})
	waitCounts(t, "down to 4: the newest stop", r.UserCounts, map[string]int{"User1": 2, "User2": 1, "User3": 1})
}

// TestClassPickerMaster: the class picker works on a master, with the
// same meaning as on a local runner.
func TestClassPickerMaster(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	ts, m := masterUIClusterPicker(t, true)
	postSwarm(t, ts.URL, url.Values{"user_count": {"2"}, "spawn_rate": {"100"}, "host": {target.URL}})
	waitCounts(t, "2 users", m.UserCounts, map[string]int{"Alpha": 1, "Beta": 1})
	postSwarm(t, ts.URL, url.Values{"user_count": {"5"}, "spawn_rate": {"100"}, "user_classes": {"Beta"}})
	waitCounts(t, "5 of [Beta]", m.UserCounts, map[string]int{"Alpha": 1, "Beta": 4})
	v := masterUIView(t, ts.URL)
	if fmt.Sprint(v.UserClasses) != "map[Alpha:1 Beta:4]" {
		t.Errorf("view classes %v", v.UserClasses)
	}
}
