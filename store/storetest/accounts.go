package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// testAccounts: two account views of one store share nothing. The same
// order id, transaction id and dedup key exist once in each; each view
// reads, claims and sweeps only its own rows, and an id of the other
// account is not found.
func testAccounts(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	a, b := s.ForAccount("a"), s.ForAccount("b")

	pa, pb := mustCreate(t, a, "shared-1"), mustCreate(t, b, "shared-1")
	if pa.ID == pb.ID || pa.Account != "a" || pb.Account != "b" {
		t.Fatalf("payments of one order id in two accounts: %+v / %+v", pa, pb)
	}
	if err := a.CreatePayment(ctx, newPayment("shared-1")); !errors.Is(err, payments.ErrDuplicateOrder) {
		t.Fatalf("duplicate order within an account: %v", err)
	}
	onlyB := mustCreate(t, b, "only-b")
	for name, view := range map[string]payments.Store{"a": a, "default": s} {
		if _, err := view.Payment(ctx, "only-b"); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("%s sees b's payment: %v", name, err)
		}
	}
	if _, err := s.Payment(ctx, "shared-1"); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("the default account sees a's or b's payment: %v", err)
	}
	if p := mustCreate(t, s, "shared-1"); p.Account != payments.DefaultAccount {
		t.Errorf("a store used without ForAccount wrote account %q, want %q", p.Account, payments.DefaultAccount)
	}

	// The same transaction id in both; each applies to its own payment.
	ca := change("shared-1", payments.StatusPending)
	ca.TransactionID = "tx-shared"
	mustApply(t, a, ca)
	cb := change("shared-1", payments.StatusSettlement)
	cb.TransactionID = "tx-shared"
	if res := mustApply(t, b, cb); res.Verdict.Decision != payments.Applied || res.Payment.ID != pb.ID {
		t.Fatalf("b's change: %+v", res)
	}
	if got := mustGet(t, a, "shared-1"); got.Status != payments.StatusPending || got.ID != pa.ID || got.Account != "a" {
		t.Fatalf("a's payment after b's change: %+v", got)
	}
	if got, err := b.PaymentByTransactionID(ctx, "tx-shared"); err != nil || got.ID != pb.ID {
		t.Fatalf("b.PaymentByTransactionID = %v, %v", got, err)
	}
	if _, err := a.Apply(ctx, change("only-b", payments.StatusPending)); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("a applied a change to b's payment: %v", err)
	}

	// History.
	if h := history(t, a, pa); len(h) != 2 || h[0].Account != "a" {
		t.Fatalf("a's history: %+v", h)
	}
	if h := history(t, a, pb); len(h) != 0 {
		t.Fatalf("a reads b's history: %+v", h)
	}

	// Refunds.
	ra, _, err := a.CreateRefund(ctx, &payments.Refund{PaymentID: pa.ID, OrderID: pa.OrderID, Key: "acct-a-1", Amount: 1000})
	if err != nil || ra.Account != "a" {
		t.Fatalf("a.CreateRefund = %+v, %v", ra, err)
	}
	if _, _, err := b.CreateRefund(ctx, &payments.Refund{PaymentID: pb.ID, OrderID: pb.OrderID, Key: "acct-b-1", Amount: 1000}); err != nil {
		t.Fatal(err)
	}
	if list, err := b.Refunds(ctx, pa.ID); err != nil || len(list) != 0 {
		t.Fatalf("b lists a's refunds: %+v, %v", list, err)
	}
	if list, err := a.Refunds(ctx, pa.ID); err != nil || len(list) != 1 || list[0].ID != ra.ID {
		t.Fatalf("a's refunds: %+v, %v", list, err)
	}
	steal := *ra
	steal.Status = payments.RefundFailed
	if _, _, err := b.AnswerRefund(ctx, &steal, nil); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("b updated a's refund: %v", err)
	}

	// Notifications: one dedup key, inserted once per account.
	key := "shared-1|tx-shared|settlement|200|150000.00"
	na := &payments.Notification{DedupKey: key, OrderID: "shared-1", Body: json.RawMessage(`{}`)}
	nb := &payments.Notification{DedupKey: key, OrderID: "shared-1", Body: json.RawMessage(`{}`)}
	for _, x := range []struct {
		view payments.Store
		n    *payments.Notification
	}{{a, na}, {b, nb}} {
		if ok, err := x.view.InsertNotification(ctx, x.n); err != nil || !ok {
			t.Fatalf("InsertNotification in its account: inserted=%v, %v", ok, err)
		}
	}
	if got, err := a.NotificationByDedupKey(ctx, key); err != nil || got.ID != na.ID || got.Account != "a" {
		t.Fatalf("a.NotificationByDedupKey = %+v, %v", got, err)
	}
	if err := b.FinishNotification(ctx, na.ID, payments.NotificationProcessed, ""); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("b finished a's notification: %v", err)
	}

	// Outbox: b's claim has only b's events, even with a's owner name;
	// a cannot finish or read b's events.
	evB, err := b.ClaimEvents(ctx, "worker", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(evB) == 0 {
		t.Fatal("b claimed nothing")
	}
	for _, e := range evB {
		if e.Account != "b" || (e.PaymentID != pb.ID && e.PaymentID != onlyB.ID) {
			t.Fatalf("b claimed an event of another account: %+v", e)
		}
	}
	if err := a.MarkDelivered(ctx, evB[0].Seq, "worker"); !errors.Is(err, payments.ErrLeaseLost) {
		t.Fatalf("a delivered b's event: %v", err)
	}
	if _, err := a.Event(ctx, evB[0].ID); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("a reads b's event: %v", err)
	}
	for _, e := range drain(t, a) {
		if e.Account != "a" || e.PaymentID != pa.ID {
			t.Fatalf("a claimed an event of another account: %+v", e)
		}
	}
	if err := b.MarkDelivered(ctx, evB[0].Seq, "worker"); err != nil {
		t.Fatalf("b lost its lease to a: %v", err)
	}

	// Reconcile sweeps and MarkSynced.
	// Each view claims its own account's payments only: a's claim leaves
	// the default account's shared-1 due.
	at := time.Now()
	q := payments.ReconcileQuery{UnknownBefore: at.Add(time.Minute), PendingBefore: at.Add(time.Minute), SyncedBefore: at.Add(-time.Minute), Limit: 10}
	sweep := func(view payments.Store) string {
		got, err := view.ClaimReconcile(ctx, q, at)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range got {
			ids = append(ids, p.Account+"/"+p.OrderID)
		}
		return fmt.Sprint(ids)
	}
	if got := sweep(a); got != "[a/shared-1]" {
		t.Errorf("a's sweep: %s", got)
	}
	if got := sweep(b); got != "[b/only-b]" {
		t.Errorf("b's sweep: %s", got)
	}
	if got := sweep(s); got != "[default/shared-1]" {
		t.Errorf("the default account's sweep: %s", got)
	}
	if err := a.MarkSynced(ctx, onlyB.ID, time.Now()); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("a marked b's payment synced: %v", err)
	}
}
