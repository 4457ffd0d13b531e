package locust

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParityOptionsAccepted: Locust's options parse from the command line,
// the environment and locust.conf, and check their values.
func TestParityOptionsAccepted(t *testing.T) {
	o, _ := optParse(t, "profile = nightly\nequal-weights = true\n", map[string]string{"LOCUST_WEB_BASE_PATH": "/"},
		"-f", "locustfile.py", "--json-file", "out", "--enable-rebalancing", "--skip-log-setup", "--web-login", "--web-auth", "a:b", "--show-task-ratio")
	p := o.parity
	if p.locustfile != "locustfile.py" || o.hist.profile != "nightly" || !p.equalWeights || p.webBasePath != "/" ||
		p.jsonFilePath() != "out.json" || !p.enableRebalancing || !p.skipLogSetup || !p.webLogin || !p.showTaskRatio {
		t.Errorf("parsed %+v", p)
	}
	if w := p.warnings(); len(w) != 1 || !strings.Contains(w[0], "locustfile.py is ignored") {
		t.Errorf("warnings %q", w)
	}
	if _, err := o.config(optTestClasses("A")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--web-base-path", "locust"}, "must start with /"},
		{[]string{"--web-base-path", "/a/../b"}, "has a . or .. segment"},
		{[]string{"--web-base-path", "/a?x=1"}, "has a query"},
		{[]string{"--web-base-path", "/a//b"}, "empty segment"},
		{[]string{"--web-base-path", "/a%2fb"}, "has the character '%'"},
		{[]string{"--enable-rebalancing", "--no-rebalance"}, "contradict"},
		{[]string{"--web-login"}, "needs accounts"},
		{[]string{"--config-users", `{"user_class_name": "Nope", "weight": 2}`}, `unknown user class "Nope"`},
		{[]string{"--config-users", `{"user_class_name": "A", "weight": 0}`}, "weight is 0"},
		{[]string{"--config-users", `{"user_class_name": "A", "fixed_count": -1}`}, "fixed_count is -1"},
		{[]string{"--config-users", `{"user_class_name": "A", "tasks": ["x"]}`}, "allowed keys"},
		{[]string{"--config-users", `{"weight": 1}`}, "no user_class_name"},
		{[]string{"--config-users", `missing.json`}, "cannot read it as a file"},
	} {
		o, _, err := optTryParse(t, "", nil, tc.args...)
		if err == nil {
			_, err = o.config(optTestClasses("A"))
		}
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want an error containing %q", tc.args, err, tc.msg)
		}
	}
}

// TestConfigUsers: --config-users changes weights, fixed counts and hosts,
// from JSON on the command line and from a file.
func TestConfigUsers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(file, []byte(`[{"user_class_name": "B", "fixed_count": 2, "host": "http://127.0.0.1:9"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	o, _ := optParse(t, "", nil, "--config-users", `{"user_class_name": "A", "weight": 3}`, "--config-users", file)
	fn := func(*ratioUser, context.Context) error { return nil }
	var classes []UserClass
	for _, n := range []string{"A", "B", "C"} {
		classes = append(classes, &Class[*ratioUser]{Name: n, New: func() *ratioUser { return &ratioUser{} }, Tasks: []Task[*ratioUser]{{Name: "t", Weight: 1, Fn: fn}}})
	}
	cfg, err := o.config(classes)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := compileClasses(cfg.Classes, tagFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]any{}
	for _, c := range rc {
		got[c.cc.name] = [3]any{c.cc.weight, c.cc.fixedCount, c.cc.host}
	}
	want := map[string][3]any{"A": {3, 0, ""}, "B": {1, 2, "http://127.0.0.1:9"}, "C": {1, 0, ""}}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("class %s: weight, fixed, host = %v, want %v", k, got[k], v)
		}
	}
}

type ratioUser struct{}

func ratioClasses() []UserClass {
	fn := func(*ratioUser, context.Context) error { return nil }
	nw := func() *ratioUser { return &ratioUser{} }
	return []UserClass{
		&Class[*ratioUser]{Name: "Shopper", Weight: 3, New: nw, Wait: Constant(time.Second), Tasks: []Task[*ratioUser]{
			{Name: "browse", Weight: 3, Fn: fn}, {Name: "buy", Weight: 1, Fn: fn}}},
		&Class[*ratioUser]{Name: "Admin", FixedCount: 1, New: nw, Wait: Constant(time.Second), Tasks: []Task[*ratioUser]{
			{Name: "report", Weight: 1, Fn: fn}}},
	}
}

// TestShowTaskRatio: the shares printed by --show-task-ratio[-json] use
// -u for fixed counts, and --equal-weights evens the tasks.
func TestShowTaskRatio(t *testing.T) {
	var out, errb strings.Builder
	p := &Program{Classes: ratioClasses(), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Dir: t.TempDir()}
	if code := p.Main(context.Background(), []string{"--show-task-ratio-json", "-u", "5"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r struct {
		PerClass map[string]struct {
			Ratio float64
			Tasks map[string]struct{ Ratio float64 }
		} `json:"per_class"`
		Total map[string]struct {
			Ratio float64
			Tasks map[string]struct{ Ratio float64 }
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if r.PerClass["Admin"].Ratio != 0.2 || r.PerClass["Shopper"].Ratio != 0.8 || r.PerClass["Shopper"].Tasks["browse"].Ratio != 0.75 ||
		r.Total["Shopper"].Tasks["buy"].Ratio != 0.2 {
		t.Errorf("ratios %s", out.String())
	}
	out.Reset()
	if code := p.Main(context.Background(), []string{"--show-task-ratio", "-u", "5", "--equal-weights"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"Task ratio per User class", "Total task ratio", "80.0", "50.0       browse", "40.0       buy", "20.0       Admin"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--show-task-ratio lacks %q:\n%s", want, out.String())
		}
	}
}
