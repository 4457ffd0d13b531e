package locust

import (
	"errors"
	"io"
	"sync"
)

// sharedStore holds the values of UserEnv.Shared for one test.
type sharedStore struct {
	mu   sync.Mutex
	vals map[any]any
	keys []any // creation order, closed in reverse
}

func (s *sharedStore) get(key any, create func() any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vals[key]; ok {
		return v
	}
	if s.vals == nil {
		s.vals = map[any]any{}
	}
	v := create()
	s.vals[key] = v
	s.keys = append(s.keys, key)
	return v
}

// close closes every io.Closer value, newest first, and empties the store.
func (s *sharedStore) close() error {
	s.mu.Lock()
	vals, keys := s.vals, s.keys
	s.vals, s.keys = nil, nil
	s.mu.Unlock()
	var errs []error
	for i := len(keys) - 1; i >= 0; i-- {
		if c, ok := vals[keys[i]].(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
