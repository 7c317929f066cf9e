package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
)

// Table names.
const (
	TablePayments  = "nusapay_payments"
	TableEvents    = "nusapay_payment_events"
	TableRefunds   = "nusapay_refunds"
	TableInbox     = "nusapay_inbox"
	TableOutbox    = "nusapay_outbox"
	MigrationTable = "nusapay_migrations"
	LockTable      = "nusapay_migration_locks"
)

// Store implements payments.Store with Bun. It is safe for concurrent use.
type Store struct {
	db bun.IDB
	// account scopes every query and every row written (see ForAccount).
	account string
	now     func() time.Time
	// rowLocks: the database has SELECT ... FOR NO KEY UPDATE and
	// FOR UPDATE SKIP LOCKED (PostgreSQL). Without them (SQLite) the store
	// relies on write transactions being serialised.
	rowLocks bool
	// maxCAS bounds how often Apply decides again after losing a
	// compare-and-set.
	maxCAS int
	// writers queues this process's SQLite write transactions (nil for
	// PostgreSQL, and for a store bound to a transaction, which already
	// holds the write lock). SQLite has one writer at a time; waiting here
	// is first come, first served and wakes at once, where SQLite's busy
	// handler sleeps and retries and can starve a writer under load until
	// its busy timeout fails the write.
	writers chan struct{}
}

var _ payments.Store = (*Store)(nil)

// Option configures a Store.
type Option interface{ apply(*Store) }

type optionFunc func(*Store)

func (f optionFunc) apply(s *Store) { f(s) }

// WithClock sets the clock the store stamps rows with and compares lease
// and retry times against. The default (and nil) is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(s *Store) {
		if now != nil {
			s.now = now
		}
	})
}

// New returns a Store on db, a *bun.DB, bun.Tx or bun.Conn using the
// PostgreSQL or SQLite dialect. It does not run migrations (see Migrate).
func New(db bun.IDB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("store: nil db")
	}
	s := &Store{db: db, account: payments.DefaultAccount, now: time.Now, maxCAS: 8}
	switch name := db.Dialect().Name(); name {
	case dialect.PG:
		s.rowLocks = true
	case dialect.SQLite:
		if _, ok := db.(*bun.DB); ok {
			s.writers = make(chan struct{}, 1)
		}
	default:
		return nil, fmt.Errorf("store: dialect %s is not supported (PostgreSQL and SQLite are)", name)
	}
	for _, o := range opts {
		if o != nil {
			o.apply(s)
		}
	}
	return s, nil
}

// WithDB returns a copy of s bound to db, typically the host's bun.Tx, so
// that the store's writes commit or roll back with the host's own.
func (s *Store) WithDB(db bun.IDB) *Store {
	c := *s
	c.db = db
	if _, ok := db.(*bun.DB); !ok {
		c.writers = nil
	}
	return &c
}

// ForAccount implements payments.Store: a copy of s (a *Store), bound to
// the same database, whose every query is scoped to account. WithDB keeps
// the account.
func (s *Store) ForAccount(account string) payments.Store {
	c := *s
	c.account = account
	return &c
}

// Account returns the account the store is scoped to.
func (s *Store) Account() string { return s.account }

// DB returns the bun.IDB the store is bound to.
func (s *Store) DB() bun.IDB { return s.db }

// clock returns the current time in UTC, at the microsecond precision both
// databases keep, so a value written and read back compares equal.
func (s *Store) clock() time.Time { return dbTime(s.now()) }

func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// inTx runs fn in a transaction, or a savepoint when s is bound to one.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.write(ctx, func(ctx context.Context) error { return s.db.RunInTx(ctx, nil, fn) })
}

// write runs fn, which writes, in its turn among this process's writers.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.writers == nil {
		return fn(ctx)
	}
	select {
	case s.writers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writers }()
	return fn(ctx)
}
