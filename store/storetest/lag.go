package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// testOldestPendingEvent: OldestPendingEvent is the creation time of the
// account's oldest event that is neither delivered nor dead, whether it
// waits, is leased or waits for a retry; another account's older events
// do not count, and with nothing pending it reports none.
func testOldestPendingEvent(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	other := s.ForAccount("lag-other")
	expect := func(what string, s payments.Store, want *payments.OutboxEvent) {
		t.Helper()
		at, ok, err := s.OldestPendingEvent(ctx)
		switch {
		case err != nil:
			t.Fatalf("%s: %v", what, err)
		case want == nil && ok:
			t.Errorf("%s: oldest pending event created at %s, want none", what, at)
		case want != nil && (!ok || !at.Equal(want.CreatedAt)):
			t.Errorf("%s: oldest pending event created at %s (%v), want %s, %s's", what, at, ok, want.CreatedAt, want.OrderID)
		}
	}
	expect("empty store", s, nil)

	// The other account's event is older than all of s's.
	mustCreate(t, other, "order-lag-other")
	for i := range 4 {
		pause()
		mustCreate(t, s, fmt.Sprintf("order-lag-%d", i))
	}
	byOrder := map[string]*payments.OutboxEvent{}
	for _, e := range claimAll(t, s, 4) {
		byOrder[e.OrderID] = e
	}
	ev := func(i int) *payments.OutboxEvent { return byOrder[fmt.Sprintf("order-lag-%d", i)] }
	expect("all leased", s, ev(0))

	if err := s.MarkDelivered(ctx, ev(0).Seq, "pruner"); err != nil {
		t.Fatal(err)
	}
	expect("first delivered", s, ev(1))
	if err := s.MarkDead(ctx, ev(1).Seq, "pruner", "gave up"); err != nil {
		t.Fatal(err)
	}
	expect("second dead", s, ev(2))
	if err := s.RetryEvent(ctx, ev(2).Seq, "pruner", time.Now().Add(-time.Second), "try again"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, ev(3).Seq, "pruner"); err != nil {
		t.Fatal(err)
	}
	expect("third waiting for its retry, fourth delivered", s, ev(2))

	// A newer event of a payment whose first event was delivered.
	pause()
	mustApply(t, s, change("order-lag-0", payments.StatusPending))
	expect("a newer event queued", s, ev(2))
	otherEv := claimAll(t, other, 1)[0]
	expect("the other account", other, otherEv)

	var newer *payments.OutboxEvent
	for _, e := range claimAll(t, s, 2) { // the retried event, order-lag-0's next
		if e.Seq != ev(2).Seq {
			newer = e
		}
	}
	if err := s.MarkDelivered(ctx, ev(2).Seq, "pruner"); err != nil {
		t.Fatal(err)
	}
	if newer == nil || newer.OrderID != "order-lag-0" {
		t.Fatalf("claimed %+v, want order-lag-0's next event", newer)
	}
	expect("retried event delivered", s, newer)
	if err := s.MarkDelivered(ctx, newer.Seq, "pruner"); err != nil {
		t.Fatal(err)
	}
	drain(t, s) // order-lag-0's later events, if the change made more
	expect("all delivered or dead", s, nil)
	expect("the other account, still pending", other, otherEv)
}
