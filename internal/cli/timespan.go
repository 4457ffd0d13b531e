package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const timespanForms = "use seconds (20) or a duration with units h, m, s, ms (20s, 3m, 1h30m, 1h30m15s, 1.5s)"

// ParseTimespan parses a Locust timespan: a number of seconds ("20",
// "2.5"), or hours, minutes and seconds ("20s", "3m", "1h30m",
// "1h30m15s"), or any other Go duration ("1.5s", "500ms"). Negative,
// empty and malformed values are errors that name the input and the
// allowed forms.
func ParseTimespan(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty timespan: %s", timespanForms)
	}
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("negative timespan %q: %s", s, timespanForms)
	}
	if t[0] >= '0' && t[0] <= '9' || t[0] == '.' {
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			if f > float64(1<<63-1)/float64(time.Second) {
				return 0, fmt.Errorf("timespan %q is too long", s)
			}
			return time.Duration(f * float64(time.Second)), nil
		}
		if d, err := time.ParseDuration(t); err == nil {
			return d, nil
		}
	}
	return 0, fmt.Errorf("invalid timespan %q: %s", s, timespanForms)
}
