package store

import (
	"context"
	"database/sql"
	"reflect"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// The notification path's statements (the inbox read, the payment locked,
// the inbox row recorded, the audit and outbox rows) are written once with
// ? placeholders and run through hot. Bun formats every statement with its
// values inlined, so SQLite would parse each afresh: a quarter of an
// applied notification's time. On SQLite they are prepared statements
// instead, prepared once per connection and cached by their text. On
// PostgreSQL they stay Bun's inlined text, sent in one round trip each:
// prepared statements are named, and a pooler in transaction mode
// (PgBouncer before 1.21) hands the next transaction a server connection
// that never saw them. MySQL keeps Bun's path too.

// maxPrepared bounds the cache: the hot path has a handful of statements
// (an outbox insert per number of events); beyond the bound a statement
// is run unprepared rather than cached without limit.
const maxPrepared = 64

// prepared caches prepared statements of one *sql.DB. Copies of a Store
// (ForAccount, WithDB on the same DB) share it.
type prepared struct {
	db    *bun.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newPrepared(db bun.IDB) *prepared {
	bdb, ok := db.(*bun.DB)
	if !ok {
		return nil
	}
	return &prepared{db: bdb, stmts: map[string]*sql.Stmt{}}
}

// hooked reports whether the DB has query hooks: see queryHooked.
func (p *prepared) hooked() bool { return queryHooked(p.db) }

// queryHooked reports whether db has query hooks (tracing, logging), or
// whether that cannot be told. Hooks see only the statements Bun runs, so
// a hooked DB gets Bun's path, statement by statement: hooks added after
// New are seen too. Bun keeps its hooks unexported; should the field ever
// go, the answer is "hooked", the safe side.
func queryHooked(db *bun.DB) bool {
	if bunQueryHooks.Type == nil || bunQueryHooks.Type.Kind() != reflect.Slice {
		return true
	}
	return reflect.ValueOf(db).Elem().FieldByIndex(bunQueryHooks.Index).Len() > 0
}

// bunQueryHooks is bun.DB's field of query hooks, looked up once (the
// lookup allocates); its zero value when the field is gone.
var bunQueryHooks, _ = reflect.TypeFor[bun.DB]().FieldByName("queryHooks")

// prepareWait bounds how long preparing a statement waits for a free
// connection before the call goes through Bun instead.
const prepareWait = 50 * time.Millisecond

// stmt returns query prepared, or nil when this call is to run through
// Bun: the DB has query hooks, the cache is full, or the statement could
// not be prepared now (then Bun runs it, and reports any error of the
// statement's own).
//
// Preparing takes a connection of the pool, and a caller inside a
// transaction already holds one: with the pool at its limit (one
// connection is a common SQLite setting), waiting for another would wait
// for itself. So a statement is prepared only when a connection is free,
// waiting at most prepareWait, and never under the cache's lock; a
// transaction-bound use then prepares it on the transaction's connection
// once (Tx.StmtContext), and the cache keeps it per connection.
func (p *prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if p.hooked() {
		return nil, nil
	}
	p.mu.Lock()
	st, ok := p.stmts[query]
	full := len(p.stmts) >= maxPrepared
	p.mu.Unlock()
	if ok || full {
		return st, nil
	}
	if stats := p.db.DB.Stats(); stats.MaxOpenConnections > 0 && stats.InUse >= stats.MaxOpenConnections {
		return nil, nil
	}
	pctx, cancel := context.WithTimeout(ctx, prepareWait)
	defer cancel()
	st, err := p.db.DB.PrepareContext(pctx, query)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.stmts[query]; ok {
		_ = st.Close() // prepared meanwhile by another caller
		return prev, nil
	}
	p.stmts[query] = st
	return st, nil
}

// hotArgs converts args as Bun would write them: times in Bun's SQLite
// text form (the columns compare as text), so a row written here reads
// and sorts like one Bun wrote.
func (p *prepared) hotArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			b := p.db.Dialect().AppendTime(nil, t)
			a = string(b[1 : len(b)-1]) // without its quotes
		}
		out[i] = a
	}
	return out
}

// hotStmt is query prepared for this call, bound to tx when there is one,
// or nil when the call goes through Bun (see prepared.stmt).
func (s *Store) hotStmt(ctx context.Context, tx *bun.Tx, query string) (*sql.Stmt, error) {
	if s.prep == nil {
		return nil, nil
	}
	st, err := s.prep.stmt(ctx, query)
	if st == nil || err != nil {
		return nil, err
	}
	if tx != nil {
		st = tx.Tx.StmtContext(ctx, st)
	}
	return st, nil
}

// hotQuery runs query, with ? placeholders, on tx (nil: the store's
// database): a prepared statement on SQLite, Bun's formatted text
// elsewhere.
func (s *Store) hotQuery(ctx context.Context, tx *bun.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := s.hotStmt(ctx, tx, query)
	switch {
	case err != nil:
		return nil, err
	case st != nil:
		return st.QueryContext(ctx, s.prep.hotArgs(args)...)
	case tx != nil:
		return tx.QueryContext(ctx, query, args...)
	}
	return s.db.QueryContext(ctx, query, args...)
}

// hotExec is hotQuery for a statement that returns no rows.
func (s *Store) hotExec(ctx context.Context, tx *bun.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.hotStmt(ctx, tx, query)
	switch {
	case err != nil:
		return nil, err
	case st != nil:
		return st.ExecContext(ctx, s.prep.hotArgs(args)...)
	case tx != nil:
		return tx.ExecContext(ctx, query, args...)
	}
	return s.db.ExecContext(ctx, query, args...)
}

// hotScan runs query and scans its one row into dest (a model or values)
// with Bun; no row is sql.ErrNoRows.
func (s *Store) hotScan(ctx context.Context, tx *bun.Tx, query string, args []any, dest ...any) error {
	if s.prep == nil || s.prep.hooked() {
		if tx != nil {
			return tx.NewRaw(query, args...).Scan(ctx, dest...)
		}
		return s.db.NewRaw(query, args...).Scan(ctx, dest...)
	}
	rows, err := s.hotQuery(ctx, tx, query, args...)
	if err != nil {
		return err
	}
	return scanFirst(rows, func() error { return s.prep.db.ScanRow(ctx, rows, dest...) })
}

// scanFirst scans the first of rows with scan and closes them; no row is
// sql.ErrNoRows.
func scanFirst(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := scan(); err != nil {
		return err
	}
	return rows.Close()
}
