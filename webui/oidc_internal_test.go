package webui

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// The full sign-in against a real provider in a real browser is in the
// module tests/oidc (it needs zitadel/oidc); these are the parts that
// need no provider.

func TestParseOIDCRoles(t *testing.T) {
	m, err := ParseOIDCRoles(" admins=admin, ops = operator ,*=viewer,")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		values []string
		want   Role
	}{
		{nil, RoleViewer},
		{[]string{"nobody"}, RoleViewer},
		{[]string{"ops"}, RoleOperator},
		{[]string{"ops", "admins"}, RoleAdmin},
		{[]string{"Admins"}, RoleViewer}, // exact: case matters
	} {
		if got := m.Role(c.values); got != c.want {
			t.Errorf("Role(%q) = %v, want %v", c.values, got, c.want)
		}
	}
	if s := m.String(); s != "admins=admin,ops=operator,*=viewer" {
		t.Errorf("String() = %q", s)
	}
	strict, err := ParseOIDCRoles("admins=admin")
	if err != nil {
		t.Fatal(err)
	}
	if r := strict.Role([]string{"users"}); r != 0 {
		t.Errorf("an unmapped value got %v", r)
	}
	if r := (OIDCRoles{}).Role([]string{"admins"}); r != 0 {
		t.Errorf("the zero OIDCRoles gave %v", r)
	}
	for in, want := range map[string]string{
		"":                      "no rules",
		"admins":                "want VALUE=ROLE",
		"=admin":                "want VALUE=ROLE",
		"admins=root":           `unknown role "root"`,
		"admins=public":         `unknown role "public"`,
		"a=admin,a=viewer":      `the value "a" has a role already`,
		"*=viewer,*=admin":      `the value "*" has a role already`,
		"admins=admin,ops=oper": `rule "ops=oper"`,
	} {
		_, err := ParseOIDCRoles(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOIDCRoles(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestOIDCClaimValues(t *testing.T) {
	claims := map[string]any{
		"groups":       []any{"ops", 7, "admins"},
		"role":         "admin",
		"realm_access": map[string]any{"roles": []any{"viewer"}},
		"a.b":          "literal",
		"n":            12.0,
	}
	for name, want := range map[string][]string{
		"groups":             {"ops", "admins"},
		"role":               {"admin"},
		"realm_access.roles": {"viewer"},
		"a.b":                {"literal"},
		"n":                  nil,
		"missing":            nil,
		"realm_access.x.y":   nil,
		"role.x":             nil,
	} {
		if got := claimValues(claims, name); !slices.Equal(got, want) {
			t.Errorf("claimValues(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestOIDCIdentity(t *testing.T) {
	if n := identity(map[string]any{"email": "a@x", "preferred_username": "al"}, "s1"); n != "a@x" {
		t.Errorf("email: %q", n)
	}
	if n := identity(map[string]any{"email": "a@x", "email_verified": false, "preferred_username": "al"}, "s1"); n != "al" {
		t.Errorf("an unverified email was used: %q", n)
	}
	if n := identity(map[string]any{}, "s1"); n != "s1" {
		t.Errorf("subject: %q", n)
	}
}

// TestOIDCConfigErrors: bad single sign-on settings fail New with an
// error naming the option, before anything listens; an unreachable
// issuer too.
func TestOIDCConfigErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	roles, _ := ParseOIDCRoles("*=viewer")
	for _, c := range []struct {
		o    OIDC
		want string
	}{
		{OIDC{Issuer: "http://idp.example.com", ClientID: "c", Roles: roles}, "--web-oidc-issuer \"http://idp.example.com\": must be https"},
		{OIDC{Issuer: "idp", ClientID: "c", Roles: roles}, "--web-oidc-issuer \"idp\": want the provider's issuer URL"},
		{OIDC{Issuer: "https://u:p@idp.example.com", ClientID: "c", Roles: roles}, "want the provider's issuer URL"},
		{OIDC{Issuer: closed, Roles: roles}, "--web-oidc-client-id"},
		{OIDC{Issuer: closed, ClientID: "c"}, "--web-oidc-roles"},
		{OIDC{Issuer: closed, ClientID: "c", Roles: roles, RedirectURL: "/login/oidc/callback"}, "--web-oidc-redirect-url"},
		{OIDC{Issuer: closed, ClientID: "c", Roles: roles}, "--web-oidc-issuer " + closed + ": cannot read the provider's discovery document"},
	} {
		o := c.o
		_, err := New(nopController{}, &Options{Addr: "127.0.0.1:0", OIDC: &o})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.o, err, c.want)
		}
	}
	// A provider whose discovery document names another issuer.
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"https://evil.example.com","authorization_endpoint":"x","token_endpoint":"y","jwks_uri":"z"}`))
	}))
	defer idp.Close()
	_, err = New(nopController{}, &Options{Addr: "127.0.0.1:0", OIDC: &OIDC{Issuer: idp.URL, ClientID: "c", Roles: roles}})
	if err == nil || !strings.Contains(err.Error(), "--web-oidc-issuer") || !strings.Contains(err.Error(), "evil.example.com") {
		t.Errorf("issuer mismatch: %v", err)
	}
}

// TestOIDCSessionsOutliveAccounts: a single sign-on session has no
// account in the users file, so reloading or emptying it does not end
// the session, and an account of the same name does not take it over.
func TestOIDCSessionsOutliveAccounts(t *testing.T) {
	st := newSessionStore(time.Hour, time.Hour)
	id, _ := st.createSSO("alice@example.com", RoleOperator)
	pid, _ := st.create(&account{name: "alice@example.com", role: RoleAdmin, stamp: "1"})
	none := func(string) *account { return nil }
	if n := st.prune(none); n != 1 {
		t.Errorf("pruned %d sessions, want the password one only", n)
	}
	if s := st.get(id, none); s == nil || s.role != RoleOperator || !s.sso {
		t.Fatalf("the single sign-on session is gone or changed: %+v", s)
	}
	if st.get(pid, none) != nil {
		t.Error("the password session outlived its account")
	}
	st.revoke(id)
	if st.get(id, none) != nil {
		t.Error("a revoked single sign-on session still works")
	}
}

// TestOIDCPendingBounds: sign-ins in flight are used once, and one
// source cannot hold more than its share of the table.
func TestOIDCPendingBounds(t *testing.T) {
	c := &ssoClient{pending: map[string]*ssoPending{}}
	first := c.begin(&ssoPending{source: "10.0.0.1"})
	for range oidcMaxPendingSource {
		c.begin(&ssoPending{source: "10.0.0.1"})
	}
	other := c.begin(&ssoPending{source: "10.0.0.2"})
	if len(c.pending) != oidcMaxPendingSource+1 {
		t.Errorf("%d sign-ins in flight, want %d", len(c.pending), oidcMaxPendingSource+1)
	}
	if c.take(first) != nil {
		t.Error("the oldest sign-in of a source that began too many was kept")
	}
	if c.take(other) == nil || c.take(other) != nil {
		t.Error("a state was not usable exactly once")
	}
	if c.take("") != nil || c.take(strings.Repeat("x", 200)) != nil {
		t.Error("an empty or overlong state was accepted")
	}
}
