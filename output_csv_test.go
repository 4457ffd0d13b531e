package locust

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Locust's headers, as its StatsCSV and StatsCSVFileWriter write them
// (failures with the First Seen / Last Seen columns of Locust 2.44+).
const (
	locustStatsHeader = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time," +
		"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n"
	locustHistoryHeader = "Timestamp,User Count,Type,Name,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%," +
		"Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time," +
		"Total Min Response Time,Total Max Response Time,Total Average Content Size\r\n"
	locustFailuresHeader   = "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n"
	locustExceptionsHeader = "Count,Message,Traceback,Nodes\r\n"
)

func csvTestRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// csvTestParse parses a CSV file with encoding/csv and checks that every
// record has as many fields as the header.
func csvTestParse(t *testing.T, content string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(content)).ReadAll()
	if err != nil {
		t.Fatalf("not valid CSV: %v\n%s", err, content)
	}
	return recs
}

func TestOutputCSVHeaders(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "nested", "dirs", "run")
	c, err := newCSVWriter(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	// The files exist with their headers as soon as the writer does.
	for suffix, want := range map[string]string{
		"_stats.csv": locustStatsHeader, "_stats_history.csv": locustHistoryHeader,
		"_failures.csv": locustFailuresHeader, "_exceptions.csv": locustExceptionsHeader,
	} {
		if got := csvTestRead(t, prefix+suffix); got != want {
			t.Errorf("%s = %q, want Locust's header %q", suffix, got, want)
		}
	}
	if err := c.close(nil, 0); err != nil {
		t.Fatal(err)
	}
}

func TestOutputCSVGolden(t *testing.T) {
	for _, full := range []bool{false, true} {
		name := "history"
		if full {
			name = "full_history"
		}
		t.Run(name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "run")
			c, err := newCSVWriter(prefix, full)
			if err != nil {
				t.Fatal(err)
			}
			s := outputTestSnapshot(t)
			// Three updates a second apart, with a growing user count.
			for i := range 3 {
				u := *s
				u.Time = s.Time.Add(time.Duration(i) * time.Second)
				if err := c.update(&u, 10*(i+1)); err != nil {
					t.Fatal(err)
				}
			}
			final := *s
			final.Time = s.Time.Add(2*time.Second + 400*time.Millisecond)
			if err := c.close(&final, 30); err != nil {
				t.Fatal(err)
			}
			hist := csvTestRead(t, prefix+"_stats_history.csv")
			checkGolden(t, "output_csv_"+name+".golden", []byte(hist))
			recs := csvTestParse(t, hist)
			rows := 1 // Aggregated per batch
			if full {
				rows += len(s.Entries)
			}
			// The final snapshot's second already has a batch: no 4th one.
			if want := 1 + 3*rows; len(recs) != want {
				t.Errorf("history has %d records, want %d (header + 3 batches of %d)", len(recs), want, rows)
			}
			if full {
				return
			}
			for suffix, golden := range map[string]string{
				"_stats.csv": "output_csv_stats.golden", "_failures.csv": "output_csv_failures.golden",
				"_exceptions.csv": "output_csv_exceptions.golden",
			} {
				content := csvTestRead(t, prefix+suffix)
				csvTestParse(t, content)
				checkGolden(t, golden, []byte(content))
			}
		})
	}
}

// TestOutputCSVValues checks the values of the stats file against the
// snapshot, as a script reading it with a CSV parser would.
func TestOutputCSVValues(t *testing.T) {
	s := outputTestSnapshot(t)
	c := &csvWriter{}
	recs := csvTestParse(t, string(c.statsFile(s)))
	if len(recs) != 1+len(s.Entries)+1 {
		t.Fatalf("%d records, want header + %d entries + Aggregated", len(recs), len(s.Entries))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	byName := map[string][]string{}
	for _, r := range recs[1:] {
		byName[r[col["Type"]]+" "+r[col["Name"]]] = r
	}
	for key, want := range map[string]map[string]string{
		"GET /": {"Request Count": "100", "Failure Count": "10", "Median Response Time": "50",
			"Average Response Time": "50.5", "Min Response Time": "1.0", "Max Response Time": "100.0",
			"Average Content Size": "1050.5", "Requests/s": "1.6666666666666667", "Failures/s": "0.16666666666666666",
			"50%": "50", "99%": "99", "100%": "100"},
		"POST /login": {"Average Response Time": "500.125", "Min Response Time": "120.0", "Max Response Time": "1500.0",
			"Average Content Size": "20.0", "99.9%": "1500"},
		"GET /never": {"Request Count": "0", "Median Response Time": "0", "Average Response Time": "0.0",
			"Min Response Time": "0", "Max Response Time": "0", "Average Content Size": "0", "Requests/s": "0.0",
			"50%": "N/A", "100%": "N/A"},
		" Aggregated":          {"Request Count": "108", "Failure Count": "11"},
		"websocket chat\nsend": {"Request Count": "1"},
	} {
		r, ok := byName[key]
		if !ok {
			t.Errorf("no row %q", key)
			continue
		}
		for h, v := range want {
			if r[col[h]] != v {
				t.Errorf("%s: %s = %q, want %q", key, h, r[col[h]], v)
			}
		}
	}
	if last := recs[len(recs)-1]; last[0] != "" || last[1] != "Aggregated" {
		t.Errorf("last row is %q %q, want the Aggregated row with an empty type", last[0], last[1])
	}
}

func TestOutputCSVPyFloat(t *testing.T) {
	// Expected values are Python's repr().
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {2, "2.0"}, {4.329985926471868, "4.329985926471868"}, {1.0 / 3, "0.3333333333333333"},
		{0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-7, "1.5e-07"}, {123456789, "123456789.0"},
		{1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {2.5e22, "2.5e+22"}, {-3.5, "-3.5"},
	} {
		if got := csvPyFloat(c.in); got != c.want {
			t.Errorf("csvPyFloat(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOutputCSVRecordQuoting(t *testing.T) {
	got := string(csvAppendRecord(nil, []string{"plain", "a,b", `say "hi"`, "two\nlines", "", " lead"}))
	want := "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",, lead\r\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	recs := csvTestParse(t, got)
	if recs[0][3] != "two\nlines" {
		t.Errorf("line break in a field read back as %q", recs[0][3])
	}
}

func TestOutputCSVClose(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "run")
	c, err := newCSVWriter(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	s := outputTestSnapshot(t)
	if err := c.update(s, 5); err != nil {
		t.Fatal(err)
	}
	final := *s
	final.Time = s.Time.Add(1500 * time.Millisecond) // a later second: one more batch
	if err := c.close(&final, 0); err != nil {
		t.Fatalf("first close: %v", err)
	}
	if err := c.close(&final, 0); err != nil {
		t.Errorf("second close = %v, want nil", err)
	}
	if err := c.close(nil, 0); err != nil {
		t.Errorf("third close = %v, want nil", err)
	}
	if err := c.update(s, 5); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("update after close = %v, want an error saying the writer is closed", err)
	}
	recs := csvTestParse(t, csvTestRead(t, prefix+"_stats_history.csv"))
	if len(recs) != 3 {
		t.Fatalf("history has %d records, want header + update + final", len(recs))
	}
	if recs[1][1] != "5" || recs[2][1] != "0" {
		t.Errorf("user counts %q, %q; want 5 then 0", recs[1][1], recs[2][1])
	}
	// No temporary file is left behind.
	ents, err := os.ReadDir(filepath.Dir(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 4 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want the 4 CSV files", names)
	}
}

// TestOutputCSVAtomic reads the rewritten files while they are updated:
// every read is a complete file (header, rows, Aggregated last).
func TestOutputCSVAtomic(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "run")
	c, err := newCSVWriter(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	s := outputTestSnapshot(t)
	want := string((&csvWriter{}).statsFile(s))
	if err := c.update(s, 1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		for i := 0; i < 200; i++ {
			if err := c.update(s, 1); err != nil {
				t.Error(err)
				break
			}
		}
		close(done)
	})
	reads := 0
	for stop := false; !stop; reads++ {
		select {
		case <-done:
			stop = true
		default:
		}
		got, err := os.ReadFile(prefix + "_stats.csv")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("read %d: incomplete stats file (%d of %d bytes)", reads, len(got), len(want))
		}
	}
	wg.Wait()
	if err := c.close(s, 1); err != nil {
		t.Fatal(err)
	}
}

func TestOutputCSVBadPrefix(t *testing.T) {
	if _, err := newCSVWriter("", false); err == nil || !strings.Contains(err.Error(), "--csv") {
		t.Errorf("empty prefix: err = %v, want an error naming --csv", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := newCSVWriter(filepath.Join(file, "sub", "run"), false)
	if err == nil || !strings.Contains(err.Error(), "--csv prefix") {
		t.Errorf("prefix under a file: err = %v, want an error naming the --csv prefix", err)
	}
}

// TestOutputCSVDirPrefix checks a prefix naming a directory ("out/"):
// files named "_stats.csv" and so on inside it, as Locust.
func TestOutputCSVDirPrefix(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + string(filepath.Separator)
	c, err := newCSVWriter(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.close(nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "_stats.csv")); err != nil {
		t.Error(err)
	}
}

func BenchmarkOutputCSVUpdate(b *testing.B) {
	s := outputBenchSnapshot()
	c, err := newCSVWriter(filepath.Join(b.TempDir(), "run"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer c.close(nil, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.update(s, 10); err != nil {
			b.Fatal(err)
		}
	}
}
