package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
	"github.com/nusapay/payments/store/storetest"
)

// Production PostgreSQL often sits behind PgBouncer in transaction pooling
// mode, where a client's consecutive transactions may run on different
// server connections and session state (SET, session advisory locks,
// named prepared statements) does not follow the client. These tests run
// through one (PAYMENTS_TEST_PGBOUNCER_DSN; .ci/run starts Debian's).

func TestConformancePgBouncer(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newStore(t, dbtest.PgBouncer(t)) })
}

// TestConformancePgBouncerPgx: pgx's database/sql driver passes the suite
// through PgBouncer in transaction mode in exec mode, where every query is
// one round trip (Parse, Bind, Execute on the unnamed statement, then Sync)
// and no statement outlives it. Its default mode, cache_statement, prepares
// named statements that the next server connection does not have; and
// describe_exec binds in a second round trip an unnamed statement parsed
// in the first, which may have run on another server connection.
func TestConformancePgBouncerPgx(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newStore(t, dbtest.PgBouncerDriver(t, "pgx:exec")) })
}

// openBouncer opens n pools on one empty database through PgBouncer: n
// replicas of an application, each with client connections of its own.
func openBouncer(t *testing.T, n int) []*bun.DB {
	t.Helper()
	dsn := dbtest.PgBouncerDatabase(t)
	dbs := make([]*bun.DB, n)
	for i := range dbs {
		db, err := dbtest.OpenPostgresPool(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	return dbs
}

// advisoryLocks counts the advisory locks held in db's database, read on
// the server directly: PgBouncer's server connections hold them unseen.
func advisoryLocks(t *testing.T, db *bun.DB) int {
	t.Helper()
	var name string
	if err := db.QueryRowContext(ctx(t), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	direct, err := store.OpenPostgres(dbtest.PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	var n int
	if err := direct.QueryRowContext(ctx(t), `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE l.locktype = 'advisory' AND l.granted AND d.datname = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigratePgBouncerConcurrently: two replicas migrating at once through
// PgBouncer both succeed, apply every migration once, and leave no lock of
// either kind behind.
func TestMigratePgBouncerConcurrently(t *testing.T) {
	dbs := openBouncer(t, 2)
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() { errs[i] = store.Migrate(ctx(t), db) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	db := dbs[0]
	ms, err := store.Migrations(db.Dialect().Name())
	if err != nil {
		t.Fatal(err)
	}
	if n, want := count(t, db, store.MigrationTable, "1 = 1"), len(ms.Sorted()); n != want {
		t.Fatalf("%d migration rows, want %d (one per migration, each applied once)", n, want)
	}
	if n := count(t, db, store.LockTable, "1 = 1"); n != 0 {
		t.Fatalf("migrator's lock row left behind: %d rows", n)
	}
	if n := advisoryLocks(t, db); n != 0 {
		t.Fatalf("%d advisory locks left held on PgBouncer's server connections", n)
	}
	for _, db := range dbs {
		if err := store.Migrate(ctx(t), db); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	}
	create(t, newStore(t, dbs[1]), "order-after-bouncer-migrate")
}

// TestMigrateLockPgBouncer: the lock Migrate takes on PostgreSQL excludes
// another replica through PgBouncer, and is released whatever server
// connection the replicas' other statements run on. A session advisory
// lock fails both: the second replica's pg_advisory_lock runs on the
// server connection the first one's just left, which already holds the
// lock, and the first one's unlock runs on whichever server connection is
// free, not necessarily the one holding it.
func TestMigrateLockPgBouncer(t *testing.T) {
	dbs := openBouncer(t, 3)
	a, b, other := dbs[0], dbs[1], dbs[2]

	unlockA, err := store.MigrateLockPG(ctx(t), a)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx(t), time.Second)
	unlockB, err := store.MigrateLockPG(short, b)
	cancel()
	if err == nil {
		unlockB()
		t.Fatal("a second replica took the migration lock while the first held it")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second replica, while the first held the lock: %v, want it to wait until its context ends", err)
	}
	// Another client's transaction takes a free server connection: the
	// one the lock statement left, if it left it.
	tx, err := other.BeginTx(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx(t), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	unlockA()
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := advisoryLocks(t, a); n != 0 {
		t.Fatalf("released, yet %d advisory locks still held on PgBouncer's server connections", n)
	}
	unlockB, err = store.MigrateLockPG(ctx(t), b)
	if err != nil {
		t.Fatalf("second replica, once the first released the lock: %v", err)
	}
	unlockB()
	if n := advisoryLocks(t, b); n != 0 {
		t.Fatalf("released, yet %d advisory locks still held", n)
	}
}
