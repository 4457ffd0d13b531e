// Bench measures how fast golocust can load a target: one user class, one
// task, GET /, and by default no think time, so that each user sends its
// next request as soon as the last one returned (a closed loop, like wrk
// with one connection per user).
//
//	go build -o /tmp/bench ./examples/bench
//	/tmp/bench -H http://127.0.0.1:8080 --headless -u 50 -r 50 -t 10s
//
// Its own options, besides Locust's:
//
//	--std          use HTTPUser (net/http) instead of FastHTTPUser (fasthttp)
//	--max-conns N  open at most N connections to the target (default
//	               locust.DefaultMaxConnections)
//	--think 1s..2s wait uniformly 1 to 2 s after each request (or a fixed
//	               time: --think 1s), to measure many mostly idle users
//	--bench-json   print the statistics measured after the ramp as one JSON
//	               line at the end of stdout (the rest goes to stderr), for
//	               ../shared/bench/peers.sh and users.sh: see README.md
//	--cpuprofile F write a CPU profile of the load after the ramp to F
//	               (go tool pprof)
//	--memprofile F write a heap profile to F when the stop begins
//	--per-second   print per second the requests, those over 10 and 50 ms
//	               and the slowest to stderr at the end (when the tail was)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/golocust/locust"
)

// The program's own options, set while the command line is parsed and
// read when users are made.
var (
	useStd    bool            // --std
	maxConns  int             // --max-conns
	benchJSON bool            // --bench-json
	think     locust.WaitTime // --think; nil means no wait
	cpuProf   string          // --cpuprofile
	memProf   string          // --memprofile
	perSec    *perSecond      // --per-second; nil without
)

// benchUser is what the one task needs: a GET of the target's root. It
// is an interface so that one class can make its users on either client.
type benchUser interface {
	get(ctx context.Context) error
}

// fastUser sends its requests with fasthttp, the default.
type fastUser struct{ locust.FastHTTPUser }

func (u *fastUser) get(ctx context.Context) error {
	u.Client.Get(ctx, "/")
	return nil // recorded, failed or not; an error here would also count as an exception
}

// stdUser sends its requests with net/http (--std).
type stdUser struct{ locust.HTTPUser }

func (u *stdUser) get(ctx context.Context) error {
	u.Client.Get(ctx, "/")
	return nil
}

// benchClass is the one user class.
var benchClass = &locust.Class[benchUser]{
	Name: "Bench",
	New: func() benchUser {
		var o *locust.HTTPOptions
		if maxConns != 0 {
			o = &locust.HTTPOptions{MaxConnections: maxConns}
		}
		if useStd {
			return &stdUser{locust.HTTPUser{Options: o}}
		}
		return &fastUser{locust.FastHTTPUser{Options: o}}
	},
	Wait: func(w locust.WaitInfo) time.Duration {
		if think == nil {
			return 0
		}
		return think(w)
	},
	Tasks: []locust.Task[benchUser]{{Name: "get", Weight: 1, Fn: benchUser.get}},
}

// flags registers the program's options on Locust's parser.
func flags(fs *flag.FlagSet) {
	fs.BoolVar(&useStd, "std", false, "Send requests with HTTPUser (net/http) instead of FastHTTPUser (fasthttp).")
	fs.IntVar(&maxConns, "max-conns", 0, "HTTPOptions.MaxConnections: the most connections to the target (0: the default, locust.DefaultMaxConnections).")
	fs.BoolVar(&benchJSON, "bench-json", false, `Print {"rps", "p50_ms", "p99_ms", "errors"} measured after the ramp as the last line of stdout; the tables go to stderr.`)
	fs.StringVar(&cpuProf, "cpuprofile", "", "Write a CPU profile of the load after the ramp to `FILE` (read it with go tool pprof).")
	fs.StringVar(&memProf, "memprofile", "", "Write a heap profile to `FILE` when the stop begins, and say on stderr where the memory is.")
	fs.BoolFunc("per-second", "At the end, print to stderr per second the requests completed, those over 10 and 50 ms, and the slowest, marking the end of the ramp and the start of the stop.", func(string) error {
		perSec = &perSecond{}
		return nil
	})
	fs.Func("think", "Think time after each request: a duration (1s) or a uniform range (1s..2s). Default: none.", func(v string) error {
		w, err := parseThink(v)
		if err == nil {
			think = w
		}
		return err
	})
}

// parseThink reads "D" (a constant wait) or "MIN..MAX" (uniform).
func parseThink(v string) (locust.WaitTime, error) {
	lo, hi, isRange := strings.Cut(v, "..")
	if !isRange {
		hi = lo
	}
	from, err1 := time.ParseDuration(strings.TrimSpace(lo))
	to, err2 := time.ParseDuration(strings.TrimSpace(hi))
	switch {
	case err1 != nil || err2 != nil:
		return nil, fmt.Errorf("want a duration such as 1s or a range such as 1s..2s")
	case from < 0 || to < from:
		return nil, fmt.Errorf("want durations >= 0 with MIN <= MAX in MIN..MAX")
	case from == to:
		return locust.Constant(from), nil
	}
	return locust.Between(from, to), nil
}

// benchResult is the line --bench-json prints.
type benchResult struct {
	RPS    float64 `json:"rps"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	Errors int64   `json:"errors"`
}

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

// run runs the program and, with --bench-json, prints the result line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// With --bench-json the tables go to stderr, so that the JSON line is
	// the only output on stdout. The option is known only once Main has
	// parsed it, before anything is printed: hence a writer that decides
	// when written to.
	out := &benchStdout{stdout: stdout, stderr: stderr}
	var (
		mu       sync.Mutex
		final    *locust.Snapshot
		stopping *locust.Snapshot // when the stop began: the rate is over the load, not the stop
	)
	p := &locust.Program{
		Classes: []locust.UserClass{benchClass},
		Flags:   flags,
		Stdout:  out,
		Stderr:  stderr,
		Setup: func(r locust.Runner) error {
			if err := startProfiles(r); err != nil {
				return err
			}
			if perSec != nil {
				perSec.watch(r)
				r.Events().TestStop.Add(func(locust.TestEvent) { perSec.print(stderr) })
			}
			if !benchJSON {
				return nil
			}
			// Measure after the ramp, as --reset-stats: the first time
			// every user runs, the statistics start afresh.
			var once sync.Once
			r.Events().SpawningComplete.Add(func(locust.SpawnEvent) { once.Do(r.ResetStats) })
			r.Events().TestStopping.Add(func(locust.TestEvent) {
				s := r.Snapshot()
				mu.Lock()
				stopping = s
				mu.Unlock()
			})
			r.Events().TestStop.Add(func(locust.TestEvent) {
				s := r.Snapshot()
				mu.Lock()
				final = s
				mu.Unlock()
			})
			return nil
		},
	}
	code := p.Main(ctx, args)
	stopProfiles()
	mu.Lock()
	defer mu.Unlock()
	if final != nil {
		t, rps := final.Total, final.Total.TotalRPS
		if stopping != nil {
			rps = stopping.Total.TotalRPS
		}
		line, _ := json.Marshal(benchResult{
			RPS:    rps,
			P50ms:  float64(t.Percentile(0.50)) / 1e6,
			P99ms:  float64(t.Percentile(0.99)) / 1e6,
			Errors: t.Failures,
		})
		fmt.Fprintf(stdout, "%s\n", line)
	}
	return code
}

// profFile is the open CPU profile, if any; guarded by profMu.
var (
	profMu   sync.Mutex
	profFile *os.File
)

// startProfiles arranges for the profiles to cover the load after the
// ramp: the CPU profile from the end of the ramp until the stop begins,
// the heap profile (and a line about memory on stderr) when the stop
// begins, with every user still there.
func startProfiles(r locust.Runner) error {
	var cpu *os.File
	if cpuProf != "" {
		f, err := os.Create(cpuProf)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		cpu = f
		var once sync.Once
		r.Events().SpawningComplete.Add(func(locust.SpawnEvent) {
			once.Do(func() {
				profMu.Lock()
				defer profMu.Unlock()
				if err := pprof.StartCPUProfile(cpu); err != nil {
					fmt.Fprintf(os.Stderr, "--cpuprofile: %v\n", err)
					return
				}
				profFile = cpu
			})
		})
	}
	if memProf == "" {
		// Linking runtime/pprof turns on the sampling of allocations for
		// heap profiles (a stack walk every 512 KiB allocated, ~1 % of a
		// closed loop's CPU), which a program without pprof (barefast,
		// most test programs) never pays.
		runtime.MemProfileRate = 0
	}
	var rampEnd runtime.MemStats // when the ramp ended, for the allocation rate
	if memProf != "" {
		var once sync.Once
		r.Events().SpawningComplete.Add(func(locust.SpawnEvent) { once.Do(func() { runtime.ReadMemStats(&rampEnd) }) })
	}
	r.Events().TestStopping.Add(func(locust.TestEvent) {
		stopProfiles()
		if memProf != "" {
			writeHeapProfile(&rampEnd, r.Snapshot().Total.Requests)
		}
	})
	if cpu != nil {
		// Closed by stopProfiles; a test that never finished its ramp
		// leaves an empty file.
		r.Events().Quitting.Add(func(locust.TestEvent) { cpu.Close() })
	}
	return nil
}

// writeHeapProfile writes --memprofile and prints where the memory is,
// and how much was allocated per request since the ramp ended (at
// rampEnd, requests ago).
func writeHeapProfile(rampEnd *runtime.MemStats, requests int64) {
	var now runtime.MemStats
	runtime.ReadMemStats(&now)
	if rampEnd.NumGC > 0 && requests > 0 {
		fmt.Fprintf(os.Stderr, "after the ramp: %d bytes and %.2f allocations per request, %d GCs for %d requests\n",
			(now.TotalAlloc-rampEnd.TotalAlloc)/uint64(requests), float64(now.Mallocs-rampEnd.Mallocs)/float64(requests), now.NumGC-rampEnd.NumGC, requests)
	}
	f, err := os.Create(memProf)
	if err != nil {
		fmt.Fprintf(os.Stderr, "--memprofile: %v\n", err)
		return
	}
	runtime.GC()
	_ = pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}} // the library tunes it while the test runs
	metrics.Read(gogc)
	fmt.Fprintf(os.Stderr, "memory: heap in use %d MiB, stacks %d MiB, runtime %d MiB, from the OS %d MiB; %d goroutines, %d GCs, GC percent %d\n",
		ms.HeapInuse>>20, ms.StackInuse>>20, (ms.MSpanInuse+ms.MCacheInuse+ms.GCSys+ms.OtherSys+ms.BuckHashSys)>>20, ms.Sys>>20, runtime.NumGoroutine(), ms.NumGC, gogc[0].Value.Uint64())
}

// stopProfiles ends the CPU profile, if it runs.
func stopProfiles() {
	profMu.Lock()
	defer profMu.Unlock()
	if profFile != nil {
		pprof.StopCPUProfile()
		profFile.Close()
		profFile = nil
	}
}

// benchStdout is the program's stdout: stderr once --bench-json is set.
type benchStdout struct{ stdout, stderr io.Writer }

func (w *benchStdout) Write(b []byte) (int, error) {
	if benchJSON {
		return w.stderr.Write(b)
	}
	return w.stdout.Write(b)
}
