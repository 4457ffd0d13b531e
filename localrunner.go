package locust

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// LocalRunner runs every user in this process.
type LocalRunner struct {
	cfg        Config
	classes    []runClass
	stats      *Stats
	events     *Events
	log        *slog.Logger
	host       string
	iterations atomic.Int64

	mu     sync.Mutex
	target int
}

type runClass struct {
	cc    compiledClass
	index int
}

func (r *LocalRunner) iterationsReached() {}

func (r *LocalRunner) targetUsers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.target
}
