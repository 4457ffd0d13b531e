package locust_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the tests a home directory of their own: programs run in
// web UI mode keep a run history under the home directory by default, and
// the tests must not write into the real one.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "locust-test-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", home)
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}
