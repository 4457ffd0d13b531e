package locust

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A thinking user spends nearly all of its life parked in its think time,
// yet its goroutine keeps the stack its deepest request needed: a request
// through fasthttp or net/http grows a stack from 2 KiB to 8-16 KiB, and
// the runtime only halves an idle stack at a GC, after which the next
// request grows it again. With tens of thousands of users those stacks
// are most of the process's memory. So when many users run
// (httpHandoffUsers), the transport part of a request (the backend's
// send) runs on a pooled worker goroutine: the workers, about as many as
// requests in flight, have the deep stacks, and a parked user's stack
// stays at its 2 KiB start.
//
// A request also waits in line for its shared pool's connections (the
// pool's gate) before it takes a worker or any buffer, so that a
// generator that falls behind holds a few bytes per waiting request
// rather than a worker, a stack and fasthttp's request objects.
//
// Below that many users the hand-off (two goroutine switches, about half
// a microsecond) would cost more than the stacks it saves, and requests
// run on the user's goroutine as they did.

// httpHandoffUsers is the number of running users above which requests
// are handed to workers: 1,000 (a variable for the tests only).
var httpHandoffUsers = func() *atomic.Int64 { var n atomic.Int64; n.Store(1000); return &n }()

// liveUsers counts the users running in the process (every runner's).
var liveUsers atomic.Int64

// httpHandoff reports whether requests should run on workers.
func httpHandoff() bool { return liveUsers.Load() > httpHandoffUsers.Load() }

// httpGateTimeout is the error of a request whose deadline passed while it
// waited for a connection.
type httpGateTimeout struct{}

func (httpGateTimeout) Error() string { return "timeout while waiting for a free connection" }
func (httpGateTimeout) Timeout() bool { return true }

// httpGated is implemented by backends whose connection pool has a gate.
type httpGated interface {
	gate() *httpGate // nil when the pool has none (a user's own connections)
}

// httpSendJob is one request handed to a worker, and its outcome.
type httpSendJob struct {
	be       httpBackend
	ctx      context.Context
	r        *Response
	rq       httpReq // a copy, so that the caller's stays on its stack
	path     string
	body     []byte
	headers  *http.Header
	deadline time.Time

	err      error
	panicked bool
	panicVal any
	done     chan struct{} // receives when the job has run
}

var httpSendJobs = sync.Pool{New: func() any { return &httpSendJob{done: make(chan struct{}, 1)} }}

// run sends the request on the worker's goroutine.
func (j *httpSendJob) run() {
	defer func() {
		if p := recover(); p != nil {
			j.panicked, j.panicVal = true, p
		}
		j.done <- struct{}{}
	}()
	j.err = j.be.send(j.ctx, j.r, &j.rq, j.path, j.body, j.headers, j.deadline)
}

// httpWorker is an idle worker goroutine, waiting on jobs. Idle workers
// are kept in a sync.Pool, so that the GC trims those that stayed unused
// for two cycles: a cleanup closes the dropped worker's channel, which
// ends its goroutine.
type httpWorker struct{ jobs chan *httpSendJob }

var httpWorkers = sync.Pool{New: func() any {
	jobs := make(chan *httpSendJob, 1)
	w := &httpWorker{jobs: jobs}
	go func() {
		for j := range jobs {
			j.run()
		}
	}()
	runtime.AddCleanup(w, func(jobs chan *httpSendJob) { close(jobs) }, jobs)
	return w
}}

// httpSendHandoff sends a request through be on a worker goroutine, after
// the pool's gate, and returns the backend's error. A panic of the
// backend is raised again on the caller's goroutine.
func httpSendHandoff(ctx context.Context, be httpBackend, r *Response, rq *httpReq, path string, body []byte, headers *http.Header, deadline time.Time) error {
	if gd, ok := be.(httpGated); ok {
		if g := gd.gate(); g != nil {
			if err := g.enter(ctx, deadline); err != nil {
				return err
			}
			defer g.leave()
		}
	}
	j := httpSendJobs.Get().(*httpSendJob)
	j.be, j.ctx, j.r, j.rq, j.path, j.body, j.headers, j.deadline = be, ctx, r, *rq, path, body, headers, deadline
	j.rq.now = monoNow() // after the wait in line
	w := httpWorkers.Get().(*httpWorker)
	w.jobs <- j
	<-j.done
	httpWorkers.Put(w)
	err, panicked, p := j.err, j.panicked, j.panicVal
	*j = httpSendJob{done: j.done}
	httpSendJobs.Put(j)
	if panicked {
		panic(p)
	}
	return err
}
