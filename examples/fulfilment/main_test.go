package main

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// shop is a stack with the shop's tables: 10 shirts in stock and an open
// order for 3 of them.
type shop struct {
	env     *testenv.Env
	f       *Fulfilment
	orderID string
}

const (
	sku            = "batik-tee"
	initialStock   = 10
	orderedQty     = 3
	afterPaidStock = initialStock - orderedQty
)

func newShop(t *testing.T, env *testenv.Env) *shop {
	t.Helper()
	ctx := testenv.Ctx(t)
	if err := CreateSchema(ctx, env.DB); err != nil {
		t.Fatal(err)
	}
	// Each Env has a database and a simulator of its own.
	s := &shop{env: env, f: &Fulfilment{DB: env.DB}, orderID: "INV-3001"}
	if _, err := env.DB.NewInsert().Model(&Stock{SKU: sku, Available: initialStock}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.NewInsert().Model(&Order{ID: s.orderID, SKU: sku, Quantity: orderedQty, Status: OrderOpen}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// pay charges the order, has the customer pay, and syncs: a paid event
// waits in the outbox.
func (s *shop) pay(t *testing.T) {
	t.Helper()
	ctx := testenv.Ctx(t)
	if _, err := s.env.Service.CreateCharge(ctx, &payments.ChargeRequest{OrderID: s.orderID, Method: "bca_va", Amount: 297000}); err != nil {
		t.Fatal(err)
	}
	if err := s.env.Sim.Pay(s.orderID); err != nil {
		t.Fatal(err)
	}
	if p, err := s.env.Service.Sync(ctx, s.orderID); err != nil || p.Outcome() != payments.OutcomePaid {
		t.Fatalf("sync: %v, %v", p, err)
	}
}

// reverse has Midtrans reverse the payment and syncs.
func (s *shop) reverse(t *testing.T) {
	t.Helper()
	if err := s.env.Sim.Reverse(s.orderID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.Service.Sync(testenv.Ctx(t), s.orderID); err != nil {
		t.Fatal(err)
	}
}

func (s *shop) deliver(t *testing.T) {
	t.Helper()
	if _, err := s.env.Service.DeliverDue(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// want checks the order's status, the stock and how many events were
// recorded as processed.
func (s *shop) want(t *testing.T, status string, stock int64, processed int) {
	t.Helper()
	ctx := testenv.Ctx(t)
	o, st := new(Order), new(Stock)
	if err := s.env.DB.NewSelect().Model(o).Where("id = ?", s.orderID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.env.DB.NewSelect().Model(st).Where("sku = ?", sku).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := s.env.DB.NewSelect().Model((*ProcessedEvent)(nil)).Where("order_id = ?", s.orderID).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != status || st.Available != stock || int(n) != processed {
		t.Fatalf("order %s, stock %d, %d events processed; want %s, %d, %d", o.Status, st.Available, n, status, stock, processed)
	}
}

// capture connects a receiver that only keeps the events of sig.
func capture(svc *payments.Service, sig payments.Signal) func() []*payments.Event {
	var mu sync.Mutex
	var got []*payments.Event
	svc.Connect(sig, func(_ context.Context, e *payments.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		return nil
	})
	return func() []*payments.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]*payments.Event(nil), got...)
	}
}

// TestPaidTwice: the same paid event delivered twice, and then by several
// deliveries at once (replicas after a lease expired), fulfils once.
func TestPaidTwice(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newShop(t, env)
		events := capture(env.Service, payments.SignalPaid)
		s.pay(t)
		s.deliver(t)
		got := events()
		if len(got) != 1 {
			t.Fatalf("%d paid events, want 1", len(got))
		}
		s.want(t, OrderOpen, initialStock, 0)

		ctx := testenv.Ctx(t)
		for range 2 {
			if err := s.f.Paid(ctx, got[0]); err != nil {
				t.Fatal(err)
			}
			s.want(t, OrderFulfilled, afterPaidStock, 1)
		}

		// Another order, its event delivered by eight at once.
		s2 := newShopOrder(t, env, s.orderID+"b")
		s2.pay(t)
		s2.deliver(t)
		e := events()[1]
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = s2.f.Paid(ctx, e) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		s2.want(t, OrderFulfilled, afterPaidStock-orderedQty, 1)
	})
}

// newShopOrder adds another open order of orderedQty to the same shop.
func newShopOrder(t *testing.T, env *testenv.Env, orderID string) *shop {
	t.Helper()
	if _, err := env.DB.NewInsert().Model(&Order{ID: orderID, SKU: sku, Quantity: orderedQty, Status: OrderOpen}).Exec(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	return &shop{env: env, f: &Fulfilment{DB: env.DB}, orderID: orderID}
}

// TestRedeliveredByOutbox: the receiver's first attempt commits its effect
// and then fails (the acknowledgement is lost), so the outbox delivers the
// event again: the effect stays single.
func TestRedeliveredByOutbox(t *testing.T) {
	cfg := testenv.Config{Options: []payments.Option{payments.WithDelivery(payments.DeliveryConfig{
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})}}
	testenv.Each(t, cfg, func(t *testing.T, env *testenv.Env) {
		s := newShop(t, env)
		var mu sync.Mutex
		var attempts []*payments.Event
		env.Service.Connect(payments.SignalPaid, func(ctx context.Context, e *payments.Event) error {
			if err := s.f.Paid(ctx, e); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, e)
			if len(attempts) == 1 {
				return errors.New("connection lost after commit")
			}
			return nil
		})
		s.pay(t)
		deadline := time.Now().Add(10 * time.Second)
		for {
			s.deliver(t)
			mu.Lock()
			n := len(attempts)
			mu.Unlock()
			if n >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d attempts, want a redelivery", n)
			}
			time.Sleep(2 * time.Millisecond)
		}
		s.deliver(t) // nothing further: the second attempt was acknowledged
		if len(attempts) != 2 || attempts[0].ID != attempts[1].ID || attempts[1].Attempt != 2 {
			t.Fatalf("attempts %d; ids %s, %s; second attempt number %d", len(attempts), attempts[0].ID, attempts[1].ID, attempts[1].Attempt)
		}
		s.want(t, OrderFulfilled, afterPaidStock, 1)
	})
}

// TestReversalUndoesOnce: a reversal puts the items back once, however
// often it (or the old paid event) is delivered again.
func TestReversalUndoesOnce(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newShop(t, env)
		s.f.Connect(env.Service)
		paid := capture(env.Service, payments.SignalPaid)
		reversed := capture(env.Service, payments.SignalReversed)
		s.pay(t)
		s.deliver(t)
		s.want(t, OrderFulfilled, afterPaidStock, 1)

		s.reverse(t)
		s.deliver(t)
		if len(reversed()) != 1 {
			t.Fatalf("%d reversed events, want 1", len(reversed()))
		}
		s.want(t, OrderReversed, initialStock, 2)

		ctx := testenv.Ctx(t)
		for range 2 {
			if err := s.f.Reversed(ctx, reversed()[0]); err != nil {
				t.Fatal(err)
			}
			if err := s.f.Paid(ctx, paid()[0]); err != nil {
				t.Fatal(err)
			}
		}
		s.want(t, OrderReversed, initialStock, 2)
	})
}

// TestRun runs the program on both databases.
func TestRun(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { runProgram(t, "") })
	t.Run("postgres", func(t *testing.T) {
		// A schema of its own (skipped as dbtest skips when no server runs).
		u, err := url.Parse(dbtest.PostgresDSN())
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", dbtest.PostgresSchema(t))
		u.RawQuery = q.Encode()
		runProgram(t, u.String())
	})
}

func runProgram(t *testing.T, databaseURL string) {
	var out strings.Builder
	if err := run(testenv.Ctx(t), databaseURL, &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		got = append(got, strings.Join(strings.Fields(line), " "))
	}
	want := []string{"paid: order fulfilled, 8 in stock", "redelivered: order fulfilled, 8 in stock", "reversed: order reversed, 10 in stock"}
	if !slices.Equal(got, want) {
		t.Fatalf("output\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
