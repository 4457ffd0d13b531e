package locust

// The program's own options (Program.Flags, Locust's custom arguments) in
// the web UI's start form: their description for the form, a run's values
// applied before its users start, and their way to the workers.

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/golocust/locust/webui"
)

// Choice is a [flag.Value] that accepts one of a fixed list of values: in
// the web UI's start form it is a drop-down. Register it with
// [flag.FlagSet.Var] in [Program.Flags] and read Value in tasks (see
// [Program.Flags] for when values change).
type Choice struct {
	// Choices are the allowed values.
	Choices []string
	// Value is the current value, one of Choices (the default until set).
	Value string
}

// String returns the current value.
func (c *Choice) String() string {
	if c == nil {
		return ""
	}
	return c.Value
}

// Set sets the value; a value not in Choices is an error naming them.
func (c *Choice) Set(v string) error {
	if !slices.Contains(c.Choices, v) {
		return fmt.Errorf("%q is not one of %s", v, strings.Join(c.Choices, ", "))
	}
	c.Value = v
	return nil
}

// Secret is a [flag.Value] of a string that is never shown: the web UI's
// start form masks it as a password field and never sends its value to
// the browser; the help, the run history, reports and the audit log show
// no value (String returns "" or "REDACTED"). Register it with
// [flag.FlagSet.Var] in [Program.Flags] and read it in tasks with
// [Secret.Value]. A master passes it to its workers with the run's other
// options, so protect the cluster (--cluster-token, TLS).
type Secret struct {
	v string
}

// NewSecret returns a Secret whose value is v, for a default.
func NewSecret(v string) *Secret { return &Secret{v: v} }

// Value returns the secret.
func (s *Secret) Value() string {
	if s == nil {
		return ""
	}
	return s.v
}

// Set sets the secret.
func (s *Secret) Set(v string) error {
	s.v = v
	return nil
}

// String hides the value: "REDACTED" when one is set, else "".
func (s *Secret) String() string {
	if s == nil || s.v == "" {
		return ""
	}
	return "REDACTED"
}

// programOptions are the flags Program.Flags registered, the start form's
// custom options. The bridge applies a run's values before its users
// start (no user runs then, so tasks read them without a race); a worker
// applies the values its master sends with a test's first spawn.
type programOptions struct {
	mu    sync.Mutex
	fs    *flag.FlagSet
	names []string // sorted
}

// registered returns the program options of fs: the flags that
// register adds to it.
func registered(fs *flag.FlagSet, register func(*flag.FlagSet)) (*programOptions, error) {
	before := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { before[f.Name] = true })
	if err := registerProgramFlags(register, fs); err != nil {
		return nil, err
	}
	po := &programOptions{fs: fs}
	fs.VisitAll(func(f *flag.Flag) {
		if !before[f.Name] {
			po.names = append(po.names, f.Name)
		}
	})
	return po, nil
}

// optionKind returns the start form's field kind of a flag's value.
func optionKind(v flag.Value) (kind string, choices []string, secret bool) {
	switch x := v.(type) {
	case *Secret:
		return webui.OptionText, nil, true
	case *Choice:
		return webui.OptionChoice, slices.Clone(x.Choices), false
	case interface{ IsBoolFlag() bool }:
		if x.IsBoolFlag() {
			return webui.OptionCheckbox, nil, false
		}
	}
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64, float64:
			return webui.OptionNumber, nil, false
		}
	}
	return webui.OptionText, nil, false
}

// infos describes the options to the start form, with their current
// values (none for a secret).
func (po *programOptions) infos() []webui.OptionInfo {
	if po == nil || len(po.names) == 0 {
		return nil
	}
	po.mu.Lock()
	defer po.mu.Unlock()
	out := make([]webui.OptionInfo, 0, len(po.names))
	for _, n := range po.names {
		f := po.fs.Lookup(n)
		kind, choices, secret := optionKind(f.Value)
		oi := webui.OptionInfo{Name: n, Kind: kind, Choices: choices, Secret: secret, Help: f.Usage}
		if !secret {
			oi.Value = f.Value.String()
		}
		out = append(out, oi)
	}
	return out
}

// value returns an option's current value, a secret's included.
func optionValue(f *flag.Flag) string {
	if s, ok := f.Value.(*Secret); ok {
		return s.Value()
	}
	return f.Value.String()
}

// values returns every option's current value, secrets included: what a
// master sends its workers.
func (po *programOptions) values() map[string]string {
	if po == nil || len(po.names) == 0 {
		return nil
	}
	po.mu.Lock()
	defer po.mu.Unlock()
	m := make(map[string]string, len(po.names))
	for _, n := range po.names {
		m[n] = optionValue(po.fs.Lookup(n))
	}
	return m
}

// optionError is a value refused for an option.
type optionError struct {
	name string
	err  error
}

func (e *optionError) Error() string { return fmt.Sprintf("%s: %v", e.name, e.err) }

// differs returns the first option of vals whose value differs from the
// current one (an empty secret keeps the current one), "" if none.
func (po *programOptions) differs(vals map[string]string) string {
	if po == nil {
		for _, n := range slices.Sorted(maps.Keys(vals)) {
			return n
		}
		return ""
	}
	po.mu.Lock()
	defer po.mu.Unlock()
	for _, n := range slices.Sorted(maps.Keys(vals)) {
		f := po.fs.Lookup(n)
		if f == nil || !slices.Contains(po.names, n) {
			return n
		}
		if _, secret := f.Value.(*Secret); secret && vals[n] == "" {
			continue
		}
		if optionValue(f) != vals[n] {
			return n
		}
	}
	return ""
}

// apply sets the options of vals, all or none: a name that is not a
// program option, or a value the option refuses, is an *optionError and
// leaves every option as it was. An empty value for a secret keeps it.
// No user may run while it does (the caller's contract).
func (po *programOptions) apply(vals map[string]string) error {
	if len(vals) == 0 {
		return nil
	}
	if po == nil {
		for _, n := range slices.Sorted(maps.Keys(vals)) {
			return &optionError{n, fmt.Errorf("this program has no option %q (Program.Flags registers none)", n)}
		}
	}
	po.mu.Lock()
	defer po.mu.Unlock()
	var done []optionOld
	for _, n := range slices.Sorted(maps.Keys(vals)) {
		f := po.fs.Lookup(n)
		if f == nil || !slices.Contains(po.names, n) {
			po.restore(done)
			return &optionError{n, fmt.Errorf("not an option of this program: allowed %s", strings.Join(po.names, ", "))}
		}
		if _, secret := f.Value.(*Secret); secret && vals[n] == "" {
			continue
		}
		done = append(done, optionOld{n, optionValue(f)})
		if err := po.fs.Set(n, vals[n]); err != nil {
			po.restore(done) // a flag.Value may change even when it refuses
			return &optionError{n, fmt.Errorf("invalid value %q: %v%s", vals[n], err, allowedHint(f.Value))}
		}
	}
	return nil
}

// optionOld is an option's value before apply changed it.
type optionOld struct{ name, value string }

// restore sets back the values apply changed.
func (po *programOptions) restore(done []optionOld) {
	for i := len(done) - 1; i >= 0; i-- {
		_ = po.fs.Set(done[i].name, done[i].value)
	}
}

// applyOptions applies a start's program options: before a test, all of
// them (a master also hands every current value to its workers for the
// test); while one runs, none may change. Errors are *webui.FieldError
// naming the option.
func (b *webuiBridge) applyOptions(vals map[string]string, running bool) error {
	if running {
		if n := b.prog.differs(vals); n != "" {
			return &webui.FieldError{Field: n, Message: n + " cannot change while a test runs: stop the test first"}
		}
		return nil
	}
	if err := b.prog.apply(vals); err != nil {
		var oe *optionError
		if errors.As(err, &oe) {
			return &webui.FieldError{Field: oe.name, Message: oe.Error()}
		}
		return err
	}
	if m, ok := b.r.(interface{ webuiSetOptions(map[string]string) }); ok && b.prog != nil {
		m.webuiSetOptions(b.prog.values())
	}
	return nil
}

// allowedHint says what a refused value of a standard flag type should
// have been.
func allowedHint(v flag.Value) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case int, int64:
		return " (allowed: an integer)"
	case uint, uint64:
		return " (allowed: an integer, 0 or more)"
	case float64:
		return " (allowed: a number)"
	case bool:
		return " (allowed: true or false)"
	}
	return ""
}
