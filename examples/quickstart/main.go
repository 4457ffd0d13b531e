// Quickstart is a complete load test: shoppers log in, browse a catalogue
// and now and then buy something. Run it with
//
//	go run ./examples/quickstart --headless -u 50 -r 10 -t 15s
//
// Without -H/--host (or LOCUST_HOST) it tests the demo shop that it serves
// itself on a loopback port; -H https://staging.example points it at a real
// system. Every option of Locust is available: -h lists them.
package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/golocust/locust"
	"github.com/golocust/locust/internal/demo"
)

// Shopper is one simulated user. Each user gets a fresh value and runs on
// its own goroutine, so its fields need no locking. Embedding HTTPUser
// gives it s.Client: its own cookies and headers, pooled connections, and
// every request recorded in the statistics.
type Shopper struct {
	locust.HTTPUser
	items []int // the catalogue, as the user saw it
}

// OnStart runs once per user before its first task: log in and keep the
// token for every later request. An error here stops this user.
func (s *Shopper) OnStart(ctx context.Context) error {
	resp := s.Client.PostJSON(ctx, "/login", map[string]string{"user": "shopper"})
	if resp.Err != nil {
		return fmt.Errorf("login: %w", resp.Err)
	}
	var login struct{ Token string }
	if err := resp.JSON(&login); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	s.Client.SetHeader("Authorization", "Bearer "+login.Token)
	return nil
}

// Home loads the front page.
func (s *Shopper) Home(ctx context.Context) error {
	s.Client.Get(ctx, "/")
	return nil // the request is recorded already, failed or not
}

// Catalogue lists the items.
func (s *Shopper) Catalogue(ctx context.Context) error {
	var list struct{ Items []int }
	if err := s.Client.Get(ctx, "/items").JSON(&list); err == nil {
		s.items = list.Items
	}
	return nil
}

// ViewItem looks at one item. All ids share one row, "/items/[id]",
// instead of a row per id. One time in ten it follows an old link to an
// item that is gone: the shop answers 404, which is expected, so Check
// counts it as a success.
func (s *Shopper) ViewItem(ctx context.Context) error {
	id := s.pickItem()
	if rand.IntN(10) == 0 {
		id += 1000 // not in the catalogue
	}
	s.Client.Get(ctx, "/items/"+strconv.Itoa(id), locust.Name("/items/[id]"),
		locust.Check(func(r *locust.Response) error {
			if r.Status == http.StatusNotFound {
				return nil
			}
			return r.Err // the default: a failure for a status >= 400
		}))
	return nil
}

// AddToCart puts an item in the cart (the first step of the checkout flow).
func (s *Shopper) AddToCart(ctx context.Context) error {
	s.Client.PostJSON(ctx, "/cart", map[string]int{"item": s.pickItem()})
	return nil
}

// Checkout pays, then leaves the checkout flow: Interrupt hands control
// back to the Shopper's own tasks.
func (s *Shopper) Checkout(ctx context.Context) error {
	s.Client.Post(ctx, "/checkout", nil, locust.Check(func(r *locust.Response) error {
		var order struct{ Order string }
		if r.Err == nil && (r.JSON(&order) != nil || order.Order == "") {
			return fmt.Errorf("no order id in the answer")
		}
		return r.Err // the default: a failure for a status >= 400
	}))
	return locust.Interrupt(false)
}

// ShopperClass declares the users: what they do and how long they think
// between tasks. Weights say how often a task is picked: a user views
// items five times as often as it loads the front page.
var ShopperClass = &locust.Class[*Shopper]{
	Name: "Shopper",
	New:  func() *Shopper { return &Shopper{} },
	Wait: locust.Between(500*time.Millisecond, 2*time.Second),
	Tasks: []locust.Task[*Shopper]{
		{Name: "home", Weight: 1, Fn: (*Shopper).Home},
		{Name: "catalogue", Weight: 2, Fn: (*Shopper).Catalogue},
		{Name: "view item", Weight: 5, Fn: (*Shopper).ViewItem},
		// A nested task set: once picked, the user stays in it (add to
		// cart twice, then check out) until Checkout interrupts it.
		{Name: "buy", Weight: 1, Set: &locust.TaskSet[*Shopper]{
			Name:       "checkout flow",
			Sequential: true,
			Tasks: []locust.Task[*Shopper]{
				{Name: "add to cart", Weight: 2, Fn: (*Shopper).AddToCart},
				{Name: "checkout", Weight: 1, Fn: (*Shopper).Checkout},
			},
		}},
	},
}

func main() { os.Exit(run()) }

func run() int {
	// The demo shop is the class's default host; -H/--host or LOCUST_HOST
	// overrides it. With your own system, set Host in ShopperClass
	// instead (or pass -H) and drop these lines.
	shop, err := demo.Start(demo.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		return locust.ExitError
	}
	defer shop.Close()
	ShopperClass.Host = shop.URL

	return locust.Run(ShopperClass)
}

// pickItem returns an item id of the catalogue (1 before the user has
// seen it).
func (s *Shopper) pickItem() int {
	if len(s.items) == 0 {
		return 1
	}
	return s.items[rand.IntN(len(s.items))]
}
