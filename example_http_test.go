package locust_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/golocust/locust"
)

// Shopper is a user with an HTTP client: embedding locust.HTTPUser gives
// it u.Client, made for the test's host before OnStart.
type Shopper struct {
	locust.HTTPUser
}

// Browse looks at one item; many item ids share one stats row.
func (s *Shopper) Browse(ctx context.Context) error {
	id := "42"
	// A failed request is recorded as a failure already: return an error
	// only for problems of the task itself (they count as exceptions).
	s.Client.Get(ctx, "/items/"+id, locust.Name("/items/[id]"))
	return nil
}

// This is how a class with an HTTP user is declared; switching to
// locust.FastHTTPUser in Shopper is the only change needed for fasthttp.
func ExampleHTTPUser() {
	shoppers := &locust.Class[*Shopper]{
		Name: "shopper",
		Host: "http://127.0.0.1:8080",
		New: func() *Shopper {
			return &Shopper{locust.HTTPUser{Options: &locust.HTTPOptions{
				Headers: map[string]string{"Accept": "application/json"},
			}}}
		},
		Tasks: []locust.Task[*Shopper]{{Name: "browse", Weight: 1, Fn: (*Shopper).Browse}},
	}
	_ = shoppers // pass it in locust.Config.Classes
}

// exampleServer is a tiny target for the examples.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/items/"):
			fmt.Fprintf(w, `{"id":%q,"price":3}`, strings.TrimPrefix(r.URL.Path, "/items/"))
		case r.URL.Path == "/cart":
			io.WriteString(w, `{"error":"cart is locked"}`)
		default:
			http.NotFound(w, r)
		}
	}))
}

// printStats prints the rows and failures of st.
func printStats(st *locust.Stats) {
	snap := st.Snapshot()
	for _, e := range snap.Entries {
		fmt.Printf("%s %s: %d requests, %d failures\n", e.Type, e.Name, e.Requests, e.Failures)
	}
	for _, f := range snap.Failures {
		fmt.Printf("failure %s %s: %s\n", f.Type, f.Name, f.Error)
	}
}

// A user's client outside a runner: ContextWithStats says where its
// requests are recorded.
func ExampleHTTPClient_Get() {
	srv := exampleServer()
	defer srv.Close()

	u := &Shopper{}
	if err := u.InitUser(locust.UserEnv{Class: "shopper", Host: srv.URL}); err != nil {
		fmt.Println(err)
		return
	}
	st := locust.NewStats("local")
	ctx := locust.ContextWithStats(context.Background(), st)

	for _, id := range []string{"1", "2", "3"} {
		resp := u.Client.Get(ctx, "/items/"+id, locust.Name("/items/[id]"))
		var item struct{ Price int }
		if err := resp.JSON(&item); err != nil {
			fmt.Println(err)
		}
	}
	resp := u.Client.Get(ctx, "/missing?session=abc")
	fmt.Println(resp.Status, resp.Err)
	printStats(st)
	// Output:
	// 404 HTTP 404 Not Found
	// GET /items/[id]: 3 requests, 0 failures
	// GET /missing: 1 requests, 1 failures
	// failure GET /missing: HTTP 404 Not Found
}

// Check decides the outcome from the response: here a 200 whose JSON
// reports an error is a failure.
func ExampleCheck() {
	srv := exampleServer()
	defer srv.Close()
	u := &locust.FastHTTPUser{}
	if err := u.InitUser(locust.UserEnv{Class: "buyer", Host: srv.URL}); err != nil {
		fmt.Println(err)
		return
	}
	st := locust.NewStats("local")
	ctx := locust.ContextWithStats(context.Background(), st)

	noAppError := locust.Check(func(r *locust.Response) error {
		var body struct{ Error string }
		if r.JSON(&body) == nil && body.Error != "" {
			return fmt.Errorf("app error: %s", body.Error)
		}
		return r.Err // the default: a failure for a status >= 400
	})
	u.Client.PostJSON(ctx, "/cart", map[string]int{"item": 1}, noAppError)
	printStats(st)
	// Output:
	// POST /cart: 1 requests, 1 failures
	// failure POST /cart: app error: cart is locked
}

// CatchResponse leaves the decision to the task, as Locust's
// catch_response: an expected 404 is a success.
func ExampleCatchResponse() {
	srv := exampleServer()
	defer srv.Close()
	u := &locust.HTTPUser{}
	if err := u.InitUser(locust.UserEnv{Class: "visitor", Host: srv.URL}); err != nil {
		fmt.Println(err)
		return
	}
	st := locust.NewStats("local")
	ctx := locust.ContextWithStats(context.Background(), st)

	resp := u.Client.Get(ctx, "/deleted-page", locust.CatchResponse())
	if resp.Status == http.StatusNotFound {
		resp.Success()
	} else {
		resp.Failure("deleted page still served")
	}
	printStats(st)
	// Output:
	// GET /deleted-page: 1 requests, 0 failures
}
