package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments/store"
)

// PgBouncerDSN returns PAYMENTS_TEST_PGBOUNCER_DSN, or "" when it is unset:
// a PgBouncer in transaction pooling mode in front of the server named by
// PostgresDSN, e.g. postgres://postgres@127.0.0.1:6432/test?sslmode=disable.
// Tests need two things of its configuration:
//
//   - a fallback entry in [databases] ("* = host=127.0.0.1 port=5432"), so
//     that a database a test creates on the server is reachable through it
//     under its own name;
//   - the DSN's user in stats_users (or admin_users), so that a test can
//     read SHOW POOLS on the console and confirm the pool mode rather than
//     trust it.
//
// .ci/run starts one configured so.
func PgBouncerDSN() string { return os.Getenv("PAYMENTS_TEST_PGBOUNCER_DSN") }

// PgBouncer returns a migrated PostgreSQL database of the test's own,
// reached through PgBouncer in transaction pooling mode; it is dropped when
// the test ends.
//
// Why a database and not a schema, as Postgres does: a schema is chosen by
// search_path, which is session state, and a transaction-pooled session
// does not keep it: a SET lasts until the transaction ends, after which the
// next statement may run on another server connection. Nor can it be a
// startup parameter: PgBouncer (1.18, Debian bookworm's) refuses
// search_path and options in the startup packet, and with them in
// ignore_startup_parameters drops them silently, so that every test would
// share the public schema. A database of its own needs no session state.
//
// The test skips when PAYMENTS_TEST_PGBOUNCER_DSN and
// PAYMENTS_TEST_REQUIRE_PGBOUNCER are both unset; when either is set, a
// PgBouncer that is missing, unreachable or not in transaction mode fails
// it.
func PgBouncer(t testing.TB) *bun.DB {
	t.Helper()
	db := PgBouncerBare(t)
	Migrate(t, db)
	return db
}

// PgBouncerBare is PgBouncer without migrations.
func PgBouncerBare(t testing.TB) *bun.DB {
	t.Helper()
	return pgBouncerDriver(t, PostgresDriver())
}

// PgBouncerDriver is PgBouncer with the database opened by the named
// driver (OpenPostgresDriver) rather than PostgresDriver's.
func PgBouncerDriver(t testing.TB, driver string) *bun.DB {
	t.Helper()
	db := pgBouncerDriver(t, driver)
	Migrate(t, db)
	return db
}

func pgBouncerDriver(t testing.TB, driver string) *bun.DB {
	t.Helper()
	db, err := openPostgresPool(PgBouncerDatabase(t), driver)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// OpenPostgresPool opens dsn with the tests' driver (PostgresDriver) and
// a bounded pool: packages test in parallel against one server
// (max_connections is 100 by default), so that a storm test cannot starve
// the others of connections. Goroutines beyond it queue for a connection,
// which still exercises the database's own concurrency.
func OpenPostgresPool(dsn string) (*bun.DB, error) { return openPostgresPool(dsn, PostgresDriver()) }

func openPostgresPool(dsn, driver string) (*bun.DB, error) {
	db, err := OpenPostgresDriver(dsn, driver)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(10)
	return db, nil
}

// PgBouncerDatabase creates an empty database on the server named by
// PostgresDSN and returns the DSN that reaches it through PgBouncer. It
// fails the test unless PgBouncer answers there and pools it in
// transaction mode. The database is dropped when the test ends, with its
// server connections (PgBouncer keeps idle ones open).
func PgBouncerDatabase(t testing.TB) string {
	t.Helper()
	bouncer := PgBouncerDSN()
	if bouncer == "" {
		if os.Getenv("PAYMENTS_TEST_REQUIRE_PGBOUNCER") != "" {
			t.Fatal("PgBouncer required (PAYMENTS_TEST_REQUIRE_PGBOUNCER is set) but PAYMENTS_TEST_PGBOUNCER_DSN is unset")
		}
		t.Skip("PAYMENTS_TEST_PGBOUNCER_DSN is unset (set it to a PgBouncer in transaction mode, or PAYMENTS_TEST_REQUIRE_PGBOUNCER=1 to fail instead)")
	}
	u, err := url.Parse(bouncer)
	if err != nil {
		t.Fatalf("PAYMENTS_TEST_PGBOUNCER_DSN: %v", err)
	}

	admin, err := store.OpenPostgres(PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		t.Fatalf("PgBouncer tests create their databases on the PostgreSQL server behind it, not reachable at %s: %v", PostgresDSN(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		_ = admin.Close()
	})

	u.Path = "/" + name
	dsn := u.String()
	checkTransactionPooling(t, dsn, name)
	return dsn
}

// checkTransactionPooling connects to database name through dsn, so that
// PgBouncer makes its pool, and reads the pool's mode on the console.
func checkTransactionPooling(t testing.TB, dsn, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.OpenPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&got); err != nil {
		t.Fatalf("PgBouncer at PAYMENTS_TEST_PGBOUNCER_DSN does not reach database %s, created on %s (is it running, with a fallback entry \"* = host=... port=...\" for that server in [databases]?): %v",
			name, PostgresDSN(), err)
	}
	if got != name {
		t.Fatalf("PgBouncer led to database %q, want %q (a [databases] entry overrides the fallback?)", got, name)
	}

	u, _ := url.Parse(dsn)
	user := u.User.Username()
	u.Path = "/pgbouncer"
	console, err := store.OpenPostgres(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	rows, err := console.QueryContext(ctx, "SHOW POOLS")
	if err != nil {
		t.Fatalf("PgBouncer's console (database pgbouncer) refused SHOW POOLS; add %s to stats_users: %v", user, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var modes []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = vals[i].String
		}
		if row["database"] == name && row["user"] == user {
			modes = append(modes, row["pool_mode"])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(modes) != 1 || modes[0] != "transaction" {
		t.Fatalf("PgBouncer pools database %s for user %s in mode %q, want transaction", name, user, modes)
	}
}
