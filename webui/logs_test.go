package webui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/golocust/locust/webui"
)

// The ring keeps the latest lines, oldest first, splits writes into
// lines and cuts overlong ones.
func TestLogRing(t *testing.T) {
	r := webui.NewLogRing(3)
	if got := r.Lines(); len(got) != 0 {
		t.Fatalf("new ring: %q", got)
	}
	fmt.Fprint(r, "a\nb\n")
	fmt.Fprint(r, "c\n")
	if got := r.Lines(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("full ring: %q", got)
	}
	fmt.Fprint(r, "d\ne\n")
	if got := r.Lines(); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Errorf("wrapped ring: %q", got)
	}
	fmt.Fprint(r, strings.Repeat("x", 10000)+"\n")
	got := r.Lines()
	if last := got[len(got)-1]; len(last) > 4100 || !strings.HasSuffix(last, "…") {
		t.Errorf("long line kept as %d bytes", len(last))
	}
	if n := len(webui.NewLogRing(0).Lines()); n != 0 {
		t.Errorf("default ring has %d lines", n)
	}
	d := webui.NewLogRing(0)
	for i := range webui.DefaultLogLines + 10 {
		fmt.Fprintf(d, "line %d\n", i)
	}
	if got := d.Lines(); len(got) != webui.DefaultLogLines || got[0] != "line 10" {
		t.Errorf("default ring: %d lines, first %q", len(got), got[0])
	}
}
