package locust

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golocust/locust/internal/cli"
)

// TestOptionsOIDCErrors: every bad single sign-on setting is a usage
// error (exit 2) naming the option.
func TestOptionsOIDCErrors(t *testing.T) {
	iss := []string{"--web-oidc-issuer", "https://idp.example.com"}
	with := func(more ...string) []string { return append(slices.Clone(iss), more...) }
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"client id without issuer", nil, []string{"--web-oidc-client-id", "ui"}, "--web-oidc-client-id needs --web-oidc-issuer: the single sign-on provider"},
		{"roles without issuer", map[string]string{"LOCUST_WEB_OIDC_ROLES": "*=viewer"}, nil, "--web-oidc-roles needs --web-oidc-issuer: the single sign-on provider"},
		{"no client id", nil, with("--web-oidc-roles", "*=viewer"), "--web-oidc-issuer needs --web-oidc-client-id: the web UI's registration at the provider"},
		{"no roles", nil, with("--web-oidc-client-id", "ui"), "--web-oidc-issuer needs --web-oidc-roles, e.g. 'admins=admin,ops=operator,*=viewer': a user no rule matches is refused"},
		{"bad role", nil, with("--web-oidc-client-id", "ui", "--web-oidc-roles", "admins=root"), `--web-oidc-roles: rule "admins=root": unknown role "root": allowed viewer, operator, admin`},
		{"bad rule", nil, with("--web-oidc-client-id", "ui", "--web-oidc-roles", "admins"), `--web-oidc-roles: rule "admins": want VALUE=ROLE, e.g. admins=admin,ops=operator,*=viewer`},
		{"empty claim", nil, with("--web-oidc-client-id", "ui", "--web-oidc-roles", "*=viewer", "--web-oidc-role-claim", ""), "--web-oidc-role-claim must name a claim, e.g. groups"},
		{"secret twice", nil, with("--web-oidc-client-id", "ui", "--web-oidc-roles", "*=viewer", "--web-oidc-client-secret", "s", "--web-oidc-client-secret-file", empty),
			"--web-oidc-client-secret-file and --web-oidc-client-secret cannot both be set: keep the secret in the file only"},
		{"empty secret file", nil, with("--web-oidc-client-id", "ui", "--web-oidc-roles", "*=viewer", "--web-oidc-client-secret-file", empty),
			"--web-oidc-client-secret-file: the secret file " + empty + " is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, _, err := optTryParse(t, "", c.env, c.args...)
			if err == nil {
				_, err = o.config(optTestClasses("Browser"))
			}
			if err == nil || !cli.IsUsage(err) || err.Error() != c.want {
				t.Fatalf("got %v (usage: %v)\nwant %s", err, cli.IsUsage(err), c.want)
			}
		})
	}
}

// TestOptionsOIDCSources: the options come from the command line, the
// environment and locust.conf like every option; the secret from its
// file; and the secret never reaches the audit log's copy of the command
// line.
func TestOptionsOIDCSources(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(" s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := "web-oidc-issuer = https://idp.example.com\nweb-oidc-roles = admins=admin,*=viewer\nweb-oidc-scopes = groups\n"
	env := map[string]string{"LOCUST_WEB_OIDC_CLIENT_ID": "golocust-ui", "LOCUST_WEB_OIDC_CLIENT_SECRET_FILE": secretFile}
	o, _ := optParse(t, conf, env, "--web-oidc-role-claim", "realm_access.roles", "--web-oidc-redirect-url", "https://ui.example.com/login/oidc/callback")
	if _, err := o.config(optTestClasses("Browser")); err != nil {
		t.Fatal(err)
	}
	p := o.oidc.parsed
	if p == nil {
		t.Fatal("no single sign-on configuration")
	}
	if p.Issuer != "https://idp.example.com" || p.ClientID != "golocust-ui" || p.ClientSecret != "s3cret-from-file" ||
		p.RoleClaim != "realm_access.roles" || p.RedirectURL != "https://ui.example.com/login/oidc/callback" ||
		!slices.Equal(p.Scopes, []string{"groups"}) || p.Roles.String() != "admins=admin,*=viewer" {
		t.Errorf("parsed %+v", p)
	}
	// The run history keeps the options of each run, never the secret.
	o2, _ := optParse(t, "", map[string]string{"LOCUST_WEB_OIDC_CLIENT_SECRET": "env-s3cret"}, "--web-oidc-issuer", "https://idp.example.com")
	kept := historyOptionValues(o2.set.FlagSet(), func(name string) bool { _, ok := o2.optSource(name); return ok })
	if v := kept["web-oidc-client-secret"]; v != "REDACTED" || kept["web-oidc-issuer"] != "https://idp.example.com" {
		t.Errorf("history options: %q", kept)
	}
	args := redactArgs([]string{"--web-oidc-client-secret", "hunter2", "--web-oidc-client-secret=hunter3", "--web-oidc-client-secret-file", "/run/s"})
	if s := strings.Join(args, " "); strings.Contains(s, "hunter") || !strings.Contains(s, "/run/s") {
		t.Errorf("redacted command line: %s", s)
	}
}
