// Package demo is a toy shop served over HTTP on a loopback port: the
// target of the quickstart example and of process tests.
//
// Endpoints (JSON bodies):
//
//	POST /login          {"user": "..."} -> {"token": "..."} and a "session" cookie
//	GET  /               the shop's front page
//	GET  /items          the catalogue: {"items": [1, 2, ...]}
//	GET  /items/{id}     one item; 404 for an id not in the catalogue
//	POST /cart           {"item": id} -> {"items": n}; needs the token (401), a known item (404)
//	POST /checkout       -> {"order": "..."}; needs the token (401) and a non-empty cart (409);
//	                     fails with 500 now and then (Options.CheckoutErrorRate)
//
// Responses take a few milliseconds (lognormal), and now and then tens of
// milliseconds, unless Options.NoLatency is set. The server counts every
// response by method, route pattern and status (Server.Counts), so tests
// can compare what it saw with what a load test reports.
package demo

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value is the demo's default
// behaviour: latency on, 2% of checkouts fail, a random seed.
type Options struct {
	// Seed makes the latency and error draws reproducible; 0 picks a
	// random seed.
	Seed uint64
	// NoLatency answers at once instead of sleeping a few milliseconds.
	NoLatency bool
	// CheckoutErrorRate is the share of checkouts answered with a 500,
	// 0..1. Zero means the default 0.02; negative means never.
	CheckoutErrorRate float64
	// Items is the size of the catalogue (ids 1..Items). Zero means 100.
	Items int
}

// Key identifies one counter of Server.Counts.
type Key struct {
	// Method is the request's method, e.g. "GET".
	Method string
	// Pattern is the route, e.g. "/items/{id}"; "(unmatched)" for a
	// request that matched no route.
	Pattern string
	// Status is the response's status code.
	Status int
}

// Server is a running demo shop. Create it with Start; stop it with Close.
// Its methods are safe for concurrent use.
type Server struct {
	// URL is the base address, e.g. "http://127.0.0.1:41234".
	URL string

	opts  Options
	items int
	srv   *http.Server
	ln    net.Listener
	done  chan struct{}

	rmu sync.Mutex // guards rnd
	rnd *rand.Rand

	mu      sync.Mutex // guards the fields below
	counts  map[Key]int64
	carts   map[string]int // token -> items in cart
	nextTok int64
	orders  int64
}

// Start serves a new demo shop on a free port of 127.0.0.1.
func Start(opts Options) (*Server, error) {
	if opts.CheckoutErrorRate > 1 {
		return nil, fmt.Errorf("demo: CheckoutErrorRate %v: want a share in 0..1 (negative for none)", opts.CheckoutErrorRate)
	}
	if opts.Items < 0 {
		return nil, fmt.Errorf("demo: Items %d: want a catalogue size >= 0", opts.Items)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: failed to listen on 127.0.0.1: %w", err)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Server{
		URL:    "http://" + ln.Addr().String(),
		opts:   opts,
		items:  opts.Items,
		ln:     ln,
		done:   make(chan struct{}),
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		counts: make(map[Key]int64),
		carts:  make(map[string]int),
	}
	if s.items == 0 {
		s.items = 100
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server at once, closing open connections. It may be
// called more than once.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Counts returns a copy of the response counters.
func (s *Server) Counts() map[Key]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts) // never nil: made by the constructor
}

// Handler returns the shop's routes with latency and counting, as Start
// serves them; another server serving it shares s's carts and counters.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /items", s.list)
	mux.HandleFunc("GET /items/{id}", s.item)
	mux.HandleFunc("POST /cart", s.addToCart)
	mux.HandleFunc("POST /checkout", s.checkout)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.sleep()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(sw, r)
		pattern := "(unmatched)"
		if _, p, ok := strings.Cut(r.Pattern, " "); ok {
			pattern = p
		}
		if pattern == "/{$}" {
			pattern = "/"
		}
		s.mu.Lock()
		s.counts[Key{Method: r.Method, Pattern: pattern, Status: sw.status}]++
		s.mu.Unlock()
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// sleep waits a lognormal few milliseconds (median 3 ms), and in 1% of
// requests 50 to 250 ms more.
func (s *Server) sleep() {
	if s.opts.NoLatency {
		return
	}
	s.rmu.Lock()
	d := time.Duration(3e6 * math.Exp(0.5*s.rnd.NormFloat64()))
	if s.rnd.Float64() < 0.01 {
		d += 50*time.Millisecond + time.Duration(s.rnd.Int64N(int64(200*time.Millisecond)))
	}
	s.rmu.Unlock()
	time.Sleep(d)
}

// chance reports true with probability p.
func (s *Server) chance(p float64) bool {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rnd.Float64() < p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ User string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.User == "" {
		writeError(w, http.StatusBadRequest, `want a JSON body {"user": "name"}`)
		return
	}
	s.mu.Lock()
	s.nextTok++
	tok := "tok-" + strconv.FormatInt(s.nextTok, 10)
	s.carts[tok] = 0
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: tok, Path: "/", HttpOnly: true})
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// token returns the request's bearer token if the shop issued it.
func (s *Server) token(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	s.mu.Lock()
	_, known := s.carts[tok]
	s.mu.Unlock()
	return tok, known
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!doctype html><title>Demo shop</title><h1>Demo shop</h1><p><a href=\"/items\">Catalogue</a></p>\n")
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	ids := make([]int, s.items)
	for i := range ids {
		ids[i] = i + 1
	}
	writeJSON(w, http.StatusOK, map[string][]int{"items": ids})
}

// itemID returns the item id s names, if it is in the catalogue.
func (s *Server) itemID(v string) (int, bool) {
	id, err := strconv.Atoi(v)
	return id, err == nil && id >= 1 && id <= s.items
}

func (s *Server) item(w http.ResponseWriter, r *http.Request) {
	id, ok := s.itemID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such item")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": "item " + strconv.Itoa(id), "price_cents": 100 + id*7%900})
}

func (s *Server) addToCart(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.token(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "log in first")
		return
	}
	var body struct{ Item int }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, `want a JSON body {"item": id}`)
		return
	}
	if _, ok := s.itemID(strconv.Itoa(body.Item)); !ok {
		writeError(w, http.StatusNotFound, "no such item")
		return
	}
	s.mu.Lock()
	s.carts[tok]++
	n := s.carts[tok]
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"items": n})
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.token(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "log in first")
		return
	}
	rate := s.opts.CheckoutErrorRate
	if rate == 0 {
		rate = 0.02
	}
	if rate > 0 && s.chance(rate) {
		writeError(w, http.StatusInternalServerError, "payment service unavailable")
		return
	}
	s.mu.Lock()
	n := s.carts[tok]
	if n > 0 {
		s.carts[tok] = 0
		s.orders++
	}
	order := s.orders
	s.mu.Unlock()
	if n == 0 {
		writeError(w, http.StatusConflict, "cart is empty")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": "o-" + strconv.FormatInt(order, 10), "items": n})
}
