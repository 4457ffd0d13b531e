package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode"
)

const (
	helpIndent = 2
	helpColumn = 24 // where option descriptions start, as argparse's
	helpWidth  = 79
)

// customGroup is the help group of flags registered on the flag set
// directly rather than through [Set.Var].
const customGroup = "Custom options"

// PrintHelp writes the usage line and every option, grouped as registered
// (flags added directly to the flag set come last, under "Custom
// options"), each with its short and long forms, its value name, its
// description and its default when not zero.
func (s *Set) PrintHelp(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [options]", s.fs.Name())
	if s.pos != nil {
		fmt.Fprintf(&b, " [%s ...]", s.pos.metavar)
	}
	b.WriteString("\n")

	var groups []string
	byGroup := map[string][]*optInfo{}
	add := func(o *optInfo) {
		if _, ok := byGroup[o.group]; !ok {
			groups = append(groups, o.group)
		}
		byGroup[o.group] = append(byGroup[o.group], o)
	}
	for _, o := range s.order {
		add(o)
	}
	s.fs.VisitAll(func(f *flag.Flag) {
		if _, ok := s.opts[f.Name]; ok {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		add(&optInfo{long: f.Name, group: customGroup, metavar: strings.ToUpper(name), usage: usage})
	})
	if len(groups) == 0 {
		groups = []string{"Options"}
	}

	for gi, g := range groups {
		if g == "" {
			g = "Options"
		}
		fmt.Fprintf(&b, "\n%s:\n", g)
		if gi == 0 {
			if s.fs.Lookup("help") == nil && s.fs.Lookup("h") == nil {
				helpEntry(&b, "-h, --help", "Show this help and exit.")
			}
			if s.pos != nil {
				helpEntry(&b, s.pos.metavar+" ...", s.pos.usage)
			}
		}
		for _, o := range byGroup[groups[gi]] {
			inv := dashed(o.long)
			if o.short != "" {
				inv = "-" + o.short + ", " + inv
			}
			f := s.fs.Lookup(o.long)
			if !isBool(f.Value) && o.metavar != "" {
				inv += " " + o.metavar
				if isList(f.Value) {
					inv += " [" + o.metavar + " ...]"
				}
			}
			usage := o.usage
			if isList(f.Value) {
				usage += " Takes a list: several values, comma- or space-separated, and repeated options add up."
			}
			if !isZeroDefault(f.DefValue) {
				usage += fmt.Sprintf(" (default: %s)", f.DefValue)
			}
			helpEntry(&b, inv, usage)
		}
	}

	if s.envPrefix != "" || s.defConf != "" {
		b.WriteString("\n")
		var note string
		switch {
		case s.defConf != "" && s.config != "":
			home := ""
			if s.homeConf != "" {
				home = "from ~/" + s.homeConf + ", "
			}
			note = fmt.Sprintf("Options are read, each overriding the one before (the values of list options add up instead), %sfrom %s in the working directory, from the file given by --%s, from environment variables and from the command line. ", home, s.defConf, s.config)
		default:
			note = "Options are read from environment variables, overridden by the command line (the values of list options add up instead). "
		}
		if s.defConf != "" {
			note += "A config file has \"key = value\" lines where key is the long option name without the dashes (" + nbsp("spawn-rate = 10") + ", " + nbsp("headless = true") + ", " + nbsp("tags = [a, b]") + "). "
		}
		if s.envPrefix != "" {
			note += fmt.Sprintf("An environment variable is %s plus the long name in upper case with - replaced by _ (%sSPAWN_RATE).", s.envPrefix, s.envPrefix)
		}
		for _, l := range wrapWords(note, helpWidth) {
			b.WriteString(l + "\n")
		}
	}
	io.WriteString(w, b.String())
}

func helpEntry(b *strings.Builder, inv, usage string) {
	lines := wrapWords(usage, helpWidth-helpColumn)
	head := strings.Repeat(" ", helpIndent) + inv
	if len(head) > helpColumn-2 || len(lines) == 0 {
		b.WriteString(head + "\n")
	} else {
		b.WriteString(head + strings.Repeat(" ", helpColumn-len(head)) + lines[0] + "\n")
		lines = lines[1:]
	}
	for _, l := range lines {
		b.WriteString(strings.Repeat(" ", helpColumn) + l + "\n")
	}
}

// wrapWords breaks text into lines of at most width bytes where possible.
func wrapWords(text string, width int) []string {
	var lines []string
	var cur string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) && r != '\u00a0' }) {
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, "\u00a0", " ")
	}
	return lines
}

// nbsp joins the words of s so that wrapWords keeps them on one line.
func nbsp(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }

func isZeroDefault(v string) bool {
	switch v {
	case "", "0", "false", "0s", "[]":
		return true
	}
	return false
}
