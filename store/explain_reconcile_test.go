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

// TestReconcileClaimUsesIndexes: on a few thousand payments of two
// accounts and 20,000 long-pending ones, most synced lately, after
// ANALYZE, every branch of a reconcile claim reads its index in order and
// stops at the limit on every database: no full scan, no sort, and the
// long-pending branches read (status, synced_at, created_at), where the
// synced_at filter bounds the range instead of following it. Run with -v
// to see the plans.
func TestReconcileClaimUsesIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		const n = 4000
		seedPayments(t, db, base, n)
		now := base.Add(n * 15 * time.Minute)
		// Many long-pending payments (VA and store payments may wait for
		// days), of both accounts.
		const pending = 20000
		for start := 0; start < pending; start += 500 {
			var values []string
			var args []any
			for i := start; i < start+500; i++ {
				account := payments.DefaultAccount
				if i%2 == 1 {
					account = "other"
				}
				at := now.Add(-time.Duration(i+120) * time.Minute)
				values = append(values, "(?, ?, ?, 'bca_va', 10000, 'pending', '', ?, ?)")
				args = append(args, fmt.Sprintf("q-%05d", i), account, fmt.Sprintf("pend-%05d", i), at, at)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO nusapay_payments (id, account, order_id, method, amount, status, fraud_status, created_at, updated_at) VALUES "+
				strings.Join(values, ", "), args...); err != nil {
				t.Fatal(err)
			}
		}
		// As in production, payments that finished were never synced (a
		// notification finished them), so "never synced" is common; of the
		// long-pending ones most were synced lately, a few long ago and a
		// few never: only those few are due. (With every finished payment
		// synced, PostgreSQL planned the never-synced branch as a sequential
		// scan expecting many matches, and read the whole table at 1M rows.)
		for _, u := range []struct {
			where string
			at    any
		}{
			{"status <> 'pending'", nil},
			{"status = 'pending'", now.Add(-5 * time.Minute)},
			{"status = 'pending' AND id LIKE 'q-001%'", now.Add(-2 * time.Hour)},
			{"status = 'pending' AND id LIKE 'q-002%'", nil},
		} {
			if _, err := db.ExecContext(ctx, "UPDATE nusapay_payments SET synced_at = ? WHERE "+u.where, u.at); err != nil {
				t.Fatal(err)
			}
		}
		var analyze string
		switch db.Dialect().Name() {
		case dialect.PG:
			analyze = "ANALYZE nusapay_payments"
		case dialect.MySQL:
			analyze = "ANALYZE TABLE nusapay_payments"
		default:
			analyze = "ANALYZE"
		}
		if _, err := db.ExecContext(ctx, analyze); err != nil {
			t.Fatal(err)
		}
		s, err := store.New(db)
		if err != nil {
			t.Fatal(err)
		}
		for name, q := range map[string]payments.ReconcileQuery{
			"unknown and expired": {UnknownBefore: now.Add(-time.Minute), ExpiredBefore: now.Add(-2 * time.Minute), SyncedBefore: now.Add(-time.Minute), Limit: 100},
			"long pending":        {PendingBefore: now.Add(-time.Hour), SyncedBefore: now.Add(-30 * time.Minute), Limit: 100},
		} {
			for _, query := range store.ReconcileClaimSQL(s, q) {
				plan := explain(t, db, query)
				t.Logf("%s: %s\n%s", name, query, plan.text)
				if plan.fullScan != "" {
					t.Errorf("%s reads all of nusapay_payments: %s\n%s", name, plan.fullScan, plan.text)
				}
				if name == "long pending" && !strings.Contains(plan.text, "nusapay_payments_reconcile_idx") {
					t.Errorf("%s does not read (status, synced_at, created_at):\n%s", name, plan.text)
				}
				if plan.sorts {
					t.Errorf("%s sorts what it reads rather than stop at the limit:\n%s", name, plan.text)
				}
			}
		}
	})
}
