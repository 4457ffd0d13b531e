package locust

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocust/locust/history"
	"github.com/golocust/locust/webui"
)

// historyTestRuns makes n real headless runs with --history into a new
// SQLite store in t.TempDir() (the n-th labelled n=N) and returns the
// store, open.
func historyTestRuns(t *testing.T, n int) *history.Store {
	t.Helper()
	db := filepath.Join(t.TempDir(), "runs.db")
	for i := range n {
		var stderr strings.Builder
		p := &Program{Classes: webuiTestClasses(), Stdout: io.Discard, Stderr: &stderr, Dir: t.TempDir(),
			Getenv: func(string) string { return "" }}
		code := p.Main(context.Background(), []string{"--headless", "-u", "2", "-r", "20", "-i", "20",
			"-H", "http://127.0.0.1:1", "--history", db, "--label", "n=" + string(rune('0'+i))})
		if code != 0 {
			t.Fatalf("run %d: exit code %d: %s", i, code, stderr.String())
		}
	}
	s, err := history.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// historyDo sends a request as user (Basic credentials, as an API
// client) and decodes a JSON answer into out when out is not nil.
func historyDo(t *testing.T, method, u, user, pw string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	resp, body := webuiDo(t, req)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, u, err, body)
		}
	}
	return resp.StatusCode, body
}

type historyListBody struct {
	Runs []struct {
		ID        string            `json:"id"`
		Requests  int64             `json:"requests"`
		Labels    map[string]string `json:"labels"`
		FailRatio float64           `json:"fail_ratio"`
	} `json:"runs"`
	Total int `json:"total"`
}

// The History endpoints list, show, report, compare and delete the runs
// of a real SQLite store; viewers read, only admins delete, and
// deletions are audited.
func TestWebUIHistoryEndpoints(t *testing.T) {
	store := historyTestRuns(t, 2)
	ts, srv, _ := secServer(t, &webui.Options{UsersFile: writeUsersFile(t)})
	base := ts.URL

	// Without a store: 404 with a clear message, and no History tab.
	code, body := historyDo(t, "GET", base+"/history/runs", "vera", viewerPW, nil)
	if code != http.StatusNotFound || !strings.Contains(body, "keeps no run history") {
		t.Errorf("without a store: %d %s", code, body)
	}
	var sess struct{ History bool }
	historyDo(t, "GET", base+"/session", "vera", viewerPW, &sess)
	if sess.History {
		t.Error("/session says history without a store")
	}

	srv.SetHistory(webuiHistory{store})
	historyDo(t, "GET", base+"/session", "vera", viewerPW, &sess)
	if !sess.History {
		t.Error("/session does not say history with a store")
	}

	// List, filtered and paged.
	var list historyListBody
	if code, body := historyDo(t, "GET", base+"/history/runs", "vera", viewerPW, &list); code != 200 || list.Total != 2 || len(list.Runs) != 2 {
		t.Fatalf("list: %d %s", code, body)
	}
	newest, oldest := list.Runs[0], list.Runs[1]
	if newest.Labels["n"] != "1" || oldest.Labels["n"] != "0" || newest.Requests == 0 {
		t.Errorf("list order or content: %+v", list.Runs)
	}
	historyDo(t, "GET", base+"/history/runs?label=n%3D0", "vera", viewerPW, &list)
	if list.Total != 1 || len(list.Runs) != 1 || list.Runs[0].ID != oldest.ID {
		t.Errorf("label filter: %+v", list)
	}
	historyDo(t, "GET", base+"/history/runs?limit=1&offset=1", "vera", viewerPW, &list)
	if list.Total != 2 || len(list.Runs) != 1 || list.Runs[0].ID != oldest.ID {
		t.Errorf("page 2: %+v", list)
	}
	historyDo(t, "GET", base+"/history/runs?host=http%3A%2F%2Fnowhere", "vera", viewerPW, &list)
	if list.Total != 0 {
		t.Errorf("host filter: %+v", list)
	}
	for q, field := range map[string]string{"limit=0": "limit", "since=yesterday": "since", "label=x": "label", "bogus=1": "bogus"} {
		code, body := historyDo(t, "GET", base+"/history/runs?"+q, "vera", viewerPW, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("?%s: %d %s", q, code, body)
		}
	}

	// One run: its final statistics as the store has them.
	var one struct {
		Run     struct{ ID string }
		View    webui.View
		History []webui.HistoryPoint
	}
	if code, body := historyDo(t, "GET", base+"/history/runs/"+oldest.ID, "vera", viewerPW, &one); code != 200 {
		t.Fatalf("get: %d %s", code, body)
	}
	run, err := store.Get(context.Background(), oldest.ID)
	if err != nil {
		t.Fatal(err)
	}
	agg := one.View.Stats[len(one.View.Stats)-1]
	p95, _ := run.Total.Percentile(0.95)
	if one.Run.ID != oldest.ID || agg.Name != "Aggregated" || agg.NumRequests != run.Requests ||
		len(one.History) != len(run.Points) || len(one.History) == 0 || one.View.State != "stopped" {
		t.Errorf("run view: %+v (store: %d requests, %d points)", one, run.Requests, len(run.Points))
	}
	if got := agg.P95; got != webuiMS(p95) {
		t.Errorf("p95 %v ms, store %v", got, p95)
	}
	if code, _ := historyDo(t, "GET", base+"/history/runs/nope", "vera", viewerPW, nil); code != http.StatusNotFound {
		t.Errorf("missing run: %d", code)
	}

	// Its HTML report.
	req, _ := http.NewRequest("GET", base+"/history/runs/"+oldest.ID+"/report", nil)
	req.SetBasicAuth("vera", viewerPW)
	resp, html := webuiDo(t, req)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(html, `id="report-data"`) {
		t.Errorf("report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// A run compared with itself: zero deltas, nothing marked.
	var cmp struct {
		Runs []struct{ ID string }
		Rows []struct {
			Name string
			Runs []struct {
				Present bool
				Delta   map[string]*float64
				Beyond  []string
			}
		}
		Series []struct{ T []float64 }
	}
	if code, body := historyDo(t, "GET", base+"/history/compare?id="+oldest.ID+"&id="+oldest.ID, "vera", viewerPW, &cmp); code != 200 {
		t.Fatalf("compare: %d %s", code, body)
	}
	if len(cmp.Rows) < 2 || cmp.Rows[0].Name != "Aggregated" || len(cmp.Series) != 2 || len(cmp.Series[0].T) == 0 {
		t.Fatalf("compare: %+v", cmp)
	}
	for _, row := range cmp.Rows {
		st := row.Runs[1]
		if !st.Present || len(st.Beyond) != 0 || len(st.Delta) != 5 {
			t.Errorf("self-compare row %s: %+v", row.Name, st)
		}
		for k, d := range st.Delta {
			if d == nil || *d != 0 {
				t.Errorf("self-compare row %s: delta %s = %v", row.Name, k, d)
			}
		}
	}
	historyDo(t, "GET", base+"/history/compare?id="+oldest.ID+"&id="+newest.ID+"&tolerance=0", "vera", viewerPW, &cmp)
	if len(cmp.Runs) != 2 || cmp.Runs[1].ID != newest.ID {
		t.Errorf("compare two: %+v", cmp.Runs)
	}
	for q, field := range map[string]string{"id=" + oldest.ID: "id", "id=a&id=b&tolerance=-1": "tolerance", "id=a&id=b&x=1": "x"} {
		code, body := historyDo(t, "GET", base+"/history/compare?"+q, "vera", viewerPW, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("compare ?%s: %d %s", q, code, body)
		}
	}

	// Deleting: viewers and operators may not, admins may.
	for _, who := range [][2]string{{"vera", viewerPW}, {"otto", operatorPW}} {
		if code, body := historyDo(t, "DELETE", base+"/history/runs/"+oldest.ID, who[0], who[1], nil); code != http.StatusForbidden {
			t.Errorf("DELETE as %s: %d %s", who[0], code, body)
		}
	}
	if _, err := store.Get(context.Background(), oldest.ID); err != nil {
		t.Fatalf("the run is gone after refused deletions: %v", err)
	}
	if code, body := historyDo(t, "DELETE", base+"/history/runs/"+oldest.ID, "ada", adminPW, nil); code != 200 {
		t.Fatalf("DELETE as admin: %d %s", code, body)
	}
	if code, _ := historyDo(t, "DELETE", base+"/history/runs/"+oldest.ID, "ada", adminPW, nil); code != http.StatusNotFound {
		t.Errorf("second DELETE: %d", code)
	}
	if code, _ := historyDo(t, "GET", base+"/history/runs/"+oldest.ID, "vera", viewerPW, nil); code != http.StatusNotFound {
		t.Errorf("GET of a deleted run: %d", code)
	}
	historyDo(t, "GET", base+"/history/runs", "vera", viewerPW, &list)
	if list.Total != 1 || list.Runs[0].ID != newest.ID {
		t.Errorf("list after delete: %+v", list)
	}
	_, auditLog := historyDo(t, "GET", base+"/audit", "ada", adminPW, nil)
	if !strings.Contains(auditLog, `"action":"history.delete"`) || !strings.Contains(auditLog, oldest.ID) {
		t.Errorf("no audited deletion: %s", auditLog)
	}
}
