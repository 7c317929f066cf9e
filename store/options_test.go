package store_test

import (
	"context"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestNilOptions: WithClock(nil) keeps time.Now and a nil Option is
// skipped; the Store then stamps and reads a payment.
func TestNilOptions(t *testing.T) {
	for name, opt := range map[string]store.Option{
		"WithClock":  store.WithClock(nil),
		"nil Option": nil,
	} {
		t.Run(name, func(t *testing.T) {
			st, err := store.New(dbtest.SQLite(t), opt)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			p := &payments.Payment{OrderID: "nil-opt", Method: "bca_va", Amount: 1000, Currency: "IDR", Status: payments.StatusInitiated}
			if err := st.CreatePayment(ctx, p); err != nil {
				t.Fatal(err)
			}
			got, err := st.Payment(ctx, "nil-opt")
			if err != nil || got.CreatedAt.IsZero() {
				t.Fatalf("%+v %v", got, err)
			}
		})
	}
}
