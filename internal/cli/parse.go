package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// setting is one value for one option from one source.
type setting struct {
	name   string // long name
	value  string
	source string // "command line", "environment variable X", "file:line"
	typed  string // how the option was written there ("--users", "LOCUST_USERS", "users")
}

// Parse reads the options from the config files, the environment (getenv;
// nil means os.Getenv) and args (without the program name), in that order
// of precedence from lowest to highest, and returns the positional
// arguments. dir is the working directory: the default config file is
// looked up there and a relative config-file name is relative to it.
//
// Options and positional arguments may be mixed on the command line; "--"
// ends the options. An option takes "--name value", "--name=value", "-n
// value" and "-nvalue" forms; a boolean option takes no value unless
// written "--name=false". A list option (see [StringsVar]) takes every
// following argument up to the next option.
//
// Parse returns [flag.ErrHelp] when -h or --help is given (unless the
// program defined those flags itself) and a [*UsageError] for any mistake.
// Parse is called once per Set.
func (s *Set) Parse(args []string, getenv func(string) string, dir string) ([]string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	cmd, pos, err := s.scanArgs(args)
	if err != nil {
		return nil, err
	}

	// Config files: the default one, then the named one.
	var file []setting
	var filePos []string
	readConf := func(path, display string) error {
		st, p, err := s.readConfig(path, display)
		if err != nil {
			return err
		}
		file = append(file, st...)
		if p != nil {
			filePos = p
		}
		return nil
	}
	if home := getenv("HOME"); s.homeConf != "" && home != "" {
		path := filepath.Join(home, s.homeConf)
		if _, err := os.Stat(path); err == nil {
			if err := readConf(path, "~/"+s.homeConf); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					return nil, Usagef("cannot read config file %q: %v", path, pe.Err)
				}
				return nil, err
			}
		}
	}
	if s.defConf != "" {
		path := filepath.Join(dir, s.defConf)
		if _, err := os.Stat(path); err == nil {
			if err := readConf(path, s.defConf); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					return nil, Usagef("cannot read config file %q: %v", s.defConf, pe.Err)
				}
				return nil, err
			}
		}
	}
	if s.config != "" {
		name, how := "", ""
		for _, st := range cmd {
			if st.name == s.config {
				name, how = st.value, st.typed
			}
		}
		if name == "" {
			if env := s.Env(s.config); env != "" && getenv(env) != "" {
				name, how = getenv(env), env
			}
		}
		if name != "" {
			path := name
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			if err := readConf(path, name); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					return nil, Usagef("cannot read config file %q given by %s: %v", name, how, pe.Err)
				}
				return nil, err
			}
		}
	}

	// Environment variables.
	var env []setting
	s.fs.VisitAll(func(f *flag.Flag) {
		if s.canonical(f.Name) != f.Name {
			return // a short alias
		}
		name := s.Env(f.Name)
		if name == "" {
			return
		}
		if v := getenv(name); v != "" {
			env = append(env, setting{name: f.Name, value: v, source: "environment variable " + name, typed: name})
		}
	})

	for _, group := range [][]setting{file, env, cmd} {
		for _, st := range group {
			if err := s.apply(st); err != nil {
				return nil, err
			}
		}
	}

	if s.pos != nil && len(pos) == 0 {
		if v := getenv(s.pos.env); v != "" {
			pos = splitList(v)
		} else {
			pos = filePos
		}
	}
	if err := s.fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return nil, Usagef("%v", err)
	}
	return pos, nil
}

// scanArgs splits the command line into settings and positional arguments.
func (s *Set) scanArgs(args []string) ([]setting, []string, error) {
	var out []setting
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimPrefix(a[1:], "-")
		if name == "" || name[0] == '-' || name[0] == '=' {
			return nil, nil, Usagef("bad option syntax %q", a)
		}
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		typed := a
		if hasValue {
			typed = a[:len(a)-len(value)-1]
		}
		f := s.fs.Lookup(name)
		if f == nil && (name == "h" || name == "help") {
			return nil, nil, flag.ErrHelp
		}
		if f == nil && !hasValue && len(name) > 1 && a[1] != '-' {
			// -u10: a short option with its value attached.
			if g := s.fs.Lookup(name[:1]); g != nil && !isBool(g.Value) {
				f, value, hasValue, typed = g, name[1:], true, a[:2]
			}
		}
		if f == nil {
			return nil, nil, s.unknown(typed, strings.HasPrefix(a, "--"))
		}
		switch {
		case isBool(f.Value):
			if !hasValue {
				value = "true"
			}
		case hasValue:
		case isList(f.Value):
			var vals []string
			for i+1 < len(args) && !(len(args[i+1]) > 1 && args[i+1][0] == '-') {
				i++
				vals = append(vals, args[i])
			}
			value = strings.Join(vals, " ")
		default:
			if i+1 >= len(args) {
				return nil, nil, Usagef("option %s needs a value", typed)
			}
			i++
			value = args[i]
		}
		out = append(out, setting{name: s.canonical(f.Name), value: value, source: "command line", typed: typed})
	}
	if s.pos == nil && len(pos) > 0 {
		return nil, nil, Usagef("unexpected argument %q: this program takes no positional arguments", pos[0])
	}
	return out, pos, nil
}

// unknown returns the error for an unknown option written as typed.
func (s *Set) unknown(typed string, long bool) error {
	name := strings.TrimLeft(typed, "-")
	var cands []string
	s.fs.VisitAll(func(f *flag.Flag) { cands = append(cands, f.Name) })
	cands = append(cands, "help")
	if best := suggest(name, cands); best != "" {
		return Usagef("unknown option %s; did you mean %s?", typed, dashed(best))
	}
	return Usagef("unknown option %s (see --help for the options)", typed)
}

// readConfig reads a config file of "key = value" lines. display names the
// file in errors.
func (s *Set) readConfig(path, display string) ([]setting, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var out []setting
	var pos []string
	for n, line := range strings.Split(string(data), "\n") {
		where := fmt.Sprintf("%s:%d", display, n+1)
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' || line == "---" {
			continue
		}
		key, value := line, ""
		if i := strings.IndexAny(line, "=: \t"); i >= 0 {
			key = line[:i]
			value = strings.TrimSpace(line[i:])
			if value != "" && (value[0] == '=' || value[0] == ':') {
				value = strings.TrimSpace(value[1:])
			}
		}
		value = confStripComment(value)
		hasValue := value != ""
		value = confUnquote(value)

		if s.pos != nil && confKeyIs(key, s.pos.name) {
			pos = splitList(value)
			if pos == nil {
				pos = []string{}
			}
			continue
		}
		f := s.fs.Lookup(key)
		if f == nil {
			f = s.fs.Lookup(strings.ReplaceAll(key, "_", "-"))
		}
		if f == nil {
			var cands []string
			s.fs.VisitAll(func(f *flag.Flag) {
				if s.canonical(f.Name) == f.Name {
					cands = append(cands, f.Name)
				}
			})
			if s.pos != nil {
				cands = append(cands, s.pos.name)
			}
			if best := suggest(key, cands); best != "" {
				return nil, nil, Usagef("%s: unknown option %q; did you mean %q?", where, key, best)
			}
			return nil, nil, Usagef("%s: unknown option %q (keys are long option names without the leading --)", where, key)
		}
		long := s.canonical(f.Name)
		if long == s.config {
			return nil, nil, Usagef("%s: option %q cannot be set in a config file", where, key)
		}
		switch {
		case isBool(f.Value) && !hasValue:
			value = "true"
		case !hasValue && !isList(f.Value):
			return nil, nil, Usagef("%s: option %q needs a value (%s = VALUE)", where, key, key)
		}
		out = append(out, setting{name: long, value: value, source: where, typed: key})
	}
	return out, pos, nil
}

func confKeyIs(key, name string) bool {
	return key == name || strings.ReplaceAll(key, "_", "-") == name
}

// confStripComment removes a trailing " # comment" or " ; comment".
func confStripComment(v string) string {
	for i := 1; i < len(v); i++ {
		if (v[i] == '#' || v[i] == ';') && (v[i-1] == ' ' || v[i-1] == '\t') {
			return strings.TrimSpace(v[:i])
		}
	}
	return v
}

func confUnquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// apply sets one value and records its source.
func (s *Set) apply(st setting) error {
	f := s.fs.Lookup(st.name)
	value := st.value
	if isBool(f.Value) {
		b, ok := parseBoolWord(value)
		if !ok {
			return s.valueError(st, "must be true or false")
		}
		value = strconv.FormatBool(b)
	}
	if err := s.fs.Set(st.name, value); err != nil {
		return s.valueError(st, describeValueErr(f.Value, err))
	}
	s.sources[st.name] = st.source
	return nil
}

func (s *Set) valueError(st setting, why string) error {
	switch {
	case st.source == "command line":
		return Usagef("invalid value %q for %s: %s", st.value, st.typed, why)
	case strings.HasPrefix(st.source, "environment variable "):
		return Usagef("invalid value %q in %s (%s): %s", st.value, st.typed, s.Display(st.name), why)
	default:
		return Usagef("%s: invalid value %q for %s: %s", st.source, st.value, st.typed, why)
	}
}

// describeValueErr turns the flag package's terse errors for its own value
// types into what is allowed.
func describeValueErr(v flag.Value, err error) string {
	msg := err.Error()
	if msg != "parse error" && msg != "value out of range" {
		return msg
	}
	if msg == "value out of range" {
		return "value out of range"
	}
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64:
			return "must be a whole number"
		case uint, uint64:
			return "must be a whole number >= 0"
		case float64:
			return "must be a number"
		case time.Duration:
			return "must be a duration such as 1.5s, 3m or 1h30m"
		}
	}
	return "cannot be parsed"
}

// parseBoolWord accepts true/false, 1/0, yes/no and on/off in any case.
func parseBoolWord(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on", "t":
		return true, true
	case "false", "0", "no", "off", "f":
		return false, true
	}
	return false, false
}

func isBool(v flag.Value) bool {
	b, ok := v.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func isList(v flag.Value) bool {
	l, ok := v.(interface{ IsList() bool })
	return ok && l.IsList()
}

// splitList splits "a, b c" and "[a, b]" into their items.
func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		out = append(out, confUnquote(f))
	}
	return out
}
