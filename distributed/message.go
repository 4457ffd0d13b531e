package distributed

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/golocust/locust/internal/dispatch"
)

// ProtocolVersion is the version of the wire protocol described in
// PROTOCOL.md. A master refuses workers speaking another version.
//
// Version 2 added the open model to spawn (part, max_rps, arrival) and
// the schedule statistics to reports; version 3 the workers' log lines
// (logs).
const ProtocolVersion = 3

// DefaultReadLimit is the largest message, in bytes, a connection accepts
// unless configured otherwise; a larger one closes the connection.
const DefaultReadLimit = 16 << 20

// Kind identifies the type of a [Message] on the wire (its first byte).
type Kind uint8

// The message kinds. Their numbers are part of the protocol: never reuse
// or renumber one.
const (
	KindHello      Kind = 1  // worker → master, first message
	KindWelcome    Kind = 2  // master → worker, handshake accepted
	KindReject     Kind = 3  // master → worker, handshake refused
	KindHeartbeat  Kind = 4  // both ways, every heartbeat interval
	KindSpawn      Kind = 5  // master → worker, absolute per-class targets
	KindSpawned    Kind = 6  // worker → master, targets applied
	KindStop       Kind = 7  // master → worker, stop every user
	KindStopped    Kind = 8  // worker → master, users stopped, final report sent
	KindQuit       Kind = 9  // both ways: the sender is going away
	KindResetStats Kind = 10 // master → worker, discard statistics
	KindReport     Kind = 11 // worker → master, statistics delta
	KindReportAck  Kind = 12 // master → worker, report merged
	KindCustom     Kind = 13 // both ways, user-defined
	KindLogs       Kind = 14 // worker → master, log lines
)

var kindNames = map[Kind]string{
	KindHello: "hello", KindWelcome: "welcome", KindReject: "reject", KindHeartbeat: "heartbeat",
	KindSpawn: "spawn", KindSpawned: "spawned", KindStop: "stop", KindStopped: "stopped", KindQuit: "quit",
	KindResetStats: "reset_stats", KindReport: "report", KindReportAck: "report_ack", KindCustom: "custom",
	KindLogs: "logs",
}

// String returns the kind's name as written in PROTOCOL.md.
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Message is one typed protocol message: one of *Hello, *Welcome,
// *Reject, *Heartbeat, *Spawn, *Spawned, *Stop, *Stopped, *Quit,
// *ResetStats, *Report, *ReportAck, *Custom and *Logs.
type Message interface {
	// Kind returns the message's kind.
	Kind() Kind
	check() error
	data() []byte
}

// Hello opens a worker's connection.
type Hello struct {
	// Version is the worker's ProtocolVersion.
	Version int `json:"version"`
	// WorkerID names the worker, "hostname_random"; stable across the
	// worker's reconnections.
	WorkerID string `json:"worker_id"`
	// Capabilities are optional features the worker supports.
	Capabilities []string `json:"capabilities"`
	// Classes are the user classes the worker's binary has.
	Classes []string `json:"classes"`
	// MaxUsers is the worker's ceiling on users (--max-users-per-worker):
	// the master refuses a test asking for more users than its workers'
	// ceilings add up to. 0 from a worker that does not say (the master
	// assumes DefaultMaxUsers).
	MaxUsers int `json:"max_users,omitempty"`
}

// Welcome accepts a worker.
type Welcome struct {
	// Index is the worker's stable 0-based index, kept across its
	// reconnections for the master's lifetime.
	Index int `json:"index"`
	// Session identifies the master process; a worker reconnecting to
	// another session drops what the previous master never acknowledged.
	Session string `json:"session"`
	// HeartbeatInterval is how often both sides heartbeat.
	HeartbeatInterval time.Duration `json:"heartbeat_interval_ns"`
}

// Reject refuses a worker; the master closes the connection after it.
type Reject struct {
	// Reason says why, for the worker's log.
	Reason string `json:"reason"`
}

// Heartbeat says the sender is alive. From the master its fields are
// empty.
type Heartbeat struct {
	// State is the worker's runner state: ready, spawning, running,
	// stopping or stopped.
	State string `json:"state,omitempty"`
	// CPU is the worker process's CPU use in percent of one core.
	CPU float64 `json:"cpu,omitempty"`
	// Memory is the worker process's resident memory in bytes.
	Memory uint64 `json:"memory,omitempty"`
	// Users is the worker's running user count; Counts per class.
	Users  int            `json:"users,omitempty"`
	Counts map[string]int `json:"counts,omitempty"`
}

// Spawn sets a worker's absolute target user count per class.
type Spawn struct {
	// Counts is the target per class name; classes not listed run none.
	Counts map[string]int `json:"counts"`
	// Rate is the spawn rate, users per second, for the batch.
	Rate float64 `json:"rate"`
	// Host overrides every class's host when not empty.
	Host string `json:"host,omitempty"`
	// StopTimeout lets running tasks finish when users stop.
	StopTimeout time.Duration `json:"stop_timeout_ns,omitempty"`
	// Options are the master's other options, by long name.
	Options map[string]string `json:"options,omitempty"`
	// Part is the worker's place among the live workers, in dispatch
	// order; set when MaxRPS or Arrival is.
	Part *Part `json:"part,omitempty"`
	// MaxRPS is the cluster-wide request-rate ceiling (0: none); the
	// worker enforces its share, rate/Part.Of.
	MaxRPS float64 `json:"max_rps,omitempty"`
	// Arrival, when set, runs an arrival-rate (open model) test instead
	// of Counts (which must then be empty): the worker takes the arrivals
	// n of the global schedule with n % Part.Of == Part.Index.
	Arrival *ArrivalSpec `json:"arrival,omitempty"`
}

// Part is one worker's share of a split schedule or rate: Index of Of.
type Part struct {
	// Index is the worker's position, 0 <= Index < Of.
	Index int `json:"index"`
	// Of is the number of live workers sharing the test.
	Of int `json:"of"`
}

// ArrivalSpec is the global arrival-rate schedule of a test, the same
// for every worker: each takes its Part of it.
type ArrivalSpec struct {
	// Rate is the initial rate, iterations per second.
	Rate float64 `json:"rate"`
	// Stages ramp the rate linearly; the schedule ends after the last.
	Stages []ArrivalStage `json:"stages,omitempty"`
	// PreAllocated and MaxUsers are the cluster's pool sizes (0: the
	// defaults); each worker takes its share (divided as evenly as integers allow).
	PreAllocated int `json:"pre_allocated,omitempty"`
	MaxUsers     int `json:"max_users,omitempty"`
	// Start is when arrival 0 is due, Unix nanoseconds of the master's
	// clock: every worker's schedule counts from it.
	Start int64 `json:"start_unix_ns"`
	// From is when this Part takes effect, Unix nanoseconds (>= Start):
	// arrivals due before it belong to the previous split (or to nobody
	// for a worker that joins a running test).
	From int64 `json:"from_unix_ns"`
}

// ArrivalStage is one linear ramp of an ArrivalSpec.
type ArrivalStage struct {
	// Duration of the ramp, > 0.
	Duration time.Duration `json:"duration_ns"`
	// Target is the rate at the end of the stage, iterations per second.
	Target float64 `json:"target"`
}

// Spawned reports that a worker has applied a Spawn.
type Spawned struct {
	// Counts is the running user count per class.
	Counts map[string]int `json:"counts"`
}

// Stop asks a worker to stop every user; it answers with a final Report
// and Stopped.
type Stop struct{}

// Stopped says that the worker's users have stopped and its final report
// was sent before this message.
type Stopped struct{}

// Quit says the sender goes away: from the master, the worker stops,
// sends its final report and a Quit, and exits.
type Quit struct {
	// Reason says why, for the log.
	Reason string `json:"reason,omitempty"`
}

// ResetStats asks a worker to discard its statistics.
type ResetStats struct{}

// Report carries a worker's statistics since its previous report.
type Report struct {
	// Seq numbers the worker's reports from 1; the master acknowledges
	// each and ignores a sequence number it has already merged.
	Seq uint64 `json:"seq"`
	// Final is set on the report sent when users stop.
	Final bool `json:"final,omitempty"`
	// Users and Counts are the running users, total and per class.
	Users  int            `json:"users"`
	Counts map[string]int `json:"counts,omitempty"`
	// Stats is the statistics delta, opaque to this package (the runner
	// encodes and decodes it).
	Stats []byte `json:"-"`
}

// ReportAck acknowledges the worker's reports up to Seq.
type ReportAck struct {
	// Seq is the highest merged report.
	Seq uint64 `json:"seq"`
}

// Custom is a user-defined message.
type Custom struct {
	// Type names the message; handlers are registered by type.
	Type string `json:"type"`
	// Data is the payload, opaque to this package.
	Data []byte `json:"-"`
}

// Logs carries a worker's latest log lines to the master, which shows
// them in the web UI's Logs tab. The worker truncates each line to
// MaxLogLineBytes and sends at most MaxLogLines a message; the master
// refuses bigger ones as malformed and rate-limits each worker's lines.
type Logs struct {
	// Lines are whole lines without their newline, oldest first.
	Lines []string `json:"lines"`
}

// Bounds of a [Logs] message.
const (
	// MaxLogLines is the most lines a Logs message may carry.
	MaxLogLines = 100
	// MaxLogLineBytes is the longest line a Logs message may carry.
	MaxLogLineBytes = 1024
)

// Kind implementations.
func (*Hello) Kind() Kind      { return KindHello }
func (*Welcome) Kind() Kind    { return KindWelcome }
func (*Reject) Kind() Kind     { return KindReject }
func (*Heartbeat) Kind() Kind  { return KindHeartbeat }
func (*Spawn) Kind() Kind      { return KindSpawn }
func (*Spawned) Kind() Kind    { return KindSpawned }
func (*Stop) Kind() Kind       { return KindStop }
func (*Stopped) Kind() Kind    { return KindStopped }
func (*Quit) Kind() Kind       { return KindQuit }
func (*ResetStats) Kind() Kind { return KindResetStats }
func (*Report) Kind() Kind     { return KindReport }
func (*ReportAck) Kind() Kind  { return KindReportAck }
func (*Custom) Kind() Kind     { return KindCustom }
func (*Logs) Kind() Kind       { return KindLogs }

func (*Hello) data() []byte      { return nil }
func (*Welcome) data() []byte    { return nil }
func (*Reject) data() []byte     { return nil }
func (*Heartbeat) data() []byte  { return nil }
func (*Spawn) data() []byte      { return nil }
func (*Spawned) data() []byte    { return nil }
func (*Stop) data() []byte       { return nil }
func (*Stopped) data() []byte    { return nil }
func (*Quit) data() []byte       { return nil }
func (*ResetStats) data() []byte { return nil }
func (r *Report) data() []byte   { return r.Stats }
func (*ReportAck) data() []byte  { return nil }
func (c *Custom) data() []byte   { return c.Data }
func (*Logs) data() []byte       { return nil }

// Limits on decoded fields.
const (
	msgMaxName  = 256  // worker ids, class names, custom types, capabilities
	msgMaxText  = 4096 // reasons, hosts, option values
	msgMaxList  = 4096 // classes, capabilities, counts, options
	msgMaxUsers = 1 << 30
)

func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s is empty", what)
	case len(s) > msgMaxName:
		return fmt.Errorf("%s is %d bytes long; at most %d allowed", what, len(s), msgMaxName)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s %q contains a control character", what, s)
		}
	}
	return nil
}

func checkText(what, s string) error {
	if len(s) > msgMaxText {
		return fmt.Errorf("%s is %d bytes long; at most %d allowed", what, len(s), msgMaxText)
	}
	return nil
}

func checkCounts(what string, m map[string]int) error {
	if len(m) > msgMaxList {
		return fmt.Errorf("%s has %d classes; at most %d allowed", what, len(m), msgMaxList)
	}
	for name, n := range m {
		if err := checkName(what+" class name", name); err != nil {
			return err
		}
		if n < 0 || n > msgMaxUsers {
			return fmt.Errorf("%s of class %q is %d; allowed 0 to %d", what, name, n, msgMaxUsers)
		}
	}
	return nil
}

func checkNames(what string, list []string) error {
	if len(list) > msgMaxList {
		return fmt.Errorf("%s has %d items; at most %d allowed", what, len(list), msgMaxList)
	}
	for _, s := range list {
		if err := checkName(what+" item", s); err != nil {
			return err
		}
	}
	return nil
}

func (h *Hello) check() error {
	if err := checkName("worker_id", h.WorkerID); err != nil {
		return err
	}
	if err := checkNames("capabilities", h.Capabilities); err != nil {
		return err
	}
	if h.MaxUsers < 0 || h.MaxUsers > msgMaxUsers {
		return fmt.Errorf("max_users is %d; allowed 0 to %d", h.MaxUsers, msgMaxUsers)
	}
	return checkNames("classes", h.Classes)
}

func (w *Welcome) check() error {
	if w.Index < 0 {
		return fmt.Errorf("index is %d; allowed 0 or more", w.Index)
	}
	if w.HeartbeatInterval < 0 {
		return fmt.Errorf("heartbeat_interval_ns is %d; allowed 0 or more", w.HeartbeatInterval)
	}
	return checkText("session", w.Session)
}

func (r *Reject) check() error { return checkText("reason", r.Reason) }

func (h *Heartbeat) check() error {
	if math.IsNaN(h.CPU) || math.IsInf(h.CPU, 0) || h.CPU < 0 {
		return fmt.Errorf("cpu is %v; allowed a finite number >= 0", h.CPU)
	}
	if h.Users < 0 || h.Users > msgMaxUsers {
		return fmt.Errorf("users is %d; allowed 0 to %d", h.Users, msgMaxUsers)
	}
	if err := checkCounts("counts", h.Counts); err != nil {
		return err
	}
	return checkText("state", h.State)
}

func (s *Spawn) check() error {
	if err := checkCounts("counts", s.Counts); err != nil {
		return err
	}
	if math.IsNaN(s.Rate) || math.IsInf(s.Rate, 0) || s.Rate < dispatch.MinRate {
		return fmt.Errorf("rate is %v; allowed a finite number of users per second, at least %v", s.Rate, dispatch.MinRate)
	}
	if s.StopTimeout < 0 {
		return fmt.Errorf("stop_timeout_ns is %d; allowed 0 or more", s.StopTimeout)
	}
	if len(s.Options) > msgMaxList {
		return fmt.Errorf("options has %d items; at most %d allowed", len(s.Options), msgMaxList)
	}
	for k, v := range s.Options {
		if err := checkName("option name", k); err != nil {
			return err
		}
		if err := checkText("option "+k, v); err != nil {
			return err
		}
	}
	if s.MaxRPS < 0 || math.IsNaN(s.MaxRPS) || math.IsInf(s.MaxRPS, 0) {
		return fmt.Errorf("max_rps is %v; allowed a finite number >= 0", s.MaxRPS)
	}
	if p := s.Part; p != nil && (p.Of < 1 || p.Of > msgMaxUsers || p.Index < 0 || p.Index >= p.Of) {
		return fmt.Errorf("part is %d of %d; allowed 0 <= index < of", p.Index, p.Of)
	}
	if (s.MaxRPS > 0 || s.Arrival != nil) && s.Part == nil {
		return errors.New("part is missing; max_rps and arrival need it")
	}
	if a := s.Arrival; a != nil {
		if err := a.check(); err != nil {
			return err
		}
		if len(s.Counts) > 0 {
			return errors.New("counts must be empty with arrival: an arrival-rate test sizes its own pool")
		}
	}
	return checkText("host", s.Host)
}

func msgRate(r float64) bool { return r >= 0 && !math.IsNaN(r) && !math.IsInf(r, 0) }

func (a *ArrivalSpec) check() error {
	if !msgRate(a.Rate) {
		return fmt.Errorf("arrival rate is %v; allowed a finite number >= 0", a.Rate)
	}
	if len(a.Stages) > msgMaxList {
		return fmt.Errorf("arrival has %d stages; at most %d allowed", len(a.Stages), msgMaxList)
	}
	peak := a.Rate
	for i, st := range a.Stages {
		if st.Duration <= 0 || !msgRate(st.Target) {
			return fmt.Errorf("arrival stage %d is %v to %v/s; allowed a duration > 0 and a finite rate >= 0", i, st.Duration, st.Target)
		}
		peak = max(peak, st.Target)
	}
	switch {
	case peak == 0:
		return errors.New("arrival rate is 0 throughout")
	case a.PreAllocated < 0 || a.PreAllocated > msgMaxUsers || a.MaxUsers < 0 || a.MaxUsers > msgMaxUsers:
		return fmt.Errorf("arrival pool is %d..%d; allowed 0 to %d", a.PreAllocated, a.MaxUsers, msgMaxUsers)
	case a.Start <= 0 || a.From < a.Start:
		return fmt.Errorf("arrival start %d and from %d; allowed 0 < start <= from", a.Start, a.From)
	}
	return nil
}

func (s *Spawned) check() error { return checkCounts("counts", s.Counts) }

func (*Stop) check() error       { return nil }
func (*Stopped) check() error    { return nil }
func (q *Quit) check() error     { return checkText("reason", q.Reason) }
func (*ResetStats) check() error { return nil }

func (r *Report) check() error {
	if r.Seq == 0 {
		return errors.New("seq is 0; reports are numbered from 1")
	}
	if r.Users < 0 || r.Users > msgMaxUsers {
		return fmt.Errorf("users is %d; allowed 0 to %d", r.Users, msgMaxUsers)
	}
	return checkCounts("counts", r.Counts)
}

func (*ReportAck) check() error { return nil }

func (c *Custom) check() error { return checkName("type", c.Type) }

func (l *Logs) check() error {
	if len(l.Lines) == 0 || len(l.Lines) > MaxLogLines {
		return fmt.Errorf("lines has %d items; allowed 1 to %d", len(l.Lines), MaxLogLines)
	}
	for i, s := range l.Lines {
		if len(s) > MaxLogLineBytes {
			return fmt.Errorf("line %d is %d bytes long; at most %d allowed", i, len(s), MaxLogLineBytes)
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("line %d is not valid UTF-8", i)
		}
	}
	return nil
}

// Encode returns the wire form of m: one byte of kind, the length of the
// JSON header as an unsigned varint, the header, then the message's
// opaque data (Report.Stats, Custom.Data), if any. It fails if m does not
// pass the checks Decode makes.
func Encode(m Message) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("failed to encode %s: %w", m.Kind(), err)
	}
	hdr, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("failed to encode %s: %w", m.Kind(), err)
	}
	d := m.data()
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(hdr)+len(d))
	out = append(out, byte(m.Kind()))
	out = binary.AppendUvarint(out, uint64(len(hdr)))
	out = append(out, hdr...)
	return append(out, d...), nil
}

func newMessage(k Kind) Message {
	switch k {
	case KindHello:
		return &Hello{}
	case KindWelcome:
		return &Welcome{}
	case KindReject:
		return &Reject{}
	case KindHeartbeat:
		return &Heartbeat{}
	case KindSpawn:
		return &Spawn{}
	case KindSpawned:
		return &Spawned{}
	case KindStop:
		return &Stop{}
	case KindStopped:
		return &Stopped{}
	case KindQuit:
		return &Quit{}
	case KindResetStats:
		return &ResetStats{}
	case KindReport:
		return &Report{}
	case KindReportAck:
		return &ReportAck{}
	case KindCustom:
		return &Custom{}
	case KindLogs:
		return &Logs{}
	}
	return nil
}

// Decode parses one message in the form Encode writes. It is strict: an
// unknown kind, a header that is not exactly one JSON object of the
// kind's fields (unknown fields, trailing bytes and wrong types are
// errors), data on a kind that carries none, and values out of range are
// all rejected with an error saying what is wrong. It never panics; the
// returned message does not share memory with b.
func Decode(b []byte) (Message, error) {
	if len(b) == 0 {
		return nil, errors.New("failed to decode message: empty")
	}
	k := Kind(b[0])
	m := newMessage(k)
	if m == nil {
		return nil, fmt.Errorf("failed to decode message: unknown kind %d", b[0])
	}
	n, w := binary.Uvarint(b[1:])
	if w <= 0 {
		return nil, fmt.Errorf("failed to decode %s: bad header length", k)
	}
	rest := b[1+w:]
	if n > uint64(len(rest)) {
		return nil, fmt.Errorf("failed to decode %s: header length %d exceeds the %d bytes left", k, n, len(rest))
	}
	hdr, data := rest[:n], rest[n:]
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("failed to decode %s header: %w", k, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("failed to decode %s header: trailing data after the JSON object", k)
	}
	if hdr[0] != '{' {
		return nil, fmt.Errorf("failed to decode %s header: not a JSON object", k)
	}
	switch v := m.(type) {
	case *Report:
		v.Stats = bytes.Clone(data)
	case *Custom:
		v.Data = bytes.Clone(data)
	default:
		if len(data) > 0 {
			return nil, fmt.Errorf("failed to decode %s: %d unexpected bytes after the header", k, len(data))
		}
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("failed to decode %s: %w", k, err)
	}
	return m, nil
}
