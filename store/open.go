package store

import (
	"database/sql"
	"fmt"
	"net/url"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// SQLiteDSN returns the DSN this module needs for a SQLite database file:
//
//   - _txlock=immediate: every transaction starts BEGIN IMMEDIATE, taking the
//     write lock up front. A deferred transaction that reads and then writes
//     fails with SQLITE_BUSY when another writer got in between; an
//     immediate one waits its turn instead.
//   - journal_mode(WAL): readers do not block the writer, nor it them.
//   - busy_timeout(10000): wait up to 10 s for the write lock.
//   - foreign_keys(1): SQLite leaves them off unless asked.
//   - synchronous(NORMAL): durable at every checkpoint, safe with WAL.
//
// Use a file, not ":memory:": every pooled connection would get its own
// empty in-memory database.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// OpenSQLite opens a SQLite database file with SQLiteDSN through Bun's
// sqliteshim (pure Go modernc.org/sqlite; no cgo needed).
func OpenSQLite(path string) (*bun.DB, error) {
	sqldb, err := sql.Open(sqliteshim.ShimName, SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// OpenPostgres opens a PostgreSQL database with Bun's pgdriver, e.g.
// "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".
func OpenPostgres(dsn string) (*bun.DB, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	return bun.NewDB(sqldb, pgdialect.New()), nil
}
