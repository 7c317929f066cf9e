package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// claimAll claims every due event of s, failing the test unless there are
// exactly want.
func claimAll(t *testing.T, s payments.Store, want int) []*payments.OutboxEvent {
	t.Helper()
	evs, err := s.ClaimEvents(ctxT(t), "pruner", 100, time.Minute)
	if err != nil || len(evs) != want {
		t.Fatalf("claim: %d events, %v; want %d", len(evs), err, want)
	}
	return evs
}

// pause lets the clock move past a cut-off, at any database's precision.
func pause() { time.Sleep(20 * time.Millisecond) }

func testPruneEvents(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	other := s.ForAccount("prune-other")
	for i := range 7 {
		mustCreate(t, s, fmt.Sprintf("order-prune-%d", i))
	}
	mustCreate(t, other, "order-prune-other")
	evs := claimAll(t, s, 7)
	var old []*payments.OutboxEvent
	for _, e := range evs[:5] {
		if err := s.MarkDelivered(ctx, e.Seq, "pruner"); err != nil {
			t.Fatal(err)
		}
		old = append(old, e)
	}
	dead, pending := evs[5], evs[6]
	if err := s.MarkDead(ctx, dead.Seq, "pruner", "gave up"); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryEvent(ctx, pending.Seq, "pruner", time.Now().Add(-time.Hour), "try again"); err != nil {
		t.Fatal(err)
	}
	otherEv := claimAll(t, other, 1)[0]
	if err := other.MarkDelivered(ctx, otherEv.Seq, "pruner"); err != nil {
		t.Fatal(err)
	}
	pause()
	cutoff := time.Now()
	pause()
	mustCreate(t, s, "order-prune-recent")
	recent := claimAll(t, s, 2) // the recent one and the pending one, due again
	for _, e := range recent {
		if e.OrderID == "order-prune-recent" {
			if err := s.MarkDelivered(ctx, e.Seq, "pruner"); err != nil {
				t.Fatal(err)
			}
			recent = []*payments.OutboxEvent{e}
		}
	}

	if _, err := s.PruneEvents(ctx, cutoff, 0); err == nil {
		t.Error("PruneEvents with limit 0 succeeded")
	}
	// Batches of 2: 2, 2, 1 and done.
	n, err := s.PruneEvents(ctx, cutoff, 2)
	if err != nil || n != len(old) {
		t.Fatalf("PruneEvents = %d, %v; want %d", n, err, len(old))
	}
	for _, e := range old {
		if _, err := s.Event(ctx, e.ID); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("old delivered event %s of %s: %v, want ErrNotFound", e.ID, e.OrderID, err)
		}
	}
	for name, e := range map[string]*payments.OutboxEvent{"dead": dead, "pending": pending, "recent": recent[0]} {
		if _, err := s.Event(ctx, e.ID); err != nil {
			t.Errorf("%s event pruned: %v", name, err)
		}
	}
	if _, err := other.Event(ctx, otherEv.ID); err != nil {
		t.Errorf("another account's delivered event pruned: %v", err)
	}
	if n, err := s.PruneEvents(ctx, cutoff, 2); err != nil || n != 0 {
		t.Errorf("second PruneEvents = %d, %v; want 0", n, err)
	}
	// A batch size that divides the count exactly still finishes.
	n, err = other.PruneEvents(ctx, cutoff, 1)
	if err != nil || n != 1 {
		t.Errorf("other account's PruneEvents = %d, %v; want 1", n, err)
	}
	// History is kept: audit rows are never pruned.
	for _, e := range old {
		if h, err := s.History(ctx, e.PaymentID); err != nil || len(h) == 0 {
			t.Errorf("history of %s after pruning: %d rows, %v", e.OrderID, len(h), err)
		}
	}
}

func testPruneNotifications(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	other := s.ForAccount("prune-other")
	insert := func(s payments.Store, key string, state payments.NotificationState) *payments.Notification {
		t.Helper()
		n := &payments.Notification{DedupKey: key, OrderID: "order-" + key, Status: "settlement", SignatureValid: true, Body: []byte(`{}`)}
		if ok, err := s.InsertNotification(ctx, n); err != nil || !ok {
			t.Fatalf("insert %s: %v, %v", key, ok, err)
		}
		if state != payments.NotificationReceived {
			if err := s.FinishNotification(ctx, n.ID, state, "test"); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	old := []*payments.Notification{
		insert(s, "old-processed-1", payments.NotificationProcessed),
		insert(s, "old-processed-2", payments.NotificationProcessed),
		insert(s, "old-ignored", payments.NotificationIgnored),
		insert(s, "old-rejected", payments.NotificationRejected),
	}
	kept := []*payments.Notification{
		insert(s, "old-received", payments.NotificationReceived),
		insert(s, "old-failed", payments.NotificationFailed),
	}
	otherN := insert(other, "old-processed-1", payments.NotificationProcessed)
	pause()
	cutoff := time.Now()
	pause()
	kept = append(kept, insert(s, "recent-processed", payments.NotificationProcessed))

	if _, err := s.PruneNotifications(ctx, cutoff, -1); err == nil {
		t.Error("PruneNotifications with limit -1 succeeded")
	}
	// Batches of 3: 3, 1 and done.
	n, err := s.PruneNotifications(ctx, cutoff, 3)
	if err != nil || n != len(old) {
		t.Fatalf("PruneNotifications = %d, %v; want %d", n, err, len(old))
	}
	for _, x := range old {
		if _, err := s.NotificationByID(ctx, x.ID); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("old %s: %v, want ErrNotFound", x.DedupKey, err)
		}
	}
	for _, x := range kept {
		if _, err := s.NotificationByID(ctx, x.ID); err != nil {
			t.Errorf("%s pruned: %v", x.DedupKey, err)
		}
	}
	if _, err := other.NotificationByID(ctx, otherN.ID); err != nil {
		t.Errorf("another account's notification pruned: %v", err)
	}
	if n, err := s.PruneNotifications(ctx, cutoff, 3); err != nil || n != 0 {
		t.Errorf("second PruneNotifications = %d, %v; want 0", n, err)
	}
	// A pruned notification's dedup key is free again.
	if ok, err := s.InsertNotification(ctx, &payments.Notification{DedupKey: "old-processed-1", Body: []byte(`{}`)}); err != nil || !ok {
		t.Errorf("insert after pruning: %v, %v", ok, err)
	}
}
