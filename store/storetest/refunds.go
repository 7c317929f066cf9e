package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nusapay/payments"
)

// settled creates a payment and settles it.
func settled(t *testing.T, s payments.Store, orderID string) *payments.Payment {
	t.Helper()
	mustCreate(t, s, orderID)
	mustApply(t, s, change(orderID, payments.StatusSettlement))
	return mustGet(t, s, orderID)
}

func refundChange(orderID string) *payments.Change {
	return &payments.Change{OrderID: orderID, To: payments.State{Status: payments.StatusPartialRefund}, Source: payments.SourceOperation}
}

// testRefundMovesForward: a refund row moves only forward. Once succeeded,
// no later or concurrent answer (unknown, failed, requested) writes over it.
func testRefundMovesForward(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	p := settled(t, s, "order-refund-forward")
	r, _, err := s.CreateRefund(ctx, &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "fwd-1", Amount: 10000})
	if err != nil {
		t.Fatal(err)
	}
	const callers = 12
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answer := *r
			answer.Status, answer.StatusCode = payments.RefundUnknown, "500"
			var c *payments.Change
			if i%3 == 0 {
				answer.Status, answer.StatusCode = payments.RefundSucceeded, "200"
				c = refundChange(p.OrderID)
			}
			if _, _, err := s.AnswerRefund(ctxT(t), &answer, c); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, late := range []payments.RefundStatus{payments.RefundUnknown, payments.RefundFailed, payments.RefundRequested} {
		answer := *r
		answer.Status = late
		got, res, err := s.AnswerRefund(ctx, &answer, refundChange(p.OrderID))
		if err != nil || got.Status != payments.RefundSucceeded || res == nil || res.Verdict.Decision == payments.Applied {
			t.Fatalf("late %s answer: %+v %+v %v", late, got, res, err)
		}
	}
	list, err := s.Refunds(ctx, p.ID)
	if err != nil || len(list) != 1 || list[0].Status != payments.RefundSucceeded || list[0].StatusCode != "200" {
		t.Fatalf("refunds %+v %v", list, err)
	}
	if got := mustGet(t, s, p.OrderID); got.RefundedAmount != 10000 || got.Status != payments.StatusPartialRefund {
		t.Fatalf("payment %s refunded %s", got.Status, got.RefundedAmount)
	}
}

// testRefundReservation: the refundable amount is reserved atomically.
// Fifty concurrent refunds of 10,000 on a 100,000 payment: exactly ten are
// stored (the rest are refused naming amount), and when they all succeed,
// concurrently, the payment says 100,000 refunded and refund.
func testRefundReservation(t *testing.T, s payments.Store) {
	p := settled(t, s, "order-refund-reserve")
	if p.Amount != 150000 {
		t.Fatalf("amount %s", p.Amount)
	}
	const callers, each = 50, 10000
	want := int(p.Amount / each)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		created  []*payments.Refund
		refusals atomic.Int32
	)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, ok, err := s.CreateRefund(ctxT(t), &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: fmt.Sprintf("res-%02d", i), Amount: each})
			var ve *payments.ValidationError
			switch {
			case errors.As(err, &ve) && ve.Has("amount"):
				refusals.Add(1)
			case err != nil:
				t.Error(err)
			case ok:
				mu.Lock()
				created = append(created, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(created) != want || int(refusals.Load()) != callers-want {
		t.Fatalf("%d refunds stored and %d refused, want %d and %d", len(created), refusals.Load(), want, callers-want)
	}
	for _, r := range created {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answer := *r
			answer.Status, answer.StatusCode = payments.RefundSucceeded, "200"
			if _, _, err := s.AnswerRefund(ctxT(t), &answer, refundChange(p.OrderID)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := mustGet(t, s, p.OrderID)
	if got.RefundedAmount != p.Amount || got.Status != payments.StatusRefund {
		t.Fatalf("after %d refunds of %d: %s refunded %s, want refund %s", want, each, got.Status, got.RefundedAmount, p.Amount)
	}
	if _, _, err := s.CreateRefund(ctxT(t), &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "res-more", Amount: 1}); err == nil {
		t.Fatal("a refund beyond the captured amount was stored")
	}
}

// testReportedRefunds: refunds Midtrans reports (refunds[] of a status or
// notification, made here or in the dashboard) become refund records; a
// stored refund with the same key moves to succeeded; reporting them again
// adds nothing.
func testReportedRefunds(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	p := settled(t, s, "order-refund-reported")
	if _, _, err := s.CreateRefund(ctx, &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "ours", Amount: 5000}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c := change(p.OrderID, payments.StatusPartialRefund)
		c.To.Refunded = 12000
		c.Refunds = []payments.Refund{{Key: "ours", Amount: 5000}, {Key: "dashboard-1", Amount: 7000, Reason: "by phone"}}
		mustApply(t, s, c)
	}
	list, err := s.Refunds(ctx, p.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("refunds %+v %v", list, err)
	}
	for _, r := range list {
		if r.Status != payments.RefundSucceeded || r.PaymentID != p.ID {
			t.Fatalf("refund %+v", r)
		}
	}
	if got := mustGet(t, s, p.OrderID); got.RefundedAmount != 12000 {
		t.Fatalf("refunded %s", got.RefundedAmount)
	}
	if left := payments.Refundable(mustGet(t, s, p.OrderID), list); left != p.Amount-12000 {
		t.Fatalf("refundable %s", left)
	}
}
