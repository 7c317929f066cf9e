package payments_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// TestServiceThroughPgBouncer: the whole stack on a database reached
// through PgBouncer in transaction pooling mode (see dbtest.PgBouncer):
// charges made concurrently, paid by the customer, notified over HTTP to
// the webhook, delivered to hooks by two replicas' Run, then refunded.
// Every payment ends paid once, every paid event is delivered once.
func TestServiceThroughPgBouncer(t *testing.T) {
	env := testenv.New(t, dbtest.PgBouncer(t), testenv.Config{Options: []payments.Option{fastDelivery(5)}})
	svc := env.Service
	h, err := notify.New(svc)
	if err != nil {
		t.Fatal(err)
	}
	webhook(t, env, h)

	var mu sync.Mutex
	paid := map[string]int{} // order id -> paid events delivered
	ctx, cancel := context.WithCancel(testenv.Ctx(t))
	var wg sync.WaitGroup
	for r := range 2 {
		replica, err := payments.New(env.Client, env.Store, payments.WithInstanceName(fmt.Sprintf("bouncer-%d", r)),
			payments.WithDelivery(payments.DeliveryConfig{Workers: 2, Poll: 5 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		replica.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
			mu.Lock()
			defer mu.Unlock()
			paid[e.Payment.OrderID]++
			return nil
		})
		wg.Go(func() { _ = replica.Run(ctx) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })

	methods := []string{"bca_va", "gopay", "qris", "bni_va"}
	const orders = 12
	var charges sync.WaitGroup
	errs := make([]error, orders)
	for i := range orders {
		charges.Go(func() {
			id := fmt.Sprintf("bouncer-%d", i)
			if _, err := svc.CreateCharge(ctx, chargeReq(id, methods[i%len(methods)], nil)); err != nil {
				errs[i] = err
				return
			}
			errs[i] = env.Sim.Pay(id)
		})
	}
	charges.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	if err := env.Sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range orders {
		id := fmt.Sprintf("bouncer-%d", i)
		p, err := svc.Payment(ctx, id)
		if err != nil || !p.Paid() || p.PaidAt.IsZero() {
			t.Fatalf("%s after the notification: %s %v", id, show(p), err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(paid)
		mu.Unlock()
		if n == orders || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	for i := range orders {
		if id := fmt.Sprintf("bouncer-%d", i); paid[id] != 1 {
			t.Errorf("%s: paid delivered %d times, want once", id, paid[id])
		}
	}
	mu.Unlock()

	p, r, err := svc.Refund(ctx, "bouncer-1", payments.RefundRequest{Amount: 45000, Reason: "barang rusak"})
	if err != nil || p.Status != payments.StatusPartialRefund || p.RefundedAmount != 45000 || r.Status != payments.RefundSucceeded {
		t.Fatalf("partial refund: %s %+v %v", show(p), r, err)
	}
	tl, err := svc.Timeline(ctx, "bouncer-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Audit) == 0 || len(tl.Events) == 0 || len(tl.Notifications) == 0 || len(tl.Refunds) != 1 {
		t.Fatalf("timeline: %d audit rows, %d events, %d notifications, %d refunds", len(tl.Audit), len(tl.Events), len(tl.Notifications), len(tl.Refunds))
	}
}
