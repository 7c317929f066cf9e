package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations
var migrationFiles embed.FS // read-only

// MigrationFiles returns the SQL migration files for a dialect, named as
// Bun's migrator expects (<version>_<name>.tx.up.sql), for a host that runs
// migrations with its own tool.
func MigrationFiles(name dialect.Name) (fs.FS, error) {
	var dir string
	switch name {
	case dialect.PG:
		dir = "migrations/postgres"
	case dialect.SQLite:
		dir = "migrations/sqlite"
	case dialect.MySQL:
		dir = "migrations/mysql"
	default:
		return nil, fmt.Errorf("store: no migrations for dialect %s", name)
	}
	return fs.Sub(migrationFiles, dir)
}

// Migrations returns the module's migrations for a dialect as a Bun
// migration set, for a host that registers them with its own bun migrator:
//
//	ms, _ := store.Migrations(db.Dialect().Name())
//	m := migrate.NewMigrator(db, ms, migrate.WithTableName("nusapay_migrations"),
//		migrate.WithLocksTableName("nusapay_migration_locks"))
//
// Keep the module's table names: its migration versions then never mix with
// the host's own.
func Migrations(name dialect.Name) (*migrate.Migrations, error) {
	files, err := MigrationFiles(name)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(files); err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return ms, nil
}

// Migrate creates or updates the schema. It is safe to call from every
// replica at start-up: callers queue for the lock and all but the first find
// nothing left to do. It gives up when ctx ends.
func Migrate(ctx context.Context, db *bun.DB) error {
	ms, err := Migrations(db.Dialect().Name())
	if err != nil {
		return err
	}
	m := migrate.NewMigrator(db, ms,
		migrate.WithTableName(MigrationTable),
		migrate.WithLocksTableName(LockTable),
		migrate.WithMarkAppliedOnSuccess(true))

	var replicaLock func(context.Context, *bun.DB) (func(), error)
	switch db.Dialect().Name() {
	case dialect.PG:
		replicaLock = pgAdvisoryLock
	case dialect.MySQL:
		replicaLock = mysqlNamedLock
	}
	if replicaLock != nil {
		unlock, err := replicaLock(ctx, db)
		if err != nil {
			return err
		}
		defer unlock()
	}
	// Two replicas creating the migrator's tables at once can collide in the
	// catalog (PostgreSQL) or on the lock (SQLite): retry until ctx ends.
	if err := retry(ctx, func() error { return m.Init(ctx) }); err != nil {
		return fmt.Errorf("store: migrate init: %w", err)
	}
	if err := retry(ctx, func() error { return m.Lock(ctx) }); err != nil {
		return fmt.Errorf("store: migrate lock: %w", err)
	}
	defer func() { _ = m.Unlock(context.WithoutCancel(ctx)) }()
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// pgAdvisoryLock holds a transaction-level advisory lock in a transaction
// of its own, open until the returned func rolls it back. PostgreSQL
// releases it when that transaction ends, however it ends, so a replica
// that dies mid-migration never leaves the others locked out.
//
// Not a session lock (pg_advisory_lock on a dedicated connection): behind
// PgBouncer in transaction pooling mode, a client's statements outside a
// transaction run on whichever server connection is free. The lock would
// stay with the server connection that took it, which the next replica's
// pg_advisory_lock may land on and re-enter at once; the unlock would run
// on another and leave the lock held until PgBouncer closes that server
// connection. An open transaction keeps its server connection, under
// PgBouncer as without it. It needs one more connection than the
// migrations (a PgBouncer pool of at least two), and a database whose
// idle_in_transaction_session_timeout, if set, outlasts the migrations.
//
// Session and transaction advisory locks on one key exclude each other, so
// replicas running an older release of the module, which took the session
// lock, still queue with these.
//
// The lock is polled with pg_try_advisory_xact_lock rather than waited for
// in the server: pgdriver ends a statement only at a context's deadline,
// not at its cancellation, and a server-side wait outlives a client that
// gave up; polling gives up as soon as ctx ends.
func pgAdvisoryLock(ctx context.Context, db *bun.DB) (func(), error) {
	h := fnv.New64a()
	h.Write([]byte("github.com/nusapay/payments/store.Migrate"))
	key := int64(h.Sum64() >> 1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	wait := 20 * time.Millisecond
	for {
		var got bool
		if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock(?)", key).Scan(&got); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("store: migrate advisory lock: %w", err)
		}
		if got {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = tx.Rollback()
			return nil, fmt.Errorf("store: migrate advisory lock: %w", ctx.Err())
		case <-t.C:
		}
		if wait < 500*time.Millisecond {
			wait *= 2
		}
	}
	return func() { _ = tx.Rollback() }, nil
}

// mysqlNamedLock holds MySQL's named lock for migrations (GET_LOCK) on a
// dedicated connection; like PostgreSQL's advisory lock it is released when
// the session ends. Named locks are server-wide, so the name carries a hash
// of the database's name: replicas of one database queue, hosts with
// several databases on one server do not. GET_LOCK waits a few seconds at a
// time, so that the wait ends soon after ctx does.
func mysqlNamedLock(ctx context.Context, db *bun.DB) (func(), error) {
	const name = "CONCAT('nusapay_migrate_', SHA1(DATABASE()))"
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	for {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+name+", 5)").Scan(&got)
		if err == nil && !got.Valid {
			err = errors.New("GET_LOCK failed")
		}
		if err == nil && got.Int64 == 1 {
			break
		}
		if err == nil {
			err = ctx.Err() // 0: timed out; try again unless ctx ended
		}
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("store: migrate named lock: %w", err)
		}
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "DO RELEASE_LOCK("+name+")")
		_ = conn.Close()
	}, nil
}

func retry(ctx context.Context, fn func() error) error {
	wait := 20 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		if wait < time.Second {
			wait *= 2
		}
	}
}
