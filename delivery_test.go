package payments_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// shortLease delivers with a lease short enough for a test to outlive it.
func shortLease(lease time.Duration) payments.Option {
	return payments.WithDelivery(payments.DeliveryConfig{Lease: lease, RetryMin: time.Millisecond,
		RetryMax: 5 * time.Millisecond, Poll: 10 * time.Millisecond})
}

// countEvents counts the outbox rows matching where.
func countEvents(t *testing.T, env *testenv.Env, where string) int {
	t.Helper()
	n, err := env.DB.NewSelect().Table("nusapay_outbox").Where(where).Count(testenv.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestDeliveryAckFailsMidway: the statement acknowledging a batch fails
// (a database error on one of its rows), so none of the batch's events is
// marked delivered; once the lease runs out they are delivered again and
// acknowledged. At least once: nothing is lost.
func TestDeliveryAckFailsMidway(t *testing.T) {
	testenv.Each(t, testenv.Config{Options: []payments.Option{shortLease(300 * time.Millisecond)}}, func(t *testing.T, env *testenv.Env) {
		svc := env.Service
		ctx := testenv.Ctx(t)
		var mu sync.Mutex
		seen := map[string]int{}
		for _, sig := range payments.Signals() {
			svc.Connect(sig, func(_ context.Context, e *payments.Event) error {
				mu.Lock()
				defer mu.Unlock()
				seen[e.ID]++
				return nil
			})
		}
		for i := range 3 {
			if _, err := svc.CreateCharge(ctx, chargeReq(fmt.Sprintf("ack-%d", i), "gopay", nil)); err != nil {
				t.Fatal(err)
			}
		}
		heal := dbtest.FailWrites(t, env.DB, "nusapay_outbox", "UPDATE", "NEW.delivered_at IS NOT NULL AND NEW.order_id = 'ack-1'")
		n, err := svc.DeliverDue(ctx)
		if err == nil || !strings.Contains(err.Error(), "acknowledge") || n != 3 {
			t.Fatalf("DeliverDue with a failing acknowledgement = %d, %v; want the 3 head events handled and the ack's error", n, err)
		}
		mu.Lock()
		first := len(seen)
		mu.Unlock()
		if first != 3 {
			t.Fatalf("%d events reached the receiver, want the 3 heads", first)
		}
		if got := countEvents(t, env, "delivered_at IS NOT NULL"); got != 0 {
			t.Fatalf("%d events marked delivered by a failed acknowledgement, want none", got)
		}
		heal()
		// Leased still: nothing to do until the lease runs out, then the
		// three are delivered again, followed by their payments' later events.
		time.Sleep(400 * time.Millisecond)
		drainDelivery(t, svc)
		if got := countEvents(t, env, "delivered_at IS NULL"); got != 0 {
			t.Fatalf("%d events left undelivered", got)
		}
		mu.Lock()
		defer mu.Unlock()
		again := 0
		for _, n := range seen {
			if n > 1 {
				again++
			}
		}
		if again != 3 || len(seen) != countEvents(t, env, "delivered_at IS NOT NULL") {
			t.Fatalf("%d events delivered twice, %d distinct delivered; want the 3 of the failed batch again, every event once more", again, len(seen))
		}
	})
}

// TestDeliveryLeaseLostIsNotAcknowledged: a receiver slower than the
// lease lets another replica take the event; when the slow one finishes,
// its acknowledgement does not mark the event delivered under the new
// holder's feet. The new holder's does.
func TestDeliveryLeaseLostIsNotAcknowledged(t *testing.T) {
	// A lease long enough that A, once released, cannot outlive B's too.
	const lease = time.Second
	testenv.Each(t, testenv.Config{Options: []payments.Option{shortLease(lease)}}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		b, err := payments.New(env.Client, env.Store, payments.WithInstanceName("replica-b"), shortLease(lease),
			payments.WithReconciler(payments.ReconcileConfig{Disabled: true}))
		if err != nil {
			t.Fatal(err)
		}
		// Receivers that hold on until released, ignoring their context.
		block := func(svc *payments.Service) (entered chan string, release chan struct{}) {
			entered, release = make(chan string, 1), make(chan struct{})
			svc.Connect(payments.SignalCreated, func(_ context.Context, e *payments.Event) error {
				entered <- e.ID
				<-release
				return nil
			})
			return entered, release
		}
		enteredA, releaseA := block(env.Service)
		enteredB, releaseB := block(b)
		if _, err := env.Service.CreateCharge(ctx, chargeReq("lease-lost", "qris", nil)); err != nil {
			t.Fatal(err)
		}
		doneA, doneB := make(chan error, 1), make(chan error, 1)
		go func() { _, err := env.Service.DeliverDue(ctx); doneA <- err }()
		id := <-enteredA
		time.Sleep(lease + 200*time.Millisecond) // A's lease runs out
		go func() { _, err := b.DeliverDue(ctx); doneB <- err }()
		if got := <-enteredB; got != id {
			t.Fatalf("replica b got %s, want %s", got, id)
		}
		close(releaseA)
		if err := <-doneA; err != nil {
			t.Fatalf("A's DeliverDue: %v", err)
		}
		ev, err := env.Store.Event(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !ev.DeliveredAt.IsZero() || ev.LeaseOwner != "replica-b/due" {
			t.Fatalf("after the old holder's ack: delivered at %v, leased by %q; want undelivered, leased by replica-b/due", ev.DeliveredAt, ev.LeaseOwner)
		}
		close(releaseB)
		if err := <-doneB; err != nil {
			t.Fatalf("B's DeliverDue: %v", err)
		}
		if ev, err = env.Store.Event(ctx, id); err != nil || ev.DeliveredAt.IsZero() {
			t.Fatalf("after the holder's ack: %+v, %v; want delivered", ev, err)
		}
	})
}

// TestBatchDeliveredConcurrently: the receivers of one batch run at the
// same time (each waits for all the others), a panic in one is isolated to
// its event, which alone is retried; the others are acknowledged at once.
func TestBatchDeliveredConcurrently(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{Options: []payments.Option{
		// The retry is not due before the first DeliverDue returns.
		payments.WithDelivery(payments.DeliveryConfig{Batch: 5, RetryMin: 300 * time.Millisecond, RetryMax: 400 * time.Millisecond})}})
	svc, ctx := env.Service, testenv.Ctx(t)
	const n = 5
	var arrived atomic.Int32
	var c calls
	svc.Connect(payments.SignalCreated, func(_ context.Context, e *payments.Event) error {
		if arrived.Add(1) <= n {
			deadline := time.Now().Add(5 * time.Second)
			for arrived.Load() < n {
				if time.Now().After(deadline) {
					return errors.New("the batch's receivers did not run concurrently")
				}
				time.Sleep(time.Millisecond)
			}
		}
		c.add("waiter", e.Payment.OrderID)
		return nil
	})
	var panicked atomic.Bool
	svc.Connect(payments.SignalCreated, func(_ context.Context, e *payments.Event) error {
		if e.Payment.OrderID == "conc-2" && !panicked.Swap(true) {
			panic("receiver bug")
		}
		c.add("panicky", e.Payment.OrderID)
		return nil
	})
	for i := range n {
		if err := env.Store.CreatePayment(ctx, &payments.Payment{OrderID: fmt.Sprintf("conc-%d", i), Method: "gopay", Amount: 145000}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := svc.DeliverDue(ctx); err != nil || got != n {
		t.Fatalf("first DeliverDue = %d, %v; want the batch of %d", got, err, n)
	}
	if got := countEvents(t, env, "delivered_at IS NOT NULL"); got != n-1 {
		t.Fatalf("%d events delivered in the first batch, want all but the panicked one", got)
	}
	time.Sleep(500 * time.Millisecond) // the retry's backoff
	drainDelivery(t, svc)
	if got := countEvents(t, env, "delivered_at IS NULL"); got != 0 {
		t.Fatalf("%d events left undelivered", got)
	}
	if w, p := c.get("waiter"), c.get("panicky"); len(w) != n || len(p) != n {
		t.Fatalf("waiter handled %v, panicky %v; want each order once (a retry does not repeat the receiver that succeeded)", w, p)
	}
}

func TestDeliveryConfigValidation(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	for _, c := range []payments.DeliveryConfig{
		{Workers: -1}, {Batch: -1}, {Batch: 1001}, {MaxAttempts: -2}, {Lease: -time.Second},
		{Timeout: -time.Second}, {Poll: -time.Second}, {Lease: time.Second, Timeout: time.Second}, {Timeout: 3 * time.Minute},
	} {
		if _, err := payments.New(env.Client, env.Store, payments.WithDelivery(c)); err == nil {
			t.Errorf("WithDelivery(%+v): no error", c)
		}
	}
	if _, err := payments.New(env.Client, env.Store, payments.WithDelivery(payments.DeliveryConfig{Workers: 8, Batch: 1000,
		Lease: time.Minute, Timeout: 10 * time.Second})); err != nil {
		t.Errorf("a valid DeliveryConfig: %v", err)
	}
}
