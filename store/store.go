package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/feature"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/nusapay/payments"
)

// Table names.
const (
	TablePayments  = "nusapay_payments"
	TableEvents    = "nusapay_payment_events"
	TableRefunds   = "nusapay_refunds"
	TableInbox     = "nusapay_inbox"
	TableOutbox    = "nusapay_outbox"
	TableActions   = "nusapay_staff_actions"
	MigrationTable = "nusapay_migrations"
	LockTable      = "nusapay_migration_locks"
)

// Store implements payments.Store with Bun. It is safe for concurrent use.
type Store struct {
	db bun.IDB
	// account scopes every query and every row written (see ForAccount).
	account string
	now     func() time.Time
	// sql holds what differs between the databases, chosen once in New.
	sql dialectSQL
	// maxCAS bounds how often Apply decides again after losing a
	// compare-and-set.
	maxCAS int
	// writers queues this process's SQLite write transactions (nil for
	// PostgreSQL, and for a store bound to a transaction, which already
	// holds the write lock). SQLite has one writer at a time; waiting here
	// is first come, first served and wakes at once, where SQLite's busy
	// handler sleeps and retries and can starve a writer under load until
	// its busy timeout fails the write.
	writers chan struct{}
	// prep caches the hot path's prepared statements on SQLite (nil
	// elsewhere, and for a store bound to a transaction): see hotQuery.
	prep *prepared
}

var _ payments.Store = (*Store)(nil)

// Option configures a Store.
type Option interface{ apply(*Store) }

type optionFunc func(*Store)

func (f optionFunc) apply(s *Store) { f(s) }

// WithClock sets the clock the store stamps rows with and compares lease
// and retry times against. The default (and nil) is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(s *Store) {
		if now != nil {
			s.now = now
		}
	})
}

// dialectSQL is every difference in the store's SQL between the
// databases, decided once in New: from Bun's feature flags where Bun has
// one, from the dialect's name for row locks, for which it has none.
type dialectSQL struct {
	// paymentLock is the row lock a payment is read under before it
	// changes: NO KEY UPDATE on PostgreSQL (it does not block inserts of
	// audit and outbox rows referencing the payment), UPDATE on MySQL,
	// which has nothing weaker, and none on SQLite, whose write
	// transactions are serialised.
	paymentLock string
	// skipLocked: an outbox claim and a pruning batch lock their
	// candidates FOR UPDATE SKIP LOCKED, so concurrent claimers take
	// disjoint sets without waiting. (On MySQL a claim may then also skip
	// a row another statement only read through, as reconcile claims did:
	// for the outbox that delays an event until the next claim, it loses
	// none. Reconcile claims use reconcileLock instead.)
	skipLocked bool
	// reconcileLock locks a reconcile claim's candidates: FOR UPDATE SKIP
	// LOCKED on PostgreSQL, FOR UPDATE on MySQL, where SKIP LOCKED lost
	// payments between claimers (see ClaimReconcile), none on SQLite.
	reconcileLock string
	// onDuplicateKey: MySQL spells "insert unless the key exists" as
	// ON DUPLICATE KEY UPDATE id = id, where the others have ON CONFLICT.
	onDuplicateKey bool
	// insertReturning: INSERT ... RETURNING gives the outbox its seqs
	// (PostgreSQL, SQLite, MariaDB); MySQL reads them back by event id.
	insertReturning bool
	// updateReturning: UPDATE ... RETURNING tells a lease-checked update
	// which events it changed (PostgreSQL, SQLite); MySQL locks them first.
	updateReturning bool
	// claimQuery, when set, claims in one statement (WITH ... UPDATE ...
	// RETURNING); MySQL, lacking UPDATE ... RETURNING, selects, updates and
	// reads back in one transaction.
	claimQuery string
	// pruneEvents and pruneNotifications delete one batch of old rows
	// (see pruneQuery): ORDER BY … LIMIT on MySQL, a limited sub-select of
	// primary keys elsewhere.
	pruneEvents, pruneNotifications string
	// recordNotification inserts a finished notification, or finishes an
	// unfinished stored copy with its key (see recordNotificationSQL).
	recordNotification string
	// paymentSelects are the SELECTs of one payment by each paymentWhere
	// condition, with ? placeholders, keyed by paymentSelectKey.
	paymentSelects map[string]string
	// inboxByKey selects a notification by account and dedup key.
	inboxByKey string
	// writableCTE: an INSERT may sit in a WITH of another statement
	// (PostgreSQL), so a change's audit row and outbox rows are one
	// statement; and the PL/pgSQL functions of inone.go exist.
	writableCTE bool
	// insertPayment inserts a payment (paymentColumns) unless its order id
	// exists in the account (RowsAffected 0, as insertNew).
	insertPayment string
	// insertAudit inserts an audit row (auditColumns).
	insertAudit string
	// txOptions start the store's own transactions.
	txOptions *sql.TxOptions
	// orderIDBytes is the order id compared byte for byte, as an order id
	// prefix is matched (a range from the prefix to its successor): on
	// PostgreSQL, whose database collation may be linguistic, the column
	// in the "C" collation, which nusapay_payments_order_id_c_idx indexes;
	// SQLite's BINARY and MySQL's utf8mb4_bin already compare so, and the
	// (account, order_id) key serves the range.
	orderIDBytes string
	// listAccount scopes a list to the account without letting the
	// account choose its index. SQLite, with statistics, prefers the
	// (account, order_id) key to any index that serves the list's order,
	// and then sorts every payment of the account to return a page; a
	// unary + keeps it on the filter's own index or (created_at, id). An
	// order id prefix keeps the plain term: it is a range on that key.
	listAccount string
	// reconcileAccount scopes a reconcile claim to the account, unary +
	// on SQLite for the reason of listAccount: the claim's branches keep
	// their status indexes.
	reconcileAccount string
	// reconcileIndex names the index of a claim's long-pending branches
	// on MySQL. Its optimizer, estimating synced_at IS NULL from the
	// index's statistics, reads every pending payment through (status,
	// created_at) and filters synced_at after it, or sorts them; the
	// EXPLAIN test fails without the hint.
	reconcileIndex string
	// neverSyncedOrder orders the claim's branch of never-synced pending
	// payments as nusapay_payments_reconcile_idx is. Without it,
	// PostgreSQL, estimating many candidates (it multiplies the two
	// conditions' selectivities, and finished payments are never synced),
	// chose a sequential scan expecting to find the limit early, and read
	// the whole table when only a few were due. MySQL, whose hint already
	// holds it to the index, would sort by it instead: none there.
	neverSyncedOrder string
}

// New returns a Store on db, a *bun.DB, bun.Tx or bun.Conn using the
// PostgreSQL, SQLite or MySQL dialect (MySQL 8, MariaDB 10.6+). It does
// not run migrations (see Migrate).
func New(db bun.IDB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("store: nil db")
	}
	s := &Store{db: db, account: payments.DefaultAccount, now: time.Now, maxCAS: 8}
	s.sql.orderIDBytes = "p.order_id"
	s.sql.listAccount = "p.account = ?"
	s.sql.reconcileAccount = "account = ?"
	s.sql.neverSyncedOrder = " ORDER BY status, synced_at, created_at"
	switch name := db.Dialect().Name(); name {
	case dialect.PG:
		s.sql.paymentLock = "NO KEY UPDATE"
		s.sql.writableCTE = true
		s.sql.skipLocked = true
		s.sql.orderIDBytes = `p.order_id COLLATE "C"`
		s.sql.reconcileLock = claimLock(true)
	case dialect.MySQL:
		s.sql.paymentLock = "UPDATE"
		s.sql.skipLocked = true
		// InnoDB's default, REPEATABLE READ, would answer a plain read
		// made after a row lock from a snapshot taken before it (an answer
		// to a refund reads the refund, then locks its payment, then reads
		// its refunds). READ COMMITTED reads what the lock holder before
		// committed, as on PostgreSQL.
		s.sql.txOptions = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
		s.sql.reconcileLock = "FOR UPDATE"
		s.sql.reconcileIndex = " FORCE INDEX (nusapay_payments_reconcile_idx)"
		s.sql.neverSyncedOrder = ""
	case dialect.SQLite:
		if _, ok := db.(*bun.DB); ok {
			s.writers = make(chan struct{}, 1)
		}
		s.sql.listAccount = "+p.account = ?"
		s.sql.reconcileAccount = "+account = ?"
	default:
		return nil, fmt.Errorf("store: dialect %s is not supported (PostgreSQL, SQLite and MySQL are)", name)
	}
	features := db.Dialect().Features()
	s.sql.onDuplicateKey = !features.Has(feature.InsertOnConflict) && features.Has(feature.InsertOnDuplicateKey)
	s.sql.insertReturning = features.Has(feature.InsertReturning)
	s.sql.updateReturning = features.Has(feature.Returning)
	if features.Has(feature.CTE) && features.Has(feature.Returning) {
		s.sql.claimQuery = claimInOne(s.sql.skipLocked)
	}
	deleteLimit := db.Dialect().Name() == dialect.MySQL
	s.sql.pruneEvents = pruneQuery(deleteLimit, s.sql.skipLocked, TableOutbox, "seq", pruneEventsWhere,
		"account, dead, delivered_at, next_attempt_at, seq")
	s.sql.pruneNotifications = pruneQuery(deleteLimit, s.sql.skipLocked, TableInbox, "id", pruneNotificationsWhere,
		"account, state, processed_at, id")
	s.sql.recordNotification = recordNotificationSQL(s.sql.onDuplicateKey)
	s.sql.paymentSelects = map[string]string{}
	for _, where := range []string{"p.order_id = ?", "p.transaction_id = ?", "p.id = ?"} {
		for _, lock := range []bool{false, true} {
			q := db.NewSelect().Model((*paymentRow)(nil)).Where("p.account = ?", bun.Safe("?")).Where(where, bun.Safe("?"))
			if lock && s.sql.paymentLock != "" {
				q = q.For(s.sql.paymentLock)
			}
			s.sql.paymentSelects[paymentSelectKey(where, lock)] = q.String()
		}
	}
	s.sql.inboxByKey = db.NewSelect().Model((*inboxRow)(nil)).
		Where("i.account = ?", bun.Safe("?")).Where("i.dedup_key = ?", bun.Safe("?")).String()
	s.sql.insertPayment = "INSERT INTO " + TablePayments + " (" + paymentColumns + ") VALUES (" + placeholders(paymentColumns) + ")"
	if s.sql.onDuplicateKey {
		s.sql.insertPayment += " ON DUPLICATE KEY UPDATE id = id"
	} else {
		s.sql.insertPayment += " ON CONFLICT (account, order_id) DO NOTHING"
	}
	if s.sql.writableCTE {
		// The same columns, read through the functions of migration
		// 20261202000012_write_change, whose plans are cached.
		byOrder := paymentSelectKey("p.order_id = ?", false)
		s.sql.paymentSelects[byOrder] = fromFunction(s.sql.paymentSelects[byOrder], `nusapay_payment_by_order(?, ?) AS "p"`)
		s.sql.inboxByKey = fromFunction(s.sql.inboxByKey, `nusapay_inbox_by_key(?, ?) AS "i"`)
	}
	s.sql.insertAudit = "INSERT INTO " + TableEvents + " (" + auditColumns + ") VALUES (" + placeholders(auditColumns) + ")"
	if name := db.Dialect().Name(); name == dialect.SQLite {
		s.prep = newPrepared(db)
	}
	for _, o := range opts {
		if o != nil {
			o.apply(s)
		}
	}
	return s, nil
}

// WithDB returns a copy of s bound to db, typically the host's bun.Tx, so
// that the store's writes commit or roll back with the host's own.
func (s *Store) WithDB(db bun.IDB) *Store {
	c := *s
	c.db = db
	if _, ok := db.(*bun.DB); !ok {
		c.writers = nil
	}
	if c.prep != nil && c.prep.db != db {
		c.prep = newPrepared(db) // nil unless db is another *bun.DB
	}
	return &c
}

// ForAccount implements payments.Store: a copy of s (a *Store), bound to
// the same database, whose every query is scoped to account. WithDB keeps
// the account.
func (s *Store) ForAccount(account string) payments.Store {
	c := *s
	c.account = account
	return &c
}

// Account returns the account the store is scoped to.
func (s *Store) Account() string { return s.account }

// DB returns the bun.IDB the store is bound to.
func (s *Store) DB() bun.IDB { return s.db }

// clock returns the current time in UTC, at the microsecond precision both
// databases keep, so a value written and read back compares equal.
func (s *Store) clock() time.Time { return dbTime(s.now()) }

func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// maxDeadlockRetries bounds how often a transaction the database chose as
// a deadlock's victim is run again.
const maxDeadlockRetries = 3

// inTx runs fn in a transaction, or a savepoint when s is bound to one. A
// transaction of its own that the database rolled back as a deadlock's
// victim is run again (MySQL: "try restarting transaction"; concurrent
// claims and batch acknowledgements of the outbox can meet so on InnoDB):
// the whole of it was undone, and fn, which only reads and writes the
// database, decides afresh. Bound to the host's transaction it is not:
// the deadlock undid the host's work too, so the error is the host's.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	_, own := s.db.(*bun.DB)
	for attempt := 1; ; attempt++ {
		err := s.write(ctx, func(ctx context.Context) error { return s.db.RunInTx(ctx, s.sql.txOptions, fn) })
		if own && attempt < maxDeadlockRetries && isDeadlock(err) && ctx.Err() == nil {
			continue
		}
		return err
	}
}

// againOnDeadConn runs fn, a read of one statement, and sends it again
// while it fails on a pooled connection the server had closed (a restart,
// pg_terminate_backend): the driver learns that only when it uses the
// connection, and closes it then. At most once per connection idle at the
// start, and once more, so that one read drains a pool full of dead
// connections and the writes after it find live ones. Writes are never
// sent again: the error does not prove that a write did not commit.
func (s *Store) againOnDeadConn(ctx context.Context, fn func() error) error {
	tries := 2
	if db, ok := s.db.(*bun.DB); ok {
		tries = max(tries, db.Stats().Idle+1)
	}
	for {
		err := fn()
		if tries--; tries <= 0 || !isDeadConn(err) || ctx.Err() != nil {
			return err
		}
	}
}

// isDeadConn reports a statement that failed because its connection was
// dead: closed by the server (PostgreSQL's FATAL admin_shutdown 57P01 or
// crash_shutdown 57P02, sent as the backend was terminated) or found closed
// (EOF, reset, broken pipe).
func isDeadConn(err error) bool {
	if err == nil {
		return false
	}
	if pg := (pgdriver.Error{}); errors.As(err, &pg) {
		code := pg.Field('C')
		return code == "57P01" || code == "57P02"
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, driver.ErrBadConn)
}

// isDeadlock reports a transaction rolled back as a deadlock's victim:
// MySQL's 1213 ER_LOCK_DEADLOCK, PostgreSQL's 40P01 deadlock_detected.
func isDeadlock(err error) bool {
	if err == nil {
		return false
	}
	if my := (*mysql.MySQLError)(nil); errors.As(err, &my) {
		return my.Number == 1213
	}
	if pg := (pgdriver.Error{}); errors.As(err, &pg) {
		return pg.Field('C') == "40P01"
	}
	var coded interface{ SQLState() string } // pgx's *pgconn.PgError
	if errors.As(err, &coded) {
		return coded.SQLState() == "40P01"
	}
	return false
}

// write runs fn, which writes, in its turn among this process's writers.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.writers == nil {
		return fn(ctx)
	}
	select {
	case s.writers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writers }()
	return fn(ctx)
}

// paymentSelectKey keys dialectSQL.paymentSelects.
func paymentSelectKey(where string, lock bool) string {
	if lock {
		return where + " locked"
	}
	return where
}

// fromFunction is the select list of query, a SELECT, from a function
// call instead.
func fromFunction(query, call string) string {
	list, _, _ := strings.Cut(query, " FROM ")
	return list + " FROM " + call
}

// placeholders is one ? per column of a comma-separated list.
func placeholders(columns string) string {
	return strings.Repeat("?, ", strings.Count(columns, ",")) + "?"
}

// insertNew makes q, an insert into a table whose primary key is id, a
// no-op when a row with the same key (the columns of a unique constraint)
// exists: RowsAffected is then 0. On MySQL the no-op is an update of id to
// itself, which counts 0 rows as long as the connection counts changed rows
// (the driver's default; MySQLDSN refuses clientFoundRows). It is never
// INSERT IGNORE, which also turns other errors into warnings. Nothing is
// returned: Bun would otherwise add RETURNING for the defaulted columns,
// MariaDB returns the existing row on a duplicate, and RowsAffected would
// count it.
func (s *Store) insertNew(q *bun.InsertQuery, key string) *bun.InsertQuery {
	q = q.Returning("")
	if s.sql.onDuplicateKey {
		return q.On("DUPLICATE KEY UPDATE id = id")
	}
	return q.On("CONFLICT (" + key + ") DO NOTHING")
}

// insertedNew reports whether res, the result of an insertNew, inserted
// its row; where and args select the row by the key insertNew was given.
// ON CONFLICT (key) DO NOTHING skips only a duplicate of that key, while
// MySQL's ON DUPLICATE KEY skips a duplicate of any unique key (a reused
// id, say): when the key's row is not there, the row collided on another
// key, which is an ErrConflict, not a duplicate.
func (s *Store) insertedNew(ctx context.Context, db bun.IDB, res sql.Result, table, where string, args ...any) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	if !s.sql.onDuplicateKey {
		return false, nil
	}
	ok, err := db.NewSelect().Table(table).Where(where, args...).Exists(ctx)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, fmt.Errorf("%s: the row collides on another unique key: %w", table, payments.ErrConflict)
	}
	return false, nil
}
