package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func create(t *testing.T, s *store.Store, orderID string) *payments.Payment {
	t.Helper()
	p := &payments.Payment{OrderID: orderID, Method: "gopay", Amount: 25000}
	if err := s.CreatePayment(ctx(t), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func count(t *testing.T, db bun.IDB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().Table(table).Where(where, args...).Count(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// eachDB is dbtest.Each and MySQL, until Each itself includes MySQL.
func eachDB(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	dbtest.Each(t, fn)
	t.Run("mysql", func(t *testing.T) { fn(t, dbtest.MySQL(t)) })
}

func TestApplyFailsMidwayLeavesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		p := create(t, s, "order-midway")
		heal := dbtest.FailWrites(t, db, store.TableOutbox, "INSERT", "NEW.order_id = 'order-midway'")
		_, err := s.Apply(ctx(t), &payments.Change{OrderID: "order-midway", To: payments.State{Status: payments.StatusSettlement},
			Source: payments.SourceNotification, TransactionID: "tx-midway"})
		if err == nil || !strings.Contains(err.Error(), "injected database failure") || !strings.Contains(err.Error(), "order-midway") {
			t.Fatalf("Apply = %v, want the injected failure, naming the order", err)
		}
		got, err := s.Payment(ctx(t), "order-midway")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != payments.StatusInitiated || got.Version != 1 || got.TransactionID != "" || !got.PaidAt.IsZero() {
			t.Fatalf("payment partly written: %+v", got)
		}
		if n := count(t, db, store.TableEvents, "payment_id = ?", p.ID); n != 1 {
			t.Fatalf("%d audit rows, want only the creation row", n)
		}
		if n := count(t, db, store.TableOutbox, "payment_id = ?", p.ID); n != 1 {
			t.Fatalf("%d outbox rows, want only the created event", n)
		}
		// Once the fault is gone the same change applies.
		heal()
		res, err := s.Apply(ctx(t), &payments.Change{OrderID: "order-midway", To: payments.State{Status: payments.StatusSettlement},
			Source: payments.SourceNotification, TransactionID: "tx-midway"})
		if err != nil || res.Verdict.Decision != payments.Applied {
			t.Fatalf("retry after the fault: %v %+v", err, res)
		}
	})
}

func TestCreateFailsMidwayLeavesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		dbtest.FailWrites(t, db, store.TableOutbox, "INSERT", "NEW.order_id = 'order-create-midway'")
		err := s.CreatePayment(ctx(t), &payments.Payment{OrderID: "order-create-midway", Method: "gopay", Amount: 1000})
		if err == nil || !strings.Contains(err.Error(), "injected database failure") {
			t.Fatalf("CreatePayment = %v", err)
		}
		if n := count(t, db, store.TablePayments, "order_id = ?", "order-create-midway"); n != 0 {
			t.Fatal("payment row left behind")
		}
		if n := count(t, db, store.TableEvents, "order_id = ?", "order-create-midway"); n != 0 {
			t.Fatal("audit row left behind")
		}
	})
}

func TestClosedDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		create(t, s, "order-closed")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		checks := map[string]error{}
		_, checks["Apply"] = s.Apply(ctx(t), &payments.Change{OrderID: "order-closed", To: payments.State{Status: payments.StatusPending}, Source: payments.SourceSync})
		checks["CreatePayment"] = s.CreatePayment(ctx(t), &payments.Payment{OrderID: "order-closed-2", Method: "gopay", Amount: 1})
		_, checks["Payment"] = s.Payment(ctx(t), "order-closed")
		_, checks["ClaimEvents"] = s.ClaimEvents(ctx(t), "w", 10, time.Minute)
		_, checks["InsertNotification"] = s.InsertNotification(ctx(t), &payments.Notification{DedupKey: "k", Body: []byte("{}")})
		for op, err := range checks {
			if !errors.Is(err, sql.ErrConnDone) && (err == nil || !strings.Contains(err.Error(), "closed")) {
				t.Errorf("%s on a closed database = %v, want a wrapped 'database is closed' error", op, err)
			}
			if errors.Is(err, payments.ErrNotFound) {
				t.Errorf("%s: a closed database must not look like a missing payment", op)
			}
		}
	})
}

// TestHostTransaction: bound to the host's transaction, the store's writes
// commit and roll back with it.
func TestHostTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		// Created first: MySQL commits a transaction that runs DDL.
		if _, err := db.ExecContext(ctx(t), "CREATE TABLE IF NOT EXISTS host_orders (id VARCHAR(64) PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		for _, commit := range []bool{false, true} {
			orderID := fmt.Sprintf("order-host-%v", commit)
			err := db.RunInTx(ctx(t), nil, func(c context.Context, tx bun.Tx) error {
				ts := s.WithDB(tx)
				if err := ts.CreatePayment(c, &payments.Payment{OrderID: orderID, Method: "qris", Amount: 5000}); err != nil {
					return err
				}
				if _, err := ts.Apply(c, &payments.Change{OrderID: orderID, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge}); err != nil {
					return err
				}
				// The host writes its own row in the same transaction.
				if _, err := tx.ExecContext(c, "INSERT INTO host_orders (id) VALUES (?)", orderID); err != nil {
					return err
				}
				if !commit {
					return errors.New("host rolls back")
				}
				return nil
			})
			want := 0
			if commit {
				want = 1
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := count(t, db, store.TablePayments, "order_id = ?", orderID); n != want {
				t.Fatalf("commit=%v: %d payment rows, want %d", commit, n, want)
			}
			if n := count(t, db, store.TableOutbox, "order_id = ?", orderID); n != 3*want {
				t.Fatalf("commit=%v: %d outbox rows, want %d", commit, n, 3*want)
			}
		}
	})
}

func TestAuditTrailIsAppendOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		create(t, s, "order-audit")
		if _, err := db.ExecContext(ctx(t), "UPDATE nusapay_payment_events SET reason = 'forged'"); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("UPDATE of the audit trail = %v", err)
		}
		if _, err := db.ExecContext(ctx(t), "DELETE FROM nusapay_payment_events"); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("DELETE of the audit trail = %v", err)
		}
	})
}

// TestMigrateConcurrently: replicas starting together all succeed and the
// schema is created once, under the module's own table names.
func TestMigrateConcurrently(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(kind, func(t *testing.T) {
			var open func() *bun.DB
			switch kind {
			case "sqlite":
				path := t.TempDir() + "/replicas.db"
				open = func() *bun.DB {
					db, err := store.OpenSQLite(path)
					if err != nil {
						t.Fatal(err)
					}
					return db
				}
			case "postgres":
				schema := dbtest.PostgresSchema(t)
				open = func() *bun.DB {
					db, err := dbtest.OpenPostgresSchema(dbtest.PostgresDSN(), schema)
					if err != nil {
						t.Fatal(err)
					}
					return db
				}
			case "mysql":
				dsn := dbtest.MySQLDatabase(t)
				open = func() *bun.DB {
					db, err := dbtest.OpenMySQL(dsn)
					if err != nil {
						t.Fatal(err)
					}
					return db
				}
			}
			const replicas = 6
			dbs := make([]*bun.DB, replicas)
			for i := range dbs {
				dbs[i] = open()
				t.Cleanup(func() { _ = dbs[i].Close() })
			}
			var wg sync.WaitGroup
			errs := make([]error, replicas)
			for i := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = store.Migrate(ctx(t), dbs[i])
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: %v", i, err)
				}
			}
			db := dbs[0]
			ms, err := store.Migrations(db.Dialect().Name())
			if err != nil {
				t.Fatal(err)
			}
			if n, want := count(t, db, store.MigrationTable, "1 = 1"), len(ms.Sorted()); n != want {
				t.Fatalf("%d migration rows, want %d (one per migration, each applied once)", n, want)
			}
			if n := count(t, db, store.LockTable, "1 = 1"); n != 0 {
				t.Fatalf("lock left held: %d rows", n)
			}
			var bunDefault int
			switch kind {
			case "sqlite":
				bunDefault = count(t, db, "sqlite_master", "name IN ('bun_migrations', 'bun_migration_locks')")
			case "postgres":
				bunDefault = count(t, db, "information_schema.tables", "table_name IN ('bun_migrations', 'bun_migration_locks') AND table_schema = current_schema()")
			case "mysql":
				bunDefault = count(t, db, "information_schema.tables", "table_name IN ('bun_migrations', 'bun_migration_locks') AND table_schema = DATABASE()")
			}
			if bunDefault != 0 {
				t.Fatal("Bun's default migration tables were created; they would collide with the host's")
			}
			// Running again is a no-op, and the store works on the result.
			if err := store.Migrate(ctx(t), db); err != nil {
				t.Fatal(err)
			}
			s, _ := store.New(db)
			create(t, s, "order-after-migrate")
		})
	}
}

func TestMigrationFiles(t *testing.T) {
	for d, first := range map[dialect.Name]string{
		dialect.PG:     "20261121000001_create_payments.tx.up.sql",
		dialect.SQLite: "20261121000001_create_payments.tx.up.sql",
		// MySQL has only the final schema, in one migration (see the file).
		dialect.MySQL: "20261202000004_create_mysql.up.sql",
	} {
		fsys, err := store.MigrationFiles(d)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := store.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms.Sorted()) == 0 {
			t.Fatalf("%s: no migrations", d)
		}
		if _, err := fsys.Open(first); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	if _, err := store.MigrationFiles(dialect.MSSQL); err == nil {
		t.Fatal("MSSQL migrations claimed")
	}
}

func TestSQLiteDSN(t *testing.T) {
	dsn := store.SQLiteDSN("/tmp/x.db")
	for _, want := range []string{"_txlock=immediate", "journal_mode%28WAL%29", "busy_timeout", "foreign_keys%281%29"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN %s lacks %s", dsn, want)
		}
	}
	db := dbtest.SQLite(t)
	var mode string
	var fk int
	if err := db.QueryRowContext(ctx(t), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	if err := db.QueryRowContext(ctx(t), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
}

// TestApplyNotificationFailsMidwayLeavesNothing: a notification whose last
// write (the outbox rows) fails leaves no inbox row, no audit row and the
// payment as it was, so Midtrans' retry processes it afresh; once the
// fault is gone the retry records and applies it.
func TestApplyNotificationFailsMidwayLeavesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		p := create(t, s, "order-notify-midway")
		heal := dbtest.FailWrites(t, db, store.TableOutbox, "INSERT", "NEW.order_id = 'order-notify-midway'")
		change := func(prev *payments.Payment) *payments.Change {
			return &payments.Change{OrderID: prev.OrderID, To: payments.State{Status: payments.StatusSettlement},
				Source: payments.SourceNotification, TransactionID: "tx-notify-midway"}
		}
		n := &payments.Notification{DedupKey: "key-notify-midway", OrderID: p.OrderID, Status: "settlement", Body: []byte(`{}`)}
		if _, _, err := s.ApplyNotification(ctx(t), n, change); err == nil || !strings.Contains(err.Error(), "injected database failure") {
			t.Fatalf("ApplyNotification = %v, want the injected failure", err)
		}
		if got, err := s.Payment(ctx(t), p.OrderID); err != nil || got.Version != 1 || got.Status != payments.StatusInitiated {
			t.Fatalf("payment partly written: %+v %v", got, err)
		}
		if k := count(t, db, store.TableInbox, "dedup_key = ?", n.DedupKey); k != 0 {
			t.Fatalf("%d inbox rows left behind", k)
		}
		if k := count(t, db, store.TableEvents, "payment_id = ?", p.ID); k != 1 {
			t.Fatalf("%d audit rows, want only the creation row", k)
		}
		heal()
		n = &payments.Notification{DedupKey: "key-notify-midway", OrderID: p.OrderID, Status: "settlement", Body: []byte(`{}`)}
		res, recorded, err := s.ApplyNotification(ctx(t), n, change)
		if err != nil || !recorded || res.Verdict.Decision != payments.Applied {
			t.Fatalf("retry after the fault: %v, recorded %v, %+v", err, recorded, res)
		}
		if k := count(t, db, store.TableInbox, "dedup_key = ? AND state = ?", n.DedupKey, "processed"); k != 1 {
			t.Fatalf("%d processed inbox rows after the retry, want 1", k)
		}
	})
}
