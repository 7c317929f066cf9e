// Package store is the Bun implementation of payments.Store for PostgreSQL,
// SQLite and MySQL (8.0 and MariaDB 10.6+): one implementation, three
// dialects.
//
// # Schema and migrations
//
// Tables are prefixed nusapay_ so they never collide with a host
// application's own "payments" table: nusapay_payments, nusapay_payment_events
// (the append-only audit trail; triggers refuse UPDATE and DELETE),
// nusapay_refunds, nusapay_inbox, nusapay_outbox and nusapay_pay_accounts
// (linked GoPay accounts, with their payment option tokens: as sensitive as
// the server key's reach). Migrations are embedded
// SQL, one set per dialect, and Migrate runs them with Bun's migrator under
// the module's own table names (nusapay_migrations and
// nusapay_migration_locks), never Bun's defaults, which the host may already
// use. Several replicas may call Migrate at once: on PostgreSQL an advisory
// lock held in a transaction of its own serialises them, on MySQL a named
// lock (GET_LOCK), both released even if a replica dies, and on every database Bun's lock row is
// retried until ctx ends rather than failing.
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
// # Ops queries
//
// ListPayments and Timeline answer support staff. A list is newest first
// by (created_at, id) with keyset pagination, so a page costs the same at
// any depth and payments inserted meanwhile never shift it; an outcome
// filter is payments.StatesOf turned into status and fraud-status
// conditions, never a rule of the store's own. The filters a console uses
// most are index-bound (migration 20261202000005; the EXPLAIN test proves
// it): the bare list on (created_at, id), a customer email on
// customer_email (the email lower-cased, written on insert), a status with
// a creation range on (status, created_at), and an order id prefix as a
// byte range — on PostgreSQL in the "C" collation, which its own index
// serves whatever the database's collation, elsewhere on the
// (account, order_id) key. On MySQL the new indexes lead with the account;
// on PostgreSQL and SQLite they do not (see Accounts), and on SQLite the
// list's account condition is written so that it does not choose the index.
// RequeueEvent resets a dead event's attempts to 0, so it gets the full
// retry budget again.
//
// # Retention
//
// PruneEvents and PruneNotifications delete old delivered events and
// finished notifications of the store's account in batches, each one
// statement and so one short transaction: on PostgreSQL and SQLite a
// DELETE of the primary keys a limited sub-select finds (on PostgreSQL an
// array the primary key index looks up, its rows locked FOR UPDATE SKIP
// LOCKED so concurrent pruners do not wait for each other), on MySQL a
// DELETE … ORDER BY … LIMIT in index order. They are index-bound (migration
// 20261202000006; the EXPLAIN test proves it): on PostgreSQL and SQLite a
// partial outbox index on delivered_at and an inbox index on (state,
// processed_at); on MySQL the claim index (account, dead, delivered_at, …)
// and an inbox index on (account, state, processed_at). Audit rows are
// never pruned: the audit table is append-only, by trigger.
//
// # Outbox lag
//
// OldestPendingEvent reads when the account's oldest pending event (neither
// delivered nor dead) was created, for the Service's outbox lag gauge. It
// reads one row in index order (migration 20261202000008; the EXPLAIN test
// proves it): on PostgreSQL and SQLite a partial index on created_at over
// pending events, like the claim index, on MySQL (dead, delivered_at,
// account, created_at), which the claim and prunes have no use for.
//
// # Reconcile claims
//
// ClaimReconcile hands the reconciler's due payments to one replica at a
// time: in one transaction it selects them and records them synced at the
// claim time, which is the claim and the pacing mark at once, so no
// concurrent claimer sees them until they are due again. On PostgreSQL and
// SQLite each criterion is one statement (WITH … UPDATE … RETURNING), on
// PostgreSQL its candidates locked FOR UPDATE SKIP LOCKED; on MySQL the
// candidates are locked FOR UPDATE SKIP LOCKED, marked and read back. Each
// criterion is its own index-ordered SELECT that stops at the limit
// (migration 20261202000011; the EXPLAIN test proves it): unknown outcomes
// through (status, updated_at), local expiries through (status,
// expires_at), long-pending payments through (status, synced_at,
// created_at), which MySQL is told to use (FORCE INDEX). A sweep thus
// reads what is due, not every long-pending payment.
//
// # Tracing
//
// QueryHook is a Bun query hook that records a span per query with the
// database system, the operation and the table, never the query text or
// an argument (Bun inlines arguments into the query it reports, so a hook
// that records it would record order ids, emails and notification
// bodies). The store adds no hook itself; a host that wants query spans
// adds it to the database it opens, before the store uses it:
//
//	db = db.WithQueryHook(store.QueryHook(tp))
//
// # Transactions
//
// New binds a Store to a bun.IDB. Bind it to the host's *bun.DB, or to a
// bun.Tx with WithDB to make the store's writes part of the host's
// transaction: each operation then runs in a savepoint of it.
//
// Apply reads the payment, plans the change with payments.Plan (the store
// holds no domain rule of its own: storetest's ApplyFollowsPlan proves it),
// and writes the planned row (compare-and-set on the primary key and the
// version, which every write of a payment bumps), the audit row and the
// outbox events atomically. ApplyNotification does the same and records
// the notification's inbox row with them.
//
// On SQLite and MySQL, and on PostgreSQL when the store is bound to the
// host's transaction, that is one transaction that reads the row FOR
// UPDATE (MySQL; FOR NO KEY UPDATE on PostgreSQL), so concurrent changes of
// one payment queue up and each is decided against the state the previous
// one left. On SQLite every write transaction is BEGIN IMMEDIATE (see
// SQLiteDSN), which serialises writers the same way.
//
// On PostgreSQL, on the host's *bun.DB, the row is read without a lock and
// the plan written by one call of a PL/pgSQL function that migration
// 20261202000012_write_change creates: nusapay_write_change compares and
// sets (or, for a plan that leaves the row as it is, locks the version
// read) and only then writes the inbox, audit and outbox rows;
// nusapay_create_payment inserts a new payment with its audit row and
// created event. The functions decide nothing (every value and the columns
// to change come from the store), but their statements' plans are cached
// in the server session, where the same statements sent as text were
// planned on every call, and a change costs two round trips (the read, the
// call) instead of a transaction's six, or one when the caller holds the
// payment as the store last returned it (ApplyFrom, ApplyNotificationFrom:
// the Service's charge answers and confirmed notifications), since the
// call's compare-and-set on the version tells whether it still is the row.
// A lost compare-and-set writes nothing; the change is planned again from
// a fresh read, and after
// maxCAS losses decided in the locked transaction. Two copies of one
// notification whose confirmations disagree (one replica's GET status said
// pending, the other's settlement) cannot lose the settlement: the copy
// that changes the payment writes it with its audit row and events, even if
// the other recorded the notification first. The host's database role
// needs the right to create functions in its schema when it migrates.
//
// # SQLite
//
// SQLite is the embedded default, pure Go (modernc.org/sqlite through Bun's
// sqliteshim, no cgo). Open it with OpenSQLite or with the DSN from
// SQLiteDSN: WAL journal, a busy timeout, foreign keys on, and
// _txlock=immediate. The last matters: without it a read transaction that
// later writes fails with SQLITE_BUSY instead of waiting.
//
// # PgBouncer
//
// The store works behind PgBouncer in transaction pooling mode, where a
// client's consecutive transactions may run on different server
// connections, because it keeps no session state: every change is one
// transaction or one function call (whose cached plans are the server
// session's own business, not the client's); there is no SET, LISTEN or
// session advisory lock; and
// OpenPostgres's driver (Bun's pgdriver) sends each query with its
// arguments formatted in, never as a named prepared statement. Migrate's
// lock is a transaction-level advisory lock for the same reason; it holds
// one server connection while the migrations use another, so the pool
// needs at least two. Choose a schema with the database or the role
// (ALTER ROLE ... SET search_path), not with SET or a search_path startup
// parameter: PgBouncer keeps neither. A host that opens the database with
// another driver must keep to the same rules; pgx's database/sql driver,
// for one, prepares named statements in its default mode
// (cache_statement), which fails there with "prepared statement ...
// already exists" (or "does not exist"), unless PgBouncer is 1.21+ with
// max_prepared_statements set. Its exec mode (default_query_exec_mode=exec
// in the DSN) passes: TestConformancePgBouncer and
// TestConformancePgBouncerPgx run the conformance suite through Debian's
// PgBouncer 1.18 in CI, with each driver.
//
// # MySQL and MariaDB
//
// Open the database with OpenMySQL, or check a DSN with MySQLDSN: it needs
// parseTime=true, loc=UTC, a utf8mb4 connection and the session time_zone
// +00:00, and must not set clientFoundRows. The schema (one migration, see
// migrations/mysql) is InnoDB, utf8mb4 with the binary collation, so keys
// compare byte for byte as on PostgreSQL, except that trailing spaces are
// ignored; DATETIME(6) in UTC; BIGINT amounts; JSON for the columns that
// are always JSON and LONGTEXT for raw bodies. Triggers keep the audit
// trail append-only. The store's transactions run at READ COMMITTED, so a
// read after a row lock sees what the previous holder committed, as on
// PostgreSQL; a host that binds the store to its own transaction should
// use that level too.
//
// # Dialects
//
// The dialect is read once in New, which chooses the few SQL fragments that
// differ: from Bun's feature flags where Bun has one (ON CONFLICT or ON
// DUPLICATE KEY, INSERT ... RETURNING, UPDATE ... RETURNING), from the
// dialect's name for row locks and SKIP LOCKED, for which it has none.
// Everything else is shared. On MySQL, which has no UPDATE ... RETURNING,
// a claim selects FOR UPDATE SKIP LOCKED, leases and reads back in one
// transaction, and MarkDeliveredBatch locks the events the owner holds,
// then finishes them, in one transaction (elsewhere UPDATE ... RETURNING
// names the finished ones); without INSERT ... RETURNING (MySQL 8, unlike MariaDB) the
// outbox seqs are read back by event id, as LAST_INSERT_ID() is not
// consecutive under innodb_autoinc_lock_mode=2.
package store
