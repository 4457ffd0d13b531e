package locust

import (
	"github.com/golocust/locust/history"
	"github.com/golocust/locust/internal/redact"
	"github.com/golocust/locust/webui"
)

// webuiHistory is the run store as the web UI's History page browses
// it: the store the program opened, and the conversion of a stored run
// into the view of a stopped test.
type webuiHistory struct {
	*history.Store
}

var _ webui.History = webuiHistory{}

// View returns the stored run r as the view of a stopped test.
func (h webuiHistory) View(r *history.Run) (*webui.View, error) {
	s, err := HistorySnapshot(r)
	if err != nil {
		return nil, err
	}
	v := webuiView(s, StateStopped, r.Users, nil)
	v.Host = redact.URL(r.Host)
	for _, w := range r.Workers {
		v.Workers = append(v.Workers, webui.WorkerView{ID: w.ID, State: w.State, UserCount: w.Users})
	}
	v.WorkerCount = len(r.Workers)
	return v, nil
}

// webuiSetHistory gives the web UI the session's run store, if any.
func webuiSetHistory(srv *webui.Server, s *session) {
	if s.hist != nil && s.hist.store != nil {
		srv.SetHistory(webuiHistory{s.hist.store})
	}
}
