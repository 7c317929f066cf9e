package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestMigrateOpsQueriesBackfill: migration 20261202000005 fills
// customer_email of existing rows from their customer JSON, lower-cased,
// so ListPayments finds them by email; on MySQL, whose migrations are not
// transactional, it runs again harmlessly.
func TestMigrateOpsQueriesBackfill(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *bun.DB{"sqlite": dbtest.SQLiteBare, "postgres": dbtest.PostgresBare, "mysql": dbtest.MySQLBare} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			migrateTo(t, db, "20261202000004")
			now := time.Now().UTC().Truncate(time.Microsecond)
			for id, customer := range map[string]any{
				"old-email":    `{"first_name":"Budi","email":"Budi.Utomo@Example.COM"}`,
				"old-no-email": `{"first_name":"Siti"}`,
				"old-empty":    `{"email":""}`,
				"old-null":     `{"email":null}`,
				"old-nothing":  nil,
			} {
				if _, err := db.ExecContext(ctx, `INSERT INTO nusapay_payments (id, order_id, method, amount, status, customer, created_at, updated_at)
					VALUES (?, ?, 'gopay', 5000, 'pending', ?, ?, ?)`, "p-"+id, id, customer, now, now); err != nil {
					t.Fatal(err)
				}
			}
			dbtest.Migrate(t, db)
			if db.Dialect().Name() == dialect.MySQL {
				res, err := db.ExecContext(ctx, "DELETE FROM "+store.MigrationTable+" WHERE name = '20261202000005'")
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("forgot %d migrations, want 1", n)
				}
				dbtest.Migrate(t, db)
			}
			var emails []struct {
				OrderID string  `bun:"order_id"`
				Email   *string `bun:"customer_email"`
			}
			if err := db.NewSelect().Table(store.TablePayments).Column("order_id", "customer_email").Order("order_id").Scan(ctx, &emails); err != nil {
				t.Fatal(err)
			}
			for _, e := range emails {
				want := e.OrderID == "old-email"
				if got := e.Email != nil; got != want || (want && *e.Email != "budi.utomo@example.com") {
					t.Errorf("%s: customer_email %v", e.OrderID, e.Email)
				}
			}
			st, err := store.New(db)
			if err != nil {
				t.Fatal(err)
			}
			page, err := st.ListPayments(ctx, payments.PaymentQuery{CustomerEmail: "BUDI.UTOMO@example.com"})
			if err != nil || len(page.Payments) != 1 || page.Payments[0].OrderID != "old-email" {
				t.Fatalf("by email after the upgrade: %+v, %v", page, err)
			}
		})
	}
}

// TestMigrateRetention: 20261202000006_retention adds the prune indexes on
// a database at 20261202000005, and on MySQL, where it is not a .tx
// migration, running it again changes nothing.
func TestMigrateRetention(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *bun.DB{"sqlite": dbtest.SQLiteBare, "postgres": dbtest.PostgresBare, "mysql": dbtest.MySQLBare} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			migrateTo(t, db, "20261202000005")
			var count, want string
			switch db.Dialect().Name() {
			case dialect.PG:
				count, want = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN (?)", "2"
			case dialect.MySQL:
				count, want = "SELECT count(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name IN (?)", "1"
			default:
				count, want = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN (?)", "2"
			}
			indexes := func() string {
				t.Helper()
				var n string
				if err := db.NewRaw(count, bun.List([]string{"nusapay_outbox_delivered_idx", "nusapay_inbox_finished_idx"})).Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := indexes(); n != "0" {
				t.Fatalf("%s prune indexes before the migration", n)
			}
			dbtest.Migrate(t, db)
			if n := indexes(); n != want {
				t.Fatalf("%s prune indexes after the migration, want %s", n, want)
			}
			if db.Dialect().Name() == dialect.MySQL {
				if _, err := db.ExecContext(ctx, "DELETE FROM "+store.MigrationTable+" WHERE name = '20261202000006'"); err != nil {
					t.Fatal(err)
				}
				dbtest.Migrate(t, db)
				if n := indexes(); n != want {
					t.Fatalf("%s prune indexes after running the migration again, want %s", n, want)
				}
			}
		})
	}
}

// TestMigrateReconcileClaims: 20261202000011_reconcile_claims adds the
// reconcile claim's index on a database at 20261202000010, and on MySQL,
// where it is not a .tx migration, running it again changes nothing.
func TestMigrateReconcileClaims(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *bun.DB{"sqlite": dbtest.SQLiteBare, "postgres": dbtest.PostgresBare, "mysql": dbtest.MySQLBare} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			migrateTo(t, db, "20261202000010")
			var count string
			switch db.Dialect().Name() {
			case dialect.PG:
				count = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'nusapay_payments_reconcile_idx'"
			case dialect.MySQL:
				count = "SELECT count(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'nusapay_payments_reconcile_idx'"
			default:
				count = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'nusapay_payments_reconcile_idx'"
			}
			index := func() string {
				t.Helper()
				var n string
				if err := db.NewRaw(count).Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := index(); n != "0" {
				t.Fatalf("%s reconcile indexes before the migration", n)
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			if _, err := db.ExecContext(ctx, `INSERT INTO nusapay_payments (id, order_id, method, amount, status, created_at, updated_at)
				VALUES ('p-old', 'old', 'bca_va', 5000, 'pending', ?, ?)`, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			dbtest.Migrate(t, db)
			if n := index(); n != "1" {
				t.Fatalf("%s reconcile indexes after the migration, want 1", n)
			}
			if db.Dialect().Name() == dialect.MySQL {
				if _, err := db.ExecContext(ctx, "DELETE FROM "+store.MigrationTable+" WHERE name = '20261202000011'"); err != nil {
					t.Fatal(err)
				}
				dbtest.Migrate(t, db)
				if n := index(); n != "1" {
					t.Fatalf("%s reconcile indexes after running the migration again, want 1", n)
				}
			}
			// A payment from before the migration is claimed once.
			st, err := store.New(db)
			if err != nil {
				t.Fatal(err)
			}
			q := payments.ReconcileQuery{PendingBefore: now.Add(-time.Hour), SyncedBefore: now.Add(-30 * time.Minute), Limit: 10}
			if got, err := st.ClaimReconcile(ctx, q, now); err != nil || len(got) != 1 || got[0].OrderID != "old" {
				t.Fatalf("claim after the upgrade: %v, %v", got, err)
			}
			if got, err := st.ClaimReconcile(ctx, q, now); err != nil || len(got) != 0 {
				t.Fatalf("claimed again: %v, %v", got, err)
			}
		})
	}
}
