package notify_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// benchEnv seeds n pending payments directly in the store and returns
// signed settlement notifications for them.
func benchEnv(b *testing.B, db *bun.DB, n int, opts ...notify.Option) (*notify.Handler, [][]byte) {
	b.Helper()
	env := testenv.New(b, db, testenv.Config{})
	h, err := notify.New(env.Service, opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := testenv.Ctx(b)
	bodies := make([][]byte, n)
	for i := range n {
		id := fmt.Sprintf("bench-%07d", i)
		if err := env.Store.CreatePayment(ctx, &payments.Payment{OrderID: id, Method: "gopay", Amount: 50000}); err != nil {
			b.Fatal(err)
		}
		if _, err := env.Store.Apply(ctx, &payments.Change{OrderID: id, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge}); err != nil {
			b.Fatal(err)
		}
		bodies[i], _ = notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": id, "transaction_id": "tx-" + id,
			"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement", "fraud_status": "accept",
			"payment_type": "gopay", "transaction_time": "2026-11-21 10:00:00", "currency": "IDR"})
	}
	return h, bodies
}

// BenchmarkHandle measures one settlement notification end to end without
// the confirming status call: size cap, parse, signature, inbox insert,
// payment read, status machine, payment/audit/outbox transaction, inbox
// finish.
func BenchmarkHandle(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		open := map[string]func(testing.TB) *bun.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres}[kind]
		b.Run(kind+"/single", func(b *testing.B) {
			h, bodies := benchEnv(b, open(b), b.N, notify.WithoutConfirmation())
			ctx := testenv.Ctx(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if resp := h.Handle(ctx, bodies[i]); resp.Kind != notify.Processed || resp.Decision != "applied" {
					b.Fatalf("%+v", resp)
				}
			}
		})
		b.Run(kind+"/concurrent", func(b *testing.B) {
			h, bodies := benchEnv(b, open(b), b.N, notify.WithoutConfirmation())
			ctx := testenv.Ctx(b)
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					if resp := h.Handle(ctx, bodies[i]); resp.Kind != notify.Processed {
						b.Errorf("%+v", resp)
						return
					}
				}
			})
		})
	}
}

// BenchmarkHandleDuplicate measures the storm path: a notification already
// processed, answered from the inbox.
func BenchmarkHandleDuplicate(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *bun.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(db.name, func(b *testing.B) {
			h, bodies := benchEnv(b, db.open(b), 1, notify.WithoutConfirmation())
			ctx := testenv.Ctx(b)
			h.Handle(ctx, bodies[0])
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if resp := h.Handle(ctx, bodies[0]); resp.Kind != notify.Duplicate {
					b.Fatalf("%+v", resp)
				}
			}
		})
	}
}
