package payments_test

import (
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/store"
)

// TestChargeDatabaseFailsAfterMidtrans: Midtrans made the transaction, then
// recording its answer fails. The error says so, the payment is left for
// resumption (never failed), and charging again once the database is back
// gets Midtrans' one transaction through the same idempotency key.
func TestChargeDatabaseFailsAfterMidtrans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		ctx := testenv.Ctx(t)
		// The payment row and its creation audit row are written; the audit
		// row of the charge answer is refused.
		heal := dbtest.FailWrites(t, db, store.TableEvents, "INSERT", "NEW.order_id = 'midway-1' AND NEW.source = 'charge' AND NEW.from_status <> ''")
		p, err := env.Service.CreateCharge(ctx, chargeReq("midway-1", "bri_va", nil))
		if err == nil {
			t.Fatalf("charge recorded despite the failure: %s", show(p))
		}
		if tx, ok := env.Sim.Transaction("midway-1"); !ok || tx.Status != "pending" {
			t.Fatal("Midtrans did not make the transaction: the failure was not after the call")
		}
		if got, _ := env.Service.Payment(ctx, "midway-1"); got.Status != payments.StatusInitiated || got.TransactionID != "" {
			t.Fatalf("after the failed write: %s", show(got))
		}
		heal()
		p, err = env.Service.CreateCharge(ctx, chargeReq("midway-1", "bri_va", nil))
		if err != nil || p.Status != payments.StatusPending || p.VANumber == "" {
			t.Fatalf("charge again after the database came back: %s %v", show(p), err)
		}
		if tx, _ := env.Sim.Transaction("midway-1"); tx.VANumber != p.VANumber {
			t.Fatalf("VA %s, Midtrans has %s", p.VANumber, tx.VANumber)
		}
		if n := chargeCalls(env.Sim); n != 2 {
			t.Fatalf("%d charge calls", n)
		}
		var keys []string
		for _, c := range env.Sim.Calls() {
			if c.Path == "/v2/charge" {
				keys = append(keys, c.IdempotencyKey)
			}
		}
		if keys[0] != keys[1] {
			t.Fatalf("the resumed charge used another key: %v", keys)
		}
	})
}

// TestRefundDatabaseFailsAfterMidtrans: Midtrans refunded, then recording
// the answer fails. Refunding again with the same request reuses the
// stored refund key, so the money goes back once.
func TestRefundDatabaseFailsAfterMidtrans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		ctx := testenv.Ctx(t)
		if _, err := env.Service.CreateCharge(ctx, chargeReq("midway-refund", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.Pay("midway-refund"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.Sync(ctx, "midway-refund"); err != nil {
			t.Fatal(err)
		}
		heal := dbtest.FailWrites(t, db, store.TableRefunds, "UPDATE", "NEW.order_id = 'midway-refund'")
		req := payments.RefundRequest{Amount: 45000, Reason: "rusak"}
		p, r, err := env.Service.Refund(ctx, "midway-refund", req)
		if err == nil {
			t.Fatal("refund recorded despite the failure")
		}
		if tx, _ := env.Sim.Transaction("midway-refund"); tx.RefundedAmount != 45000 {
			t.Fatalf("Midtrans refunded %d: the failure was not after the call", tx.RefundedAmount)
		}
		// The caller is told what Midtrans answered; the store still holds
		// the request, which is what makes the retry resend the same key.
		if p.RefundedAmount != 0 || r == nil || r.Status != payments.RefundSucceeded {
			t.Fatalf("after the failed write: %s, refund status %v", show(p), r)
		}
		if stored, _ := env.Store.Refunds(ctx, p.ID); len(stored) != 1 || stored[0].Status != payments.RefundRequested {
			t.Fatalf("stored refunds after the failed write: %d", len(stored))
		}
		heal()
		p, again, err := env.Service.Refund(ctx, "midway-refund", req)
		if err != nil || again.ID != r.ID || again.Status != payments.RefundSucceeded || p.RefundedAmount != 45000 {
			t.Fatalf("refund again: %s, refund %s %s, %v", show(p), again.Key, again.Status, err)
		}
		if tx, _ := env.Sim.Transaction("midway-refund"); tx.RefundedAmount != 45000 {
			t.Fatalf("Midtrans refunded %d in all, want 45000 once", tx.RefundedAmount)
		}
	})
}
