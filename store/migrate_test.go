package store_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// migrateTo applies the module's migrations up to and including version,
// as a database deployed with that release of the module has them.
func migrateTo(t *testing.T, db *bun.DB, version string) {
	t.Helper()
	files, err := store.MigrationFiles(db.Dialect().Name())
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{}
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path[:len(version)] > version {
			return err
		}
		b, err := fs.ReadFile(files, path)
		old[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(old); err != nil {
		t.Fatal(err)
	}
	m := migrate.NewMigrator(db, ms, migrate.WithTableName(store.MigrationTable),
		migrate.WithLocksTableName(store.LockTable), migrate.WithMarkAppliedOnSuccess(true))
	ctx := context.Background()
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		t.Fatalf("migrate to %s: %v", version, err)
	}
}

// TestMigrateAccountsUpgrade: a database created before accounts, with
// rows in every table, upgrades in place; its rows belong to the default
// account, and uniqueness is per account from then on.
//
// MySQL is not in the list: it never had the schema before accounts (its one
// migration creates the final schema), so there is nothing to upgrade.
func TestMigrateAccountsUpgrade(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *bun.DB{"sqlite": dbtest.SQLiteBare, "postgres": dbtest.PostgresBare} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			migrateTo(t, db, "20261121000001")
			now := time.Now().UTC().Truncate(time.Microsecond)
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO nusapay_payments (id, order_id, transaction_id, method, amount, status, version, created_at, updated_at)
				  VALUES ('p-old-1', 'old-1', 'tx-old', 'bca_va', 150000, 'pending', 2, ?, ?)`, []any{now, now}},
				{`INSERT INTO nusapay_payments (id, order_id, method, amount, status, created_at, updated_at)
				  VALUES ('p-old-2', 'old-2', 'gopay', 5000, 'initiated', ?, ?)`, []any{now, now}},
				{`INSERT INTO nusapay_payment_events (payment_id, order_id, source, from_status, to_status, decision, reason, created_at)
				  VALUES ('p-old-1', 'old-1', 'charge', 'initiated', 'pending', 'applied', '', ?)`, []any{now}},
				{`INSERT INTO nusapay_refunds (id, payment_id, order_id, refund_key, amount, status, created_at, updated_at)
				  VALUES ('r-old-1', 'p-old-1', 'old-1', 'rk-old-1', 1000, 'requested', ?, ?)`, []any{now, now}},
				{`INSERT INTO nusapay_inbox (id, dedup_key, order_id, signature_valid, state, body, received_at)
				  VALUES ('n-old-1', 'dk-old-1', 'old-1', true, 'processed', '{}', ?)`, []any{now}},
				{`INSERT INTO nusapay_outbox (event_id, payment_id, order_id, topic, payload, next_attempt_at, created_at)
				  VALUES ('e-old-1', 'p-old-1', 'old-1', 'pending', '{}', ?, ?)`, []any{now, now}},
			} {
				if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
					t.Fatalf("seed: %v\n%s", err, q.sql)
				}
			}

			dbtest.Migrate(t, db)

			st, err := store.New(db)
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.Payment(ctx, "old-1")
			if err != nil || p.Account != payments.DefaultAccount || p.TransactionID != "tx-old" || p.Version != 2 {
				t.Fatalf("old payment after upgrade: %+v, %v", p, err)
			}
			if h, err := st.History(ctx, p.ID); err != nil || len(h) != 1 || h[0].Account != payments.DefaultAccount {
				t.Fatalf("old history: %+v, %v", h, err)
			}
			if r, err := st.Refunds(ctx, p.ID); err != nil || len(r) != 1 || r[0].Key != "rk-old-1" {
				t.Fatalf("old refunds: %+v, %v", r, err)
			}
			if n, err := st.NotificationByDedupKey(ctx, "dk-old-1"); err != nil || n.ID != "n-old-1" {
				t.Fatalf("old notification: %+v, %v", n, err)
			}
			if ev, err := st.ClaimEvents(ctx, "w", 10, time.Minute); err != nil || len(ev) != 1 || ev[0].ID != "e-old-1" {
				t.Fatalf("old outbox event: %+v, %v", ev, err)
			}
			if got, err := st.ClaimReconcile(ctx, payments.ReconcileQuery{UnknownBefore: now.Add(time.Hour), SyncedBefore: now.Add(time.Hour), Limit: 10}, now.Add(2*time.Hour)); err != nil ||
				len(got) != 1 || got[0].OrderID != "old-2" {
				t.Fatalf("old payments to reconcile: %+v, %v", got, err)
			}

			// Uniqueness is per account now, and still recognised.
			if err := st.CreatePayment(ctx, &payments.Payment{OrderID: "old-1", Method: "bca_va", Amount: 1}); !errors.Is(err, payments.ErrDuplicateOrder) {
				t.Fatalf("duplicate order in the default account: %v", err)
			}
			c := &payments.Change{OrderID: "old-2", To: payments.State{Status: payments.StatusPending}, Source: payments.SourceSync, TransactionID: "tx-old"}
			if _, err := st.Apply(ctx, c); !errors.Is(err, payments.ErrConflict) {
				t.Fatalf("transaction id of another payment: %v", err)
			}
			other := st.ForAccount("other")
			if err := other.CreatePayment(ctx, &payments.Payment{OrderID: "old-1", Method: "bca_va", Amount: 1}); err != nil {
				t.Fatalf("the same order id in another account: %v", err)
			}
			if ok, err := other.InsertNotification(ctx, &payments.Notification{DedupKey: "dk-old-1", Body: []byte(`{}`)}); err != nil || !ok {
				t.Fatalf("the same dedup key in another account: %v, %v", ok, err)
			}

			// The audit trail is still append-only, and references still hold.
			if _, err := db.ExecContext(ctx, "UPDATE nusapay_payment_events SET reason = 'x'"); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("audit row updated: %v", err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO nusapay_refunds (id, payment_id, order_id, refund_key, amount, status, created_at, updated_at)
				VALUES ('r-x', 'no-such-payment', 'x', 'rk-x', 1, 'requested', ?, ?)`, now, now); err == nil {
				t.Fatal("a refund of no payment was stored")
			}
			if db.Dialect().Name() == dialect.SQLite {
				var problems []map[string]any
				if err := db.NewRaw("PRAGMA foreign_key_check").Scan(ctx, &problems); err != nil {
					t.Fatal(err)
				}
				if len(problems) != 0 {
					t.Fatalf("foreign key problems: %v", problems)
				}
			}
		})
	}
}
