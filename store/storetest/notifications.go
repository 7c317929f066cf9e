package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nusapay/payments"
)

// notification is a settlement notification of orderID under key.
func notification(orderID, key string) *payments.Notification {
	return &payments.Notification{DedupKey: key, OrderID: orderID, TransactionID: "tx-" + orderID, Status: "settlement",
		SignatureValid: true, Body: json.RawMessage(`{"order_id":"` + orderID + `","transaction_status":"settlement"}`)}
}

// settle is the change a settlement notification brings, built from the
// payment as ApplyNotification locked it.
func settle(p *payments.Payment) *payments.Change {
	c := change(p.OrderID, payments.StatusSettlement)
	c.TransactionID = "tx-" + p.OrderID
	c.Payload = json.RawMessage(`{"transaction_status":"settlement"}`)
	return c
}

func mustNotification(t *testing.T, s payments.Store, key string) *payments.Notification {
	t.Helper()
	n, err := s.NotificationByDedupKey(ctxT(t), key)
	if err != nil {
		t.Fatalf("NotificationByDedupKey(%s): %v", key, err)
	}
	return n
}

// testApplyNotification: a notification is recorded finished and applied
// in one step; a copy of it afterwards is a duplicate that writes nothing.
func testApplyNotification(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	p := mustCreate(t, s, "order-notified")
	mustApply(t, s, change("order-notified", payments.StatusPending))
	drain(t, s)
	n := notification("order-notified", "key-notified")
	var built *payments.Payment
	res, recorded, err := s.ApplyNotification(ctx, n, func(prev *payments.Payment) *payments.Change {
		built = prev
		return settle(prev)
	})
	if err != nil || !recorded {
		t.Fatalf("ApplyNotification = %v, recorded %v", err, recorded)
	}
	if built == nil || built.Status != payments.StatusPending || built.Version != 2 {
		t.Fatalf("the change was built from %+v, want the stored pending payment", built)
	}
	if res.Verdict.Decision != payments.Applied || !res.Payment.Paid() || res.Payment.TransactionID != "tx-order-notified" {
		t.Fatalf("result %+v, payment %+v", res.Verdict, res.Payment)
	}
	if n.ID == "" || n.State != payments.NotificationProcessed || n.ProcessedAt.IsZero() || n.Account == "" {
		t.Fatalf("notification after ApplyNotification: %+v", n)
	}
	got := mustNotification(t, s, "key-notified")
	if got.ID != n.ID || got.State != payments.NotificationProcessed || got.Detail != n.Detail || got.Detail == "" ||
		string(got.Body) != string(n.Body) || got.ProcessedAt.IsZero() || got.OrderID != "order-notified" || !got.SignatureValid {
		t.Fatalf("stored notification %+v", got)
	}
	if sigs := signals(drain(t, s)); !equalSignals(sigs, []payments.Signal{payments.SignalPaid, payments.SignalStatusChanged}) {
		t.Fatalf("events %v", sigs)
	}
	audits := len(history(t, s, p))

	// A copy: nothing is written, not even an audit row.
	again := notification("order-notified", "key-notified")
	res, recorded, err = s.ApplyNotification(ctx, again, settle)
	if err != nil || recorded || res != nil {
		t.Fatalf("a copy: ApplyNotification = %+v, recorded %v, %v", res, recorded, err)
	}
	if h := history(t, s, p); len(h) != audits {
		t.Fatalf("a copy wrote %d audit rows", len(h)-audits)
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("a copy queued events %v", signals(evs))
	}
	if got := mustNotification(t, s, "key-notified"); got.ID != n.ID || got.State != payments.NotificationProcessed {
		t.Fatalf("a copy changed the stored notification: %+v", got)
	}

	// Another event of the same payment (another key) is recorded, and
	// the status machine decides it: a late pending is stale.
	late := notification("order-notified", "key-late-pending")
	res, recorded, err = s.ApplyNotification(ctx, late, func(prev *payments.Payment) *payments.Change {
		return change(prev.OrderID, payments.StatusPending)
	})
	if err != nil || !recorded || res.Verdict.Decision != payments.Stale || !res.Payment.Paid() {
		t.Fatalf("a late pending: %+v, recorded %v, %v", res, recorded, err)
	}
	if got := mustNotification(t, s, "key-late-pending"); got.State != payments.NotificationProcessed {
		t.Fatalf("a stale notification stored %s", got.State)
	}
}

// testApplyNotificationNothingWritten: an unknown order, an invalid
// change and a cancelled context each leave no trace.
func testApplyNotificationNothingWritten(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	n := notification("order-nobody", "key-nobody")
	if _, _, err := s.ApplyNotification(ctx, n, settle); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("unknown order: %v, want ErrNotFound", err)
	}
	if _, err := s.NotificationByDedupKey(ctx, "key-nobody"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("unknown order left an inbox row: %v", err)
	}

	p := mustCreate(t, s, "order-invalid")
	mustApply(t, s, change("order-invalid", payments.StatusPending))
	drain(t, s)
	audits := len(history(t, s, p))
	_, _, err := s.ApplyNotification(ctx, notification("order-invalid", "key-invalid"), func(prev *payments.Payment) *payments.Change {
		return &payments.Change{OrderID: prev.OrderID, Source: payments.SourceNotification} // no status
	})
	if !errors.Is(err, payments.ErrValidation) {
		t.Fatalf("invalid change: %v, want ErrValidation", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.ApplyNotification(cancelled, notification("order-invalid", "key-cancelled"), settle); err == nil {
		t.Fatal("ApplyNotification with a cancelled ctx succeeded")
	}
	for _, key := range []string{"key-invalid", "key-cancelled"} {
		if _, err := s.NotificationByDedupKey(ctx, key); !errors.Is(err, payments.ErrNotFound) {
			t.Fatalf("%s left an inbox row: %v", key, err)
		}
	}
	if got := mustGet(t, s, "order-invalid"); got.Status != payments.StatusPending || len(history(t, s, p)) != audits {
		t.Fatalf("the payment changed: %s, %d audit rows more", got.Status, len(history(t, s, p))-audits)
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("events queued: %v", signals(evs))
	}
}

// testApplyNotificationFinishesEarlierCopy: a copy stored unfinished by an
// earlier attempt (failed, or received) is finished in place, keeping its
// id and when it first arrived; a finished one is never reopened.
func testApplyNotificationFinishesEarlierCopy(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	for _, st := range []payments.NotificationState{payments.NotificationFailed, payments.NotificationReceived} {
		orderID := "order-retried-" + string(st)
		mustCreate(t, s, orderID)
		mustApply(t, s, change(orderID, payments.StatusPending))
		first := notification(orderID, "key-"+orderID)
		if ok, err := s.InsertNotification(ctx, first); err != nil || !ok {
			t.Fatalf("InsertNotification: %v %v", ok, err)
		}
		if st != payments.NotificationReceived {
			if err := s.FinishNotification(ctx, first.ID, st, "apply: database down"); err != nil {
				t.Fatal(err)
			}
		}
		stored := mustNotification(t, s, first.DedupKey)
		retry := notification(orderID, first.DedupKey)
		res, recorded, err := s.ApplyNotification(ctx, retry, settle)
		if err != nil || !recorded || res.Verdict.Decision != payments.Applied {
			t.Fatalf("%s copy: %+v, recorded %v, %v", st, res, recorded, err)
		}
		got := mustNotification(t, s, first.DedupKey)
		if got.ID != first.ID || retry.ID != first.ID || got.State != payments.NotificationProcessed ||
			!got.ReceivedAt.Equal(stored.ReceivedAt) || got.Detail == "apply: database down" {
			t.Fatalf("%s copy finished as %+v (retry id %s), want row %s processed", st, got, retry.ID, first.ID)
		}
	}
	drain(t, s)
}

// testApplyNotificationRejected: an amount mismatch is recorded rejected,
// and the payment is not changed.
func testApplyNotificationRejected(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-notified-mismatch")
	mustApply(t, s, change("order-notified-mismatch", payments.StatusPending))
	drain(t, s)
	n := notification("order-notified-mismatch", "key-mismatch")
	res, recorded, err := s.ApplyNotification(ctxT(t), n, func(prev *payments.Payment) *payments.Change {
		c := settle(prev)
		c.Reject = payments.ReasonAmountMismatch
		return c
	})
	if err != nil || !recorded || res.Verdict.Reason != payments.ReasonAmountMismatch {
		t.Fatalf("ApplyNotification = %+v, recorded %v, %v", res, recorded, err)
	}
	if got := mustNotification(t, s, "key-mismatch"); got.State != payments.NotificationRejected || n.State != payments.NotificationRejected {
		t.Fatalf("a mismatch stored %s", got.State)
	}
	if got := mustGet(t, s, "order-notified-mismatch"); got.Status != payments.StatusPending {
		t.Fatalf("a mismatch changed the payment to %s", got.Status)
	}
	if sigs := signals(drain(t, s)); !equalSignals(sigs, []payments.Signal{payments.SignalAmountMismatch}) {
		t.Fatalf("events %v", sigs)
	}
}

// testConcurrentApplyNotification: copies of one notification at once, as
// from replicas in a storm: exactly one records it and applies it; the
// others write nothing.
func testConcurrentApplyNotification(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-notified-storm")
	mustApply(t, s, change("order-notified-storm", payments.StatusPending))
	drain(t, s)
	audits := len(history(t, s, p))
	const copies = 16
	var recorded, applied atomic.Int32
	var wg sync.WaitGroup
	for range copies {
		wg.Go(func() {
			res, ok, err := s.ApplyNotification(ctxT(t), notification("order-notified-storm", "key-storm"), settle)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				recorded.Add(1)
				if res.Verdict.Decision == payments.Applied {
					applied.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if recorded.Load() != 1 || applied.Load() != 1 {
		t.Fatalf("%d copies recorded, %d applied; want 1 and 1", recorded.Load(), applied.Load())
	}
	if h := history(t, s, p); len(h) != audits+1 {
		t.Fatalf("%d audit rows written, want 1", len(h)-audits)
	}
	paid := 0
	for _, sig := range signals(drain(t, s)) {
		if sig == payments.SignalPaid {
			paid++
		}
	}
	if paid != 1 {
		t.Fatalf("%d paid events", paid)
	}
}

// testApplyNotificationAccounts: two merchants on one database with the
// same order id and the same dedup key (Midtrans keys nothing by merchant)
// each record and apply their own notification; one's record never makes
// the other's a duplicate, and an order only the other has is not found.
func testApplyNotificationAccounts(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	a, b := s.ForAccount("a"), s.ForAccount("b")
	for _, view := range map[string]payments.Store{"a": a, "b": b} {
		mustCreate(t, view, "order-shared-n")
		mustApply(t, view, change("order-shared-n", payments.StatusPending))
	}
	for name, view := range map[string]payments.Store{"a": a, "b": b} {
		n := notification("order-shared-n", "key-shared")
		res, recorded, err := view.ApplyNotification(ctx, n, settle)
		if err != nil || !recorded || res.Verdict.Decision != payments.Applied || res.Payment.Account != name || n.Account != name {
			t.Fatalf("%s: ApplyNotification = %+v, recorded %v, %v", name, res, recorded, err)
		}
		if got := mustNotification(t, view, "key-shared"); got.ID != n.ID || got.Account != name {
			t.Fatalf("%s: stored notification %+v", name, got)
		}
	}
	mustCreate(t, b, "order-only-b-n")
	if _, _, err := a.ApplyNotification(ctx, notification("order-only-b-n", "key-only-b"), settle); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("a applied a notification to b's order: %v", err)
	}
	if got := mustGet(t, b, "order-only-b-n"); got.Status != payments.StatusInitiated {
		t.Fatalf("b's order changed to %s by a's notification", got.Status)
	}
}
