package webui

import (
	"net/http"
	"strings"
)

// RowSeriesController is a [Controller] that keeps a time series per
// statistics row, which the per-row charts of the Statistics tab plot
// (GET /stats/series). Without it the endpoint answers 404.
type RowSeriesController interface {
	// RowSeries returns the series of the row (method, name), oldest
	// first: Time, RPS, FPS and P (at Info.ChartPercentiles) are set. ok
	// is false when the row has no series (no such row, or beyond the
	// controller's bound on rows).
	RowSeries(method, name string) (points []HistoryPoint, ok bool)
}

// maxSeriesParam bounds the method and name parameters of
// GET /stats/series.
const maxSeriesParam = 4096

// seriesBody is GET /stats/series.
type seriesBody struct {
	Method string         `json:"method"`
	Name   string         `json:"name"`
	Points []HistoryPoint `json:"points"`
}

// handleSeries answers GET /stats/series?method=GET&name=/x with the
// row's series.
func (s *Server) handleSeries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, v := range q {
		if k != "method" && k != "name" {
			writeError(w, badField(k, "unknown parameter %q: allowed method, name", truncate(k, 100)))
			return
		}
		if len(v) > 1 {
			writeError(w, badField(k, "%s is given %d times: allowed once", k, len(v)))
			return
		}
		if len(v[0]) > maxSeriesParam {
			writeError(w, badField(k, "%s is too long: allowed up to %d bytes", k, maxSeriesParam))
			return
		}
	}
	if !q.Has("name") {
		writeError(w, badField("name", "name is required: the name of a row of the statistics table"))
		return
	}
	method, name := q.Get("method"), q.Get("name")
	rs, ok := s.ctrl.(RowSeriesController)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody{Message: "this program keeps no per-row series"})
		return
	}
	pts, ok := rs.RowSeries(method, name)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody{Field: "name", Message: "no series for the row " +
			truncate(strings.TrimSpace(method+" "+name), 200) + ": no such row, or beyond the first rows, which alone keep one"})
		return
	}
	if pts == nil {
		pts = []HistoryPoint{}
	}
	writeJSON(w, http.StatusOK, seriesBody{Method: method, Name: name, Points: pts})
}
