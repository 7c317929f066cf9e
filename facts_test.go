package payments_test

import (
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/midtrans"
)

// TestFactsReachThePayment (defect: facts were dropped): custom fields and
// Midtrans' transaction_time/settlement_time from status answers reach the
// payment, next to the local CreatedAt/PaidAt; a report whose status is not
// news still brings the facts the payment lacks (merchant id, expiry); and
// none of it ever overwrites a fact with an older one.
func TestFactsReachThePayment(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		req := chargeReq("INV-FACTS-1", "bni_va", nil)
		req.CustomField1 = "cart-7"
		p, err := env.Service.CreateCharge(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if p.TransactionTime.IsZero() {
			t.Fatalf("charge answer's transaction_time not kept: %s", show(p))
		}
		if err := env.Sim.Pay("INV-FACTS-1"); err != nil {
			t.Fatal(err)
		}
		paid, err := env.Service.Sync(ctx, "INV-FACTS-1")
		if err != nil {
			t.Fatal(err)
		}
		if !paid.Paid() || paid.SettlementTime.IsZero() || paid.PaidAt.IsZero() || !paid.TransactionTime.Equal(p.TransactionTime) ||
			paid.CustomField1 != "cart-7" {
			t.Fatalf("after settlement: %s settlement %v paid %v transaction %v custom %q", show(paid),
				paid.SettlementTime, paid.PaidAt, paid.TransactionTime, paid.CustomField1)
		}

		// A pending payment hears its own pending state again, now with a
		// merchant id, an expiry and custom fields it did not have.
		if _, err := env.Service.CreateCharge(ctx, chargeReq("INV-FACTS-2", "bri_va", nil)); err != nil {
			t.Fatal(err)
		}
		before, err := env.Service.Payment(ctx, "INV-FACTS-2")
		if err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		res, err := env.Service.ApplyStatus(ctx, &midtrans.TransactionResponse{
			OrderID: "INV-FACTS-2", TransactionID: before.TransactionID, TransactionStatus: "pending", StatusCode: "201",
			GrossAmount: before.Amount.String(), Currency: "IDR", MerchantID: "G-NEW", ExpiryTime: midtrans.FormatTime(exp),
			CustomField3: "late-field",
		}, payments.SourceNotification)
		if err != nil {
			t.Fatal(err)
		}
		got := res.Payment
		if res.Verdict.Decision != payments.Duplicate || got.CustomField3 != "late-field" ||
			(before.MerchantID == "" && got.MerchantID != "G-NEW") || (before.ExpiresAt.IsZero() && !got.ExpiresAt.Equal(exp)) {
			t.Fatalf("duplicate report dropped facts: %s merchant %q expiry %v custom3 %q (before: merchant %q expiry %v)",
				res.Verdict.Decision, got.MerchantID, got.ExpiresAt, got.CustomField3, before.MerchantID, before.ExpiresAt)
		}
		if before.MerchantID != "" && got.MerchantID != before.MerchantID {
			t.Fatalf("a duplicate overwrote the merchant id %q with %q", before.MerchantID, got.MerchantID)
		}
	})
}
