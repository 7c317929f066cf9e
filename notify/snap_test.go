package notify_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
)

func snapCharge(orderID string, opts methods.SnapOptions) *payments.ChargeRequest {
	return &payments.ChargeRequest{OrderID: orderID, Method: "snap", Amount: 150000,
		Items:    []payments.Item{{ID: "sku-1", Name: "Kopi", Price: 150000, Quantity: 1}},
		Customer: &payments.Customer{FirstName: "Budi", Email: "budi@example.com", Phone: "+628123456789"},
		Options:  opts}
}

func opNames(ops []payments.OperationInfo) []payments.Op {
	var out []payments.Op
	for _, o := range ops {
		out = append(out, o.Name)
	}
	return out
}

// A Snap payment is stored pending with its token and page, stays pending
// while Midtrans does not know it (the customer has not chosen), and from
// the first notification on can do what the chosen channel can: a card
// payment is refunded, a bank transfer is not.
func TestSnapFollowsTheChosenChannel(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		ctx := testenv.Ctx(t)
		opts := methods.SnapOptions{EnabledPayments: []string{"credit_card", "bank_transfer", "gopay", "dana"},
			FinishURL: "https://shop.example/done"}

		p, err := s.Service.CreateCharge(ctx, snapCharge("SNAP-CARD", opts))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != payments.StatusPending || p.Method != "snap" || p.PaymentType != "" ||
			p.Instructions.SnapToken == "" || !strings.HasPrefix(p.Instructions.RedirectURL, s.Sim.URL()+"/snap/v3/redirection/") {
			t.Fatalf("after the charge: %s, instructions %+v", show(p), p.Instructions)
		}

		// Before the customer chooses: Midtrans knows no transaction.
		if got, err := s.Service.Sync(ctx, "SNAP-CARD"); err != nil || got.Status != payments.StatusPending {
			t.Fatalf("sync before a channel is chosen: %s %v", show(got), err)
		}
		if _, _, err := s.Service.Refund(ctx, "SNAP-CARD", payments.RefundRequest{}); !errors.Is(err, payments.ErrUnsupported) {
			t.Fatalf("refund before a channel is chosen: %v", err)
		}
		if _, err := s.Service.Capture(ctx, "SNAP-CARD", 0); !errors.Is(err, payments.ErrUnsupported) {
			t.Fatalf("capture before a channel is chosen: %v", err)
		}
		if got := opNames(s.Service.AvailableOperations(p)); !slices.Equal(got, []payments.Op{payments.OpSync, payments.OpCancel, payments.OpExpire}) {
			t.Fatalf("operations before a channel is chosen: %v", got)
		}
		// Midtrans has nothing to cancel yet: refused, and still pending.
		got, err := s.Service.Cancel(ctx, "SNAP-CARD")
		if !errors.Is(err, payments.ErrNotAllowed) || got.Status != payments.StatusPending {
			t.Fatalf("cancel before a channel is chosen: %s %v", show(got), err)
		}

		// The customer pays by card on the Snap page; the bank settles.
		if err := s.Sim.SelectSnapPayment("SNAP-CARD", "credit_card"); err != nil {
			t.Fatal(err)
		}
		if err := s.Sim.Pay("SNAP-CARD"); err != nil {
			t.Fatal(err)
		}
		if err := s.Sim.Settle("SNAP-CARD"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		p, _ = s.Service.Payment(ctx, "SNAP-CARD")
		if p.Status != payments.StatusSettlement || p.PaymentType != "credit_card" || p.TransactionID == "" ||
			p.Instructions.Card == nil || p.Instructions.SnapToken == "" {
			t.Fatalf("paid by card: %s %q %+v", show(p), p.PaymentType, p.Instructions)
		}
		if s.rec.count("SNAP-CARD", payments.SignalPaid) != 1 {
			t.Fatalf("paid signals: %v", s.rec.signals("SNAP-CARD"))
		}
		p, r, err := s.Service.Refund(ctx, "SNAP-CARD", payments.RefundRequest{Amount: 50000, Reason: "one cup short"})
		if err != nil || r.Status != payments.RefundSucceeded || p.Status != payments.StatusPartialRefund || p.RefundedAmount != 50000 {
			t.Fatalf("refund of a Snap card payment: %s %+v %v", show(p), r, err)
		}

		// Another order, paid by bank transfer: no refund through the API.
		if _, err := s.Service.CreateCharge(ctx, snapCharge("SNAP-VA", opts)); err != nil {
			t.Fatal(err)
		}
		if err := s.Sim.SelectSnapPayment("SNAP-VA", "bank_transfer"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		p, _ = s.Service.Payment(ctx, "SNAP-VA")
		if p.Status != payments.StatusPending || p.PaymentType != "bank_transfer" || p.Instructions.VANumber == "" {
			t.Fatalf("bank transfer chosen: %s %+v", show(p), p.Instructions)
		}
		if got := opNames(s.Service.AvailableOperations(p)); !slices.Equal(got, []payments.Op{payments.OpSync, payments.OpCancel, payments.OpExpire}) {
			t.Fatalf("operations of a pending VA: %v", got)
		}
		if err := s.Sim.Pay("SNAP-VA"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		_, _, err = s.Service.Refund(ctx, "SNAP-VA", payments.RefundRequest{})
		if !errors.Is(err, payments.ErrUnsupported) || !strings.Contains(err.Error(), "paid by bank_transfer") {
			t.Fatalf("refund of a Snap bank transfer: %v", err)
		}
		if p, _ = s.Service.Payment(ctx, "SNAP-VA"); p.Status != payments.StatusSettlement || s.rec.count("SNAP-VA", payments.SignalPaid) != 1 {
			t.Fatalf("bank transfer paid: %s %v", show(p), s.rec.signals("SNAP-VA"))
		}

		// GoPay chosen but not paid: the host expires it as GoPay allows.
		if _, err := s.Service.CreateCharge(ctx, snapCharge("SNAP-GOPAY", opts)); err != nil {
			t.Fatal(err)
		}
		if err := s.Sim.SelectSnapPayment("SNAP-GOPAY", "gopay"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		if p, err = s.Service.Expire(ctx, "SNAP-GOPAY"); err != nil || p.Status != payments.StatusExpire || p.PaymentType != "gopay" {
			t.Fatalf("expire after gopay was chosen: %s %v", show(p), err)
		}

		// DANA chosen: follow-up calls go by transaction id as a Snap
		// transaction, as DANA requires.
		if _, err := s.Service.CreateCharge(ctx, snapCharge("SNAP-DANA", opts)); err != nil {
			t.Fatal(err)
		}
		if err := s.Sim.SelectSnapPayment("SNAP-DANA", "dana"); err != nil {
			t.Fatal(err)
		}
		if err := s.Sim.Pay("SNAP-DANA"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		p, r, err = s.Service.Refund(ctx, "SNAP-DANA", payments.RefundRequest{})
		if err != nil || p.Status != payments.StatusRefund || r.Status != payments.RefundSucceeded {
			t.Fatalf("refund of a Snap DANA payment: %s %+v %v", show(p), r, err)
		}
		calls := s.Sim.Calls()
		last := calls[len(calls)-1]
		if !strings.Contains(last.Path, p.TransactionID) || last.Header.Get("Transaction-Source") != "SNAP_API" {
			t.Fatalf("DANA refund call: %s %v", last.Path, last.Header)
		}
	})
}

// A Snap card payment made as a pre-authorisation can be captured, as
// any card pre-authorisation.
func TestSnapCardAuthorizeCapture(t *testing.T) {
	env := testenv.New(t, sqlite(t), testenv.Config{})
	s := newStack(t, env)
	ctx := testenv.Ctx(t)
	no := false
	opts := methods.SnapOptions{EnabledPayments: []string{"credit_card"},
		CreditCard: &methods.SnapCardOptions{Authorize: true, Secure: &no, Bank: "bni"}}
	if _, err := s.Service.CreateCharge(ctx, snapCharge("SNAP-AUTH", opts)); err != nil {
		t.Fatal(err)
	}
	var body string
	for _, c := range s.Sim.Calls() {
		if c.Path == "/snap/v1/transactions" {
			body = string(c.Body)
		}
	}
	if !strings.Contains(body, `"credit_card":{"bank":"bni","type":"authorize"}`) {
		t.Fatalf("Snap request: %s", body)
	}
	if err := s.Sim.Pay("SNAP-AUTH"); err != nil {
		t.Fatal(err)
	}
	s.settle(t)
	p, _ := s.Service.Payment(ctx, "SNAP-AUTH")
	if p.Status != payments.StatusAuthorize || p.PaymentType != "credit_card" {
		t.Fatalf("authorised: %s", show(p))
	}
	if p, err := s.Service.Capture(ctx, "SNAP-AUTH", 0); err != nil || p.Status != payments.StatusCapture {
		t.Fatalf("capture: %s %v", show(p), err)
	}
}

func show(p *payments.Payment) string {
	if p == nil {
		return "<nil payment>"
	}
	return string(p.Status) + "/" + string(p.FraudStatus) + " " + p.OrderID + " " + p.Method + " tx=" + p.TransactionID + " msg=" + p.StatusMessage
}
