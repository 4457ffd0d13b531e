package locust_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golocust/locust"
)

// namesUser records one sample under each of its class's names per task.
type namesUser struct{ names int }

func namesClass(names int) *locust.Class[*namesUser] {
	return &locust.Class[*namesUser]{
		Name: "Names",
		New:  func() *namesUser { return &namesUser{names: names} },
		Wait: locust.Constant(100 * time.Millisecond),
		Tasks: []locust.Task[*namesUser]{{Name: "record", Weight: 1, Fn: func(u *namesUser, ctx context.Context) error {
			for i := range u.names {
				locust.Record(ctx, locust.Sample{Type: "GET", Name: fmt.Sprintf("/items/%d", i), Duration: time.Millisecond})
			}
			return nil
		}}},
	}
}

// More than 1,000 distinct request names get one warning that says how to
// group them, however many statistics ticks see them; a few names get
// none. The runs are on synctest's clock (the users only record samples).
func TestRunWarnsOnceAboutManyRows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const want = "more than 1,000 distinct request names"
		res := runMainQuiet(t, &locust.Program{Classes: []locust.UserClass{namesClass(1200)}},
			"--headless", "-u", "1", "-r", "1", "-t", "3s", "--only-summary")
		if res.code != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
		}
		if n := strings.Count(res.stderr, want); n != 1 {
			t.Fatalf("the warning %q appears %d times, want once; stderr:\n%s", want, n, res.stderr)
		}
		if !strings.Contains(res.stderr, "locust.Name") {
			t.Errorf("the warning does not say how to group names:\n%s", res.stderr)
		}
		res = runMainQuiet(t, &locust.Program{Classes: []locust.UserClass{namesClass(10)}},
			"--headless", "-u", "1", "-r", "1", "-t", "3s", "--only-summary")
		if strings.Contains(res.stderr, want) {
			t.Errorf("10 names were warned about:\n%s", res.stderr)
		}
	})
}
