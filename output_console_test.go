package locust

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestOutputConsoleNameWidth(t *testing.T) {
	for _, c := range []struct{ cols, want int }{
		{0, 80}, {-1, 80}, {80, 20}, {100, 20}, {101, 21}, {120, 40}, {160, 80}, {200, 80}, {400, 80},
	} {
		if got := consoleNameWidth(c.cols); got != c.want {
			t.Errorf("consoleNameWidth(%d) = %d, want %d", c.cols, got, c.want)
		}
	}
}

func TestOutputConsoleTermCols(t *testing.T) {
	for _, c := range []struct {
		env  string
		want int
	}{{"", 0}, {"132", 132}, {" 90 ", 90}, {"wide", 0}, {"-5", 0}, {"0", 0}} {
		t.Setenv("COLUMNS", c.env)
		if got := consoleTermCols(); got != c.want {
			t.Errorf("COLUMNS=%q: consoleTermCols() = %d, want %d", c.env, got, c.want)
		}
	}
}

func TestOutputConsoleCell(t *testing.T) {
	for _, c := range []struct {
		in     string
		width  int
		middle bool
		want   string
	}{
		{"/short", 10, true, "/short"},
		{"/exactly10", 10, true, "/exactly10"},
		{"/api/v1/items/{id}/details", 16, true, "/api/v1...etails"},
		{"/api/v1/items/{id}/details", 15, true, "/api/v...etails"},
		{"websocket", 8, false, "websocke"},
		{"a\nb\tc\x1b[31m", 20, true, "a b c\uFFFD[31m"},
		{"ünïcödé-näme", 8, true, "ünï...me"},
		{"abcdef", 4, true, "abcd"},
	} {
		got := consoleCell(c.in, c.width, c.middle)
		if got != c.want {
			t.Errorf("consoleCell(%q, %d, %v) = %q, want %q", c.in, c.width, c.middle, got, c.want)
		}
		if n := utf8.RuneCountInString(got); n > c.width {
			t.Errorf("consoleCell(%q, %d) is %d runes long", c.in, c.width, n)
		}
	}
}

// TestOutputConsoleGolden pins the layout of every console table for
// several terminal widths: the periodic table (current rates), the final
// one (total rates), the percentile table, the error and exception
// reports.
func TestOutputConsoleGolden(t *testing.T) {
	s := outputTestSnapshot(t)
	for _, cols := range []int{0, 100, 120, 200} {
		t.Run(strconv.Itoa(cols), func(t *testing.T) {
			t.Setenv("COLUMNS", strconv.Itoa(cols))
			nw := consoleNameWidth(consoleTermCols())
			var b bytes.Buffer
			for _, err := range []error{
				writeStatsTable(&b, s, true, nw),
				writeStatsTable(&b, s, false, nw),
				writePercentileTable(&b, s, nw),
				writeErrorReport(&b, s),
				writeExceptionReport(&b, s),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			checkGolden(t, "output_console_"+strconv.Itoa(cols)+".golden", b.Bytes())

			// The stats table fills the terminal exactly, as Locust's.
			lines := strings.Split(b.String(), "\n")
			if want := nw + 80; utf8.RuneCountInString(lines[0]) != want {
				t.Errorf("header is %d wide, want %d: %q", utf8.RuneCountInString(lines[0]), want, lines[0])
			}
			for i, l := range lines {
				if l == "" {
					break // end of the first table
				}
				if n := utf8.RuneCountInString(l); n != nw+80 {
					t.Errorf("stats table line %d is %d wide, want %d: %q", i, n, nw+80, l)
				}
			}
			for i, l := range lines {
				if strings.HasSuffix(l, " ") {
					t.Errorf("line %d has trailing spaces: %q", i, l)
				}
			}
		})
	}
}

// TestOutputConsoleLocustHeader compares the header and separator of the
// stats table with Locust's for its default width (no terminal).
func TestOutputConsoleLocustHeader(t *testing.T) {
	var b bytes.Buffer
	if err := writeStatsTable(&b, &Snapshot{Total: &EntryStats{Name: "Aggregated"}}, true, 80); err != nil {
		t.Fatal(err)
	}
	want := "Type     Name" + strings.Repeat(" ", 72) + "  # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s\n" +
		"--------|" + strings.Repeat("-", 76) + "|-------|-------------|-------|-------|-------|-------|--------|-----------\n" +
		"--------|" + strings.Repeat("-", 76) + "|-------|-------------|-------|-------|-------|-------|--------|-----------\n" +
		"         Aggregated" + strings.Repeat(" ", 66) + "       0     0(0.00%) |      0       0       0      0 |    0.00        0.00\n\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestOutputConsoleEmpty checks the tables of a test without any request:
// no percentile rows, no error report.
func TestOutputConsoleEmpty(t *testing.T) {
	s := NewStats("local").Snapshot()
	var b bytes.Buffer
	if err := writePercentileTable(&b, s, 80); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "\n"); got != 5 { // title, header, 2 separators, blank line
		lines := strings.Split(b.String(), "\n")
		t.Errorf("percentile table of an empty snapshot has %d lines: %q", got, lines)
	}
	b.Reset()
	if err := writeErrorReport(&b, s); err != nil || b.Len() != 0 {
		t.Errorf("error report without failures = %q, %v; want nothing", b.String(), err)
	}
	if err := writeExceptionReport(&b, s); err != nil || b.Len() != 0 {
		t.Errorf("exception report without exceptions = %q, %v; want nothing", b.String(), err)
	}
}

func BenchmarkOutputConsoleTables(b *testing.B) {
	s := outputBenchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		writeStatsTable(io.Discard, s, true, 80)
		writePercentileTable(io.Discard, s, 80)
	}
}
