package payments_test

import (
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// BenchmarkCreateCharge measures a whole charge: validation, the payment
// row and its created event, the call to the simulator over loopback HTTP,
// and applying the answer (row, audit, outbox) — on each database.
func BenchmarkCreateCharge(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var db *bun.DB
			if kind == "sqlite" {
				db = dbtest.SQLite(b)
			} else {
				db = dbtest.Postgres(b)
			}
			env := testenv.New(b, db, testenv.Config{})
			ctx := testenv.Ctx(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				p, err := env.Service.CreateCharge(ctx, chargeReq(fmt.Sprintf("bench-%d", i), "bca_va", nil))
				if err != nil || p.VANumber == "" {
					b.Fatal(err)
				}
			}
		})
	}
}
