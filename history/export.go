package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// exportFormat names the export file format; exportVersion is bumped on
// an incompatible change.
const (
	exportFormat  = "golocust-run"
	exportVersion = 1
)

type exportFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Run     *Run   `json:"run"`
}

// Export writes r to w as one self-contained JSON document, histograms
// included, that [Import] reads back.
func Export(w io.Writer, r *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(exportFile{Format: exportFormat, Version: exportVersion, Run: r}); err != nil {
		return fmt.Errorf("failed to export run %s: %w", r.ID, err)
	}
	return nil
}

// ReadExport reads a document written by [Export].
func ReadExport(rd io.Reader) (*Run, error) {
	var f exportFile
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("failed to read an exported run: %w", err)
	}
	switch {
	case f.Format != exportFormat:
		return nil, fmt.Errorf("failed to read an exported run: format %q, want %q", f.Format, exportFormat)
	case f.Version < 1 || f.Version > exportVersion:
		return nil, fmt.Errorf("failed to read an exported run: version %d, this program reads 1 to %d", f.Version, exportVersion)
	case f.Run == nil || f.Run.ID == "" || f.Run.Start.IsZero():
		return nil, fmt.Errorf("failed to read an exported run: no run, or one without id or start")
	}
	for i := range f.Run.Rows {
		if _, err := f.Run.Rows[i].Histogram(); err != nil {
			return nil, fmt.Errorf("failed to read an exported run: %w", err)
		}
	}
	if _, err := f.Run.Total.Histogram(); err != nil {
		return nil, fmt.Errorf("failed to read an exported run: %w", err)
	}
	return f.Run, nil
}

// Import reads a run written by [Export] and saves it, keeping its id
// (an existing run with that id is replaced), and returns it.
func (s *Store) Import(ctx context.Context, rd io.Reader) (*Run, error) {
	r, err := ReadExport(rd)
	if err != nil {
		return nil, err
	}
	if err := s.Delete(ctx, r.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err := s.saveAt(ctx, r, r.Updated); err != nil {
		return nil, err
	}
	return r, nil
}
