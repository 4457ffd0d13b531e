package locust

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Output files written whole (the CSV files but the history, the HTML
// report): replaced atomically, with the mode of output_safety.go.

// writeFileAtomic replaces the file at path with data, with mode
// (--output-mode): it writes a temporary file in the same directory and
// renames it over path, so a reader sees the old content or the new one,
// never a part. The CSV files and the HTML report are written so.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to write file %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode) // --output-mode, 0600 by default
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write file %s: %w", path, err)
	}
	return nil
}

// writeFileInDir is writeFileAtomic that first creates the directory of
// path (and its parents) when it is missing.
func writeFileInDir(path string, data []byte, mode fs.FileMode) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeFileAtomic(path, data, mode)
}
