package webui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"time"
)

// reportTmpl is the HTML report: the bundled style sheet and script
// inlined, and the data as a JSON script element, so that the file works
// offline and alone. Everything from the test is rendered by the script as
// text.
var reportTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"{{if .Theme}} data-theme="{{.Theme}}"{{end}}><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style{{if .Nonce}} nonce="{{.Nonce}}"{{end}}>{{.CSS}}</style>
</head><body class="report-body">
<div id="report"><noscript>This report draws its tables and charts with JavaScript; please enable it.</noscript></div>
<script type="application/json" id="report-data">{{.Data}}</script>
<script{{if .Nonce}} nonce="{{.Nonce}}"{{end}}>{{.JS}}</script>
</body></html>
`))

// reportTitle is the report's title, as Locust's "Test Report for
// <locustfile>": the program's name takes the locustfile's place.
func reportTitle(program string) string {
	if program == "" {
		return "Test Report"
	}
	return "Test Report for " + program
}

// reportData is the JSON the report script reads.
type reportData struct {
	Info        Info            `json:"info"`
	View        *View           `json:"view"`
	Exceptions  []ExceptionView `json:"exceptions"`
	History     []HistoryPoint  `json:"history"`
	Ratios      *Ratios         `json:"ratios,omitempty"`
	Quantiles   []float64       `json:"quantiles"`
	Generated   float64         `json:"generated"`
	RunTimeSecs float64         `json:"run_time"`
}

// WriteReport writes r as a self-contained HTML report: the run's period,
// host, classes, the verdict of the thresholds (View.Thresholds), request
// statistics, the schedule (View.Schedule), percentiles, failures,
// exceptions, ratios and the history charts, viewable offline.
func WriteReport(w io.Writer, r *Report) error {
	return writeReport(w, r, "", "")
}

func writeReport(w io.Writer, r *Report, theme, nonce string) error {
	if r == nil || r.View == nil {
		return fmt.Errorf("webui: the report has no view")
	}
	gen := r.Generated
	if gen.IsZero() {
		gen = time.Now()
	}
	d := reportData{Info: r.Info, View: r.View, Exceptions: r.View.Exceptions, History: r.View.History,
		Ratios: r.Ratios, Quantiles: ReportQuantiles, Generated: float64(gen.UnixMilli()) / 1000,
		RunTimeSecs: r.Info.RunTime.Seconds()}
	if d.Exceptions == nil {
		d.Exceptions = []ExceptionView{}
	}
	if d.History == nil {
		d.History = []HistoryPoint{}
	}
	data, err := json.Marshal(d) // escapes <, > and & : cannot end the script element
	if err != nil {
		return fmt.Errorf("webui: failed to encode the report data: %w", err)
	}
	js := bytes.ReplaceAll(assetBytes("report.js"), []byte("</script"), []byte(`<\/script`))
	css := bytes.ReplaceAll(assetBytes("app.css"), []byte("</style"), []byte(`<\/style`))
	title := reportTitle(r.Info.Program)
	var b bytes.Buffer
	err = reportTmpl.Execute(&b, map[string]any{
		"Theme": theme, "Nonce": nonce, "Title": title,
		"CSS":  template.CSS(css),
		"Data": template.JS(data),
		"JS":   template.JS(js),
	})
	if err != nil {
		return fmt.Errorf("webui: failed to render the report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}
