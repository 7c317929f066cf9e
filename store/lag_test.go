package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestOldestPendingUsesIndex: on a few thousand hook events of two
// accounts, mostly delivered, after ANALYZE, OldestPendingEvent reads the
// first pending event through an index in created_at order on every
// database: no full scan of the outbox and no sort of its pending events;
// and the index behind it is not the one a prune reads.
func TestOldestPendingUsesIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		const n = 4000
		seedPayments(t, db, base, n)
		for start := 0; start < n; start += 500 {
			var values []string
			var args []any
			for i := start; i < start+500; i++ {
				account := payments.DefaultAccount
				if i%2 == 1 {
					account = "other"
				}
				at := base.Add(time.Duration(i) * 15 * time.Minute)
				var delivered any
				if i%10 != 0 {
					delivered = at.Add(time.Minute)
				}
				values = append(values, "(?, ?, ?, ?, 'payment.created', '{}', 1, ?, ?, ?, ?)")
				args = append(args, fmt.Sprintf("e-%05d", i), account, fmt.Sprintf("p-%05d", i), fmt.Sprintf("ord-%05d", i),
					at, delivered, i%20 == 0, at)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO nusapay_outbox (event_id, account, payment_id, order_id, topic, payload, attempts, "+
				"next_attempt_at, delivered_at, dead, created_at) VALUES "+strings.Join(values, ", "), args...); err != nil {
				t.Fatal(err)
			}
		}
		analyze := "ANALYZE"
		switch db.Dialect().Name() {
		case dialect.PG:
			analyze = "ANALYZE nusapay_outbox"
		case dialect.MySQL:
			analyze = "ANALYZE TABLE nusapay_outbox"
		}
		if _, err := db.ExecContext(ctx, analyze); err != nil {
			t.Fatal(err)
		}
		s, err := store.New(db)
		if err != nil {
			t.Fatal(err)
		}
		// A prune keeps its own index: on MySQL an index leading with the
		// account would share the claim index's leading columns and be
		// taken for the prune, which would then sort.
		if q := store.PruneEventsSQL(s, base.Add(5*24*time.Hour), 500); strings.Contains(explain(t, db, q).text, "nusapay_outbox_pending_created_idx") {
			t.Errorf("pruning events uses the outbox lag index: %s\n%s", q, explain(t, db, q).text)
		}
		for _, st := range []*store.Store{s, s.ForAccount("other").(*store.Store)} {
			q := store.OldestPendingSQL(st)
			plan := explain(t, db, q)
			t.Logf("%s: %s\n%s", st.Account(), q, plan.text)
			if plan.fullScan != "" || plan.sorts {
				t.Errorf("%s: the oldest pending event is not read from an index in order: %s\n%s", st.Account(), q, plan.text)
			}
			// Events 0, 20, 40 … are dead; 10, 30, 50 … pending, all of the
			// default account.
			at, ok, err := st.OldestPendingEvent(ctx)
			want, wantOK := base.Add(10*15*time.Minute), st.Account() == payments.DefaultAccount
			if err != nil || ok != wantOK || (ok && !at.Equal(want)) {
				t.Errorf("%s: OldestPendingEvent = %s, %v, %v; want %s, %v", st.Account(), at, ok, err, want, wantOK)
			}
		}
	})
}

// TestMigrateOutboxLag: 20261202000008_outbox_lag adds the index on a
// database at the version before, and on MySQL, where it is not a .tx
// migration, running it again changes nothing.
func TestMigrateOutboxLag(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *bun.DB{"sqlite": dbtest.SQLiteBare, "postgres": dbtest.PostgresBare, "mysql": dbtest.MySQLBare} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			migrateTo(t, db, "20261202000007")
			count := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
			switch db.Dialect().Name() {
			case dialect.PG:
				count = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?"
			case dialect.MySQL:
				count = "SELECT count(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?"
			}
			indexes := func() string {
				t.Helper()
				var n string
				if err := db.NewRaw(count, "nusapay_outbox_pending_created_idx").Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := indexes(); n != "0" {
				t.Fatalf("%s outbox lag indexes before the migration", n)
			}
			dbtest.Migrate(t, db)
			if n := indexes(); n != "1" {
				t.Fatalf("%s outbox lag indexes after the migration, want 1", n)
			}
			if db.Dialect().Name() == dialect.MySQL {
				if _, err := db.ExecContext(ctx, "DELETE FROM "+store.MigrationTable+" WHERE name = '20261202000008'"); err != nil {
					t.Fatal(err)
				}
				dbtest.Migrate(t, db)
				if n := indexes(); n != "1" {
					t.Fatalf("%s outbox lag indexes after running the migration again, want 1", n)
				}
			}
		})
	}
}
