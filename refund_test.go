package payments_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
)

func paidOrder(t *testing.T, env *testenv.Env, orderID, method string) *payments.Payment {
	t.Helper()
	ctx := testenv.Ctx(t)
	if _, err := env.Service.CreateCharge(ctx, chargeReq(orderID, method, nil)); err != nil {
		t.Fatal(err)
	}
	if err := env.Sim.Pay(orderID); err != nil {
		t.Fatal(err)
	}
	p, err := env.Service.Sync(ctx, orderID)
	if err != nil || !p.Paid() {
		t.Fatalf("pay %s: %s %v", orderID, show(p), err)
	}
	return p
}

// TestRefundRowNeverRegresses (defect: a succeeded refund row was
// overwritten): concurrent refunds with one key, where some callers get
// Midtrans' repeated-key answer, never leave the refund anything but
// succeeded, and the money is refunded once.
func TestRefundRowNeverRegresses(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		const orders, callers = 6, 10
		for o := range orders {
			orderID := fmt.Sprintf("RF-KEY-%d", o)
			p := paidOrder(t, env, orderID, "gopay")
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, err := env.Service.Refund(testenv.Ctx(t), orderID, payments.RefundRequest{Amount: 20000, Key: "one-key"})
					if err != nil && !errors.Is(err, payments.ErrOutcomeUnknown) {
						t.Errorf("%s: %v", orderID, err)
					}
				}()
			}
			wg.Wait()
			// Whatever the racing callers were told, asking again settles it.
			_, r, err := env.Service.Refund(testenv.Ctx(t), orderID, payments.RefundRequest{Amount: 20000, Key: "one-key"})
			if err != nil || r.Status != payments.RefundSucceeded {
				t.Fatalf("%s: refund after the race: %+v %v", orderID, r, err)
			}
			refunds, err := env.Store.Refunds(testenv.Ctx(t), p.ID)
			if err != nil || len(refunds) != 1 || refunds[0].Status != payments.RefundSucceeded {
				t.Fatalf("%s: refunds %+v %v", orderID, refunds, err)
			}
			got, _ := env.Service.Payment(testenv.Ctx(t), orderID)
			tx, _ := env.Sim.Transaction(orderID)
			if got.RefundedAmount != 20000 || tx.RefundedAmount != 20000 {
				t.Fatalf("%s: payment refunded %s, Midtrans %d, want 20000 once", orderID, got.RefundedAmount, tx.RefundedAmount)
			}
		}
	})
}

// TestConcurrentPartialRefunds (defect: the refunded amount could be
// understated): 50 concurrent partial refunds of 10,000 on a 145,000
// payment. The store reserves the refundable amount atomically, so exactly
// 14 go to Midtrans, and the payment says what Midtrans refunded.
func TestConcurrentPartialRefunds(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		p := paidOrder(t, env, "RF-MANY", "gopay")
		const callers, each = 50, 10000
		var (
			wg            sync.WaitGroup
			mu            sync.Mutex
			ok, refused   int
			unexpectedErr []error
		)
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := env.Service.Refund(testenv.Ctx(t), "RF-MANY", payments.RefundRequest{Amount: each, Key: fmt.Sprintf("part-%02d", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, payments.ErrValidation):
					refused++
				default:
					unexpectedErr = append(unexpectedErr, err)
				}
			}()
		}
		wg.Wait()
		if len(unexpectedErr) > 0 {
			t.Fatalf("unexpected errors: %v", unexpectedErr)
		}
		want := int(p.Amount / each)
		got, _ := env.Service.Payment(testenv.Ctx(t), "RF-MANY")
		tx, _ := env.Sim.Transaction("RF-MANY")
		refunds, _ := env.Store.Refunds(testenv.Ctx(t), p.ID)
		var recorded payments.Amount
		for _, r := range refunds {
			if r.Status == payments.RefundSucceeded {
				recorded += r.Amount
			}
		}
		if ok != want || refused != callers-want || tx.RefundedAmount != int64(want*each) ||
			got.RefundedAmount != payments.Amount(tx.RefundedAmount) || recorded != got.RefundedAmount {
			t.Fatalf("%d refunded, %d refused (want %d, %d); Midtrans refunded %d, the payment says %s, records add up to %s",
				ok, refused, want, callers-want, tx.RefundedAmount, got.RefundedAmount, recorded)
		}
	})
}

// TestRefundKeyAfterFullRefund: asking again with a key after the payment
// is fully refunded returns the stored refund, not ErrNotAllowed; a key
// reused for another amount is a conflict.
func TestRefundKeyAfterFullRefund(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		paidOrder(t, env, "RF-FULL", "gopay")
		p, r, err := env.Service.Refund(ctx, "RF-FULL", payments.RefundRequest{Key: "full-1"})
		if err != nil || p.Status != payments.StatusRefund {
			t.Fatalf("full refund: %s %v", show(p), err)
		}
		p, again, err := env.Service.Refund(ctx, "RF-FULL", payments.RefundRequest{Key: "full-1"})
		if err != nil || again.ID != r.ID || p.Status != payments.StatusRefund {
			t.Fatalf("asked again: %+v %v", again, err)
		}
		if _, _, err := env.Service.Refund(ctx, "RF-FULL", payments.RefundRequest{Key: "full-1", Amount: 1000}); !errors.Is(err, payments.ErrConflict) {
			t.Fatalf("key reused for another amount: %v", err)
		}
		if _, _, err := env.Service.Refund(ctx, "RF-FULL", payments.RefundRequest{Key: "full-2"}); !errors.Is(err, payments.ErrNotAllowed) {
			t.Fatalf("a new refund after a full refund: %v", err)
		}
	})
}

// TestDashboardRefundBecomesRecord: a refund made in the Midtrans dashboard
// arrives only in a status answer (refunds[]); it becomes a refund record,
// and what is left refundable accounts for it.
func TestDashboardRefundBecomesRecord(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		p := paidOrder(t, env, "RF-DASH", "gopay")
		if err := env.Sim.Refund("RF-DASH", 30000); err != nil {
			t.Fatal(err)
		}
		got, err := env.Service.Sync(ctx, "RF-DASH")
		if err != nil || got.RefundedAmount != 30000 {
			t.Fatalf("sync: %s %v", show(got), err)
		}
		refunds, err := env.Store.Refunds(ctx, p.ID)
		if err != nil || len(refunds) != 1 || refunds[0].Amount != 30000 || refunds[0].Status != payments.RefundSucceeded {
			t.Fatalf("refunds %+v %v", refunds, err)
		}
		if _, _, err := env.Service.Refund(ctx, "RF-DASH", payments.RefundRequest{Amount: p.Amount - 29999}); !errors.Is(err, payments.ErrValidation) {
			t.Fatalf("a refund beyond what the dashboard left: %v", err)
		}
		if got, _, err := env.Service.Refund(ctx, "RF-DASH", payments.RefundRequest{}); err != nil || got.RefundedAmount != p.Amount {
			t.Fatalf("refund the rest: %s %v", show(got), err)
		}
	})
}
