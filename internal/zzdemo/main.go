package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/golocust/locust"
)

type shopper struct{ locust.HTTPUser }

func (s *shopper) browse(ctx context.Context) error   { s.Client.Get(ctx, "/items/42", locust.Name("/items/[id]")); return nil }
func (s *shopper) checkout(ctx context.Context) error { s.Client.Post(ctx, "/checkout", nil); return nil }

func main() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := 5*time.Millisecond + time.Duration(rand.ExpFloat64()*float64(15*time.Millisecond))
		if r.URL.Path == "/checkout" {
			d += 40 * time.Millisecond
			if rand.IntN(200) == 0 {
				http.Error(w, "busy", 503)
				return
			}
		}
		time.Sleep(d)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	cls := &locust.Class[*shopper]{Name: "Shopper", New: func() *shopper { return &shopper{} },
		Tasks: []locust.Task[*shopper]{{Name: "browse", Weight: 9, Fn: (*shopper).browse}, {Name: "checkout", Weight: 1, Fn: (*shopper).checkout}}}
	p := &locust.Program{Classes: []locust.UserClass{cls}}
	os.Exit(p.Main(context.Background(), append([]string{"-H", srv.URL}, os.Args[1:]...)))
}
