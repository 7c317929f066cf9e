package dbtest

import (
	"context"
	"sync"

	"github.com/uptrace/bun"
)

// Statements is a bun.QueryHook that records the SQL of every query run
// through the DB it is added to (db.WithQueryHook), for tests that count
// or inspect the statements an operation sends.
type Statements struct {
	mu   sync.Mutex
	list []string
}

// BeforeQuery implements bun.QueryHook.
func (r *Statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery implements bun.QueryHook.
func (r *Statements) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, e.Query)
}

// Take returns the statements recorded since the last Take, and forgets
// them.
func (r *Statements) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.list
	r.list = nil
	return out
}
