package locust

// The tests' view of internals: these methods exist in test builds only.

// Tick is advance, for the statistics tests.
func (s *Stats) Tick(users int) { s.advance(users) }

// Delta is takeDelta, for the statistics and wire tests.
func (s *Stats) Delta() *Snapshot { return s.takeDelta() }

// Add is merge, for the statistics and wire tests.
func (s *Stats) Add(d *Snapshot) { s.merge(d) }
