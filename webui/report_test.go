package webui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/webui"
)

// Text from the target cannot end the report's data element or inject
// markup: the JSON is HTML-escaped, and the bundled script is inlined.
func TestWriteReportEscapes(t *testing.T) {
	evil := `</script><script>alert(1)</script><!--`
	v := &webui.View{State: "stopped", Host: "http://127.0.0.1:1/" + evil,
		Stats:  []webui.EntryView{{Method: "GET", Name: evil}, {Name: "Aggregated"}},
		Errors: []webui.ErrorView{{Method: "GET", Name: "/", Error: evil, Occurrences: 1}}}
	var b strings.Builder
	if err := webui.WriteReport(&b, &webui.Report{Info: webui.Info{Program: "t", Classes: []string{"A"}}, View: v, Generated: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, evil) || strings.Contains(out, "<script>alert") {
		t.Error("the report contains the target's markup unescaped")
	}
	if n := strings.Count(out, "<script"); n != 2 {
		t.Errorf("%d script elements, want the data and the bundle", n)
	}
	if n := strings.Count(out, "</script>"); n != 2 {
		t.Errorf("%d script end tags, want 2", n)
	}
	for _, want := range []string{`id="report-data"`, `\u003c/script\u003e`, "<style>", "u-legend", "<title>Test Report for t</title>"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if err := webui.WriteReport(&b, &webui.Report{}); err == nil {
		t.Error("a report without a view was written")
	}
}

// The verdict and the schedule travel in the report's data, escaped like
// everything else.
func TestWriteReportVerdictAndSchedule(t *testing.T) {
	evil := `GET </script><b>x</b>: p95<200ms`
	v := &webui.View{State: "stopped", Stats: []webui.EntryView{{Name: "Aggregated"}},
		Schedule: &webui.ScheduleView{Scheduled: 100, Dropped: 7, DroppedRatio: 0.07, Lag: webui.TimingView{Count: 93, P99: 1.5}},
		Thresholds: &webui.VerdictView{Results: []webui.ThresholdView{
			{Threshold: evil, Pass: true, ObservedText: "12ms"}, {Threshold: "dropped==0", ObservedText: "7"}}}}
	var b strings.Builder
	if err := webui.WriteReport(&b, &webui.Report{Info: webui.Info{Classes: []string{"A"}}, View: v}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<b>x</b>") || strings.Count(out, "</script>") != 2 {
		t.Error("the threshold's text is not escaped")
	}
	for _, want := range []string{`"schedule":{"scheduled":100,"dropped":7,"dropped_ratio":0.07`, `"thresholds":{"pass":false`,
		`"threshold":"GET \u003c/script\u003e\u003cb\u003ex\u003c/b\u003e: p95\u003c200ms"`, `"observed_text":"7"`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %s", want)
		}
	}
}
