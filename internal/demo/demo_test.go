package demo_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/golocust/locust/internal/demo"
)

func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func TestShopFlowAndCounts(t *testing.T) {
	s, err := demo.Start(demo.Options{Seed: 1, NoLatency: true, CheckoutErrorRate: -1, Items: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	steps := []struct {
		method, path, body string
		auth               bool
		want               int
	}{
		{"GET", "/", "", false, 200},
		{"GET", "/items", "", false, 200},
		{"GET", "/items/3", "", false, 200},
		{"GET", "/items/11", "", false, 404},
		{"POST", "/cart", `{"item":1}`, false, 401},
		{"POST", "/login", `{}`, false, 400},
		{"POST", "/login", `{"user":"ann"}`, false, 200},
		{"POST", "/checkout", "", true, 409},
		{"POST", "/cart", `{"item":99}`, true, 404},
		{"POST", "/cart", `{"item":2}`, true, 200},
		{"POST", "/checkout", "", true, 200},
		{"GET", "/nowhere", "", false, 404},
		{"DELETE", "/items", "", false, 405},
	}
	token := ""
	for _, st := range steps {
		tok := ""
		if st.auth {
			tok = token
		}
		code, body := do(t, st.method, s.URL+st.path, tok, st.body)
		if code != st.want {
			t.Fatalf("%s %s: status %d, want %d (%v)", st.method, st.path, code, st.want, body)
		}
		if st.path == "/login" && code == 200 {
			token, _ = body["token"].(string)
		}
	}
	got := s.Counts()
	want := map[demo.Key]int64{
		{"GET", "/", 200}:              1,
		{"GET", "/items", 200}:         1,
		{"GET", "/items/{id}", 200}:    1,
		{"GET", "/items/{id}", 404}:    1,
		{"POST", "/cart", 401}:         1,
		{"POST", "/login", 400}:        1,
		{"POST", "/login", 200}:        1,
		{"POST", "/checkout", 409}:     1,
		{"POST", "/cart", 404}:         1,
		{"POST", "/cart", 200}:         1,
		{"POST", "/checkout", 200}:     1,
		{"GET", "(unmatched)", 404}:    1,
		{"DELETE", "(unmatched)", 405}: 1,
	}
	if len(got) != len(want) {
		t.Errorf("counts: got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("count %v = %d, want %d", k, got[k], v)
		}
	}
}

func TestCheckoutErrors(t *testing.T) {
	s, err := demo.Start(demo.Options{Seed: 7, NoLatency: true, CheckoutErrorRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, body := do(t, "POST", s.URL+"/login", "", `{"user":"bob"}`)
	tok, _ := body["token"].(string)
	if code, _ := do(t, "POST", s.URL+"/checkout", tok, ""); code != 500 {
		t.Errorf("checkout with error rate 1: status %d, want 500", code)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []demo.Options{{CheckoutErrorRate: 1.5}, {Items: -1}} {
		if s, err := demo.Start(o); err == nil {
			s.Close()
			t.Errorf("Start(%+v): no error", o)
		}
	}
}

func TestLatency(t *testing.T) {
	s, err := demo.Start(demo.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if code, _ := do(t, "GET", s.URL+"/items/1", "", ""); code != 200 {
		t.Fatalf("status %d", code)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
