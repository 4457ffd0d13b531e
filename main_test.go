package locust_test

import (
	"fmt"
	"os"
	"testing"
)

// realHome is the home directory the tests were started with. go build
// (distBuild) runs with it: under the tests' empty home it would find no
// Go environment, build cache or module cache, and download and compile
// every dependency again (minutes, and most of a gigabyte the read-only
// module cache keeps from being removed).
var realHome string

// TestMain gives the tests a home directory of their own: programs run in
// web UI mode keep a run history under the home directory by default, and
// the tests must not write into the real one.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "locust-test-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	realHome = os.Getenv("HOME")
	os.Setenv("HOME", home)
	code := m.Run()
	distBuildCleanup()
	browserCleanup()
	os.RemoveAll(home)
	os.Exit(code)
}
