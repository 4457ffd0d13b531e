package locust

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// The overhead benchmarks measure what the HTTP users cost on top of a
// bare client loop, without the network: both send through connections
// that answer every request at once with a canned nginx-like response
// (benchConn), so that ns/op is client CPU only and the difference
// between the bare and the user rows is the library's own cost per
// request (Response, body copy, URL, name, throttle check, recording).
// Deadline updates on real sockets are not in them (benchConn's are
// free): see BENCHMARKS.md, "Library overhead", for the closed loop
// against nginx.
//
// Besides ns/op (wall time, which neighbours on a shared machine inflate)
// they report cpu-ns/op: the CPU time of the whole process (every
// goroutine, the GC) per request.
//
//	go test -run '^$' -bench 'Overhead' -benchmem -benchtime=200000x .

// benchResponse is what the benchmark target of ../shared/bench (nginx)
// answers.
const benchResponse = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 08:00:00 GMT\r\n" +
	"Content-Type: text/plain\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nhello world\n"

var (
	benchResponseBytes = []byte(benchResponse) // read only
	benchLocal         = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	benchRemote        = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 18089}
)

// benchConn answers each request written to it (a GET without body,
// ending in an empty line) with benchResponse.
type benchConn struct {
	yield   bool          // Read lets the other goroutines run before it answers
	pending chan struct{} // one token per request written
	mu      sync.Mutex
	rest    []byte // unread part of the response being read
	closed  chan struct{}
	once    sync.Once
}

func newBenchConn() *benchConn {
	return &benchConn{pending: make(chan struct{}, 1024), closed: make(chan struct{})}
}

func benchDial(string, time.Duration) (net.Conn, error) { return newBenchConn(), nil }

func benchDialContext(context.Context, string, string) (net.Conn, error) {
	return newBenchConn(), nil
}

func (c *benchConn) Write(p []byte) (int, error) {
	for range bytes.Count(p, []byte("\r\n\r\n")) {
		c.pending <- struct{}{}
	}
	return len(p), nil
}

func (c *benchConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rest) == 0 {
		if c.yield {
			// As a read of a real socket that finds no answer yet: the
			// goroutine parks and the others run meanwhile.
			runtime.Gosched()
		}
		select {
		case <-c.pending:
			c.rest = benchResponseBytes
		case <-c.closed:
			return 0, io.EOF
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *benchConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *benchConn) LocalAddr() net.Addr              { return benchLocal }
func (c *benchConn) RemoteAddr() net.Addr             { return benchRemote }
func (c *benchConn) SetDeadline(time.Time) error      { return nil }
func (c *benchConn) SetReadDeadline(time.Time) error  { return nil }
func (c *benchConn) SetWriteDeadline(time.Time) error { return nil }

const benchHost = "http://127.0.0.1:18089"

// benchCPU returns the process's CPU time (user and system).
func benchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLoop runs send b.N times and reports the CPU time per call.
func benchLoop(b *testing.B, send func()) {
	b.ReportAllocs()
	send() // the connection
	runtime.GC()
	b.ResetTimer()
	cpu := benchCPU(b)
	for range b.N {
		send()
	}
	b.ReportMetric(float64(benchCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkOverheadFastHTTP: bare is the loop of ../shared/bench/barefast
// (one request object reused); user is FastHTTPUser's client recording
// into Stats.
func BenchmarkOverheadFastHTTP(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		c := &fasthttp.Client{MaxConnsPerHost: 50, DialTimeout: benchDial}
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(benchHost + "/")
		benchLoop(b, func() {
			if err := c.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				b.Fatal(err, resp.StatusCode())
			}
		})
	})
	b.Run("user", func(b *testing.B) {
		u := &FastHTTPUser{}
		if err := u.InitUser(UserEnv{Class: "bench", Host: benchHost, Users: 1}); err != nil {
			b.Fatal(err)
		}
		u.Client.fc.DialTimeout = benchDial
		ctx := ContextWithStats(context.Background(), NewStats("local"))
		benchLoop(b, func() {
			if r := u.Client.Get(ctx, "/"); r.Err != nil || len(r.Body) != 12 {
				b.Fatal(r.Err, len(r.Body))
			}
		})
	})
}

// BenchmarkOverheadNetHTTP: bare is barefast -std's loop (Get, body
// discarded); user is HTTPUser's client recording into Stats.
func BenchmarkOverheadNetHTTP(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50, MaxConnsPerHost: 50, DialContext: benchDialContext}}
		benchLoop(b, func() {
			resp, err := c.Get(benchHost + "/")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	})
	b.Run("user", func(b *testing.B) {
		u := &HTTPUser{Options: &HTTPOptions{PerUserConnections: true}}
		if err := u.InitUser(UserEnv{Class: "bench", Host: benchHost, Users: 1}); err != nil {
			b.Fatal(err)
		}
		u.Client.own.DialContext = benchDialContext
		// A cancellable context, as a running user's (the transport
		// watches it).
		ctx, stop := context.WithCancelCause(ContextWithStats(context.Background(), NewStats("local")))
		defer stop(nil)
		benchLoop(b, func() {
			if r := u.Client.Get(ctx, "/"); r.Err != nil || len(r.Body) != 12 {
				b.Fatal(r.Err, len(r.Body))
			}
		})
	})
}

// benchYieldDial dials benchConns that yield before each answer.
func benchYieldDial(string, time.Duration) (net.Conn, error) {
	c := newBenchConn()
	c.yield = true
	return c, nil
}

// benchFastUser is the user of BenchmarkOverheadLoop: one task, GET /.
type benchFastUser struct{ FastHTTPUser }

// BenchmarkOverheadLoop is the closed loop of ../shared/bench/peers.sh
// without the network: 50 users (goroutines) sending GET / with no think
// time, through connections that answer at once but let the other
// goroutines run before, as a read that finds no answer yet parks its
// goroutine. So unlike BenchmarkOverheadFastHTTP it counts what goes with
// 50 interleaved users: the task loop, the runner's ticker, the GC of
// their allocations, and the caches each switch to another user's state
// leaves cold. bare is barefast's loop (50 goroutines around one client);
// runner is RunTest with FastHTTPUser. One op is one request.
//
//	go test -run '^$' -bench 'OverheadLoop' -benchmem -benchtime=200000x -cpu 1 .
func BenchmarkOverheadLoop(b *testing.B) {
	const users = 50
	b.Run("bare", func(b *testing.B) {
		c := &fasthttp.Client{MaxConnsPerHost: users, DialTimeout: benchYieldDial}
		b.ReportAllocs()
		runtime.GC()
		b.ResetTimer()
		cpu := benchCPU(b)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range users {
			wg.Go(func() {
				req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				req.SetRequestURI(benchHost + "/")
				for next.Add(1) <= int64(b.N) {
					if err := c.Do(req, resp); err != nil || resp.StatusCode() != 200 {
						panic(fmt.Sprint(err, resp.StatusCode()))
					}
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(benchCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("runner", func(b *testing.B) {
		fastDialer = benchYieldDial
		defer func() { fastDialer = fastDial }()
		class := &Class[*benchFastUser]{
			Name: "Bench",
			New:  func() *benchFastUser { return &benchFastUser{} },
			Wait: Constant(0),
			Tasks: []Task[*benchFastUser]{{Name: "get", Weight: 1, Fn: func(u *benchFastUser, ctx context.Context) error {
				u.Client.Get(ctx, "/")
				return nil
			}}},
		}
		b.ReportAllocs()
		runtime.GC()
		b.ResetTimer()
		cpu := benchCPU(b)
		res, err := RunTest(context.Background(), Config{
			Classes: []UserClass{class}, Host: benchHost, Users: users, SpawnRate: 1e6,
			Iterations: int64(b.N), Logger: slog.New(slog.DiscardHandler),
		})
		cpuUsed := benchCPU(b) - cpu
		b.StopTimer()
		if err != nil || res.Reason != EndIterations {
			b.Fatal(err, res)
		}
		if n := res.Stats.Total.Requests; n != int64(b.N) || res.Stats.Total.Failures != 0 {
			b.Fatalf("%d requests recorded (%d failures), want %d", n, res.Stats.Total.Failures, b.N)
		}
		b.ReportMetric(float64(cpuUsed)/float64(b.N), "cpu-ns/op")
	})
}
