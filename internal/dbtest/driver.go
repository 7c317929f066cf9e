package dbtest

import (
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/nusapay/payments/store"
)

// PostgresDrivers names the PostgreSQL drivers OpenPostgresDriver knows:
// Bun's pgdriver (store.OpenPostgres), and pgx's database/sql driver in
// one of its query modes (pgx.QueryExecMode; "pgx" alone is pgx's own
// default, cache_statement).
func PostgresDrivers() []string {
	return []string{"pgdriver", "pgx", "pgx:cache_statement", "pgx:cache_describe", "pgx:describe_exec", "pgx:exec", "pgx:simple_protocol"}
}

// PostgresDriver returns PAYMENTS_TEST_PG_DRIVER, the driver tests open
// PostgreSQL with (one of PostgresDrivers), or "pgdriver" when it is unset.
func PostgresDriver() string {
	if d := os.Getenv("PAYMENTS_TEST_PG_DRIVER"); d != "" {
		return d
	}
	return "pgdriver"
}

// OpenPostgresDriver opens dsn with Bun's pgdialect over the named driver
// (one of PostgresDrivers; "" is pgdriver).
//
// Bun formats every argument into the query text itself, so whatever the
// mode, pgx receives queries without parameters: each distinct text is a
// statement of its own. In cache_statement mode pgx prepares each as a
// named statement (one more round trip per new text, and statements that
// do not exist on the next server connection behind PgBouncer in
// transaction mode); in cache_describe mode it describes each new text
// first; exec and simple_protocol run each in one round trip.
func OpenPostgresDriver(dsn, driver string) (*bun.DB, error) {
	name, mode, _ := strings.Cut(driver, ":")
	switch {
	case name == "" || name == "pgdriver" && mode == "":
		return store.OpenPostgres(dsn)
	case name != "pgx":
		return nil, fmt.Errorf("unknown PostgreSQL driver %q (one of %s)", driver, strings.Join(PostgresDrivers(), ", "))
	}
	if mode != "" {
		// pgx reads the mode from the connection string.
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "default_query_exec_mode=" + mode
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgx %s: %w", mode, err)
	}
	return bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New()), nil
}
