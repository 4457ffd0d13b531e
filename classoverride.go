package locust

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/golocust/locust/internal/cli"
)

// classOverride is a user class with attributes changed from the command
// line: --config-users (weight, fixed count, host) and --equal-weights
// (every task of weight > 0 gets weight 1, at every level).
type classOverride struct {
	UserClass
	weight, fixed *int
	host          *string
	equal         bool
}

// equalizer is implemented by *Class[U]: a copy with equal task weights.
type equalizer interface {
	withEqualWeights() UserClass
}

func (c classOverride) compile(f tagFilter) (compiledClass, error) {
	base := c.UserClass
	if c.equal {
		if e, ok := base.(equalizer); ok {
			base = e.withEqualWeights()
		}
	}
	cc, err := base.compile(f)
	if err != nil {
		return cc, err
	}
	if c.weight != nil {
		cc.weight = *c.weight
	}
	if c.fixed != nil {
		cc.fixedCount = *c.fixed
	}
	if c.host != nil {
		cc.host = *c.host
	}
	return cc, nil
}

// withEqualWeights returns a copy of c whose tasks of weight > 0 all have
// weight 1, in task sets too: Locust's --equal-weights.
func (c *Class[U]) withEqualWeights() UserClass {
	cp := *c
	cp.Tasks = equalTasks(c.Tasks)
	return &cp
}

func equalTasks[U any](tasks []Task[U]) []Task[U] {
	out := slices.Clone(tasks)
	for i := range out {
		if out[i].Weight > 0 {
			out[i].Weight = 1
		}
		if s := out[i].Set; s != nil {
			cp := *s
			cp.Tasks = equalTasks(s.Tasks)
			out[i].Set = &cp
		}
	}
	return out
}

// configUser is one object of --config-users, as Locust's.
type configUser struct {
	Name       string  `json:"user_class_name"`
	Weight     *int    `json:"weight"`
	FixedCount *int    `json:"fixed_count"`
	Host       *string `json:"host"`
}

// parseConfigUsers reads --config-users values: each a JSON object, a
// JSON list of objects, or the name of a .json file holding one.
func parseConfigUsers(values []string, display string) ([]configUser, error) {
	var out []configUser
	for _, v := range values {
		text := strings.TrimSpace(v)
		src := display
		if !strings.HasPrefix(text, "{") && !strings.HasPrefix(text, "[") {
			b, err := os.ReadFile(text)
			if err != nil {
				return nil, cli.Usagef("%s %q: not JSON, and cannot read it as a file: %v", display, truncateText(text, 100), err)
			}
			text, src = strings.TrimSpace(string(b)), fmt.Sprintf("%s file %s", display, v)
		}
		var raw []json.RawMessage
		if strings.HasPrefix(text, "[") {
			if err := json.Unmarshal([]byte(text), &raw); err != nil {
				return nil, cli.Usagef("%s: %v", src, err)
			}
		} else {
			raw = []json.RawMessage{json.RawMessage(text)}
		}
		for _, r := range raw {
			dec := json.NewDecoder(strings.NewReader(string(r)))
			dec.DisallowUnknownFields()
			var cu configUser
			if err := dec.Decode(&cu); err != nil {
				return nil, cli.Usagef("%s: %v; allowed keys: user_class_name, weight, fixed_count, host", src, err)
			}
			switch {
			case cu.Name == "":
				return nil, cli.Usagef("%s: an object has no user_class_name", src)
			case cu.Weight != nil && *cu.Weight < 1:
				return nil, cli.Usagef("%s: %s: weight is %d; allowed 1 or more", src, cu.Name, *cu.Weight)
			case cu.FixedCount != nil && *cu.FixedCount < 0:
				return nil, cli.Usagef("%s: %s: fixed_count is %d; allowed 0 (not fixed) or more", src, cu.Name, *cu.FixedCount)
			case cu.Host != nil && optCheckHost(*cu.Host) != nil:
				return nil, cli.Usagef("%s: %s: host %q %v", src, cu.Name, *cu.Host, optCheckHost(*cu.Host))
			}
			out = append(out, cu)
		}
	}
	return out, nil
}

// overrideClasses applies --config-users and --equal-weights to classes.
func overrideClasses(classes []UserClass, users []configUser, equal bool) ([]UserClass, error) {
	for _, cu := range users {
		if !slices.ContainsFunc(classes, func(c UserClass) bool { return c.ClassName() == cu.Name }) {
			return nil, cli.Usagef("--config-users: unknown user class %q; available: %s", cu.Name, strings.Join(optClassNames(classes), ", "))
		}
	}
	if len(users) == 0 && !equal {
		return classes, nil
	}
	out := make([]UserClass, len(classes))
	for i, c := range classes {
		o := classOverride{UserClass: c, equal: equal}
		for _, cu := range users {
			if cu.Name != c.ClassName() {
				continue
			}
			if cu.Weight != nil {
				o.weight = cu.Weight
			}
			if cu.FixedCount != nil {
				o.fixed = cu.FixedCount
			}
			if cu.Host != nil {
				o.host = cu.Host
			}
		}
		out[i] = o
	}
	return out, nil
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
