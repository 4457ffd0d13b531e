// Package cli parses options the way Locust does, on top of a standard
// [flag.FlagSet]: long options with short aliases sharing one value, help
// grouped by topic, and values taken from config files and environment
// variables as well as from the command line.
//
// A [Set] wraps a flag set that the program may also register its own flags
// on; those get an environment variable and a config-file key too. Values
// are applied in this order, later sources overriding earlier ones: the
// default config file (if present), the file named by the config option,
// environment variables, command-line flags.
//
// Every mistake in the input is reported as a [*UsageError] naming the
// option, the source and what is allowed.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// UsageError is a mistake in the options given to a program: an unknown
// option, a bad value, a bad config file line. Its message is one line.
type UsageError struct {
	// Msg is the complete message.
	Msg string
}

// Error returns e.Msg.
func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a [*UsageError] with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// IsUsage reports whether err is or wraps a [*UsageError].
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// Set adds Locust-style option handling to a [flag.FlagSet]. Register the
// program's options with [Set.Group] and [Set.Var], then call [Set.Parse]
// once. Flags registered directly on the flag set are handled as well and
// listed under "Custom options" in the help. A Set is not safe for
// concurrent use.
type Set struct {
	fs        *flag.FlagSet
	envPrefix string

	group    string
	opts     map[string]*optInfo // by flag name, short names included
	order    []*optInfo
	pos      *positional
	config   string // long name of the config-file option, if any
	defConf  string // default config file name, looked up in dir
	homeConf string // config file name looked up in $HOME first, if any

	sources map[string]string // long name -> where its value came from
}

type optInfo struct {
	long, short, group, metavar, usage string
	env                                string // "" = none
}

type positional struct {
	name, metavar, usage, env string
}

// New returns a Set working on fs. Environment variables are envPrefix plus
// the long option name upper-cased with '-' replaced by '_' (with envPrefix
// "LOCUST_", --spawn-rate is LOCUST_SPAWN_RATE). Parse errors are reported
// by [Set.Parse], so fs's own error handling and output are not used.
func New(fs *flag.FlagSet, envPrefix string) *Set {
	fs.SetOutput(io.Discard)
	return &Set{
		fs:        fs,
		envPrefix: envPrefix,
		opts:      map[string]*optInfo{},
		sources:   map[string]string{},
	}
}

// FlagSet returns the flag set the Set works on.
func (s *Set) FlagSet() *flag.FlagSet { return s.fs }

// Group sets the help group of the options registered after it, such as
// "Common options".
func (s *Set) Group(name string) { s.group = name }

// Var registers an option named long (without dashes) and, if short is not
// empty, its one-letter alias; both set v. Metavar names the value in the
// help ("NUMBER"); it is ignored for boolean values. The option gets the
// default environment variable, which [Set.SetEnv] can change.
func (s *Set) Var(v flag.Value, short, long, metavar, usage string) {
	s.fs.Var(v, long, usage)
	s.Describe(long, short, metavar)
}

// register defines the flag long with define (a typed method of the flag
// set such as StringVar) and describes it as [Set.Var] does.
func register[T any](s *Set, define func(p *T, name string, def T, usage string), p *T, short, long, metavar string, def T, usage string) {
	define(p, long, def, usage)
	s.Describe(long, short, metavar)
}

// String registers a string option with the default def, as [Set.Var] does.
func (s *Set) String(p *string, short, long, metavar, def, usage string) {
	register(s, s.fs.StringVar, p, short, long, metavar, def, usage)
}

// Bool registers a boolean option with the default def, as [Set.Var] does.
func (s *Set) Bool(p *bool, short, long string, def bool, usage string) {
	register(s, s.fs.BoolVar, p, short, long, "", def, usage)
}

// Int registers an int option with the default def, as [Set.Var] does.
func (s *Set) Int(p *int, short, long, metavar string, def int, usage string) {
	register(s, s.fs.IntVar, p, short, long, metavar, def, usage)
}

// Int64 registers an int64 option with the default def, as [Set.Var] does.
func (s *Set) Int64(p *int64, short, long, metavar string, def int64, usage string) {
	register(s, s.fs.Int64Var, p, short, long, metavar, def, usage)
}

// Uint64 registers a uint64 option with the default def, as [Set.Var] does.
func (s *Set) Uint64(p *uint64, short, long, metavar string, def uint64, usage string) {
	register(s, s.fs.Uint64Var, p, short, long, metavar, def, usage)
}

// Float64 registers a float64 option with the default def, as [Set.Var] does.
func (s *Set) Float64(p *float64, short, long, metavar string, def float64, usage string) {
	register(s, s.fs.Float64Var, p, short, long, metavar, def, usage)
}

// Describe makes the flag long, already defined on the flag set (for
// example with IntVar), an option of the current group, with the alias
// short (if not empty) and the value name metavar, as [Set.Var] does. It
// panics if long is not defined: that is a programming error.
func (s *Set) Describe(long, short, metavar string) {
	f := s.fs.Lookup(long)
	if f == nil {
		panic("cli: Describe of undefined flag " + long)
	}
	o := &optInfo{long: long, short: short, group: s.group, metavar: metavar, usage: f.Usage, env: s.envName(long)}
	if short != "" {
		s.fs.Var(f.Value, short, f.Usage)
		s.opts[short] = o
	}
	s.opts[long] = o
	s.order = append(s.order, o)
}

// SetEnv changes the environment variable of the option long; "" means the
// option is not read from the environment.
func (s *Set) SetEnv(long, env string) {
	if o, ok := s.opts[long]; ok {
		o.env = env
	}
}

// Env returns the environment variable read for the option long, or "".
func (s *Set) Env(long string) string {
	if o, ok := s.opts[long]; ok {
		return o.env
	}
	if s.fs.Lookup(long) != nil {
		return s.envName(long)
	}
	return ""
}

// Positional declares the positional arguments: metavar names one in the
// help ("UserClass"). When none are given on the command line they are
// read, separated by spaces or commas, from the environment variable for
// name (LOCUST_USER_CLASSES for "user-classes"), else from the config-file
// key name.
func (s *Set) Positional(name, metavar, usage string) {
	s.pos = &positional{name: name, metavar: metavar, usage: usage, env: s.envName(name)}
}

// ConfigFile makes the option long (already registered) name a config file
// to read, and defaultFile (if not empty) a file read first when it exists
// in the working directory, as Locust's --config and locust.conf.
func (s *Set) ConfigFile(long, defaultFile string) {
	s.config = long
	s.defConf = defaultFile
}

// HomeConfigFile makes name (such as ".locust.conf") a config file read
// first, before the default one, when it exists in the home directory
// ($HOME), as Locust's ~/.locust.conf.
func (s *Set) HomeConfigFile(name string) { s.homeConf = name }

// Source reports where the value of the option long came from: "command
// line", "environment variable LOCUST_USERS" or "locust.conf:3". ok is
// false when the option was not set and has its default value.
func (s *Set) Source(long string) (source string, ok bool) {
	source, ok = s.sources[long]
	return source, ok
}

// Display returns how the option is written in messages and help:
// "-u/--users", "--headless".
func (s *Set) Display(long string) string {
	if o, ok := s.opts[long]; ok && o.short != "" && o.long == long {
		return "-" + o.short + "/--" + long
	}
	return dashed(long)
}

func (s *Set) envName(long string) string {
	return s.envPrefix + strings.ToUpper(strings.ReplaceAll(long, "-", "_"))
}

// canonical returns the long name of the flag called name.
func (s *Set) canonical(name string) string {
	if o, ok := s.opts[name]; ok {
		return o.long
	}
	return name
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
