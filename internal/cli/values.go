package cli

import (
	"flag"
	"strings"
	"time"
)

// StringsVar returns a list value stored in *p. Each time it is set the
// items of the new value, separated by commas or spaces, optionally in
// brackets ("a,b", "a b", "[a, b]"), are added to the list: repeating the
// option ("-E slow -E buy") and giving it in several sources (config
// files, environment, command line) add up, and never silently keep only
// the last value. On the command line a list option takes every following
// argument up to the next option ("-T a b").
func StringsVar(p *[]string) flag.Value { return (*stringsValue)(p) }

type stringsValue []string

func (v *stringsValue) Set(s string) error { *v = append(*v, splitList(s)...); return nil }
func (v *stringsValue) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(*v, ",")
}
func (v *stringsValue) Get() any     { return []string(*v) }
func (v *stringsValue) IsList() bool { return true }

// TimespanVar returns a value stored in *p that accepts the forms of
// [ParseTimespan].
func TimespanVar(p *time.Duration) flag.Value { return (*timespanValue)(p) }

type timespanValue time.Duration

func (v *timespanValue) Set(s string) error {
	d, err := ParseTimespan(s)
	if err != nil {
		return err
	}
	*v = timespanValue(d)
	return nil
}
func (v *timespanValue) String() string {
	if v == nil {
		return "0s"
	}
	return time.Duration(*v).String()
}
func (v *timespanValue) Get() any { return time.Duration(*v) }
