package locust

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/golocust/locust/internal/cli"
)

// Locust's default percentile lists, as option values.
const (
	// defaultPercentiles is Locust's PERCENTILES_TO_REPORT: the columns
	// of the console's percentile table, the CSV files and the web UI's
	// column chooser.
	defaultPercentiles = "50,66,75,80,90,95,98,99,99.9,99.99,100"
	// defaultChartPercentiles are the web UI's chart lines; Locust's
	// PERCENTILES_TO_CHART is 50,95, golocust draws the 99th too.
	defaultChartPercentiles = "50,95,99"
)

// percentileOptions are --percentiles and --chart-percentiles, Locust's
// PERCENTILES_TO_REPORT and PERCENTILES_TO_CHART.
type percentileOptions struct {
	report, chart string
	// reportQ and chartQ are the parsed lists, quantiles 0 < q <= 1;
	// set by check.
	reportQ, chartQ []float64
}

// registerPercentileOptions adds the options of o to s.
func registerPercentileOptions(s *cli.Set, o *percentileOptions) {
	s.String(&o.report, "", "percentiles", "LIST", defaultPercentiles,
		"Response time percentiles (0 < p <= 100, comma-separated) of the console's percentile table, the CSV files and the web UI's statistics table, which shows the ones picked there (95 and 99 at first).")
	s.String(&o.chart, "", "chart-percentiles", "LIST", defaultChartPercentiles,
		fmt.Sprintf("Response time percentiles (0 < p <= 100, comma-separated, at most %d) drawn in the web UI's charts.", MaxChartPercentiles))
}

// check parses the lists; display names an option as the user gave it.
func (o *percentileOptions) check(display func(string) string) error {
	var err error
	if o.reportQ, err = parsePercentiles(o.report); err != nil {
		return cli.Usagef("%s %q: %v", display("percentiles"), o.report, err)
	}
	if o.chartQ, err = parsePercentiles(o.chart); err != nil {
		return cli.Usagef("%s %q: %v", display("chart-percentiles"), o.chart, err)
	}
	if len(o.chartQ) > MaxChartPercentiles {
		return cli.Usagef("%s %q: %d percentiles, at most %d allowed", display("chart-percentiles"), o.chart, len(o.chartQ), MaxChartPercentiles)
	}
	return nil
}

// parsePercentiles parses "50,95,99.9" into quantiles (0.5, 0.95,
// 0.999): at least one, each 0 < p <= 100, none twice.
func parsePercentiles(list string) ([]float64, error) {
	var qs []float64
	for f := range strings.SplitSeq(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("an empty item: give percentiles separated by commas, e.g. 50,95,99.9")
		}
		p, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(p) || p <= 0 || p > 100 {
			return nil, fmt.Errorf("%q is not a percentile: allowed a number with 0 < p <= 100", f)
		}
		// "99.9e-2" parses to the double nearest 0.999 (99.9/100 does not).
		q, err := strconv.ParseFloat(f+"e-2", 64)
		if err != nil {
			q = p / 100 // an exponent already: 9.5e1
		}
		for _, o := range qs {
			if o == q {
				return nil, fmt.Errorf("%s is given twice", f)
			}
		}
		qs = append(qs, q)
	}
	return qs, nil
}

// outputQuantiles returns qs, or [Percentiles] when qs is empty.
func outputQuantiles(qs []float64) []float64 {
	if len(qs) == 0 {
		return Percentiles
	}
	return qs
}
