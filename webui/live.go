package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// liveMessage is one message of the live feed (GET /ws). The first has
// Type "hello" with Info; then one "update" per live interval with the
// view, the exceptions and the history points the client has not seen.
// History.Reset tells the client to drop its points first (after a
// reset, a new test, or on the first update).
type liveMessage struct {
	Type       string          `json:"type"`
	Info       *Info           `json:"info,omitempty"`
	Auth       bool            `json:"auth,omitempty"`
	View       *View           `json:"view,omitempty"`
	Exceptions []ExceptionView `json:"exceptions,omitempty"`
	History    *liveHistory    `json:"history,omitempty"`
}

type liveHistory struct {
	Reset  bool           `json:"reset"`
	Points []HistoryPoint `json:"points"`
}

// handleLive upgrades to a WebSocket (the library refuses an Origin other
// than this server's) and pushes updates until the client leaves or the
// server shuts down.
//
// The feed is authenticated at the upgrade and checked again before every
// message: it closes when the session ends (logout, expiry, a changed
// password or role) or a Basic account changes.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	// The server's read and write deadlines are for requests; the feed,
	// authenticated, lives longer. Writes keep their own deadline below.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionContextTakeover})
	if err != nil {
		s.log.Debug("live feed refused", "error", err, "origin", r.Header.Get("Origin"))
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(4096)
	ctx := c.CloseRead(r.Context())
	info := s.ctrl.Info()
	if err := s.liveSend(ctx, c, &liveMessage{Type: "hello", Info: &info, Auth: s.auth != nil}); err != nil {
		return
	}
	tick := time.NewTicker(s.opts.LiveInterval)
	defer tick.Stop()
	var start float64
	sent := -1
	for {
		if !s.stillAllowed(p) {
			_ = c.Close(websocket.StatusPolicyViolation, "session ended")
			return
		}
		v := s.currentView()
		h := &liveHistory{}
		if sent < 0 || v.StartTime != start || len(v.History) < sent {
			h.Reset, h.Points = true, v.History
		} else {
			h.Points = v.History[sent:]
		}
		start, sent = v.StartTime, len(v.History)
		if h.Points == nil {
			h.Points = []HistoryPoint{}
		}
		if err := s.liveSend(ctx, c, &liveMessage{Type: "update", View: v, Exceptions: v.Exceptions, History: h}); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			_ = c.Close(websocket.StatusGoingAway, "server shutting down")
			return
		case <-tick.C:
		}
	}
}

func (s *Server) liveSend(ctx context.Context, c *websocket.Conn, m *liveMessage) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.Write(wctx, websocket.MessageText, data)
}

// stillAllowed reports whether p may still read: its session is alive and
// its account unchanged.
func (s *Server) stillAllowed(p *principal) bool {
	if s.auth == nil || p == nil {
		return s.auth == nil
	}
	if p.sid != "" {
		return s.auth.sessions.alive(p.sid, s.auth.account)
	}
	a := s.auth.account(p.name)
	return a != nil && p.acct != nil && a.stamp == p.acct.stamp
}
