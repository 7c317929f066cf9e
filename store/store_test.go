package store_test

import (
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
	"github.com/nusapay/payments/store/storetest"
)

func newStore(t *testing.T, db *bun.DB) *store.Store {
	t.Helper()
	s, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newStore(t, dbtest.SQLite(t)) })
}

func TestConformancePostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newStore(t, dbtest.Postgres(t)) })
}

func TestConformanceMySQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newStore(t, dbtest.MySQL(t)) })
}

// TestConformanceMySQLWithoutReturning runs the suite as on MySQL 8, which
// has no INSERT ... RETURNING: on MariaDB, which has, it proves the other
// path.
func TestConformanceMySQLWithoutReturning(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payments.Store { return newStore(t, dbtest.MySQLWithoutReturning(t)) })
}
