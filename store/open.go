package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
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

// MySQLDSN checks a go-sql-driver/mysql DSN
// ("user:password@tcp(host:3306)/dbname?param=value") against what this
// module needs and adds what is missing:
//
//   - parseTime=true: DATETIME columns scan into time.Time.
//   - loc=UTC: the driver reads DATETIME values as UTC, the zone the store
//     writes them in.
//   - time_zone='+00:00' (a session variable): NOW() and the stored times
//     agree, whatever the server's own time zone.
//   - collation=utf8mb4_general_ci, unless a utf8mb4 charset or collation
//     is given: four-byte characters (emoji in a customer's name) survive.
//     Comparisons follow the tables' own collation (utf8mb4_bin), not this.
//
// A DSN that sets any of them to something else, or sets
// clientFoundRows=true, is refused with an error naming the parameter:
// the store tells an inserted row from an ignored duplicate by the
// affected-rows count, which clientFoundRows would make 1 for both. The
// error never contains the DSN, which may hold a password.
func MySQLDSN(dsn string) (string, error) {
	if _, err := mysql.ParseDSN(dsn); err != nil {
		return "", fmt.Errorf("store: MySQL DSN: %w", err)
	}
	params, err := mysqlDSNParams(dsn)
	if err != nil {
		return "", err
	}
	var add []string
	check := func(key, want string, ok func(string) bool) error {
		v, set := params[key]
		if !set {
			add = append(add, key+"="+url.QueryEscape(want))
			return nil
		}
		if !ok(v) {
			return fmt.Errorf("store: MySQL DSN: %s=%s conflicts with the store, which needs %s=%s", key, v, key, want)
		}
		return nil
	}
	if err := check("parseTime", "true", func(v string) bool { return v == "1" || strings.EqualFold(v, "true") }); err != nil {
		return "", err
	}
	if err := check("loc", "UTC", func(v string) bool { return v == "UTC" }); err != nil {
		return "", err
	}
	if err := check("time_zone", "'+00:00'", func(v string) bool {
		v = strings.Trim(v, `'"`)
		return v == "+00:00" || v == "+0:00" || v == "UTC"
	}); err != nil {
		return "", err
	}
	if v, ok := params["clientFoundRows"]; ok && v != "0" && !strings.EqualFold(v, "false") {
		return "", fmt.Errorf("store: MySQL DSN: clientFoundRows=%s conflicts with the store, which counts changed rows, not matched rows", v)
	}
	charset, hasCharset := params["charset"]
	collation, hasCollation := params["collation"]
	switch {
	case hasCharset && charset != "utf8mb4":
		return "", fmt.Errorf("store: MySQL DSN: charset=%s conflicts with the store, which needs charset=utf8mb4", charset)
	case hasCollation && !strings.HasPrefix(collation, "utf8mb4_"):
		return "", fmt.Errorf("store: MySQL DSN: collation=%s conflicts with the store, which needs a utf8mb4 collation", collation)
	case !hasCharset && !hasCollation:
		add = append(add, "collation=utf8mb4_general_ci")
	}
	if len(add) == 0 {
		return dsn, nil
	}
	sep := "?"
	if strings.HasSuffix(dsn, "?") || strings.HasSuffix(dsn, "&") {
		sep = ""
	} else if strings.Contains(dsn[strings.LastIndexByte(dsn, '/'):], "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&"), nil
}

// mysqlDSNParams returns a DSN's parameters, unescaped, found where the
// driver finds them: after the first '?' that follows the last '/'.
func mysqlDSNParams(dsn string) (map[string]string, error) {
	params := map[string]string{}
	rest := dsn[strings.LastIndexByte(dsn, '/')+1:]
	i := strings.IndexByte(rest, '?')
	if i < 0 {
		return params, nil
	}
	for kv := range strings.SplitSeq(rest[i+1:], "&") {
		key, value, _ := strings.Cut(kv, "=")
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, fmt.Errorf("store: MySQL DSN: %s: %w", key, err)
		}
		params[key] = v
	}
	return params, nil
}

// OpenMySQL opens a MySQL 8 or MariaDB 10.6+ database through
// go-sql-driver/mysql and Bun's mysqldialect, with the DSN checked and
// completed by MySQLDSN, e.g. "root@tcp(127.0.0.1:3306)/shop".
func OpenMySQL(dsn string) (*bun.DB, error) {
	full, err := MySQLDSN(dsn)
	if err != nil {
		return nil, err
	}
	sqldb, err := sql.Open("mysql", full)
	if err != nil {
		return nil, fmt.Errorf("store: open mysql: %w", err)
	}
	return bun.NewDB(sqldb, mysqldialect.New(mysqldialect.WithTimeLocation("UTC"))), nil
}
