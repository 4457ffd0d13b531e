package locust

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/golocust/locust/internal/cli"
)

// openOptions are the options of the open model, thresholds and safety
// limits (options_arrival.go keeps them apart from Locust's own options).
type openOptions struct {
	arrivalRate     string
	stages          string
	arrivalUsers    int
	arrivalMaxUsers int
	thresholds      []string
	abortOn         []string
	maxRPS          string
}

// openRepeat is a repeatable string option: each use adds one value
// (from locust.conf, the environment and the command line alike).
type openRepeat []string

func (v *openRepeat) Set(s string) error { *v = append(*v, s); return nil }
func (v *openRepeat) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(*v, "; ")
}

// registerOpenOptions adds the options of o to s, in their own group.
func registerOpenOptions(s *cli.Set, o *openOptions) {
	s.Group("Open model, thresholds and limits")
	s.String(&o.arrivalRate, "", "arrival-rate", "RATE", "", "Run in the open model: start iterations (one task each) at this rate, e.g. 1000/s, 60/m, 5/100ms, whatever their duration. -u and -r are then not used.")
	s.String(&o.stages, "", "stages", "DURATION:RATE,...", "", "Ramp the arrival rate linearly, stage after stage, from --arrival-rate (default 0) to each RATE over its DURATION, e.g. 30s:100/s,2m:1000/s,30s:0/s. The test ends after the last stage.")
	s.Int(&o.arrivalUsers, "", "arrival-users", "N", 0, "Users made before the first arrival (default: peak rate / 10).")
	s.Int(&o.arrivalMaxUsers, "", "arrival-max-users", "N", 0, "Most users the pool may grow to; arrivals finding none free are dropped and counted (default: max(100, peak rate × 10)).")
	s.Var((*openRepeat)(&o.thresholds), "", "threshold", "EXPR", "Pass/fail criterion, repeatable: '[ENTRY:] METRIC OP VALUE [for WINDOW] [abort]', e.g. 'p95<200ms', 'GET /checkout: p99<1s', 'fail_ratio<1%'. A failed threshold makes the exit code 3.")
	s.Var((*openRepeat)(&o.abortOn), "", "abort-on", "EXPR", "Stop the test early when this holds, repeatable, e.g. 'fail_ratio>20% for 10s'. The exit code is then 4.")
	s.String(&o.maxRPS, "", "max-rps", "RATE", "", "Never send more than this many requests per second in total, e.g. 500 or 500/s.")
}

// apply checks the options and sets the matching fields of cfg.
func (o *openOptions) apply(cfg *Config, display func(string) string) error {
	if o.arrivalRate != "" || o.stages != "" {
		a := &Arrival{PreAllocated: o.arrivalUsers, MaxUsers: o.arrivalMaxUsers}
		if o.arrivalRate != "" {
			r, err := parseRate(o.arrivalRate)
			if err != nil {
				return cli.Usagef("%s: %v", display("arrival-rate"), err)
			}
			a.Rate = r
		}
		if o.stages != "" {
			st, err := ParseStages(o.stages)
			if err != nil {
				return cli.Usagef("%s: %v", display("stages"), err)
			}
			a.Stages = st
		}
		if err := a.validate(); err != nil {
			return cli.Usagef("%s/%s: %v", display("arrival-rate"), display("stages"), openCLIText(err.Error()))
		}
		cfg.Arrival = a
	} else if o.arrivalUsers != 0 || o.arrivalMaxUsers != 0 {
		return cli.Usagef("%s and %s need --arrival-rate or --stages", display("arrival-users"), display("arrival-max-users"))
	}
	for _, s := range o.thresholds {
		th, err := ParseThreshold(s)
		if err != nil {
			return cli.Usagef("%s: %v", display("threshold"), err)
		}
		cfg.Thresholds = append(cfg.Thresholds, th)
	}
	for _, s := range o.abortOn {
		th, err := ParseAbortRule(s)
		if err != nil {
			return cli.Usagef("%s: %v", display("abort-on"), err)
		}
		cfg.Thresholds = append(cfg.Thresholds, th)
	}
	if o.maxRPS != "" {
		r, err := parseRate(o.maxRPS)
		if err != nil || r <= 0 {
			return cli.Usagef("%s %q: want a request rate above 0, e.g. 500 or 500/s", display("max-rps"), o.maxRPS)
		}
		cfg.MaxRPS = r
	}
	return nil
}

// openCLIText rewords a Config field error for the command line.
func openCLIText(s string) string {
	r := strings.NewReplacer("Config.Arrival.PreAllocated", "--arrival-users", "Config.Arrival.MaxUsers", "--arrival-max-users",
		"Config.Arrival.Rate", "--arrival-rate", "Config.Arrival: ", "")
	return r.Replace(s)
}

var _ flag.Value = (*openRepeat)(nil)

// parseRate parses an arrival or request rate: "1000/s", "60/m",
// "3600/h", "5/100ms" (count per duration) or a bare number of events per
// second ("250", "0.5"). It returns events per second.
func parseRate(s string) (float64, error) {
	in := strings.TrimSpace(s)
	num, per, hasPer := strings.Cut(in, "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("rate %q: want a number >= 0 optionally followed by /s, /m, /h or /DURATION, e.g. 1000/s", s)
	}
	if !hasPer {
		return v, nil
	}
	per = strings.TrimSpace(per)
	var d time.Duration
	switch per {
	case "s", "sec", "second":
		d = time.Second
	case "m", "min", "minute":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	default:
		d, err = time.ParseDuration(per)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("rate %q: unknown unit %q; allowed /s, /m, /h or a duration such as /100ms", s, per)
		}
	}
	return v / d.Seconds(), nil
}

// ParseStages parses an arrival-rate ramp: comma-separated DURATION:RATE
// stages, each ramping linearly from the previous rate to RATE over
// DURATION, e.g. "30s:100/s,2m:1000/s,30s:0/s" (ramp up to 100/s in 30 s,
// then to 1000/s in 2 minutes, then down to nothing in 30 s). Durations
// are Go durations ("1m30s"); rates are counts per duration ("1000/s", "60/m", "5/100ms") or a bare number per second.
func ParseStages(s string) ([]RateStage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("stages: empty; want DURATION:RATE[,DURATION:RATE...], e.g. 30s:100/s,2m:1000/s")
	}
	var out []RateStage
	for i, part := range strings.Split(s, ",") {
		ds, rs, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("stage %d %q: want DURATION:RATE, e.g. 30s:100/s", i+1, part)
		}
		d, err := time.ParseDuration(strings.TrimSpace(ds))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("stage %d %q: duration %q: want a positive duration such as 30s or 2m", i+1, part, ds)
		}
		r, err := parseRate(rs)
		if err != nil {
			return nil, fmt.Errorf("stage %d %q: %v", i+1, part, err)
		}
		out = append(out, RateStage{Duration: d, Target: r})
	}
	return out, nil
}
