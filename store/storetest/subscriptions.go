package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

func newSubscription(t *testing.T, name string) *payments.Subscription {
	t.Helper()
	req := &payments.SubscriptionRequest{Name: name, Amount: 14000, PaymentType: payments.SubscriptionCard,
		Token: "48111111secretsecret1114", Interval: 1, IntervalUnit: payments.IntervalMonth, MaxInterval: 12,
		StartTime: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Customer:  &payments.Customer{FirstName: "Budi", Email: "budi@example.com"},
		Metadata:  json.RawMessage(`{"plan":"gold"}`)}
	return payments.PlanSubscriptionCreate(req, time.Now())
}

func mustCreateSubscription(t *testing.T, s payments.Store, name string) *payments.Subscription {
	t.Helper()
	sub := newSubscription(t, name)
	if err := s.CreateSubscription(ctxT(t), sub); err != nil {
		t.Fatalf("CreateSubscription(%s): %v", name, err)
	}
	return sub
}

// confirmed is sub as Midtrans confirmed it.
func confirmed(sub *payments.Subscription, midtransID string) *payments.Subscription {
	next := *sub
	next.MidtransID = midtransID
	next.Status = payments.SubscriptionActive
	next.Schedule.NextExecutionAt = sub.Schedule.StartTime
	return &next
}

func testSubscriptions(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	sub := mustCreateSubscription(t, s, "gold-monthly")
	if sub.Account == "" || sub.Status != payments.SubscriptionInitiated || sub.Version != 1 {
		t.Fatalf("created = %+v", sub)
	}
	got, err := s.Subscription(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "gold-monthly" || got.Token != sub.Token || got.Amount != 14000 || got.Schedule.Interval != 1 ||
		got.Schedule.IntervalUnit != "month" || got.Schedule.MaxInterval != 12 || !got.Schedule.StartTime.Equal(sub.Schedule.StartTime) ||
		got.Customer == nil || got.Customer.Email != "budi@example.com" || string(got.Metadata) != `{"plan":"gold"}` ||
		!got.CreatedAt.Equal(sub.CreatedAt) {
		t.Fatalf("read back %+v, stored %+v", got, sub)
	}
	if byName, err := s.SubscriptionByName(ctx, "gold-monthly"); err != nil || byName.ID != sub.ID {
		t.Fatalf("by name: %+v, %v", byName, err)
	}

	// Names are unique per account, by constraint.
	if err := s.CreateSubscription(ctx, newSubscription(t, "gold-monthly")); !errors.Is(err, payments.ErrDuplicateSubscription) {
		t.Fatalf("duplicate name: %v", err)
	}

	// Midtrans confirms it: saved with its event, token never in the event.
	next, events := payments.PlanSubscriptionChange(got, confirmed(got, "mid-1"), time.Now())
	if err := s.SaveSubscription(ctx, next, events); err != nil {
		t.Fatal(err)
	}
	got, err = s.SubscriptionByMidtransID(ctx, "mid-1")
	if err != nil || got.ID != sub.ID || got.Status != payments.SubscriptionActive || got.Version != 2 {
		t.Fatalf("after save: %+v, %v", got, err)
	}
	evs := drain(t, s)
	if !equalSignals(signals(evs), []payments.Signal{payments.SignalSubscriptionCreated}) {
		t.Fatalf("events = %v", signals(evs))
	}
	if strings.Contains(string(evs[0].Payload), sub.Token) {
		t.Fatalf("event payload holds the token: %s", evs[0].Payload)
	}
	var ev payments.Event
	if err := json.Unmarshal(evs[0].Payload, &ev); err != nil || ev.Subscription == nil || ev.Subscription.ID != sub.ID ||
		ev.Subscription.MidtransID != "mid-1" || ev.Payment != nil {
		t.Fatalf("event = %+v, %v", ev, err)
	}

	// A stale version is a conflict, and writes nothing.
	stale, _ := payments.PlanSubscriptionChange(sub, confirmed(sub, "mid-other"), time.Now())
	if err := s.SaveSubscription(ctx, stale, nil); !errors.Is(err, payments.ErrConflict) {
		t.Fatalf("stale save: %v", err)
	}
	// A Midtrans id another subscription holds is refused.
	other := mustCreateSubscription(t, s, "silver")
	dup, _ := payments.PlanSubscriptionChange(other, confirmed(other, "mid-1"), time.Now())
	if err := s.SaveSubscription(ctx, dup, nil); !errors.Is(err, payments.ErrDuplicateSubscription) {
		t.Fatalf("duplicate midtrans id: %v", err)
	}

	// Disabling fires its signal.
	off := *got
	off.Status = payments.SubscriptionInactive
	next, events = payments.PlanSubscriptionChange(got, &off, time.Now())
	if err := s.SaveSubscription(ctx, next, events); err != nil {
		t.Fatal(err)
	}
	if evs := drain(t, s); !equalSignals(signals(evs), []payments.Signal{payments.SignalSubscriptionDisabled}) {
		t.Fatalf("events = %v", signals(evs))
	}

	// Only an initiated subscription can be discarded.
	if err := s.DiscardSubscription(ctx, sub.ID); !errors.Is(err, payments.ErrNotAllowed) {
		t.Fatalf("discard active: %v", err)
	}
	if err := s.DiscardSubscription(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscription(ctx, other.ID); !errors.Is(err, payments.ErrSubscriptionNotFound) || !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("discarded: %v", err)
	}
	if err := s.DiscardSubscription(ctx, other.ID); !errors.Is(err, payments.ErrSubscriptionNotFound) {
		t.Fatalf("discard twice: %v", err)
	}

	// A subscription's charges are its payments, oldest first.
	for _, id := range []string{"SUBS-gold-monthly-0000000001", "SUBS-gold-monthly-0000000002"} {
		p := newPayment(id)
		p.SubscriptionID = sub.ID
		if err := s.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		mustApply(t, s, change(id, payments.StatusPending))
	}
	mustCreate(t, s, "not-recurring")
	ps, err := s.SubscriptionPayments(ctx, sub.ID)
	if err != nil || len(ps) != 2 || ps[0].OrderID != "SUBS-gold-monthly-0000000001" || ps[1].SubscriptionID != sub.ID {
		t.Fatalf("subscription payments = %v, %v", ps, err)
	}
	if p := mustGet(t, s, "SUBS-gold-monthly-0000000002"); p.SubscriptionID != sub.ID {
		t.Fatalf("payment lost its subscription after a change: %+v", p)
	}
}

func testSubscriptionAccounts(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	a, b := s.ForAccount("merchant-a"), s.ForAccount("merchant-b")
	subA := mustCreateSubscription(t, a, "same-name")
	subB := mustCreateSubscription(t, b, "same-name") // names are unique per account only
	if subA.Account != "merchant-a" || subB.Account != "merchant-b" {
		t.Fatalf("accounts: %q %q", subA.Account, subB.Account)
	}
	if _, err := b.Subscription(ctx, subA.ID); !errors.Is(err, payments.ErrSubscriptionNotFound) {
		t.Fatalf("another account's subscription: %v", err)
	}
	if got, err := b.SubscriptionByName(ctx, "same-name"); err != nil || got.ID != subB.ID {
		t.Fatalf("by name in b: %+v, %v", got, err)
	}
	next, events := payments.PlanSubscriptionChange(subA, confirmed(subA, "mid-a"), time.Now())
	if err := b.SaveSubscription(ctx, next, events); !errors.Is(err, payments.ErrSubscriptionNotFound) {
		t.Fatalf("saving another account's subscription: %v", err)
	}
	if err := b.DiscardSubscription(ctx, subA.ID); !errors.Is(err, payments.ErrSubscriptionNotFound) {
		t.Fatalf("discarding another account's subscription: %v", err)
	}
	if err := a.SaveSubscription(ctx, next, events); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SubscriptionByMidtransID(ctx, "mid-a"); !errors.Is(err, payments.ErrSubscriptionNotFound) {
		t.Fatalf("another account's midtrans id: %v", err)
	}
	if evs := drain(t, b); len(evs) != 0 {
		t.Fatalf("b claimed a's events: %v", signals(evs))
	}
	if evs := drain(t, a); !equalSignals(signals(evs), []payments.Signal{payments.SignalSubscriptionCreated}) || evs[0].Account != "merchant-a" {
		t.Fatalf("a's events = %v", signals(evs))
	}
}
