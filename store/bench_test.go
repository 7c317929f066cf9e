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

func benchDBs(b *testing.B, fn func(b *testing.B, db *bun.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
	b.Run("mysql", func(b *testing.B) { fn(b, dbtest.MySQL(b)) })
}

func seed(b *testing.B, s *store.Store, prefix string, n int, status payments.Status) []string {
	b.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s-%07d", prefix, i)
		if err := s.CreatePayment(ctx, &payments.Payment{OrderID: ids[i], Method: "bca_va", Amount: 150000}); err != nil {
			b.Fatal(err)
		}
		if status != payments.StatusInitiated {
			if _, err := s.Apply(ctx, &payments.Change{OrderID: ids[i], To: payments.State{Status: status}, Source: payments.SourceCharge}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return ids
}

// BenchmarkApply measures one applied transition (pending → settlement):
// row lock, compare-and-set, audit row and two outbox events in one transaction.
func BenchmarkApply(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *bun.DB) {
		s, _ := store.New(db)
		ids := seed(b, s, "apply", b.N, payments.StatusPending)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			res, err := s.Apply(ctx, &payments.Change{OrderID: ids[i], To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification})
			if err != nil || res.Verdict.Decision != payments.Applied {
				b.Fatal(err, res)
			}
		}
	})
}

// BenchmarkApplyDuplicate measures the notification-storm path: a repeated
// change that only writes its audit row.
func BenchmarkApplyDuplicate(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *bun.DB) {
		s, _ := store.New(db)
		seed(b, s, "dup", 1, payments.StatusSettlement)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			res, err := s.Apply(ctx, &payments.Change{OrderID: "dup-0000000", To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification})
			if err != nil || res.Verdict.Decision != payments.Duplicate {
				b.Fatal(err, res)
			}
		}
	})
}

// BenchmarkClaimEvents measures outbox throughput per event: claim in
// batches of 100 with a lease, then mark each delivered.
func BenchmarkClaimEvents(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *bun.DB) {
		s, _ := store.New(db)
		seed(b, s, "claim", b.N, payments.StatusInitiated) // one "created" event each
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		done := 0
		for done < b.N {
			evs, err := s.ClaimEvents(ctx, "bench", 100, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				b.Fatalf("ran out of events after %d of %d", done, b.N)
			}
			for _, e := range evs {
				if err := s.MarkDelivered(ctx, e.Seq, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			done += len(evs)
		}
	})
}

// BenchmarkClaimReconcile measures one reconcile claim of the 100 due
// payments among 1,000 or 30,000 long-pending payments synced lately:
// the claim reads what is due, so its cost stays flat as the pending
// payments grow.
func BenchmarkClaimReconcile(b *testing.B) {
	for _, pending := range []int{1000, 30000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			benchDBs(b, func(b *testing.B, db *bun.DB) {
				ctx := context.Background()
				now := time.Now().UTC().Truncate(time.Microsecond)
				const due = 100
				for start := 0; start < pending+due; start += 500 {
					var values []string
					var args []any
					for i := start; i < min(start+500, pending+due); i++ {
						var synced any // the due ones were never synced
						if i >= due {
							synced = now.AddDate(100, 0, 0) // synced lately: not due in this benchmark
						}
						created := now.Add(-2 * time.Hour)
						values = append(values, "(?, ?, 'bca_va', 10000, 'pending', '', ?, ?, ?)")
						args = append(args, fmt.Sprintf("r-%06d", i), fmt.Sprintf("rec-%06d", i), synced, created, created)
					}
					if _, err := db.ExecContext(ctx, "INSERT INTO nusapay_payments (id, order_id, method, amount, status, fraud_status, synced_at, created_at, updated_at) VALUES "+
						strings.Join(values, ", "), args...); err != nil {
						b.Fatal(err)
					}
				}
				analyze := "ANALYZE"
				switch db.Dialect().Name() {
				case dialect.PG:
					analyze = "ANALYZE nusapay_payments"
				case dialect.MySQL:
					analyze = "ANALYZE TABLE nusapay_payments"
				}
				if _, err := db.ExecContext(ctx, analyze); err != nil {
					b.Fatal(err)
				}
				s, _ := store.New(db)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					// Each claim a minute after the last: what it claimed is due again.
					at := now.Add(time.Duration(i) * time.Minute)
					q := payments.ReconcileQuery{PendingBefore: now.Add(-time.Hour), SyncedBefore: at.Add(-30 * time.Second), Limit: due}
					got, err := s.ClaimReconcile(ctx, q, at)
					if err != nil || len(got) != due {
						b.Fatalf("claimed %d, want %d: %v", len(got), due, err)
					}
				}
			})
		})
	}
}
