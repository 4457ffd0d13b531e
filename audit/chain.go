package audit

import (
	"errors"
	"fmt"
	"os"
)

// The chain is the same wherever entries are kept: a line of JSON with
// the entry's fields, "prev" (the hash of the entry before, "" for the
// first) and "hash" (the SHA-256 of the line without its hash). [File]
// keeps lines in a file; other stores (the run history's) keep the same
// lines one a row, with [Encode] and [Chain].

// Encode returns e as a line of a chain (without a newline), following
// the entry whose hash is prev ("" for the first), and the line's hash.
// Params are redacted ([Redact]) and the time is made UTC to the
// microsecond, as in [File].
func Encode(e Entry, prev string) (line []byte, hash string, err error) {
	b, h, err := encode(e, prev)
	if err != nil {
		return nil, "", err
	}
	return b[:len(b)-1], h, nil
}

// Decode checks line against its own hash and returns its entry, the
// hash of the entry before it and its own hash.
func Decode(line []byte) (e Entry, prev, hash string, err error) {
	h, l, err := checkLine(line)
	if err != nil {
		return Entry{}, "", "", err
	}
	return l.Entry, l.Prev, h, nil
}

// Chain verifies the lines of a chain one at a time, oldest first. The
// zero Chain expects the first entry of a chain. Not safe for concurrent
// use.
type Chain struct {
	sum Summary
}

// Next checks the next line (without its newline): its content against
// its hash, and that it follows the line before. The error says what is
// wrong; the chain does not advance past it.
func (c *Chain) Next(line []byte) error {
	h, l, err := checkLine(line)
	if err != nil {
		return err
	}
	if l.Prev != c.sum.LastHash {
		if c.sum.Entries == 0 {
			return errors.New("it is not the first entry of its chain (the entries before it were removed)")
		}
		return errors.New("it does not follow the entry before it (an entry was removed, inserted or moved)")
	}
	if c.sum.Entries == 0 {
		c.sum.First = l.Time
	}
	c.sum.Entries++
	c.sum.Last = l.Time
	c.sum.LastHash = h
	return nil
}

// Summary describes the lines checked so far.
func (c *Chain) Summary() Summary { return c.sum }

// Reader is a Sink that can read back its latest entries (the web UI
// shows them to admins). [File], [Ring] and [Multi] of them are
// Readers.
type Reader interface {
	Sink
	// Latest returns at most the n latest entries, oldest first.
	Latest(n int) ([]Entry, error)
}

// Latest returns the n latest entries of the file, oldest first.
func (f *File) Latest(n int) ([]Entry, error) {
	r, err := os.Open(f.path)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer r.Close()
	return Read(r, n)
}

// Latest returns the n latest kept entries, oldest first.
func (r *Ring) Latest(n int) ([]Entry, error) {
	es := r.Entries()
	if n > 0 && len(es) > n {
		es = es[len(es)-n:]
	}
	return es, nil
}

// Latest returns the latest entries of the first of m's sinks that is a
// [Reader]; none without one.
func (m multi) Latest(n int) ([]Entry, error) {
	for _, s := range m {
		if r, ok := s.(Reader); ok {
			return r.Latest(n)
		}
	}
	return nil, nil
}
