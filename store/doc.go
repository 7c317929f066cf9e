// Package store is the Bun implementation of payments.Store for PostgreSQL
// and SQLite: one implementation, both dialects.
//
// # Schema and migrations
//
// Tables are prefixed nusapay_ so they never collide with a host
// application's own "payments" table: nusapay_payments, nusapay_payment_events
// (the append-only audit trail; triggers refuse UPDATE and DELETE),
// nusapay_refunds, nusapay_inbox and nusapay_outbox. Migrations are embedded
// SQL, one set per dialect, and Migrate runs them with Bun's migrator under
// the module's own table names (nusapay_migrations and
// nusapay_migration_locks), never Bun's defaults, which the host may already
// use. Several replicas may call Migrate at once: on PostgreSQL a session
// advisory lock serialises them (released even if a replica dies), and on
// both databases Bun's lock row is retried until ctx ends rather than failing.
// A host that runs its own migrator registers MigrationFiles or Migrations
// there instead of calling Migrate.
//
// # Accounts
//
// Every table has an account column (see payments.Store). New returns a
// store of payments.DefaultAccount; ForAccount returns a copy scoped to
// another account, with no I/O. Every query filters on the account and every
// insert sets it; order ids, transaction ids and notification dedup keys are
// unique per account, and the indexes behind claims, sweeps and lookups lead
// with it. Refund keys are still unique across accounts: a key another
// account holds is an ErrConflict. Migration 20261202000002 adds the column
// to an existing database, its rows going to the default account; on SQLite
// it rebuilds nusapay_payments and nusapay_inbox, whose inline UNIQUE
// constraints cannot be dropped.
//
// # Transactions
//
// New binds a Store to a bun.IDB. Bind it to the host's *bun.DB, or to a
// bun.Tx with WithDB to make the store's writes part of the host's
// transaction: each operation then runs in a savepoint of it.
//
// Apply reads the payment, plans the change with payments.Plan (the store
// holds no domain rule of its own: storetest's ApplyFollowsPlan proves it),
// and writes the planned row (compare-and-set on status and version), the
// audit row and the outbox events in one transaction. On PostgreSQL the row is read FOR NO
// KEY UPDATE, so concurrent changes of one payment queue up and each is
// decided against the state the previous one left; the compare-and-set is the
// safety net and, should it ever fail, the change is decided again from a
// fresh read. On SQLite every write transaction is BEGIN IMMEDIATE (see
// SQLiteDSN), which serialises writers the same way.
//
// # SQLite
//
// SQLite is the embedded default, pure Go (modernc.org/sqlite through Bun's
// sqliteshim, no cgo). Open it with OpenSQLite or with the DSN from
// SQLiteDSN: WAL journal, a busy timeout, foreign keys on, and
// _txlock=immediate. The last matters: without it a read transaction that
// later writes fails with SQLITE_BUSY instead of waiting.
//
// # Dialects
//
// The dialect is read once in New. Where the SQL differs (row locks and
// SKIP LOCKED on PostgreSQL), the store asks for a capability derived from
// it; everything else is shared.
package store
