package locust

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/golocust/locust/webui"
)

// TestWebBasePathOption: --web-base-path parses from the command line,
// LOCUST_WEB_BASE_PATH and locust.conf.
func TestWebBasePathOption(t *testing.T) {
	o, _ := optParse(t, "web-base-path = /team/load\n", nil)
	if o.parity.webBasePath != "/team/load" {
		t.Errorf("locust.conf: %q", o.parity.webBasePath)
	}
	o, _ = optParse(t, "", map[string]string{"LOCUST_WEB_BASE_PATH": "/locust/"})
	if o.parity.webBasePath != "/locust/" {
		t.Errorf("environment: %q", o.parity.webBasePath)
	}
	if _, err := o.config(optTestClasses("A")); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct{ in, want, err string }{
		{"", "", ""}, {"/", "", ""}, {"/locust", "/locust", ""}, {"/locust/", "/locust", ""}, {"/a/b-c_d.e~f", "/a/b-c_d.e~f", ""},
		{"locust", "", "must start with /"}, {"/a/..", "", ". or .. segment"}, {"/./a", "", ". or .. segment"},
		{"/a#b", "", "a query or a fragment"}, {"/a b", "", "character ' '"}, {"/a\n", "", `character '\n'`},
		{"//evil.example", "", "empty segment"}, {"/" + strings.Repeat("a", 300), "", "longer than 256 bytes"},
	} {
		got, err := webui.CleanBasePath(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("CleanBasePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CleanBasePath(%q) error %v; want one containing %q", tc.in, err, tc.err)
		}
	}
}

// TestWebUIBasePathAPI: under --web-base-path every page, endpoint, the
// live feed and the health checks answer under the prefix and nothing
// answers outside it; redirects, the login flow and the session cookie
// stay under the prefix.
func TestWebUIBasePathAPI(t *testing.T) {
	ts, r := webuiTestServer(t, &webui.Options{BasePath: "/team/load/", Username: "admin", Password: "s3cret", AuthFailureDelay: time.Millisecond})
	base := ts.URL + "/team/load"
	basic := func(method, u string, form url.Values) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.SetBasicAuth("admin", "s3cret")
		return webuiDo(t, req)
	}
	for _, p := range []string{"/", "/stats/requests", "/tasks", "/exceptions", "/logs", "/stats/report", "/assets/app.js", "/healthz", "/readyz", "/session"} {
		if resp, body := basic("GET", base+p, nil); resp.StatusCode == 404 || resp.StatusCode >= 500 {
			t.Errorf("GET %s under the prefix = %d %.100s", p, resp.StatusCode, body)
		}
		if resp, _ := basic("GET", ts.URL+p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s outside the prefix = %d; want 404", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/team/loadx/", "/team/", "/TEAM/load/", "/x/../team/loadx/"} {
		if resp, _ := basic("GET", ts.URL+p, nil); resp.StatusCode != 404 && !(resp.StatusCode == 307 && resp.Header.Get("Location") == "/team/loadx/") {
			t.Errorf("GET %s = %d; want 404", p, resp.StatusCode)
		}
	}
	// Paths that are not clean are redirected, as http.ServeMux does, to
	// the clean path, prefix included.
	for p, want := range map[string]string{"/team/load/../load/stats/requests": "/team/load/stats/requests", "/team//load/tasks?x=1": "/team/load/tasks?x=1"} {
		if resp, _ := basic("GET", ts.URL+p, nil); resp.StatusCode != 307 || resp.Header.Get("Location") != want {
			t.Errorf("GET %s = %d to %q; want 307 to %q", p, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	// The prefix without its slash goes to the dashboard.
	if resp, _ := basic("GET", base, nil); resp.StatusCode != 301 || resp.Header.Get("Location") != "/team/load/" {
		t.Errorf("GET /team/load = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The dashboard's assets are relative to it.
	if _, body := basic("GET", base+"/", nil); !strings.Contains(body, `src="assets/app.js"`) || strings.Contains(body, `"/assets/`) {
		t.Errorf("the dashboard's asset links are not relative: %.300s", body)
	}
	// Start and stop under the prefix; outside, the API is not there.
	if resp, body := basic("POST", ts.URL+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}}); resp.StatusCode != 404 {
		t.Errorf("POST /swarm outside the prefix = %d %s", resp.StatusCode, body)
	}
	if resp, body := basic("POST", base+"/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}}); resp.StatusCode != 200 {
		t.Fatalf("POST swarm = %d %s", resp.StatusCode, body)
	}
	masterUIWait(t, "one user", func() bool { return r.UserCount() == 1 })
	if resp, body := basic("POST", base+"/stop", url.Values{}); resp.StatusCode != 200 {
		t.Errorf("POST stop = %d %s", resp.StatusCode, body)
	}

	// A browser without a session is sent to the login page under the prefix.
	req, _ := http.NewRequest("GET", base+"/stats/requests", nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	if resp, _ := webuiDo(t, req); resp.StatusCode != 303 || resp.Header.Get("Location") != "/team/load/login?next=%2Fstats%2Frequests" {
		t.Errorf("navigation without a session = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := webuiGet(t, base+"/login")
	if resp.StatusCode != 200 || !strings.Contains(body, `action="login"`) || !strings.Contains(body, `href="assets/app.css"`) {
		t.Errorf("login page %d: %.400s", resp.StatusCode, body)
	}
	// Logging in: the cookie's Path is the prefix, the redirect stays under it.
	form := url.Values{"username": {"admin"}, "password": {"s3cret"}, "next": {"/#history"}}
	req, _ = http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	resp, _ = webuiDo(t, req)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/team/load/#history" {
		t.Errorf("login = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		sess = c
	}
	if sess == nil || sess.Path != "/team/load/" {
		t.Fatalf("session cookie %+v; want Path /team/load/", sess)
	}
	// A wrong password comes back to the login page under the prefix.
	form.Set("password", "wrong")
	req, _ = http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = webuiDo(t, req)
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/team/load/login?failed=1") {
		t.Errorf("wrong password = %d to %q", resp.StatusCode, loc)
	}

	// The live feed is under the prefix.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hdr := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("admin:s3cret"))}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatalf("live feed under the prefix: %v", err)
	}
	if _, _, err := c.Read(ctx); err != nil {
		t.Errorf("live feed: %v", err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if _, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr}); err == nil || resp == nil || resp.StatusCode != 404 {
		t.Errorf("live feed outside the prefix: %v", err)
	}
}
