// Package webui serves the web UI of a load test: a start form, a live
// dashboard (statistics, the open model's schedule and dropped
// iterations, the thresholds' verdict, charts, failures, exceptions,
// ratios, workers, downloads) fed over a WebSocket, a Locust-compatible JSON API
// (POST /swarm, POST or GET /stop, POST /stats/reset, GET /stats/requests, the CSV
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
// and refuses a non-loopback address without accounts (unless
// [Options.AllowNoAuth]); a loopback server answers only to loopback host
// names (no DNS rebinding). Accounts ([Options.UsersFile], or one admin
// in [Options.Username]) have a [Role]; every endpoint is declared once in
// the route table ([Route], [Server.Routes]) with the least role it
// needs. Browsers log in through a form and get an HttpOnly,
// SameSite=Strict cookie (Secure under TLS) holding a random session id
// kept server side; API clients may use HTTP Basic, and only they are
// ever challenged for it. [Options.OIDC] adds single sign-on with an
// OpenID Connect provider, whose ID token's role claim maps to a role
// ([OIDCRoles]) and gives the same kind of session. Wrong passwords are answered late and lock a
// guessing source out. State changes are POSTs, refused cross-site and,
// for browser sessions, without the session's CSRF token; HEAD changes
// nothing; Locust's GET /stop is served to API clients only. Every state
// change and denial goes to the audit sink ([Options.Audit], package
// audit). Every page is served with a Content-Security-Policy that
// forbids inline script, and the front end renders every string from the
// target or the user code as text.
//
// The front end is TypeScript bundled with esbuild (charts by uPlot) into
// assets/, which is committed and embedded: users of the package need no
// Node.js. To rebuild it, run `npm ci && npm run build` in
// webui/frontend.
package webui
