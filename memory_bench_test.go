package locust_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/golocust/locust"
)

// thinker is a user that GETs / and then thinks, with either client.
type thinker interface {
	get(ctx context.Context) error
}

type fastThinker struct{ locust.FastHTTPUser }

func (u *fastThinker) get(ctx context.Context) error { u.Client.Get(ctx, "/"); return nil }

type stdThinker struct{ locust.HTTPUser }

func (u *stdThinker) get(ctx context.Context) error { u.Client.Get(ctx, "/"); return nil }

// BenchmarkThinkingUsers measures the memory of users that send a request
// to a loopback server and then think 0.5-1 s, after every user has sent
// a few: per user, the goroutine stacks (users' and request workers') and
// the live heap (user values, clients, runtime state, connections and the
// server's share, which is small: 64 connections). "handoff" runs the
// requests on pooled workers as above 1,000 users (http_handoff.go);
// "direct" on the users' own goroutines, as below.
func BenchmarkThinkingUsers(b *testing.B) {
	const users = 10_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("hello world\n"))
	}))
	defer srv.Close()
	for _, client := range []string{"fasthttp", "nethttp"} {
		for _, mode := range []string{"handoff", "direct"} {
			b.Run(client+"/"+mode, func(b *testing.B) {
				if mode == "direct" {
					defer locust.SetHTTPHandoffUsers(locust.SetHTTPHandoffUsers(1 << 40))
				}
				opts := &locust.HTTPOptions{MaxConnections: 64}
				class := &locust.Class[thinker]{
					Name: "Thinker",
					Host: srv.URL,
					New: func() thinker {
						if client == "fasthttp" {
							return &fastThinker{locust.FastHTTPUser{Options: opts}}
						}
						return &stdThinker{locust.HTTPUser{Options: opts}}
					},
					Wait:  locust.Between(2*time.Second, 4*time.Second),
					Tasks: []locust.Task[thinker]{{Name: "get", Weight: 1, Fn: thinker.get}},
				}
				for range b.N {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					g0 := runtime.NumGoroutine()
					r, err := locust.NewLocalRunner(locust.Config{Classes: []locust.UserClass{class}, Logger: quiet})
					if err != nil {
						b.Fatal(err)
					}
					if err := r.Start(users, users); err != nil {
						b.Fatal(err)
					}
					for r.UserCount() < users || r.State() != locust.StateRunning {
						time.Sleep(10 * time.Millisecond)
					}
					deadline := time.Now().Add(time.Minute)
					for r.Snapshot().Total.Requests < 2*users && time.Now().Before(deadline) {
						time.Sleep(100 * time.Millisecond)
					}
					// Two GCs: the first shrinks the stacks of parked goroutines that use
					// less than a quarter of theirs, as a long run would.
					runtime.GC()
					runtime.GC()
					runtime.ReadMemStats(&after)
					g := runtime.NumGoroutine() - g0
					reqs := r.Snapshot().Total.Requests
					if err := r.Stop(context.Background()); err != nil {
						b.Fatal(err)
					}
					if reqs < users {
						b.Fatalf("%d requests from %d users: the server or the users are stuck", reqs, users)
					}
					stacks := float64(after.StackInuse-before.StackInuse) / users
					heap := float64(after.HeapInuse-before.HeapInuse) / users
					b.ReportMetric(stacks, "stack-bytes/user")
					b.ReportMetric(heap, "heap-bytes/user")
					b.ReportMetric(stacks+heap, "bytes/user")
					b.ReportMetric(float64(g-users), "extra-goroutines")
				}
			})
		}
	}
}
