package locust

import (
	"context"
	"encoding/base64"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/distributed"
	"github.com/golocust/locust/webui"
)

// optVars are the variables of one program's own options.
type optVars struct {
	region *Choice
	token  *Secret
	basket int
	vip    bool
}

// optRegister registers v's options on a new flag set, as Program.Flags.
func optRegister(t *testing.T, v *optVars) *programOptions {
	t.Helper()
	v.region = &Choice{Choices: []string{"us", "eu"}, Value: "us"}
	v.token = NewSecret("")
	v.basket = 1
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.String("host", "", "a golocust option")
	po, err := registered(fs, func(fs *flag.FlagSet) {
		fs.Var(v.region, "region", "Region.")
		fs.Var(v.token, "api-token", "Token.")
		fs.IntVar(&v.basket, "basket", v.basket, "Items.")
		fs.BoolVar(&v.vip, "vip", false, "VIP.")
	})
	if err != nil {
		t.Fatal(err)
	}
	return po
}

type optHitUser struct{ HTTPUser }

// optHitClass asks for /REGION/BASKET with the token in X-Token.
func optHitClass(v *optVars) *Class[*optHitUser] {
	return &Class[*optHitUser]{Name: "Hit", New: func() *optHitUser { return &optHitUser{} }, Wait: Constant(10 * time.Millisecond),
		Tasks: []Task[*optHitUser]{{Name: "hit", Weight: 1, Fn: func(u *optHitUser, ctx context.Context) error {
			u.Client.Get(ctx, "/"+v.region.Value+"/"+strconv.Itoa(v.basket), Header("X-Token", v.token.Value()), Name("/hit"))
			return nil
		}}}}
}

// optSeen is a target that counts what it was asked for.
type optSeen struct {
	mu   sync.Mutex
	seen map[string]int
}

func optTargetServer(t *testing.T) (*httptest.Server, *optSeen) {
	s := &optSeen{seen: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen[r.URL.Path+" "+r.Header.Get("X-Token")]++
		s.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	return ts, s
}

func (s *optSeen) has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[k] > 0
}

// TestWebUIProgramOptionsAPI: POST /swarm validates the program's options
// by kind with a 400 naming the field, applies them to the test it starts
// (the users see them), refuses a change while the test runs, and never
// sends a secret back (answer, hello, audit).
func TestWebUIProgramOptionsAPI(t *testing.T) {
	var v optVars
	po := optRegister(t, &v)
	target, seen := optTargetServer(t)
	log := slog.New(slog.DiscardHandler)
	r, err := NewLocalRunner(Config{Classes: []UserClass{optHitClass(&v)}, Host: target.URL, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	b := newWebUIBridge(r, webui.Info{Program: "test", Host: target.URL, Users: 1, SpawnRate: 1, Classes: []string{"Hit"}}, log)
	b.prog = po
	srv, err := webui.New(b, &webui.Options{Logger: log, Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	post := func(form url.Values) (*http.Response, string) {
		req, _ := http.NewRequest("POST", ts.URL+"/swarm", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("admin", "pw")
		return webuiDo(t, req)
	}
	start := func(kv ...string) url.Values {
		f := url.Values{"user_count": {"1"}, "spawn_rate": {"10"}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	for _, tc := range []struct {
		kv    []string
		field string
		msg   string
	}{
		{[]string{"basket", "many"}, "basket", `basket must be a number, got \"many\"`},
		{[]string{"basket", "2.5"}, "basket", `basket: invalid value \"2.5\": parse error (allowed: an integer)`},
		{[]string{"region", "mars"}, "region", "region must be one of us, eu"},
		{[]string{"vip", "maybe"}, "vip", "vip must be true or false"},
		{[]string{"host2", "x"}, "host2", `unknown field \"host2\"`},
		{[]string{"region", "eu", "basket", "2.5"}, "basket", "invalid value"},
	} {
		resp, body := post(start(tc.kv...))
		if resp.StatusCode != 400 || !strings.Contains(body, `"field":"`+tc.field+`"`) || !strings.Contains(body, tc.msg) {
			t.Errorf("%q: %d %s; want 400 naming %s with %q", tc.kv, resp.StatusCode, body, tc.field, tc.msg)
		}
	}
	if v.region.Value != "us" || v.basket != 1 || r.State() != StateReady {
		t.Fatalf("a refused start changed the options (all or none): region %s basket %d, state %s", v.region.Value, v.basket, r.State())
	}

	resp, body := post(start("region", "eu", "basket", "4", "vip", "true", "api-token", "tok-SECRET-1"))
	if resp.StatusCode != 200 || strings.Contains(body, "tok-SECRET-1") {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "the target to see the form's values", func() bool { return seen.has("/eu/4 tok-SECRET-1") })
	// While the test runs: the same values pass (an edit), a change is refused.
	if resp, body := post(start("region", "eu", "basket", "4")); resp.StatusCode != 200 {
		t.Errorf("edit with the same options: %d %s", resp.StatusCode, body)
	}
	if resp, body := post(start("region", "us")); resp.StatusCode != 400 || !strings.Contains(body, `"field":"region"`) || !strings.Contains(body, "cannot change while a test runs") {
		t.Errorf("changing an option while running: %d %s", resp.StatusCode, body)
	}
	if v.region.Value != "eu" {
		t.Errorf("region changed while running: %s", v.region.Value)
	}

	// The hello message has the current values but not the secret's.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hdr := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	_, hello, err := c.Read(ctx)
	c.Close(websocket.StatusNormalClosure, "")
	if err != nil || strings.Contains(string(hello), "tok-SECRET-1") || !strings.Contains(string(hello), `{"name":"region","kind":"choice","choices":["us","eu"],"value":"eu"`) ||
		!strings.Contains(string(hello), `{"name":"api-token","kind":"text","secret":true,"value":""`) {
		t.Errorf("hello %v: %s", err, hello)
	}
	// The audit log has the start, with the secret redacted.
	req, _ := http.NewRequest("GET", ts.URL+"/audit", nil)
	req.SetBasicAuth("admin", "pw")
	if resp, body := webuiDo(t, req); resp.StatusCode != 200 || strings.Contains(body, "tok-SECRET-1") || !strings.Contains(body, `"option.region":"eu"`) {
		t.Errorf("audit %d: %s", resp.StatusCode, body)
	}

	// A new test: an empty secret keeps the value.
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp, body := post(start("region", "us", "api-token", "")); resp.StatusCode != 200 {
		t.Fatalf("restart: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "the second test's values", func() bool { return seen.has("/us/4 tok-SECRET-1") })
}

// TestProgramOptionsApply: apply sets all of its values or none, refuses
// names that are not the program's (a golocust option included), and
// option kinds follow the flags' types.
func TestProgramOptionsApply(t *testing.T) {
	var v optVars
	po := optRegister(t, &v)
	if err := po.apply(map[string]string{"region": "eu", "basket": "x"}); err == nil || !strings.Contains(err.Error(), "basket") {
		t.Errorf("bad basket: %v", err)
	}
	if err := po.apply(map[string]string{"host": "http://evil.example", "region": "eu"}); err == nil || !strings.Contains(err.Error(), "not an option of this program") {
		t.Errorf("a golocust option through the program options: %v", err)
	}
	if v.region.Value != "us" || v.basket != 1 {
		t.Errorf("a refused apply changed values: %s %d", v.region.Value, v.basket)
	}
	var none *programOptions
	if err := none.apply(map[string]string{"region": "eu"}); err == nil || !strings.Contains(err.Error(), "no option") {
		t.Errorf("no program options: %v", err)
	}
	if err := none.apply(nil); err != nil {
		t.Error(err)
	}
	got := map[string]string{}
	for _, oi := range po.infos() {
		got[oi.Name] = oi.Kind + "/" + strconv.FormatBool(oi.Secret)
	}
	want := map[string]string{"region": "choice/false", "api-token": "text/true", "basket": "number/false", "vip": "checkbox/false"}
	if len(got) != len(want) {
		t.Errorf("infos %v", got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("option %s: %s, want %s", k, got[k], w)
		}
	}
	_ = v.token.Set("hidden")
	var fs flag.FlagSet
	fs.Var(v.token, "t", "")
	if s := v.token.String(); s != "REDACTED" || strings.Contains(fs.Lookup("t").DefValue, "hidden") {
		t.Errorf("a secret shows %q", s)
	}
}

// TestWebUIProgramOptionsMaster: a master's form values reach the workers'
// programs (their own variables) with the test; a worker whose program
// lacks an option refuses the spawn instead of running without it.
func TestWebUIProgramOptionsMaster(t *testing.T) {
	var mv, wv optVars
	mpo, wpo := optRegister(t, &mv), optRegister(t, &wv)
	target, seen := optTargetServer(t)
	log := slog.New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMasterRunner(Config{Classes: []UserClass{optHitClass(&mv)}, Host: target.URL, Logger: log},
		MasterOptions{Listener: ln, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorkerRunner(Config{Classes: []UserClass{optHitClass(&wv)}, Logger: log},
		WorkerOptions{MasterAddr: ln.Addr().String(), ReportInterval: 200 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.prog = wpo
	wctx, wcancel := context.WithCancel(context.Background())
	wdone := make(chan error, 1)
	go func() { wdone <- w.Run(wctx) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Quit(ctx)
		wcancel()
		<-wdone
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitWorkers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	b := newWebUIBridge(m, webui.Info{Program: "test", Host: target.URL, Users: 1, SpawnRate: 1, Classes: []string{"Hit"}}, log)
	b.prog = mpo
	srv, err := webui.New(b, &webui.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	form := url.Values{"user_count": {"2"}, "spawn_rate": {"20"}, "region": {"eu"}, "basket": {"7"}, "api-token": {"w-tok"}}
	if resp, body := webuiPostForm(t, ts.URL+"/swarm", form); resp.StatusCode != 200 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "the workers' users to use the form's values", func() bool { return seen.has("/eu/7 w-tok") })
	if mv.region.Value != "eu" {
		t.Errorf("the master's own region is %s", mv.region.Value)
	}
	// A master asking for an option the worker's program lacks: refused,
	// with no user started.
	var other optVars
	w2, err := NewWorkerRunner(Config{Classes: []UserClass{optHitClass(&other)}, Logger: log},
		WorkerOptions{MasterAddr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	sp := &distributed.Spawn{Counts: map[string]int{"Hit": 1}, Rate: 1, Options: map[string]string{"region": "eu", "shoe-size": "44"}}
	if err := (*workerLoad)(w2).Spawn(sp); err == nil || !strings.Contains(err.Error(), "no option") || w2.UserCount() != 0 {
		t.Errorf("a worker without the option: %v, %d users", err, w2.UserCount())
	}
	w2.prog = optRegister(t, &other)
	if err := (*workerLoad)(w2).Spawn(sp); err == nil || !strings.Contains(err.Error(), "shoe-size") || other.region.Value != "us" {
		t.Errorf("a worker whose program lacks one option: %v, region %s", err, other.region.Value)
	}
}
