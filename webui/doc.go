// Package webui serves the web UI of a load test: a start form, a live
// dashboard (statistics, the open model's schedule and dropped
// iterations, the thresholds' verdict, charts, failures, exceptions,
// ratios, workers, downloads) fed over a WebSocket, a Locust-compatible JSON API
// (POST /swarm, GET /stop, GET /stats/reset, GET /stats/requests, the CSV
// downloads, /exceptions, /tasks, /stats/report), and a self-contained
// HTML report.
//
// The package does not know the runners: it drives a [Controller], which
// package locust implements for its local runner and the master of a
// distributed test. Programs written with locust.Run get the UI without
// --headless; this package is for embedding the UI elsewhere.
//
//	srv, err := webui.New(ctrl, &webui.Options{Addr: "127.0.0.1:8089"})
//	if err != nil { ... }
//	ln, err := net.Listen("tcp", "127.0.0.1:8089")
//	if err != nil { ... }
//	err = srv.Serve(ctx, ln) // until ctx is done
//
// Security by default: the server binds loopback unless told otherwise,
// and refuses a non-loopback address without credentials (unless
// [Options.AllowNoAuth]); a loopback server answers only to loopback host
// names (no DNS rebinding); with credentials, browsers log in through a
// form and get an HttpOnly, SameSite=Strict session cookie (Secure under
// TLS) while API clients may use HTTP Basic; wrong passwords are answered
// late, one at a time. State-changing requests (POST, and Locust's GET
// /stop and /stats/reset) are refused when a browser says they come from
// another origin, and the WebSocket checks its Origin. Every page is
// served with a Content-Security-Policy that forbids inline script, and
// the front end renders every string from the target or the user code as
// text.
//
// The front end is TypeScript bundled with esbuild (charts by uPlot) into
// assets/, which is committed and embedded: users of the package need no
// Node.js. To rebuild it, run `npm ci && npm run build` in
// webui/frontend.
package webui
