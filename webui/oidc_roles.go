package webui

import (
	"fmt"
	"slices"
	"strings"
)

// OIDCRoles maps the values of an ID token's role claim to roles: the
// rule set of --web-oidc-roles, "admins=admin,ops=operator,*=viewer".
// A signed-in user gets the highest role of the values their claim
// holds; the value * matches every user the provider signs in (a
// default role). A user no rule matches is refused. The zero OIDCRoles
// matches nobody. Immutable once parsed; safe for concurrent use.
type OIDCRoles struct {
	rules map[string]Role
	any   Role // role of *, 0 without one
}

// ParseOIDCRoles parses a comma-separated list of VALUE=ROLE rules, ROLE
// viewer, operator or admin; * as VALUE matches every user. Values are
// compared exactly (case matters, as in the token); surrounding spaces
// are ignored. A value listed twice, an empty value or an unknown role
// is an error naming the rule.
func ParseOIDCRoles(s string) (OIDCRoles, error) {
	m := OIDCRoles{rules: map[string]Role{}}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		value, role, ok := strings.Cut(item, "=")
		value, role = strings.TrimSpace(value), strings.TrimSpace(role)
		if !ok || value == "" {
			return OIDCRoles{}, fmt.Errorf("rule %q: want VALUE=ROLE, e.g. admins=admin,ops=operator,*=viewer", truncate(item, 80))
		}
		r, err := ParseRole(role)
		if err != nil {
			return OIDCRoles{}, fmt.Errorf("rule %q: %v", truncate(item, 80), err)
		}
		if _, dup := m.rules[value]; dup || (value == "*" && m.any != 0) {
			return OIDCRoles{}, fmt.Errorf("rule %q: the value %q has a role already", truncate(item, 80), truncate(value, 80))
		}
		if value == "*" {
			m.any = r
			continue
		}
		m.rules[value] = r
	}
	if len(m.rules) == 0 && m.any == 0 {
		return OIDCRoles{}, fmt.Errorf("no rules: want VALUE=ROLE,... e.g. admins=admin,ops=operator,*=viewer")
	}
	return m, nil
}

// Role returns the highest role that values (those of the role claim)
// map to, or 0 when no rule matches.
func (m OIDCRoles) Role(values []string) Role {
	best := m.any
	for _, v := range values {
		if r := m.rules[v]; r > best {
			best = r
		}
	}
	return best
}

// String returns the rules in the form ParseOIDCRoles reads, sorted.
func (m OIDCRoles) String() string {
	var out []string
	for v, r := range m.rules {
		out = append(out, v+"="+r.String())
	}
	slices.Sort(out)
	if m.any != 0 {
		out = append(out, "*="+m.any.String())
	}
	return strings.Join(out, ",")
}

// claimValues returns the strings a claim holds: a string, or the
// strings of an array. A name with dots that is not itself a claim is
// looked up as a path into nested objects ("realm_access.roles", as
// Keycloak puts them).
func claimValues(claims map[string]any, name string) []string {
	v, ok := claims[name]
	if !ok && strings.Contains(name, ".") {
		cur := any(claims)
		for part := range strings.SplitSeq(name, ".") {
			obj, isObj := cur.(map[string]any)
			if !isObj {
				cur = nil
				break
			}
			cur = obj[part]
		}
		v = cur
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
