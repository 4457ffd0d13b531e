package distributed_test

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golocust/locust/distributed"
)

func sampleMessages() []distributed.Message {
	return []distributed.Message{
		&distributed.Hello{Version: 1, WorkerID: "host_1a2b", Capabilities: []string{"reports"}, Classes: []string{"A", "B"}},
		&distributed.Welcome{Index: 3, Session: "abc", HeartbeatInterval: time.Second},
		&distributed.Reject{Reason: "no"},
		&distributed.Heartbeat{State: "running", CPU: 12.5, Memory: 1 << 20, Users: 4, Counts: map[string]int{"A": 4}},
		&distributed.Heartbeat{},
		&distributed.Spawn{Counts: map[string]int{"A": 2, "B": 0}, Rate: 1.5, Host: "http://x", StopTimeout: time.Second, Options: map[string]string{"think": "1s"}},
		&distributed.Spawn{Counts: map[string]int{"A": 2}, Rate: 1, Part: &distributed.Part{Index: 1, Of: 3}, MaxRPS: 600},
		&distributed.Spawn{Counts: map[string]int{}, Rate: 1, Part: &distributed.Part{Index: 2, Of: 3}, MaxRPS: 900,
			Arrival: &distributed.ArrivalSpec{Rate: 100, Stages: []distributed.ArrivalStage{{Duration: time.Minute, Target: 500}, {Duration: time.Second, Target: 0}},
				PreAllocated: 10, MaxUsers: 1000, Start: 1_700_000_000_000_000_000, From: 1_700_000_001_000_000_000}},
		&distributed.Spawned{Counts: map[string]int{"A": 2}},
		&distributed.Stop{}, &distributed.Stopped{}, &distributed.Quit{Reason: "bye"}, &distributed.ResetStats{},
		&distributed.Report{Seq: 7, Final: true, Users: 2, Counts: map[string]int{"A": 2}, Stats: []byte{1, 2, 3}},
		&distributed.ReportAck{Seq: 7},
		&distributed.Custom{Type: "ping", Data: []byte("hi")},
		&distributed.Logs{Lines: []string{"[2026-01-02 03:04:05,678] host/INFO/locust: hello", ""}},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		b, err := distributed.Encode(m)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", m, err)
		}
		got, err := distributed.Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%s)): %v", m.Kind(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: round trip gave %#v, want %#v", m.Kind(), got, m)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	frame := func(k distributed.Kind, hdr string, data ...byte) []byte {
		b := []byte{byte(k), byte(len(hdr))}
		return append(append(b, hdr...), data...)
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"unknown kind", frame(99, "{}"), "unknown kind 99"},
		{"unknown field", frame(distributed.KindStop, `{"x":1}`), "unknown field"},
		{"trailing JSON", frame(distributed.KindStop, `{}{}`), "trailing data"},
		{"not an object", frame(distributed.KindStop, `null`), "not a JSON object"},
		{"wrong type", frame(distributed.KindReportAck, `{"seq":"1"}`), "cannot unmarshal"},
		{"data on a kind without", frame(distributed.KindStop, `{}`, 1, 2), "unexpected bytes"},
		{"header too long", []byte{byte(distributed.KindStop), 50, '{', '}'}, "exceeds"},
		{"negative count", frame(distributed.KindSpawn, `{"counts":{"A":-1},"rate":1}`), "allowed 0"},
		{"zero rate", frame(distributed.KindSpawn, `{"counts":{},"rate":0}`), "rate"},
		{"part out of range", frame(distributed.KindSpawn, `{"counts":{},"rate":1,"part":{"index":3,"of":3},"max_rps":5}`), "part"},
		{"max_rps without part", frame(distributed.KindSpawn, `{"counts":{},"rate":1,"max_rps":5}`), "part is missing"},
		{"negative max_rps", frame(distributed.KindSpawn, `{"counts":{},"rate":1,"max_rps":-1}`), "max_rps"},
		{"arrival with counts", frame(distributed.KindSpawn, `{"counts":{"A":1},"rate":1,"part":{"index":0,"of":1},"arrival":{"rate":1,"start_unix_ns":1,"from_unix_ns":1}}`), "counts must be empty"},
		{"arrival from before start", frame(distributed.KindSpawn, `{"counts":{},"rate":1,"part":{"index":0,"of":1},"arrival":{"rate":1,"start_unix_ns":5,"from_unix_ns":1}}`), "start"},
		{"arrival zero rate", frame(distributed.KindSpawn, `{"counts":{},"rate":1,"part":{"index":0,"of":1},"arrival":{"rate":0,"start_unix_ns":1,"from_unix_ns":1}}`), "0 throughout"},
		{"arrival bad stage", frame(distributed.KindSpawn, `{"rate":1,"part":{"index":0,"of":1},"arrival":{"rate":1,"stages":[{"duration_ns":0}],"start_unix_ns":1,"from_unix_ns":1}}`), "stage 0"},
		{"empty worker id", frame(distributed.KindHello, `{"version":1,"worker_id":""}`), "worker_id is empty"},
		{"control char", frame(distributed.KindHello, `{"version":1,"worker_id":"a\u0001"}`), "control character"},
		{"report seq 0", frame(distributed.KindReport, `{"seq":0,"users":0}`), "seq is 0"},
		{"logs without lines", frame(distributed.KindLogs, `{"lines":[]}`), "lines has 0 items; allowed 1 to 100"},
		{"logs line not a string", frame(distributed.KindLogs, `{"lines":[1]}`), "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := distributed.Decode(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestDecodeRejectsBigLogs checks the bounds of a logs message: at most
// MaxLogLines lines of MaxLogLineBytes each.
func TestDecodeRejectsBigLogs(t *testing.T) {
	line := strings.Repeat("x", distributed.MaxLogLineBytes)
	lines := make([]string, distributed.MaxLogLines)
	for i := range lines {
		lines[i] = line
	}
	if _, err := distributed.Decode(mustEncode(t, &distributed.Logs{Lines: lines})); err != nil {
		t.Fatalf("a logs message at the bounds: %v", err)
	}
	for _, tt := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"too many lines", append(lines, "x"), "lines has 101 items; allowed 1 to 100"},
		{"line too long", []string{line + "x"}, "line 0 is 1025 bytes long; at most 1024 allowed"},
	} {
		if _, err := distributed.Encode(&distributed.Logs{Lines: tt.lines}); err == nil {
			t.Errorf("%s: encoded", tt.name)
		}
		hdr := []byte(`{"lines":["` + strings.Join(tt.lines, `","`) + `"]}`)
		b := append([]byte{byte(distributed.KindLogs)}, binary.AppendUvarint(nil, uint64(len(hdr)))...)
		if _, err := distributed.Decode(append(b, hdr...)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Decode = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// FuzzDecode checks that Decode never panics, and that whatever it
// accepts encodes back to something that decodes to the same message.
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		b, err := distributed.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := distributed.Decode(b)
		if err != nil {
			return
		}
		again, err := distributed.Encode(m)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", m, err)
		}
		m2, err := distributed.Decode(again)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", m.Kind(), err)
		}
		if !reflect.DeepEqual(m, m2) && !bytes.Equal(again, mustEncode(t, m2)) {
			t.Fatalf("round trip changed %#v into %#v", m, m2)
		}
	})
}

func mustEncode(t *testing.T, m distributed.Message) []byte {
	b, err := distributed.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
