package webui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/golocust/locust/audit"
)

// A hostile or broken provider (or someone between the web UI and the
// provider's token endpoint) answers the code exchange with ID tokens
// that must not be accepted: signed by a key the provider does not
// publish, for another client, from another issuer, expired, with
// another sign-in's nonce, unsigned. The honest provider of tests/oidc
// cannot produce these; this one is written to.

type hostileIdP struct {
	srv    *httptest.Server
	key    *ecdsa.PrivateKey // published
	other  *ecdsa.PrivateKey // not published
	mu     sync.Mutex
	claims func(nonce string) map[string]any
	signer *ecdsa.PrivateKey // nil: unsigned (alg none)
	nonce  string            // of the last authorization request
}

func newHostileIdP(t *testing.T) *hostileIdP {
	t.Helper()
	p := &hostileIdP{}
	var err error
	if p.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if p.other, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/auth",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		claims, signer := p.claims(p.nonce), p.signer
		p.mu.Unlock()
		payload, _ := json.Marshal(claims)
		var tok string
		if signer == nil {
			b64 := base64.RawURLEncoding.EncodeToString
			tok = b64([]byte(`{"alg":"none"}`)) + "." + b64(payload) + "."
		} else {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: signer}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			jws, err := s.Sign(payload)
			if err != nil {
				t.Error(err)
				return
			}
			tok, _ = jws.CompactSerialize()
		}
		writeJSON(w, 200, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": tok})
	})
	return p
}

func TestOIDCHostileTokens(t *testing.T) {
	idp := newHostileIdP(t)
	ring := audit.NewRing(100)
	roles, _ := ParseOIDCRoles("ops=operator")
	srv, err := New(nopController{}, &Options{Addr: "127.0.0.1:0", Audit: ring, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OIDC: &OIDC{Issuer: idp.srv.URL, ClientID: "ui", ClientSecret: "s", Roles: roles}})
	if err != nil {
		t.Fatal(err)
	}
	ui := httptest.NewServer(srv.Handler())
	defer ui.Close()

	good := func(nonce string) map[string]any {
		now := time.Now().Unix()
		return map[string]any{"iss": idp.srv.URL, "aud": "ui", "sub": "s1", "email": "o@example.com", "nonce": nonce,
			"iat": now, "exp": now + 300, "groups": []string{"ops"}}
	}
	with := func(k string, v any) func(string) map[string]any {
		return func(nonce string) map[string]any {
			c := good(nonce)
			c[k] = v
			return c
		}
	}
	for _, c := range []struct {
		name   string
		claims func(string) map[string]any
		signer *ecdsa.PrivateKey
		reason string // empty: accepted
	}{
		{"an honest token", good, idp.key, ""},
		{"a key the provider does not publish", good, idp.other, "does not verify"},
		{"unsigned", good, nil, "does not verify"},
		{"another client's token", with("aud", "other-client"), idp.key, "does not verify"},
		{"another issuer", with("iss", "https://evil.example.com"), idp.key, "does not verify"},
		{"expired", with("exp", time.Now().Add(-time.Hour).Unix()), idp.key, "does not verify"},
		{"another sign-in's nonce", with("nonce", "someone-elses"), idp.key, "nonce"},
		{"no role claim", with("groups", nil), idp.key, "no role"},
	} {
		t.Run(c.name, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := cl.Get(ui.URL + "/login/oidc")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			authz, _ := url.Parse(resp.Header.Get("Location"))
			q := authz.Query()
			if authz.Path != "/auth" || q.Get("client_id") != "ui" || q.Get("redirect_uri") != ui.URL+"/login/oidc/callback" {
				t.Fatalf("authorization request: %s", authz)
			}
			idp.mu.Lock()
			idp.claims, idp.signer, idp.nonce = c.claims, c.signer, q.Get("nonce")
			idp.mu.Unlock()
			resp, err = cl.Get(ui.URL + "/login/oidc/callback?" + url.Values{"state": {q.Get("state")}, "code": {"c0de"}}.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			es := ring.Entries()
			last := es[len(es)-1]
			if c.reason == "" {
				if loc != "/" || last.Outcome != audit.OK || last.Actor != "o@example.com" || last.Role != "operator" {
					t.Errorf("refused: %s %+v", loc, last)
				}
				return
			}
			if !strings.HasPrefix(loc, "/login?sso=") || last.Outcome != audit.Denied || !strings.Contains(last.Reason, c.reason) {
				t.Errorf("accepted or not audited: %s %+v", loc, last)
			}
			// Forget the failures, so that the cases do not lock each
			// other out (the throttle is tested on its own).
			srv.auth.throttle.mu.Lock()
			clear(srv.auth.throttle.src)
			srv.auth.throttle.mu.Unlock()
		})
	}
}
