// Package history is golocust's run store: every run's configuration,
// final statistics (with the full HDR histograms, so any percentile of a
// past run is exact), failures, thresholds and time series, kept in an
// SQLite file or a PostgreSQL database.
//
// A load-test program writes to it when run with --history (and the web
// UI's default); a `go test` reads it, for example to compare a run with
// a baseline:
//
//	s, err := history.Open(ctx, "history.db") // or "postgres://user@host/db"
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer s.Close()
//	base, err := s.Baseline(ctx, "label:branch=main", "")
//	if err != nil {
//		t.Fatal(err)
//	}
//	p95, _ := base.Total.Percentile(0.95)
//
// The schema is versioned; [Open] applies the migrations it lacks. Runs
// are written as they go ([Store.Save] at each stats tick, then once
// more at the end), so a run whose process died reads as [Interrupted].
// The store never receives a secret: the program redacts options before
// saving them.
package history
