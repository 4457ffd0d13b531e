package locust

import (
	"github.com/golocust/locust/internal/cli"
	"github.com/golocust/locust/webui"
)

// webOIDCOptions are the options of the web UI's single sign-on with an
// OpenID Connect provider (docs/security.md, "Single sign-on").
type webOIDCOptions struct {
	issuer           string
	clientID         string
	clientSecret     string
	clientSecretFile string
	redirectURL      string
	scopes           []string
	roleClaim        string
	roles            string

	// parsed is the checked configuration, nil without --web-oidc-issuer;
	// set by check.
	parsed *webui.OIDC
}

// registerOIDCOptions adds the single sign-on options to the web UI group.
func registerOIDCOptions(s *cli.Set, o *webOIDCOptions) {
	s.String(&o.issuer, "", "web-oidc-issuer", "URL", "", "Single sign-on: the OpenID Connect provider's issuer URL (https; read at start). The login page then offers \"Sign in with SSO\"; password accounts may coexist.")
	s.String(&o.clientID, "", "web-oidc-client-id", "ID", "", "Single sign-on: the web UI's client id at the provider.")
	s.String(&o.clientSecret, "", "web-oidc-client-secret", "SECRET", "", "Single sign-on: the client secret (empty for a public client). Prefer LOCUST_WEB_OIDC_CLIENT_SECRET or --web-oidc-client-secret-file to the command line.")
	s.String(&o.clientSecretFile, "", "web-oidc-client-secret-file", "FILE", "", "Read --web-oidc-client-secret from this file (a mounted secret); surrounding white space is ignored.")
	s.String(&o.redirectURL, "", "web-oidc-redirect-url", "URL", "", "Single sign-on: the web UI's /login/oidc/callback as browsers reach it, registered at the provider. Default: from each request's scheme and Host.")
	s.Var(cli.StringsVar(&o.scopes), "", "web-oidc-scopes", "SCOPE", "Single sign-on: more scopes to ask for (openid, email and profile always are), e.g. the one that puts the role claim in the ID token if the provider needs it.")
	s.String(&o.roleClaim, "", "web-oidc-role-claim", "NAME", "groups", "Single sign-on: the ID token claim holding the user's groups or roles (a string or a list; a.b looks into nested objects).")
	s.String(&o.roles, "", "web-oidc-roles", "RULES", "", "Single sign-on: map values of the role claim to roles, e.g. 'admins=admin,ops=operator,*=viewer' (* is every signed-in user; the highest match wins). A user no rule matches is refused.")
}

// check validates the single sign-on options and reads the secret file.
// Errors are usage errors naming the option.
func (o *options) oidcCheck() error {
	so := &o.oidc
	if so.issuer == "" {
		for _, name := range []string{"web-oidc-client-id", "web-oidc-client-secret", "web-oidc-client-secret-file", "web-oidc-redirect-url", "web-oidc-roles", "web-oidc-scopes"} {
			if _, set := o.optSource(name); set {
				return cli.Usagef("%s needs %s: the single sign-on provider", o.optDisplay(name), o.optDisplay("web-oidc-issuer"))
			}
		}
		return nil
	}
	if so.clientID == "" {
		return cli.Usagef("%s needs %s: the web UI's registration at the provider", o.optDisplay("web-oidc-issuer"), o.optDisplay("web-oidc-client-id"))
	}
	if so.roles == "" {
		return cli.Usagef("%s needs %s, e.g. 'admins=admin,ops=operator,*=viewer': a user no rule matches is refused",
			o.optDisplay("web-oidc-issuer"), o.optDisplay("web-oidc-roles"))
	}
	roles, err := webui.ParseOIDCRoles(so.roles)
	if err != nil {
		return cli.Usagef("%s: %v", o.optDisplay("web-oidc-roles"), err)
	}
	if so.roleClaim == "" {
		return cli.Usagef("%s must name a claim, e.g. groups", o.optDisplay("web-oidc-role-claim"))
	}
	if so.clientSecretFile != "" {
		if so.clientSecret != "" {
			return cli.Usagef("%s and %s cannot both be set: keep the secret in the file only",
				o.optDisplay("web-oidc-client-secret-file"), o.optDisplay("web-oidc-client-secret"))
		}
		if so.clientSecret, err = readSecretFile(so.clientSecretFile); err != nil {
			return cli.Usagef("%s: %v", o.optDisplay("web-oidc-client-secret-file"), err)
		}
	}
	so.parsed = &webui.OIDC{Issuer: so.issuer, ClientID: so.clientID, ClientSecret: so.clientSecret, RedirectURL: so.redirectURL,
		Scopes: so.scopes, RoleClaim: so.roleClaim, Roles: roles}
	return nil
}
