package locust_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"

	"github.com/golocust/locust"
)

// The program's own options, declared in Program.Flags, are read by
// tasks through the variables they are bound to. Each is also set by
// LOCUST_<NAME>, locust.conf, and the web UI's start form (a *Choice is a
// drop-down, a *Secret a masked field), where the value applies to the
// test that starts: it is set before the test's first user starts and
// stays the same while the test runs. On a master the form's values
// reach every worker's program for that test.
func ExampleProgram_flags() {
	var inEU atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/eu/cart" && r.Header.Get("Authorization") == "Bearer t0ken" {
			inEU.Add(1)
		}
	}))
	defer target.Close()

	// The options, bound to variables the tasks read.
	region := &locust.Choice{Choices: []string{"eu", "us"}, Value: "us"}
	token := locust.NewSecret("")
	basket := 1

	type shopper struct{ locust.HTTPUser }
	cart := func(u *shopper, ctx context.Context) error {
		u.Client.Get(ctx, "/"+region.Value+"/cart", locust.Header("Authorization", "Bearer "+token.Value()),
			locust.Name(fmt.Sprintf("/[region]/cart (%d items)", basket)))
		return nil
	}
	p := &locust.Program{
		Classes: []locust.UserClass{&locust.Class[*shopper]{
			Name: "Shopper", New: func() *shopper { return &shopper{} },
			Tasks: []locust.Task[*shopper]{{Name: "cart", Weight: 1, Fn: cart}},
		}},
		Flags: func(fs *flag.FlagSet) {
			fs.Var(region, "region", "Region of the shop.")
			fs.Var(token, "api-token", "Token of the shop's API.")
			fs.IntVar(&basket, "basket", basket, "Items in the basket.")
		},
		Stdout: io.Discard, Stderr: io.Discard, Dir: os.TempDir(),
		Getenv: func(string) string { return "" },
	}
	code := p.Main(context.Background(), []string{"--headless", "-u", "1", "-r", "10", "-i", "3", "-H", target.URL,
		"--region", "eu", "--api-token", "t0ken", "--basket", "2"})
	fmt.Println("exit code", code, "requests to the EU shop with the token:", inEU.Load())
	// Output: exit code 0 requests to the EU shop with the token: 3
}
