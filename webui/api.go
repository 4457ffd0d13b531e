package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golocust/locust/audit"
	"github.com/golocust/locust/internal/cli"
	"github.com/golocust/locust/internal/hostmatch"
	"github.com/golocust/locust/internal/redact"
)

// Limits of POST /swarm.
const (
	// MaxUsers is the largest user count the form accepts.
	MaxUsers = 10_000_000
	// MaxSpawnRate is the largest spawn rate (users per second) the form
	// accepts.
	MaxSpawnRate = 1_000_000.0
	// MaxRunTime is the longest run time the form accepts.
	MaxRunTime = 366 * 24 * time.Hour
	maxHostLen = 2048
	maxBody    = 1 << 20
)

// apiError is an error answered with a status and a JSON body naming the
// field at fault.
type apiError struct {
	status  int
	field   string
	message string
}

func (e *apiError) Error() string { return e.message }

func badField(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, field: field, message: fmt.Sprintf(format, args...)}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Success bool   `json:"success"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, message: err.Error()}
	}
	writeJSON(w, ae.status, errorBody{Field: ae.field, Message: ae.message})
}

// swarmFields are the fields POST /swarm knows, besides the program's own
// options. Locust's "profile" and "shape_class" are accepted, so that
// Locust scripts work unchanged.
var swarmFields = []string{"user_count", "spawn_rate", "host", "run_time", "user_classes", "profile", "shape_class"}

// parseSwarm reads and validates the form or JSON body of POST /swarm.
func (s *Server) parseSwarm(r *http.Request) (StartRequest, error) {
	var req StartRequest
	vals, err := readSwarmBody(r)
	if err != nil {
		return req, err
	}
	info := s.ctrl.Info()
	var unknown []string
	for k := range vals {
		if !slices.Contains(swarmFields, k) && optionInfo(info, k) == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		allowed := slices.Clone(swarmFields[:5])
		for _, o := range info.Options {
			allowed = append(allowed, o.Name)
		}
		return req, badField(unknown[0], "unknown field %q: allowed fields are %s", truncate(unknown[0], 100), strings.Join(allowed, ", "))
	}
	for _, k := range []string{"user_count", "spawn_rate", "host", "run_time", "profile", "shape_class"} {
		if len(vals[k]) > 1 {
			return req, badField(k, "%s is given %d times: allowed once", k, len(vals[k]))
		}
	}
	one := func(k string) (string, bool) {
		v, ok := vals[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return strings.TrimSpace(v[0]), true
	}

	uc, ok := one("user_count")
	switch {
	case !ok || uc == "":
		if !info.Shape {
			return req, badField("user_count", "user_count is required: an integer from 0 to %d", MaxUsers)
		}
	default:
		n, err := strconv.ParseInt(uc, 10, 64)
		if err != nil || n < 0 || n > MaxUsers {
			return req, badField("user_count", "user_count must be an integer from 0 to %d, got %q", MaxUsers, uc)
		}
		req.Users = int(n)
	}
	sr, ok := one("spawn_rate")
	switch {
	case !ok || sr == "":
		if !info.Shape {
			return req, badField("spawn_rate", "spawn_rate is required: a number of users per second greater than 0 and at most %g", MaxSpawnRate)
		}
	default:
		f, err := strconv.ParseFloat(sr, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > MaxSpawnRate {
			return req, badField("spawn_rate", "spawn_rate must be a number greater than 0 and at most %g, got %q", MaxSpawnRate, sr)
		}
		req.SpawnRate = f
	}
	if h, ok := one("host"); ok && h != "" {
		if err := checkHost(h); err != nil {
			return req, badField("host", "host %q %v", truncate(redact.URL(h), 100), err)
		}
		req.Host = h
	}
	if rt, ok := one("run_time"); ok && rt != "" {
		d, err := cli.ParseTimespan(rt)
		if err != nil {
			return req, badField("run_time", "run_time: %v; from 1s to %s, or empty for no limit", err, "366 days")
		}
		if d < time.Second || d > MaxRunTime {
			return req, badField("run_time", "run_time must be from 1s to 366 days, or empty for no limit, got %q", truncate(rt, 100))
		}
		req.RunTime = d
	}
	// As Locust, the class list counts only with the class picker on;
	// otherwise it is ignored.
	for _, c := range vals["user_classes"] {
		c = strings.TrimSpace(c)
		if c == "" || !info.ClassPicker {
			continue
		}
		if !slices.Contains(info.Classes, c) {
			return req, badField("user_classes", "unknown user class %q: allowed %s", truncate(c, 100), strings.Join(info.Classes, ", "))
		}
		if !slices.Contains(req.Classes, c) {
			req.Classes = append(req.Classes, c)
		}
	}
	// Locust's shape picker sends "Default" for no shape; without the
	// picker Locust ignores the field.
	if sc, _ := one("shape_class"); sc != "" && sc != "Default" && info.ClassPicker {
		return req, badField("shape_class", "shape_class %q: picking a load shape in the web UI is not supported; leave it empty or Default", truncate(sc, 100))
	}
	for _, o := range info.Options {
		v, ok := vals[o.Name]
		if !ok {
			continue
		}
		if len(v) > 1 {
			return req, badField(o.Name, "%s is given %d times: allowed once", o.Name, len(v))
		}
		val, err := checkOption(o, strings.TrimSpace(v[0]))
		if err != nil {
			return req, err
		}
		if req.Options == nil {
			req.Options = map[string]string{}
		}
		req.Options[o.Name] = val
	}
	return req, nil
}

func optionInfo(info Info, name string) *OptionInfo {
	for i := range info.Options {
		if info.Options[i].Name == name {
			return &info.Options[i]
		}
	}
	return nil
}

// checkOption validates a value of a program option against its kind and
// returns it normalised (a check box's value as "true" or "false").
func checkOption(o OptionInfo, v string) (string, error) {
	if len(v) > maxHostLen {
		return "", badField(o.Name, "%s is too long: allowed up to %d bytes", o.Name, maxHostLen)
	}
	switch o.Kind {
	case OptionNumber:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", badField(o.Name, "%s must be a number, got %q", o.Name, truncate(v, 100))
		}
	case OptionCheckbox:
		switch strings.ToLower(v) {
		case "on", "true", "1":
			return "true", nil
		case "", "off", "false", "0":
			return "false", nil
		}
		return "", badField(o.Name, "%s must be true or false, got %q", o.Name, truncate(v, 100))
	case OptionChoice:
		if !slices.Contains(o.Choices, v) {
			return "", badField(o.Name, "%s must be one of %s, got %q", o.Name, strings.Join(o.Choices, ", "), truncate(v, 100))
		}
	default:
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return "", badField(o.Name, "%s contains control characters or is not UTF-8", o.Name)
		}
	}
	return v, nil
}

// readSwarmBody returns the fields of a form (urlencoded or multipart),
// a JSON object or the query string.
func readSwarmBody(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, field: "Content-Type",
				message: fmt.Sprintf("Content-Type %q is not valid: allowed application/x-www-form-urlencoded, multipart/form-data, application/json", ct)}
		}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	switch mt {
	case "", "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, bodyError(err)
		}
		return r.Form, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, bodyError(err)
		}
		return r.Form, nil
	case "application/json":
		return readJSONFields(r.Body)
	}
	return nil, &apiError{status: http.StatusUnsupportedMediaType, field: "Content-Type",
		message: fmt.Sprintf("Content-Type %q is not supported: allowed application/x-www-form-urlencoded, multipart/form-data, application/json", mt)}
}

func bodyError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &apiError{status: http.StatusRequestEntityTooLarge, field: "body", message: fmt.Sprintf("request body too large: allowed up to %d bytes", maxBody)}
	}
	return badField("body", "cannot read the form: %v", err)
}

// readJSONFields reads a JSON object whose values are strings, numbers,
// or (for user_classes) arrays of strings, into form values.
func readJSONFields(body io.Reader) (url.Values, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, bodyError(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, badField("body", "the body is not a JSON object: %v", err)
	}
	vals := url.Values{}
	for k, raw := range m {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, badField(k, "%s: %v", k, err)
		}
		switch x := v.(type) {
		case nil:
		case string:
			vals.Add(k, x)
		case float64:
			vals.Add(k, string(raw))
		case bool:
			vals.Add(k, strconv.FormatBool(x))
		case []any:
			for _, e := range x {
				str, ok := e.(string)
				if !ok {
					return nil, badField(k, "%s must be a list of strings", k)
				}
				vals.Add(k, str)
			}
		default:
			return nil, badField(k, "%s must be a string or a number", k)
		}
	}
	return vals, nil
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// checkHost requires a base address with a scheme (and, for http and
// https, a host), printable and at most 2048 bytes.
func checkHost(h string) error {
	if len(h) > maxHostLen {
		return fmt.Errorf("is too long: allowed up to %d bytes", maxHostLen)
	}
	if !utf8.ValidString(h) || strings.ContainsFunc(h, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return errors.New("contains spaces or control characters: allowed a URL such as https://www.example.com")
	}
	scheme, rest, ok := strings.Cut(h, "://")
	if !ok || !schemeRE.MatchString(scheme) {
		return errors.New("must start with a scheme such as http:// or https://")
	}
	if hostmatch.NotNetwork(scheme) {
		return fmt.Errorf("is a %s: URL, not the address of a system to test: allowed http:// or https:// (or the network scheme of the program's own users)", scheme)
	}
	lower := strings.ToLower(scheme)
	if lower == "http" || lower == "https" {
		u, err := url.Parse(h)
		if err != nil || u.Host == "" || rest == "" || strings.ContainsAny(rest[:1], "/?#") {
			return fmt.Errorf("has no valid host name after %s://", scheme)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// swarmAnswer is the JSON answer of POST /swarm, as Locust's.
type swarmAnswer struct {
	Success     bool     `json:"success"`
	Message     string   `json:"message"`
	Host        string   `json:"host"`
	RunTime     int64    `json:"run_time,omitempty"` // seconds, as Locust
	UserClasses []string `json:"user_classes,omitempty"`
}

func (s *Server) handleSwarm(w http.ResponseWriter, r *http.Request) {
	req, err := s.parseSwarm(r)
	if err != nil {
		s.Audit(r, audit.Entry{Action: "start", Outcome: audit.Failed, Reason: err.Error()})
		writeError(w, err)
		return
	}
	before := s.ctrl.View()
	action := "start"
	if before.State == "running" || before.State == "spawning" {
		action = "edit"
	}
	params := map[string]any{"users": req.Users, "spawn_rate": req.SpawnRate}
	if req.Host != "" {
		params["host"] = req.Host
	}
	if req.RunTime > 0 {
		params["run_time"] = req.RunTime.String()
	}
	if len(req.Classes) > 0 {
		params["user_classes"] = req.Classes
	}
	info := s.ctrl.Info()
	for k, v := range req.Options {
		if o := optionInfo(info, k); o != nil && o.Secret {
			v = "REDACTED" // a secret option's value is never recorded
		}
		params["option."+k] = v // also redacted by name: option.api_token
	}
	if err := s.ctrl.Start(req); err != nil {
		s.Audit(r, audit.Entry{Action: action, Params: params, Outcome: audit.Failed, Reason: err.Error()})
		var fe *FieldError
		if errors.As(err, &fe) {
			writeError(w, badField(fe.Field, "%s", fe.Message))
			return
		}
		writeJSON(w, http.StatusConflict, errorBody{Message: err.Error()})
		return
	}
	s.forgetView()
	s.Audit(r, audit.Entry{Action: action, Params: params, Outcome: audit.OK})
	after := s.ctrl.View()
	if after.Host != before.Host {
		s.Audit(r, audit.Entry{Action: "host", Params: map[string]any{"from": before.Host, "to": after.Host}, Outcome: audit.OK})
	}
	s.log.Info("test started from the web UI", "users", req.Users, "spawn_rate", req.SpawnRate, "host", audit.RedactURL(after.Host), // the test's host: the form's, else -H
		"run_time", req.RunTime, "by", principalOf(r).name)
	a := swarmAnswer{Success: true, Message: "Swarming started", Host: after.Host, UserClasses: req.Classes,
		RunTime: int64(req.RunTime / time.Second)}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	params := map[string]any{"method": r.Method}
	if err := s.ctrl.Stop(); err != nil {
		s.Audit(r, audit.Entry{Action: "stop", Params: params, Outcome: audit.Failed, Reason: err.Error()})
		writeJSON(w, http.StatusConflict, errorBody{Message: err.Error()})
		return
	}
	s.forgetView()
	s.Audit(r, audit.Entry{Action: "stop", Params: params, Outcome: audit.OK})
	writeJSON(w, http.StatusOK, struct {
		Success bool   `json:"success"`
		Message string `json:"message"`
	}{true, "Test stopped"})
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	s.ctrl.ResetStats()
	s.forgetView()
	s.Audit(r, audit.Entry{Action: "reset", Outcome: audit.OK})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok")
}

// noQuery rejects query parameters on endpoints that take none, so that a
// typo is not silently ignored.
func noQuery(r *http.Request) error {
	for k := range r.URL.Query() {
		return badField(k, "unknown parameter %q: this endpoint takes no parameters", truncate(k, 100))
	}
	return nil
}

func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, newRequestsBody(s.currentView()))
}

func (s *Server) handleExceptions(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"exceptions": newExceptionRows(s.currentView().Exceptions)})
}

func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.ctrl.Ratios())
}

// downloadName returns Locust's download file name:
// Locust_<YYYY-MM-DD-HHhMM>_<program>_<host>_<what>.<ext>, with every
// character outside [A-Za-z0-9._-] replaced by '_'.
func (s *Server) downloadName(what, ext string) string {
	info := s.ctrl.Info()
	host := s.currentView().Host
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	parts := []string{"Locust", time.Now().Format("2006-01-02-15h04"), info.Program}
	if host != "" {
		parts = append(parts, host)
	}
	if what != "" {
		parts = append(parts, what)
	}
	name := strings.Join(parts, "_")
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	return truncate(name, 200) + "." + ext
}

func (s *Server) handleCSV(kind CSVKind, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := noQuery(r); err != nil {
			writeError(w, err)
			return
		}
		var b strings.Builder
		if err := s.ctrl.WriteCSV(&b, kind); err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": s.downloadName(what, "csv")}))
		_, _ = io.WriteString(w, b.String())
	}
}

func (s *Server) handleJSONDownload(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		writeError(w, err)
		return
	}
	var b strings.Builder
	if err := s.ctrl.WriteJSON(&b); err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": s.downloadName("stats", "json")}))
	_, _ = io.WriteString(w, b.String())
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "download" && k != "theme" {
			writeError(w, badField(k, "unknown parameter %q: allowed download, theme", truncate(k, 100)))
			return
		}
	}
	download := false
	switch d := q.Get("download"); strings.ToLower(d) {
	case "", "0", "false":
	case "1", "true":
		download = true
	default:
		writeError(w, badField("download", "download must be 1, true, 0 or false, got %q", truncate(d, 100)))
		return
	}
	theme := q.Get("theme")
	if theme != "" && theme != "light" && theme != "dark" {
		writeError(w, badField("theme", "theme must be light or dark, got %q", truncate(theme, 100)))
		return
	}
	rep := &Report{Info: s.ctrl.Info(), View: s.ctrl.View(), Ratios: s.ctrl.Ratios(), Generated: time.Now()}
	nonce := newNonce()
	w.Header().Set("Content-Security-Policy", reportCSP(nonce))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if download {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": s.downloadName("", "html")}))
	}
	if err := writeReport(w, rep, theme, nonce); err != nil {
		s.log.Warn("writing the HTML report", "error", err)
	}
}
