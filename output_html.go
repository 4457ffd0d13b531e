package locust

// HTML report output (--html FILE): the web UI's report page of the final
// statistics, written atomically at the end of a test.

import (
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/golocust/locust/webui"
)

// htmlReportPath replaces {u}, {r} and {t} in --html FILE by the users,
// the spawn rate and the run time in seconds, as Locust.
func htmlReportPath(o *options) string {
	return strings.NewReplacer("{u}", strconv.Itoa(o.users),
		"{r}", strconv.FormatFloat(math.Trunc(o.spawnRate), 'f', 0, 64),
		"{t}", strconv.FormatInt(int64(o.runTime/time.Second), 10)).Replace(o.html)
}

// htmlOutput is the HTML report as a session output: written at the end
// of a test that ran, when --html is set.
type htmlOutput struct {
	p   *Program
	r   sessionRunner
	o   *options
	log *slog.Logger
}

func (h *htmlOutput) onTick(*Snapshot, int) {}

func (h *htmlOutput) onFinish(res *runResult) {
	if res.ran && h.o.html != "" {
		writeHTMLReport(h.p, h.r, h.o, res.snapshot, h.log)
	}
}

// writeHTMLReport writes the report of r's statistics s to --html FILE
// (atomically).
func writeHTMLReport(p *Program, r sessionRunner, o *options, s *Snapshot, log *slog.Logger) {
	b := newWebUIBridge(r, webuiInfo(p, r, o), log)
	path := htmlReportPath(o)
	var sb strings.Builder
	if err := webui.WriteReport(&sb, b.report(s)); err != nil {
		log.Error("writing the HTML report", "file", path, "error", err)
		return
	}
	if err := writeFileInDir(path, []byte(sb.String()), o.fileMode()); err != nil {
		log.Error("writing the HTML report", "file", path, "error", err)
		return
	}
	log.Info("HTML report written", "file", path)
}
