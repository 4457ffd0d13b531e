package locust

// The tests' view of internals: these methods exist in test builds only.

// Tick is advance, for the statistics tests.
func (s *Stats) Tick(users int) { s.advance(users) }

// Delta is takeDelta, for the statistics and wire tests.
func (s *Stats) Delta() *Snapshot { return s.takeDelta() }

// Add is merge, for the statistics and wire tests.
func (s *Stats) Add(d *Snapshot) { s.merge(d) }

// SetHTTPHandoffUsers sets the number of users above which requests run
// on workers (http_handoff.go; -1: always) and returns the previous one.
func SetHTTPHandoffUsers(n int64) int64 { return httpHandoffUsers.Swap(n) }
