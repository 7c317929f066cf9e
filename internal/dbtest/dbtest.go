// Package dbtest opens real databases for tests: a fresh SQLite file, a
// fresh PostgreSQL schema on the server named by PAYMENTS_TEST_POSTGRES_DSN
// (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable), and a
// fresh MySQL or MariaDB database on the server named by
// PAYMENTS_TEST_MYSQL_DSN (default root@tcp(127.0.0.1:3306)/test).
//
// A PostgreSQL test skips only when no server is reachable and
// PAYMENTS_TEST_REQUIRE_POSTGRES is unset; CI sets it, so there a missing
// server fails the run instead of hiding it. MySQL tests do the same with
// PAYMENTS_TEST_REQUIRE_MYSQL.
//
// Tests open PostgreSQL with Bun's pgdriver (store.OpenPostgres), or with
// the driver PAYMENTS_TEST_PG_DRIVER names (see PostgresDrivers), e.g.
// pgx:exec to run them on pgx's database/sql driver.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments/store"
)

// DefaultPostgresDSN is used when PAYMENTS_TEST_POSTGRES_DSN is unset.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresDSN returns the DSN tests use.
func PostgresDSN() string {
	if dsn := os.Getenv("PAYMENTS_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return DefaultPostgresDSN
}

// SQLite returns a migrated SQLite database in a new temporary file, closed
// when the test ends.
func SQLite(t testing.TB) *bun.DB {
	t.Helper()
	db := SQLiteBare(t)
	Migrate(t, db)
	return db
}

// SQLiteBare is SQLite without migrations.
func SQLiteBare(t testing.TB) *bun.DB {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "payments.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Postgres returns a migrated PostgreSQL database whose search_path is a new
// schema of its own, so tests run in parallel without seeing each other's
// rows. The schema is dropped when the test ends.
func Postgres(t testing.TB) *bun.DB {
	t.Helper()
	db := PostgresBare(t)
	Migrate(t, db)
	return db
}

// PostgresBare is Postgres without migrations.
func PostgresBare(t testing.TB) *bun.DB {
	t.Helper()
	schema := PostgresSchema(t)
	db, err := OpenPostgresSchema(PostgresDSN(), schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// RequirePostgres returns PostgresDSN once the server answers. When it
// does not, the test fails if PAYMENTS_TEST_REQUIRE_POSTGRES is set (CI),
// and is skipped otherwise: the one rule for a missing server.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	admin, err := store.OpenPostgres(PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv("PAYMENTS_TEST_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL required (PAYMENTS_TEST_REQUIRE_POSTGRES is set) but not reachable at %s: %v", PostgresDSN(), err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set PAYMENTS_TEST_REQUIRE_POSTGRES=1 to fail instead): %v", PostgresDSN(), err)
	}
	return PostgresDSN()
}

// PostgresSchema creates an empty schema and returns its name; it is
// dropped when the test ends.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	RequirePostgres(t)
	admin, err := store.OpenPostgres(PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	return schema
}

// OpenPostgresSchema opens dsn with search_path set to schema, as
// OpenPostgresPool does.
func OpenPostgresSchema(dsn, schema string) (*bun.DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return OpenPostgresPool(u.String())
}

// Migrate runs the module's migrations or fails the test.
func Migrate(t testing.TB, db *bun.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// Each runs fn as a subtest against a fresh migrated database of every
// kind: "sqlite", "postgres" and "mysql" (MariaDB or MySQL).
func Each(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t)) })
}
