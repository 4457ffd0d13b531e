package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// maxLine bounds one line of the log, in writing and in verifying.
const maxLine = 1 << 20

// line is an entry as written: the entry's fields, then the hash of the
// previous line. The line's own hash is appended after them.
type line struct {
	Entry
	Prev string `json:"prev"`
}

// hashSuffix is what follows the hashed part of a line: `,"hash":"<64
// hex digits>"}`.
const hashSuffixLen = len(`,"hash":""}`) + 2*sha256.Size

// File is a Sink that appends entries to a file as JSON lines chained by
// hashes. Safe for concurrent use.
type File struct {
	mu   sync.Mutex
	f    *os.File
	path string
	prev string
}

// OpenFile opens (creating it with mode 0600) the audit log at path for
// appending, and continues the chain of the entries already there. A
// file readable by others is made 0600. It fails when the file's last
// line is not a complete entry of a chain (a torn write or an edit):
// verify it with [Verify] and move it away.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit log %s: is readable by others and cannot be made 0600: %w", path, err)
		}
	}
	prev, err := lastHash(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return &File{f: f, path: path, prev: prev}, nil
}

// lastHash returns the hash of the last line of f ("" when f is empty),
// after checking that line's own hash.
func lastHash(f *os.File) (string, error) {
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := st.Size()
	if size == 0 {
		return "", nil
	}
	n := min(size, maxLine+1)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if buf[len(buf)-1] != '\n' {
		return "", errors.New("the last entry is incomplete (no newline at the end); check the file with --verify-audit-log and move it away")
	}
	buf = buf[:len(buf)-1]
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	}
	h, _, err := checkLine(buf)
	if err != nil {
		return "", fmt.Errorf("the last entry: %v; check the file with --verify-audit-log and move it away", err)
	}
	return h, nil
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// LastHash returns the hash of the last entry written ("" before any).
func (f *File) LastHash() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prev
}

// Record appends e to the file and syncs it.
func (f *File) Record(e Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return errors.New("audit log: closed")
	}
	b, h, err := encode(e, f.prev)
	if err != nil {
		return err
	}
	if _, err := f.f.Write(b); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	f.prev = h
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Close closes the file; later entries are refused.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}

// encode returns e's line (with its newline) chained to prev, and its
// hash.
func encode(e Entry, prev string) ([]byte, string, error) {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Params = Redact(e.Params)
	body, err := json.Marshal(line{Entry: e, Prev: prev})
	if err != nil {
		return nil, "", fmt.Errorf("audit log: encoding an entry: %w", err)
	}
	if len(body) > maxLine-hashSuffixLen-1 {
		return nil, "", fmt.Errorf("audit log: an entry of %d bytes is too long (allowed %d)", len(body), maxLine)
	}
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	out := make([]byte, 0, len(body)+hashSuffixLen+1)
	out = append(out, body[:len(body)-1]...)
	out = append(out, `,"hash":"`...)
	out = append(out, h...)
	out = append(out, "\"}\n"...)
	return out, h, nil
}

// checkLine checks one line (without its newline) against its own hash
// and returns the hash and the parsed line.
func checkLine(b []byte) (string, *line, error) {
	if len(b) < hashSuffixLen+2 || !bytes.HasPrefix(b[len(b)-hashSuffixLen:], []byte(`,"hash":"`)) || !bytes.HasSuffix(b, []byte(`"}`)) {
		return "", nil, errors.New(`not an audit entry: it does not end with "hash"`)
	}
	h := string(b[len(b)-hashSuffixLen+len(`,"hash":"`) : len(b)-2])
	body := append(append([]byte(nil), b[:len(b)-hashSuffixLen]...), '}')
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != h {
		return "", nil, errors.New("its content does not match its hash (edited)")
	}
	var l line
	if err := json.Unmarshal(body, &l); err != nil {
		return "", nil, fmt.Errorf("not an audit entry: %v", err)
	}
	return h, &l, nil
}

// TamperError reports the first entry of a log that breaks the chain.
type TamperError struct {
	// Line is the 1-based position of the entry in the chain: its line
	// in a file.
	Line int
	// Seq is the entry's sequence number in a store that numbers its
	// entries (the run history's); 0 for a file.
	Seq int64
	// Reason says what is wrong with it.
	Reason string
}

func (e *TamperError) Error() string {
	if e.Seq != 0 {
		return fmt.Sprintf("audit log: entry %d (seq %d): %s", e.Line, e.Seq, e.Reason)
	}
	return fmt.Sprintf("audit log: entry on line %d: %s", e.Line, e.Reason)
}

// Summary describes a verified log.
type Summary struct {
	// Entries is the number of entries.
	Entries int
	// LastHash is the hash of the last entry; keep it elsewhere to detect
	// a later truncation.
	LastHash string
	// First and Last are the times of the first and the last entry.
	First, Last time.Time
}

// Verify reads a log and checks every entry against its hash and the
// hash of the entry before. It returns a *TamperError for the first entry
// that was edited, inserted, removed or reordered (the entry after a
// removal is the one reported), or a read error.
func Verify(r io.Reader) (Summary, error) {
	var c Chain
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		b, err := readLine(br)
		if err == io.EOF {
			return c.Summary(), nil
		}
		if err != nil {
			if errors.Is(err, errIncomplete) || errors.Is(err, errTooLong) {
				return c.Summary(), &TamperError{Line: n, Reason: err.Error()}
			}
			return c.Summary(), err
		}
		if err := c.Next(b); err != nil {
			return c.Summary(), &TamperError{Line: n, Reason: err.Error()}
		}
	}
}

var (
	errIncomplete = errors.New("incomplete entry (no newline at the end)")
	errTooLong    = fmt.Errorf("line longer than %d bytes", maxLine)
)

func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > maxLine {
			return nil, errTooLong
		}
		switch {
		case err == nil:
			return out[:len(out)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(out) == 0 {
				return nil, io.EOF
			}
			return nil, errIncomplete
		default:
			return nil, err
		}
	}
}

// Read returns the entries of a log, oldest first, without verifying them
// (use [Verify] for that); at most the last n when n > 0.
func Read(r io.Reader, n int) ([]Entry, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Entry
	for {
		b, err := readLine(br)
		if err == io.EOF {
			if n > 0 && len(out) > n {
				out = out[len(out)-n:]
			}
			return out, nil
		}
		if err != nil {
			return out, err
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			continue
		}
		out = append(out, l.Entry)
		if n > 0 && len(out) > 2*n {
			out = append(out[:0], out[len(out)-n:]...)
		}
	}
}
