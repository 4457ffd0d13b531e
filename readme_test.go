package locust_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every Go snippet of README.md and docs/*.md is code that is compiled
// and run: it appears, line for line (indentation aside), in the
// examples/readme module, whose tests run it (.ci/run runs that module's
// tests).
func TestREADMESnippetsAreTested(t *testing.T) {
	docs, _ := filepath.Glob("docs/*.md")
	var blocks []string
	for _, path := range append([]string{"README.md"}, docs...) {
		if why, ok := readmeNotYetRun[path]; ok {
			t.Logf("%s: snippets not checked yet: %s", path, why)
			continue
		}
		md, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, readmeGoBlocks(string(md))...)
	}
	files, err := filepath.Glob("examples/readme/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in examples/readme: %v", err)
	}
	var sources [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, readmeLines(string(b)))
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go snippet")
	}
	for _, block := range blocks {
		want := readmeLines(block)
		found := false
		for _, src := range sources {
			if readmeContains(src, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("this snippet of the README or docs is not in examples/readme (copy it there so that it is compiled and run):\n%s", block)
		}
	}
}

// readmeNotYetRun are the documents whose Go snippets are not in
// examples/readme yet, with the reason. Keep it empty: move a snippet
// there (with what it needs to run) rather than adding a document here.
var readmeNotYetRun = map[string]string{
	"docs/history.md": "its baseline snippet needs a run store holding a saved run of the main branch",
}

// readmeGoBlocks returns the contents of the ```go fenced blocks of md.
func readmeGoBlocks(md string) []string {
	var out []string
	for {
		i := strings.Index(md, "```go\n")
		if i < 0 {
			return out
		}
		md = md[i+len("```go\n"):]
		j := strings.Index(md, "```")
		if j < 0 {
			return out
		}
		out = append(out, md[:j])
		md = md[j+3:]
	}
}

// readmeLines returns the non-empty lines of s without their indentation.
func readmeLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// readmeContains reports whether want is a contiguous run of src.
func readmeContains(src, want []string) bool {
	for i := 0; i+len(want) <= len(src); i++ {
		match := true
		for j := range want {
			if src[i+j] != want[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
