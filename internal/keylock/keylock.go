// Package keylock serialises work per key within one process: a second
// caller for a key waits, bounded by its context, until the first is done.
// The Service uses it so that a double-click's second charge, or a storm's
// copies of one notification, wait for the first instead of repeating its
// call to Midtrans; replicas meet in the database, not here.
package keylock

import (
	"context"
	"sync"
)

// Set holds the keys in use. The zero value is ready; a Set must not be
// copied after first use.
type Set struct {
	mu   sync.Mutex
	busy map[string]chan struct{}
}

// Lock waits until no other caller holds key, then holds it and returns
// the func that releases it. It returns ctx's cause when ctx ends first.
func (s *Set) Lock(ctx context.Context, key string) (unlock func(), err error) {
	for {
		s.mu.Lock()
		wait, busy := s.busy[key]
		if !busy {
			if s.busy == nil {
				s.busy = map[string]chan struct{}{}
			}
			done := make(chan struct{})
			s.busy[key] = done
			s.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					s.mu.Lock()
					delete(s.busy, key)
					s.mu.Unlock()
					close(done)
				})
			}, nil
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
