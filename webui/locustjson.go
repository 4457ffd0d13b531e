package webui

import (
	"html"
	"slices"
	"strings"
)

// requestsBody is the JSON of GET /stats/requests: the [View] with the
// fields Locust 2.12 served besides, which newer Locust renamed and
// which existing scripts and the Prometheus exporter for Locust still
// read.
type requestsBody struct {
	*View
	// Stats shadows View.Stats with rows that carry the old names too.
	Stats []requestsRow `json:"stats"`
	// CurrentP95 and CurrentP50 are the Aggregated row's current
	// percentiles (ms), Locust 2.12's top-level names.
	CurrentP95 float64 `json:"current_response_time_percentile_95"`
	CurrentP50 float64 `json:"current_response_time_percentile_50"`
}

// requestsRow is one row of GET /stats/requests.
type requestsRow struct {
	EntryView
	// Method shadows EntryView.Method: null on the Aggregated row, as
	// Locust's total has no method.
	Method *string `json:"method"`
	// SafeName is the name HTML-escaped (&, <, >), as Locust 2.12.
	SafeName string `json:"safe_name"`
	// Ninetieth and NinetyNinth are the 90th and 99th percentiles (ms)
	// under Locust 2.12's names.
	Ninetieth   float64 `json:"ninetieth_response_time"`
	NinetyNinth float64 `json:"ninety_ninth_response_time"`
	// Quantiles shadows EntryView.Quantiles, the live table's columns,
	// and is always empty: Locust's rows have no such field.
	Quantiles []float64 `json:"quantiles,omitempty"`
}

var safeNameEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func newRequestsBody(v *View) *requestsBody {
	b := &requestsBody{View: v, Stats: make([]requestsRow, len(v.Stats)),
		CurrentP95: v.CurrentResponseTimePercentiles["response_time_percentile_0.95"],
		CurrentP50: v.CurrentResponseTimePercentiles["response_time_percentile_0.5"]}
	for i, e := range v.Stats {
		r := requestsRow{EntryView: e, SafeName: safeNameEscaper.Replace(e.Name), NinetyNinth: e.P99,
			Ninetieth: reportQuantile(e, 0.90)}
		if i != len(v.Stats)-1 || e.Name != "Aggregated" || e.Method != "" {
			m := e.Method
			r.Method = &m
		}
		b.Stats[i] = r
	}
	return b
}

// reportQuantile returns the entry's response time at q, one of
// ReportQuantiles, or 0 when it is not known.
func reportQuantile(e EntryView, q float64) float64 {
	if i := slices.Index(ReportQuantiles, q); i >= 0 && i < len(e.Percentiles) {
		return e.Percentiles[i]
	}
	return 0
}

// exceptionRow is one row of GET /exceptions, as Locust's: message and
// traceback HTML-escaped, nodes joined with ", ".
type exceptionRow struct {
	Count     int64  `json:"count"`
	Msg       string `json:"msg"`
	Traceback string `json:"traceback"`
	Nodes     string `json:"nodes"`
}

func newExceptionRows(ex []ExceptionView) []exceptionRow {
	out := make([]exceptionRow, len(ex))
	for i, x := range ex {
		out[i] = exceptionRow{Count: x.Count, Msg: html.EscapeString(x.Msg), Traceback: html.EscapeString(x.Traceback),
			Nodes: strings.Join(x.Nodes, ", ")}
	}
	return out
}
