package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/feature"
	"github.com/uptrace/bun/dialect/mysqldialect"

	"github.com/nusapay/payments/store"
)

// DefaultMySQLDSN is used when PAYMENTS_TEST_MYSQL_DSN is unset.
const DefaultMySQLDSN = "root@tcp(127.0.0.1:3306)/test"

// MySQLDSN returns the DSN of the MySQL or MariaDB server tests use; its
// database is only where test databases are created from.
func MySQLDSN() string {
	if dsn := os.Getenv("PAYMENTS_TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return DefaultMySQLDSN
}

// MySQL returns a migrated MySQL (or MariaDB) database of the test's own,
// dropped when the test ends.
func MySQL(t testing.TB) *bun.DB {
	t.Helper()
	db := MySQLBare(t)
	Migrate(t, db)
	return db
}

// MySQLBare is MySQL without migrations.
func MySQLBare(t testing.TB) *bun.DB {
	t.Helper()
	db, err := OpenMySQL(MySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// MySQLWithoutReturning is MySQL with INSERT ... RETURNING hidden from the
// store: on MariaDB, it runs the store as it runs on MySQL 8, which lacks it.
func MySQLWithoutReturning(t testing.TB) *bun.DB {
	t.Helper()
	full, err := store.MySQLDSN(MySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	sqldb, err := sql.Open("mysql", full)
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, withoutReturning{mysqldialect.New(mysqldialect.WithTimeLocation("UTC"))})
	db.SetMaxOpenConns(10)
	t.Cleanup(func() { _ = db.Close() })
	Migrate(t, db)
	return db
}

type withoutReturning struct{ *mysqldialect.Dialect }

func (d withoutReturning) Features() feature.Feature {
	return d.Dialect.Features().Remove(feature.InsertReturning)
}

// MySQLDatabase creates an empty database and returns the DSN of it; it
// is dropped when the test ends. The test skips when no server is
// reachable, unless PAYMENTS_TEST_REQUIRE_MYSQL is set.
func MySQLDatabase(t testing.TB) string {
	t.Helper()
	admin, err := store.OpenMySQL(MySQLDSN())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		if os.Getenv("PAYMENTS_TEST_REQUIRE_MYSQL") != "" {
			t.Fatalf("MySQL required (PAYMENTS_TEST_REQUIRE_MYSQL is set) but not reachable: %v", err)
		}
		t.Skipf("MySQL not reachable (set PAYMENTS_TEST_MYSQL_DSN, or PAYMENTS_TEST_REQUIRE_MYSQL=1 to fail instead): %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		_ = admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE "+name)
		_ = admin.Close()
	})
	cfg, err := mysql.ParseDSN(MySQLDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}

// OpenMySQL opens dsn with store.OpenMySQL and a pool bounded like
// OpenPostgresSchema's.
func OpenMySQL(dsn string) (*bun.DB, error) {
	db, err := store.OpenMySQL(dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(10)
	return db, nil
}
