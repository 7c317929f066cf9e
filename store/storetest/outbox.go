package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// claimN claims the due events as owner and fails unless there are n.
func claimN(t *testing.T, s payments.Store, owner string, lease time.Duration, n int) []*payments.OutboxEvent {
	t.Helper()
	evs, err := s.ClaimEvents(ctxT(t), owner, 100, lease)
	if err != nil {
		t.Fatalf("ClaimEvents(%s): %v", owner, err)
	}
	if len(evs) != n {
		t.Fatalf("%s claimed %v, want %d events", owner, signals(evs), n)
	}
	return evs
}

// expectEvent fails unless the stored event is delivered (or not), and
// leased by owner ("" for no lease).
func expectEvent(t *testing.T, s payments.Store, what string, e *payments.OutboxEvent, delivered bool, owner string) {
	t.Helper()
	got, err := s.Event(ctxT(t), e.ID)
	if err != nil {
		t.Fatalf("%s: Event(%d): %v", what, e.Seq, err)
	}
	if !got.DeliveredAt.IsZero() != delivered || got.LeaseOwner != owner {
		t.Fatalf("%s: event %d delivered at %v, leased by %q; want delivered %v, leased by %q",
			what, e.Seq, got.DeliveredAt, got.LeaseOwner, delivered, owner)
	}
}

// testMarkDeliveredBatch: the owner's held events are finished in one
// call; whatever it does not hold comes back as lost and stays unchanged.
func testMarkDeliveredBatch(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	for i := range 4 {
		mustCreate(t, s, fmt.Sprintf("order-ackb-%d", i))
	}
	evs := claimN(t, s, "w1", time.Minute, 4)
	a, b, c, d := evs[0], evs[1], evs[2], evs[3]

	if lost, err := s.MarkDeliveredBatch(ctx, nil, "w1"); err != nil || lost != nil {
		t.Fatalf("MarkDeliveredBatch(nil) = %v, %v; want a no-op", lost, err)
	}
	// An owner that does not hold the leases finishes nothing.
	lost, err := s.MarkDeliveredBatch(ctx, []int64{b.Seq, a.Seq}, "intruder")
	if err != nil || !slices.Equal(lost, []int64{a.Seq, b.Seq}) {
		t.Fatalf("MarkDeliveredBatch by a non-owner = %v, %v; want both lost", lost, err)
	}
	expectEvent(t, s, "after the intruder", a, false, "w1")
	expectEvent(t, s, "after the intruder", b, false, "w1")
	// Another account's view finds none of them.
	if lost, err := s.ForAccount("storetest-other").MarkDeliveredBatch(ctx, []int64{a.Seq}, "w1"); err != nil || !slices.Equal(lost, []int64{a.Seq}) {
		t.Fatalf("MarkDeliveredBatch from another account = %v, %v; want it lost", lost, err)
	}
	expectEvent(t, s, "after another account", a, false, "w1")

	// The holder: unordered, repeated and unknown seqs; only the unknown one is lost.
	unknown := d.Seq + 1_000_000
	lost, err = s.MarkDeliveredBatch(ctx, []int64{b.Seq, unknown, a.Seq, b.Seq}, "w1")
	if err != nil || !slices.Equal(lost, []int64{unknown}) {
		t.Fatalf("MarkDeliveredBatch by the holder = %v, %v; want only %d lost", lost, err, unknown)
	}
	expectEvent(t, s, "finished", a, true, "")
	expectEvent(t, s, "finished", b, true, "")
	expectEvent(t, s, "not in the batch", c, false, "w1")
	// Finished events are not finished again, nor is a dead one.
	if err := s.MarkDead(ctx, c.Seq, "w1", "gave up"); err != nil {
		t.Fatal(err)
	}
	lost, err = s.MarkDeliveredBatch(ctx, []int64{a.Seq, c.Seq, d.Seq}, "w1")
	if err != nil || !slices.Equal(lost, []int64{a.Seq, c.Seq}) {
		t.Fatalf("MarkDeliveredBatch of delivered, dead and held = %v, %v; want the delivered and the dead lost", lost, err)
	}
	if ev, err := s.Event(ctx, c.ID); err != nil || !ev.Dead || !ev.DeliveredAt.IsZero() {
		t.Fatalf("dead event after MarkDeliveredBatch: %+v, %v", ev, err)
	}
	expectEvent(t, s, "finished second", d, true, "")
	// MarkDelivered agrees: the event is gone from its owner.
	if err := s.MarkDelivered(ctx, a.Seq, "w1"); err == nil {
		t.Fatal("MarkDelivered of an event MarkDeliveredBatch finished: no error")
	}
	// A finished head lets its payment's next event through.
	mustApply(t, s, change(a.OrderID, payments.StatusPending))
	next := claimN(t, s, "w2", time.Minute, 1)
	if next[0].OrderID != a.OrderID || next[0].Signal != payments.SignalPending {
		t.Fatalf("after the batch: claimed %+v", next[0])
	}
}

// testMarkDeliveredBatchLeaseLost: events whose lease ran out and another
// owner took are lost to the first owner, in the same call that finishes
// the events it still holds; an expired lease no one took still counts as
// held.
func testMarkDeliveredBatchLeaseLost(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	mustCreate(t, s, "order-ackl-a")
	mustCreate(t, s, "order-ackl-b")
	short := claimN(t, s, "w1", 200*time.Millisecond, 2)
	mustCreate(t, s, "order-ackl-c")
	mustCreate(t, s, "order-ackl-d")
	long := claimN(t, s, "w1", 300*time.Millisecond, 2)
	// w1 stalls; after the leases run out w2 takes the first two, ...
	var taken []*payments.OutboxEvent
	deadline := time.Now().Add(10 * time.Second)
	for len(taken) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		var err error
		if taken, err = s.ClaimEvents(ctx, "w2", 2, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if len(taken) != 2 || taken[0].Seq != short[0].Seq || taken[1].Seq != short[1].Seq {
		t.Fatalf("w2 took %+v, want the two events whose lease ran out first", taken)
	}
	// ... and none of the other two (they may have expired too by now).
	time.Sleep(300 * time.Millisecond)
	all := []int64{long[1].Seq, short[0].Seq, long[0].Seq, short[1].Seq}
	lost, err := s.MarkDeliveredBatch(ctx, all, "w1")
	want := []int64{short[0].Seq, short[1].Seq}
	if err != nil || !slices.Equal(lost, want) {
		t.Fatalf("MarkDeliveredBatch by the old owner = %v, %v; want %v lost", lost, err, want)
	}
	for _, e := range short {
		expectEvent(t, s, "taken by w2", e, false, "w2")
	}
	for _, e := range long {
		expectEvent(t, s, "expired, not taken", e, true, "")
	}
	if lost, err := s.MarkDeliveredBatch(ctx, want, "w2"); err != nil || lost != nil {
		t.Fatalf("MarkDeliveredBatch by the new owner = %v, %v; want none lost", lost, err)
	}
	for _, e := range short {
		expectEvent(t, s, "finished by w2", e, true, "")
	}
}
