package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

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
