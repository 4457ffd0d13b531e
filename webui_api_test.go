package locust

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/webui"
)

type webuiTestUser struct{}

func (webuiTestUser) work(ctx context.Context) error {
	return Measure(ctx, "rpc", "<b>work</b>", func(context.Context) error { return nil })
}

func webuiTestClasses() []UserClass {
	mk := func(name string) UserClass {
		return &Class[*webuiTestUser]{Name: name, New: func() *webuiTestUser { return &webuiTestUser{} },
			Wait:  Constant(20 * time.Millisecond),
			Tasks: []Task[*webuiTestUser]{{Name: "work", Weight: 1, Fn: (*webuiTestUser).work}}}
	}
	return []UserClass{mk("Alpha"), mk("Beta")}
}

// webuiTestServer serves the UI of a real LocalRunner.
func webuiTestServer(t *testing.T, opts *webui.Options) (*httptest.Server, *LocalRunner) {
	t.Helper()
	r, err := NewLocalRunner(Config{Classes: webuiTestClasses(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	info := webui.Info{Program: "test", Version: "dev", Host: "http://127.0.0.1:1", Users: 1, SpawnRate: 1, Classes: []string{"Alpha", "Beta"}, ClassPicker: true}
	if opts == nil {
		opts = &webui.Options{}
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	srv, err := webui.New(newWebUIBridge(r, info, opts.Logger), opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, r
}

func webuiDo(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func webuiGet(t *testing.T, u string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", u, nil)
	return webuiDo(t, req)
}

func webuiPostForm(t *testing.T, u string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return webuiDo(t, req)
}

func TestWebUISwarmValidation(t *testing.T) {
	ts, _ := webuiTestServer(t, nil)
	ok := url.Values{"user_count": {"2"}, "spawn_rate": {"5"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range ok {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string
		msg    string
	}{
		{"missing users", url.Values{"spawn_rate": {"1"}}, 400, "user_count", "user_count is required: an integer from 0 to 10000000"},
		{"users not a number", with("user_count", "ten"), 400, "user_count", `user_count must be an integer from 0 to 10000000, got "ten"`},
		{"negative users", with("user_count", "-1"), 400, "user_count", "from 0 to 10000000"},
		{"too many users", with("user_count", "10000001"), 400, "user_count", "from 0 to 10000000"},
		{"missing rate", url.Values{"user_count": {"1"}}, 400, "spawn_rate", "spawn_rate is required: a number of users per second greater than 0 and at most 1e+06"},
		{"zero rate", with("spawn_rate", "0"), 400, "spawn_rate", `spawn_rate must be a number greater than 0 and at most 1e+06, got "0"`},
		{"NaN rate", with("spawn_rate", "NaN"), 400, "spawn_rate", "greater than 0"},
		{"huge rate", with("spawn_rate", "2e6"), 400, "spawn_rate", "at most 1e+06"},
		{"host without scheme", with("host", "example.com"), 400, "host", "must start with a scheme such as http:// or https://"},
		{"host without name", with("host", "http:///x"), 400, "host", "has no valid host name"},
		{"host with space", with("host", "http://a b"), 400, "host", "spaces or control characters"},
		{"host too long", with("host", "http://a/"+strings.Repeat("x", 3000)), 400, "host", "too long: allowed up to 2048 bytes"},
		{"bad run time", with("run_time", "soon"), 400, "run_time", `invalid timespan "soon"`},
		{"run time too short", with("run_time", "10ms"), 400, "run_time", "from 1s to 366 days"},
		{"run time too long", with("run_time", "9000h"), 400, "run_time", "from 1s to 366 days"},
		{"unknown class", with("user_classes", "Gamma"), 400, "user_classes", `unknown user class "Gamma": allowed Alpha, Beta`},
		{"unknown field", with("users", "3"), 400, "users", `unknown field "users"`},
		{"repeated field", url.Values{"user_count": {"1", "2"}, "spawn_rate": {"1"}}, 400, "user_count", "given 2 times"},
		{"shape class", with("shape_class", "Steps"), 400, "shape_class", "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := webuiPostForm(t, ts.URL+"/swarm", tt.form)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var e struct {
				Success bool
				Field   string
				Message string
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			if e.Success || e.Field != tt.field || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("got %+v, want field %q and message containing %q", e, tt.field, tt.msg)
			}
		})
	}

	// Bodies: JSON with wrong types, unsupported content type, too large.
	for _, c := range []struct {
		name, ct, body string
		status         int
		field          string
	}{
		{"json not object", "application/json", `[1]`, 400, "body"},
		{"json bad type", "application/json", `{"user_count":{"a":1},"spawn_rate":1}`, 400, "user_count"},
		{"json bad list", "application/json", `{"user_count":1,"spawn_rate":1,"user_classes":[1]}`, 400, "user_classes"},
		{"json bad number", "application/json", `{"user_count":1.5,"spawn_rate":1}`, 400, "user_count"},
		{"xml", "text/xml", `<a/>`, 415, "Content-Type"},
		{"bad media type", "a/b; =", ``, 415, "Content-Type"},
		{"too large", "application/x-www-form-urlencoded", "user_count=1&spawn_rate=1&profile=" + strings.Repeat("x", 2<<20), 413, "body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.URL+"/swarm", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ct)
			resp, body := webuiDo(t, req)
			if resp.StatusCode != c.status || !strings.Contains(body, `"field":"`+c.field+`"`) {
				t.Errorf("status %d body %s, want %d naming %s", resp.StatusCode, body, c.status, c.field)
			}
		})
	}
}

func TestWebUIAPI(t *testing.T) {
	ts, r := webuiTestServer(t, nil)

	// Before a test: ready, only the Aggregated row.
	resp, body := webuiGet(t, ts.URL+"/stats/requests")
	if resp.StatusCode != 200 || !strings.Contains(body, `"state":"ready"`) || !strings.Contains(body, `"name":"Aggregated"`) {
		t.Fatalf("GET /stats/requests: %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}

	// JSON start with one class, as automation does.
	req, _ := http.NewRequest("POST", ts.URL+"/swarm", strings.NewReader(`{"user_count":3,"spawn_rate":100,"host":"http://127.0.0.1:9","run_time":"1h","user_classes":["Beta"]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, body = webuiDo(t, req)
	if resp.StatusCode != 200 || !strings.Contains(body, `"success":true`) || !strings.Contains(body, `"host":"http://127.0.0.1:9"`) {
		t.Fatalf("POST /swarm: %d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.UserCount() != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if c := r.UserCounts(); c["Beta"] != 3 || c["Alpha"] != 0 {
		t.Fatalf("user counts %v, want Beta:3 only", c)
	}
	// Edit the running test with a form, as Locust's UI does.
	resp, body = webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"100"}})
	if resp.StatusCode != 200 {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	for r.UserCount() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// A running test cannot change its host.
	resp, body = webuiPostForm(t, ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "host": {"http://127.0.0.1:8"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "host cannot change") {
		t.Errorf("host change while running: %d %s", resp.StatusCode, body)
	}
	for r.Snapshot().Total.Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	var v webui.View
	_, body = webuiGet(t, ts.URL+"/stats/requests")
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.State != "running" && v.State != "spawning" || len(v.Stats) != 2 || v.Stats[0].Name != "<b>work</b>" || v.Stats[1].Name != "Aggregated" {
		t.Errorf("view %+v", v)
	}
	for _, key := range []string{`"response_time_percentile_0.95"`, `"avg_content_length"`, `"current_response_time_percentiles"`, `"fail_ratio"`, `"total_rps"`, `"user_count"`,
		`"safe_name":"\u0026lt;b\u0026gt;work\u0026lt;/b\u0026gt;"`, `"ninetieth_response_time"`, `"ninety_ninth_response_time"`, `"current_response_time_percentile_95"`, `"method":null`} {
		if !strings.Contains(body, key) {
			t.Errorf("/stats/requests lacks %s", key)
		}
	}

	_, body = webuiGet(t, ts.URL+"/tasks")
	if !strings.Contains(body, `"per_class":{"Beta":{"ratio":1,"tasks":{"work":{"ratio":1}}}}`) {
		t.Errorf("/tasks: %s", body)
	}
	resp, body = webuiGet(t, ts.URL+"/stats/requests/csv")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "Type,Name,Request Count") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment; filename=Locust_") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "_test_127.0.0.1_9_requests.csv") {
		t.Errorf("requests csv: %v %q", resp.Header, body)
	}
	_, body = webuiGet(t, ts.URL+"/stats/failures/csv")
	if !strings.HasPrefix(body, "Method,Name,Error,Occurrences,First Seen,Last Seen") {
		t.Errorf("failures csv: %q", body)
	}
	_, body = webuiGet(t, ts.URL+"/exceptions/csv")
	if !strings.HasPrefix(body, "Count,Message,Traceback,Nodes") {
		t.Errorf("exceptions csv: %q", body)
	}
	_, body = webuiGet(t, ts.URL+"/exceptions")
	if body != "{\"exceptions\":[]}\n" {
		t.Errorf("/exceptions: %q", body)
	}
	_, body = webuiGet(t, ts.URL+"/stats/json")
	if !strings.Contains(body, `"schema_version"`) {
		t.Errorf("/stats/json: %.200s", body)
	}
	resp, body = webuiGet(t, ts.URL+"/stats/report")
	if resp.StatusCode != 200 || !strings.Contains(body, `id="report-data"`) || !strings.Contains(body, `\u003cb\u003ework\u003c/b\u003e`) ||
		strings.Contains(body, "<b>work</b>") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "'nonce-") {
		t.Errorf("report: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = webuiGet(t, ts.URL+"/stats/report?download=1&theme=dark")
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=Locust_") {
		t.Errorf("report download: %v", resp.Header)
	}

	resp, body = webuiGet(t, ts.URL+"/stats/reset")
	if resp.StatusCode != 405 || !strings.Contains(body, "send POST /stats/reset") {
		t.Errorf("GET reset: %d %q", resp.StatusCode, body)
	}
	resp, body = webuiPostForm(t, ts.URL+"/stats/reset", nil)
	if resp.StatusCode != 200 || body != "ok" {
		t.Errorf("reset: %d %q", resp.StatusCode, body)
	}
	resp, body = webuiGet(t, ts.URL+"/stop")
	if resp.StatusCode != 200 || body != "{\"success\":true,\"message\":\"Test stopped\"}\n" {
		t.Errorf("stop: %d %q", resp.StatusCode, body)
	}
	for r.State() != StateStopped && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.State() != StateStopped {
		t.Errorf("state %v after /stop", r.State())
	}

	// Query validation on every GET endpoint.
	for _, p := range []string{"/stop?x=1", "/stats/requests?x=1", "/stats/requests/csv?x=1", "/stats/failures/csv?x=1",
		"/exceptions?x=1", "/exceptions/csv?x=1", "/tasks?x=1", "/stats/json?x=1", "/stats/report?x=1"} {
		resp, body := webuiGet(t, ts.URL+p)
		if resp.StatusCode != 400 || !strings.Contains(body, `"field":"x"`) {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}
	for p, field := range map[string]string{"/stats/report?download=yes": "download", "/stats/report?theme=pink": "theme"} {
		resp, body := webuiGet(t, ts.URL+p)
		if resp.StatusCode != 400 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}
	// Pages and assets.
	for _, p := range []string{"/", "/assets/app.js", "/assets/app.css", "/favicon.ico"} {
		resp, _ := webuiGet(t, ts.URL+p)
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
			t.Errorf("GET %s: %d %v", p, resp.StatusCode, resp.Header)
		}
	}
	if resp, _ := webuiGet(t, ts.URL+"/assets/nope.js"); resp.StatusCode != 404 {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("DELETE", ts.URL+"/swarm", nil)
	if resp, _ := webuiDo(t, req); resp.StatusCode != 405 {
		t.Errorf("DELETE /swarm: %d", resp.StatusCode)
	}
}

func TestWebUICrossOrigin(t *testing.T) {
	ts, r := webuiTestServer(t, nil)
	form := url.Values{"user_count": {"1"}, "spawn_rate": {"1"}}
	for _, c := range []struct {
		name, method, path string
		hdr                map[string]string
	}{
		{"swarm from another site", "POST", "/swarm", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"swarm with foreign origin", "POST", "/swarm", map[string]string{"Origin": "http://evil.example"}},
		{"stop from another site", "POST", "/stop", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"reset from another origin", "POST", "/stats/reset", map[string]string{"Origin": "http://evil.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			resp, body := webuiDo(t, req)
			if resp.StatusCode != 403 || !strings.Contains(body, "cross-origin request refused") {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
		})
	}
	if r.State() != StateReady {
		t.Errorf("a refused request changed the state: %v", r.State())
	}
	// DNS rebinding: a loopback UI answers only to loopback names.
	req, _ := http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.Host = "rebind.evil.example"
	if resp, body := webuiDo(t, req); resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(body, `"field":"Host"`) {
		t.Errorf("foreign Host: %d %s", resp.StatusCode, body)
	}
	// The WebSocket refuses another origin and accepts its own.
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}}); err == nil {
		c.CloseNow()
		t.Error("WebSocket accepted a foreign Origin")
	} else if resp == nil || resp.StatusCode != 403 {
		t.Errorf("foreign Origin: %v %v", resp, err)
	}
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {ts.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, want := range []string{`"type":"hello"`, `"type":"update"`} {
		_, data, err := c.Read(ctx)
		if err != nil || !strings.Contains(string(data), want) {
			t.Fatalf("live message %q, %v; want %s", data, err, want)
		}
	}
}

func TestWebUIAuth(t *testing.T) {
	ts, _ := webuiTestServer(t, &webui.Options{Username: "admin", Password: "s3cret", AuthFailureDelay: 10 * time.Millisecond})
	// No credentials: API clients get 401 with a Basic challenge;
	// browsers navigating get the login page.
	resp, body := webuiGet(t, ts.URL+"/stats/requests")
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || !strings.Contains(body, "authentication required") {
		t.Errorf("no credentials: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next=%2F" {
		t.Errorf("navigation: %d %v", resp.StatusCode, resp.Header)
	}
	for _, p := range []string{"/login", "/assets/app.css"} {
		if resp, _ := webuiGet(t, ts.URL+p); resp.StatusCode != 200 {
			t.Errorf("GET %s without login: %d", p, resp.StatusCode)
		}
	}
	// Basic: wrong then right.
	req, _ = http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.SetBasicAuth("admin", "wrong")
	start := time.Now()
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 {
		t.Errorf("wrong Basic password: %d", resp.StatusCode)
	}
	if time.Since(start) < 10*time.Millisecond {
		t.Error("a wrong password was answered without delay")
	}
	req.SetBasicAuth("admin", "s3cret")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 200 {
		t.Errorf("Basic: %d", resp.StatusCode)
	}
	// Login form: wrong password, then right; the cookie is HttpOnly and
	// SameSite=Strict; an off-site next is ignored.
	resp, _ = webuiPostForm(t, ts.URL+"/login", url.Values{"username": {"admin"}, "password": {"nope"}, "next": {"/"}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?failed=1") || len(resp.Cookies()) != 0 {
		t.Errorf("wrong login: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = webuiPostForm(t, ts.URL+"/login", url.Values{"username": {"admin"}, "password": {"s3cret"}, "next": {"//evil.example/"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Header)
	}
	ck := resp.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
		t.Errorf("cookie %+v", ck)
	}
	req, _ = http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.AddCookie(ck)
	if resp, _ := webuiDo(t, req); resp.StatusCode != 200 {
		t.Errorf("with session: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	// Change the first character: it carries 6 whole bits (the last ones
	// may be padding bits that decode the same).
	forged := "A" + ck.Value[1:]
	if ck.Value[0] == 'A' {
		forged = "B" + ck.Value[1:]
	}
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: forged})
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 {
		t.Errorf("forged session: %d", resp.StatusCode)
	}
	// Login CSRF is refused too.
	req, _ = http.NewRequest("POST", ts.URL+"/login", strings.NewReader("username=admin&password=s3cret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 403 {
		t.Errorf("cross-site login: %d", resp.StatusCode)
	}
	// Logout needs the session's CSRF token, and ends the session on the
	// server: a copy of the cookie is worthless afterwards.
	req, _ = http.NewRequest("POST", ts.URL+"/logout", nil)
	req.AddCookie(ck)
	if resp, body := webuiDo(t, req); resp.StatusCode != 403 || !strings.Contains(body, `"field":"X-CSRF-Token"`) {
		t.Errorf("logout without token: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", ts.URL+"/logout", nil)
	req.AddCookie(ck)
	req.Header.Set("X-CSRF-Token", webuiCSRF(t, ts.URL, ck))
	if resp, _ := webuiDo(t, req); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest("GET", ts.URL+"/stats/requests", nil)
	req.AddCookie(ck)
	if resp, _ := webuiDo(t, req); resp.StatusCode != 401 {
		t.Errorf("the cookie still works after logout: %d", resp.StatusCode)
	}
}

// webuiCSRF returns the CSRF token of a session.
func webuiCSRF(t *testing.T, base string, ck *http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/session", nil)
	req.AddCookie(ck)
	resp, body := webuiDo(t, req)
	var info struct{ CSRF string }
	if err := json.Unmarshal([]byte(body), &info); resp.StatusCode != 200 || err != nil || info.CSRF == "" {
		t.Fatalf("GET /session: %d %s %v", resp.StatusCode, body, err)
	}
	return info.CSRF
}

func TestWebUIOptions(t *testing.T) {
	r, err := NewLocalRunner(Config{Classes: webuiTestClasses()})
	if err != nil {
		t.Fatal(err)
	}
	b := newWebUIBridge(r, webui.Info{}, slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		opts webui.Options
		want string
	}{
		{webui.Options{Addr: "0.0.0.0:8089"}, "refusing to serve on \"0.0.0.0:8089\" without credentials"},
		{webui.Options{Addr: ":8089"}, "without credentials"},
		{webui.Options{Addr: "8089"}, "want host:port"},
		{webui.Options{Username: "a"}, "both a user name and a password"},
		{webui.Options{Username: "a:b", Password: "c"}, "may not contain ':'"},
		{webui.Options{TLSCert: "c.pem"}, "both a certificate"},
		{webui.Options{TLSCert: "nope.pem", TLSKey: "nope.key"}, "failed to load the TLS certificate"},
	} {
		if _, err := webui.New(b, &c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.opts, err, c.want)
		}
	}
	for _, o := range []webui.Options{{Addr: "0.0.0.0:0", AllowNoAuth: true}, {Addr: "0.0.0.0:0", Username: "a", Password: "b"}, {Addr: "localhost:0"}, {Addr: "[::1]:0"}} {
		if _, err := webui.New(b, &o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if _, err := webui.New(nil, nil); err == nil {
		t.Error("nil controller accepted")
	}
}
