// Package oidc holds the tests of the web UI's single sign-on against a
// real OpenID Connect provider (zitadel/oidc's, run in-process on
// loopback) and, in a real headless Chromium, the whole browser flow.
// It is a module of its own so that zitadel/oidc, a heavy test-only
// dependency, never reaches programs that import golocust. Run it with
// (cd tests/oidc && go test -race ./...); .ci/run does.
package oidc
