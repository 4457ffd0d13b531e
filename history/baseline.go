package history

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ParseBaseline checks a baseline reference: "last" (the latest finished
// run), "label:KEY=VALUE[,KEY=VALUE...]" (the latest finished run with
// these labels) or a run id.
func ParseBaseline(ref string) error {
	_, _, err := parseBaseline(ref)
	return err
}

func parseBaseline(ref string) (id string, f Filter, err error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return "", f, fmt.Errorf("baseline: empty; want last, label:KEY=VALUE or a run id")
	case ref == "last":
		return "", Filter{Finished: true}, nil
	case strings.HasPrefix(ref, "label:"):
		f = Filter{Finished: true, Labels: map[string]string{}}
		for kv := range strings.SplitSeq(strings.TrimPrefix(ref, "label:"), ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return "", f, fmt.Errorf("baseline %q: want label:KEY=VALUE (several joined with commas)", ref)
			}
			f.Labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		return "", f, nil
	}
	return ref, f, nil
}

// Baseline returns the run ref names (see [ParseBaseline]), never the run
// exclude (the current run). A reference that matches no run is an error
// wrapping [ErrNotFound].
func (s *Store) Baseline(ctx context.Context, ref, exclude string) (*Run, error) {
	id, f, err := parseBaseline(ref)
	if err != nil {
		return nil, err
	}
	if id != "" {
		return s.Get(ctx, id)
	}
	f.Limit = 2
	list, err := s.List(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, sum := range list {
		if sum.ID != exclude {
			return s.Get(ctx, sum.ID)
		}
	}
	return nil, fmt.Errorf("baseline %q: no finished run matches: %w", ref, ErrNotFound)
}

// Retention says which runs [Store.Prune] keeps.
type Retention struct {
	// Keep, when > 0, keeps only the Keep newest runs.
	Keep int
	// MaxAge, when > 0, keeps only runs that started less than MaxAge
	// ago.
	MaxAge time.Duration
	// Protect lists runs never deleted (the baseline in use).
	Protect []string
}

// Prune deletes the runs the retention policy does not keep and returns
// how many it deleted. A run still running (not finished and
// checkpointed recently) and the runs in Protect are never deleted.
func (s *Store) Prune(ctx context.Context, p Retention) (int, error) {
	if p.Keep <= 0 && p.MaxAge <= 0 {
		return 0, nil
	}
	all, err := s.List(ctx, Filter{})
	if err != nil {
		return 0, fmt.Errorf("failed to prune: %w", err)
	}
	cutoff := s.now().Add(-p.MaxAge)
	n := 0
	for i, sum := range all {
		old := p.Keep > 0 && i >= p.Keep || p.MaxAge > 0 && sum.Start.Before(cutoff)
		if !old || sum.Status == Running || slices.Contains(p.Protect, sum.ID) {
			continue
		}
		if err := s.Delete(ctx, sum.ID); err != nil {
			return n, fmt.Errorf("failed to prune: %w", err)
		}
		n++
	}
	return n, nil
}
