package notify_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// TestNilOptions: an option given nil keeps its default and a nil Option
// is skipped; the Handler then processes a signed notification and refuses
// a forged one (which it logs).
func TestNilOptions(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	ctx := testenv.Ctx(t)
	for i, c := range []struct {
		name string
		opt  notify.Option
	}{
		{"WithLogger", notify.WithLogger(nil)},
		{"WithServerKeys()", notify.WithServerKeys()},
		{"nil Option", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := notify.New(env.Service, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			orderID := fmt.Sprintf("nil-opt-%d", i)
			if _, err := env.Service.CreateCharge(ctx, &payments.ChargeRequest{OrderID: orderID, Method: "bca_va", Amount: 10000}); err != nil {
				t.Fatal(err)
			}
			if err := env.Sim.Pay(orderID); err != nil {
				t.Fatal(err)
			}
			tx, _ := env.Sim.Transaction(orderID)
			fields := map[string]any{"order_id": orderID, "transaction_id": tx.TransactionID, "status_code": "200",
				"gross_amount": "10000.00", "transaction_status": "settlement", "payment_type": tx.PaymentType, "fraud_status": "accept"}
			forged, _ := notify.Signed("SB-Mid-server-forger", fields)
			if r := h.Handle(ctx, forged); r.Kind != notify.Rejected || !errors.Is(r.Err, notify.ErrInvalidSignature) {
				t.Fatalf("forged: %+v", r)
			}
			body, err := notify.Signed(env.Sim.ServerKey(), fields)
			if err != nil {
				t.Fatal(err)
			}
			if r := h.Handle(ctx, body); r.Kind != notify.Processed {
				t.Fatalf("signed: %+v", r)
			}
		})
	}
}
