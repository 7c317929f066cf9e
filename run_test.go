package payments_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

func fastDelivery(maxAttempts int) payments.Option {
	return payments.WithDelivery(payments.DeliveryConfig{MaxAttempts: maxAttempts, RetryMin: time.Millisecond,
		RetryMax: 5 * time.Millisecond, Poll: 10 * time.Millisecond, Lease: 30 * time.Second})
}

// drainDelivery delivers until nothing is due for a while.
func drainDelivery(t *testing.T, svc *payments.Service) {
	t.Helper()
	ctx := testenv.Ctx(t)
	idle := 0
	for idle < 5 {
		n, err := svc.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			idle++
			time.Sleep(10 * time.Millisecond)
		} else {
			idle = 0
		}
	}
}

type calls struct {
	mu   sync.Mutex
	seen map[string][]string // receiver -> event ids in order
}

func (c *calls) add(receiver, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string][]string{}
	}
	c.seen[receiver] = append(c.seen[receiver], id)
}

func (c *calls) get(receiver string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen[receiver]...)
}

// TestReceiverFailuresAreIsolated: a receiver that panics and one that
// errors are retried until they succeed; a healthy receiver of the same
// events runs once per event, and nothing is lost.
func TestReceiverFailuresAreIsolated(t *testing.T) {
	testenv.Each(t, testenv.Config{Options: []payments.Option{fastDelivery(10)}}, func(t *testing.T, env *testenv.Env) {
		svc := env.Service
		var c calls
		var panics, errs atomic.Int32
		svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error { c.add("healthy", e.ID); return nil })
		svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
			if panics.Add(1) <= 2 {
				panic("receiver bug")
			}
			c.add("panicky", e.ID)
			return nil
		})
		svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
			if errs.Add(1) == 1 {
				return errors.New("downstream unavailable")
			}
			c.add("flaky", e.ID)
			return nil
		})
		ctx := testenv.Ctx(t)
		if _, err := svc.CreateCharge(ctx, chargeReq("iso-1", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.Pay("iso-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sync(ctx, "iso-1"); err != nil {
			t.Fatal(err)
		}
		drainDelivery(t, svc)
		for _, r := range []string{"healthy", "panicky", "flaky"} {
			if got := c.get(r); len(got) != 1 {
				t.Fatalf("%s handled %v, want the paid event once", r, got)
			}
		}
		if c.get("healthy")[0] != c.get("panicky")[0] || c.get("healthy")[0] != c.get("flaky")[0] {
			t.Fatal("receivers saw different event ids for one event")
		}
		var undelivered int
		if err := env.DB.NewSelect().Table("nusapay_outbox").ColumnExpr("count(*)").Where("delivered_at IS NULL").Scan(ctx, &undelivered); err != nil {
			t.Fatal(err)
		}
		if undelivered != 0 {
			t.Fatalf("%d events left undelivered", undelivered)
		}
	})
}

// TestDeadLetter: an event a receiver never accepts is given up after
// MaxAttempts, SignalDead fires, and the payment's later events flow again.
func TestDeadLetter(t *testing.T) {
	testenv.Each(t, testenv.Config{Options: []payments.Option{fastDelivery(3)}}, func(t *testing.T, env *testenv.Env) {
		svc := env.Service
		var attempts atomic.Int32
		var dead []*payments.Event
		var mu sync.Mutex
		var later []payments.Signal
		svc.Connect(payments.SignalPending, func(context.Context, *payments.Event) error {
			attempts.Add(1)
			return errors.New("always fails")
		})
		svc.Connect(payments.SignalDead, func(_ context.Context, e *payments.Event) error {
			mu.Lock()
			defer mu.Unlock()
			dead = append(dead, e)
			return nil
		})
		svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
			mu.Lock()
			defer mu.Unlock()
			later = append(later, e.Signal)
			return nil
		})
		ctx := testenv.Ctx(t)
		if _, err := svc.CreateCharge(ctx, chargeReq("dead-1", "qris", nil)); err != nil {
			t.Fatal(err)
		}
		env.Sim.Pay("dead-1")
		if _, err := svc.Sync(ctx, "dead-1"); err != nil {
			t.Fatal(err)
		}
		drainDelivery(t, svc)
		if attempts.Load() != 3 {
			t.Fatalf("%d attempts, want MaxAttempts=3", attempts.Load())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(dead) != 1 || dead[0].Signal != payments.SignalPending || dead[0].LastError == "" || dead[0].Attempt != 3 {
			t.Fatalf("dead signal: %+v", dead)
		}
		if len(later) != 1 {
			t.Fatalf("events after the dead one: %v", later)
		}
		ev, err := env.Store.Event(ctx, dead[0].ID)
		if err != nil || !ev.Dead || ev.LastError == "" {
			t.Fatalf("stored dead event: %+v %v", ev, err)
		}
	})
}

// TestDeliveryOrderPerPayment: a payment's events reach a receiver in the
// order the changes happened, even while an earlier one is being retried.
func TestDeliveryOrderPerPayment(t *testing.T) {
	testenv.Each(t, testenv.Config{Options: []payments.Option{fastDelivery(10)}}, func(t *testing.T, env *testenv.Env) {
		svc := env.Service
		var mu sync.Mutex
		got := map[string][]payments.Status{}
		failedOnce := map[string]bool{}
		svc.Connect(payments.SignalStatusChanged, func(_ context.Context, e *payments.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if !failedOnce[e.ID] && e.Current.Status == payments.StatusPending {
				failedOnce[e.ID] = true
				return errors.New("first attempt fails")
			}
			got[e.Payment.OrderID] = append(got[e.Payment.OrderID], e.Current.Status)
			return nil
		})
		ctx := testenv.Ctx(t)
		for i := range 10 {
			id := fmt.Sprintf("order-seq-%d", i)
			if _, err := svc.CreateCharge(ctx, chargeReq(id, "gopay", nil)); err != nil {
				t.Fatal(err)
			}
			env.Sim.Pay(id)
			if _, err := svc.Sync(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.Refund(ctx, id, payments.RefundRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		drainDelivery(t, svc)
		want := fmt.Sprint([]payments.Status{payments.StatusPending, payments.StatusSettlement, payments.StatusRefund})
		for i := range 10 {
			id := fmt.Sprintf("order-seq-%d", i)
			if fmt.Sprint(got[id]) != want {
				t.Fatalf("%s delivered %v, want %s", id, got[id], want)
			}
		}
	})
}

func TestDisconnect(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{Options: []payments.Option{fastDelivery(3)}})
	var n atomic.Int32
	disconnect := env.Service.Connect(payments.SignalCreated, func(context.Context, *payments.Event) error { n.Add(1); return nil })
	ctx := testenv.Ctx(t)
	env.Service.CreateCharge(ctx, chargeReq("disc-1", "gopay", nil))
	drainDelivery(t, env.Service)
	disconnect()
	disconnect() // idempotent
	env.Service.CreateCharge(ctx, chargeReq("disc-2", "gopay", nil))
	drainDelivery(t, env.Service)
	if n.Load() != 1 {
		t.Fatalf("receiver called %d times, want 1 (before disconnecting)", n.Load())
	}
}

// TestReplicasShareDelivery: three Services (three app replicas) on one
// database, each running its workers: every event is delivered exactly once
// in all, through the database alone.
func TestReplicasShareDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		var mu sync.Mutex
		seen := map[string]int{}
		byReplica := map[int]int{}
		ctx, cancel := context.WithCancel(testenv.Ctx(t))
		var wg sync.WaitGroup
		for r := range 3 {
			svc, err := payments.New(env.Client, env.Store, payments.WithInstanceName(fmt.Sprintf("replica-%d", r)),
				payments.WithDelivery(payments.DeliveryConfig{Workers: 3, Batch: 5, Poll: 5 * time.Millisecond}),
				payments.WithReconciler(payments.ReconcileConfig{Disabled: true}))
			if err != nil {
				t.Fatal(err)
			}
			for _, sig := range payments.Signals() {
				svc.Connect(sig, func(_ context.Context, e *payments.Event) error {
					mu.Lock()
					defer mu.Unlock()
					seen[e.ID]++
					byReplica[r]++
					return nil
				})
			}
			wg.Add(1)
			go func() { defer wg.Done(); _ = svc.Run(ctx) }()
		}
		const orders = 40
		for i := range orders {
			id := fmt.Sprintf("rep-%d", i)
			if _, err := env.Service.CreateCharge(testenv.Ctx(t), chargeReq(id, "bca_va", nil)); err != nil {
				t.Fatal(err)
			}
			env.Sim.Pay(id)
			if _, err := env.Service.Sync(testenv.Ctx(t), id); err != nil {
				t.Fatal(err)
			}
		}
		want := orders * 5 // created, pending, status_changed, paid, status_changed
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			if n >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != want {
			t.Fatalf("%d distinct events delivered, want %d", len(seen), want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("event %s delivered %d times", id, n)
			}
		}
		t.Logf("deliveries per replica: %v", byReplica)
	})
}

// TestReconciler: a lost notification, a lost charge answer and a local
// expiry are all resolved by the reconciler, with the right hooks.
func TestReconciler(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		env := testenv.New(t, db, testenv.Config{
			Sim: midtranstest.Config{Now: clock}, // no notification URL: every notification is lost
			Client: func(c *midtrans.Config) {
				c.MaxRetries = -1
				// A fresh connection per call: Go's transport resends a keyed
				// request on its own when a reused connection breaks.
				c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			},
			Options: []payments.Option{payments.WithClock(clock), fastDelivery(5),
				payments.WithReconciler(payments.ReconcileConfig{UnknownAfter: time.Minute, PendingAfter: time.Hour, ExpiredAfter: 2 * time.Minute})},
		})
		svc := env.Service
		var sigs sync.Map
		for _, sig := range payments.Signals() {
			svc.Connect(sig, func(_ context.Context, e *payments.Event) error {
				v, _ := sigs.LoadOrStore(e.Payment.OrderID, &[]payments.Signal{})
				mu.Lock()
				*v.(*[]payments.Signal) = append(*v.(*[]payments.Signal), e.Signal)
				mu.Unlock()
				return nil
			})
		}
		ctx := testenv.Ctx(t)
		// 1. Paid, but the notification never came.
		if _, err := svc.CreateCharge(ctx, chargeReq("rec-paid", "bni_va", nil)); err != nil {
			t.Fatal(err)
		}
		env.Sim.Pay("rec-paid")
		// 2. The charge answer was lost.
		env.Sim.DropNextResponses(1)
		if _, err := svc.CreateCharge(ctx, chargeReq("rec-lost", "echannel", nil)); !errors.Is(err, payments.ErrOutcomeUnknown) {
			t.Fatalf("lost charge: %v", err)
		}
		// 3. Expires without a notification.
		expiring := chargeReq("rec-expiring", "gopay", nil)
		expiring.Expiry = 30 * time.Minute
		if _, err := svc.CreateCharge(ctx, expiring); err != nil {
			t.Fatal(err)
		}
		// Nothing is due yet.
		if n, err := svc.ReconcileOnce(ctx); err != nil || n != 0 {
			t.Fatalf("early pass synced %d, %v", n, err)
		}
		advance(2 * time.Minute)
		if n, err := svc.ReconcileOnce(ctx); err != nil || n != 1 {
			t.Fatalf("after 2 minutes: synced %d, %v (want the unknown one)", n, err)
		}
		if p, _ := svc.Payment(ctx, "rec-lost"); p.Status != payments.StatusPending || p.BillKey == "" {
			t.Fatalf("lost charge after reconcile: %s", show(p))
		}
		advance(65 * time.Minute) // past the expiry and the pending threshold
		if _, err := svc.ReconcileOnce(ctx); err != nil {
			t.Fatal(err)
		}
		for order, want := range map[string]payments.Status{"rec-paid": payments.StatusSettlement, "rec-expiring": payments.StatusExpire, "rec-lost": payments.StatusPending} {
			if p, _ := svc.Payment(ctx, order); p.Status != want {
				t.Fatalf("%s after reconcile: %s, want %s", order, p.Status, want)
			}
		}
		// A second pass right away syncs nothing new (paced by SyncedBefore).
		before := len(env.Sim.Calls())
		if _, err := svc.ReconcileOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if after := len(env.Sim.Calls()); after != before {
			t.Fatalf("an immediate second pass made %d calls", after-before)
		}
		drainDelivery(t, svc)
		get := func(o string) []payments.Signal {
			v, _ := sigs.Load(o)
			mu.Lock()
			defer mu.Unlock()
			return append([]payments.Signal(nil), *v.(*[]payments.Signal)...)
		}
		has := func(o string, s payments.Signal) bool {
			for _, x := range get(o) {
				if x == s {
					return true
				}
			}
			return false
		}
		if !has("rec-paid", payments.SignalPaid) || !has("rec-expiring", payments.SignalExpired) || !has("rec-lost", payments.SignalPending) {
			t.Fatalf("hooks: paid %v, expiring %v, lost %v", get("rec-paid"), get("rec-expiring"), get("rec-lost"))
		}
	})
}

// TestRunStops: Run returns ctx's error when ctx ends.
func TestRunStops(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Service.Run(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// TestReplicasShareReconciliation: two replicas on one database reconcile
// at the same time, as every replica runs the reconciler. Each payment whose
// notification was lost ends paid, and fires paid once: a status one
// replica applied is a duplicate for the other.
func TestReplicasShareReconciliation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		env := testenv.New(t, db, testenv.Config{Sim: midtranstest.Config{Now: clock}})
		ctx := testenv.Ctx(t)
		const orders = 12
		for i := range orders {
			id := fmt.Sprintf("rep-rec-%d", i)
			if _, err := env.Service.CreateCharge(ctx, chargeReq(id, "bni_va", nil)); err != nil {
				t.Fatal(err)
			}
			if err := env.Sim.Pay(id); err != nil { // no notification URL: the notification is lost
				t.Fatal(err)
			}
		}
		mu.Lock()
		now = now.Add(2 * time.Hour) // past the pending threshold
		mu.Unlock()
		paid := map[string]int{}
		var replicas []*payments.Service
		for r := range 2 {
			svc, err := payments.New(env.Client, env.Store, payments.WithMethods(methods.Default()...), payments.WithClock(clock),
				payments.WithInstanceName(fmt.Sprintf("replica-%d", r)),
				payments.WithReconciler(payments.ReconcileConfig{PendingAfter: time.Hour}))
			if err != nil {
				t.Fatal(err)
			}
			svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
				mu.Lock()
				defer mu.Unlock()
				paid[e.Payment.OrderID]++
				return nil
			})
			replicas = append(replicas, svc)
		}
		var wg sync.WaitGroup
		for _, svc := range replicas {
			wg.Go(func() {
				if _, err := svc.ReconcileOnce(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for _, svc := range replicas {
			drainDelivery(t, svc)
		}
		for i := range orders {
			id := fmt.Sprintf("rep-rec-%d", i)
			if p, err := env.Service.Payment(ctx, id); err != nil || !p.Paid() {
				t.Errorf("%s after both reconcilers: %s %v", id, show(p), err)
			}
			mu.Lock()
			n := paid[id]
			mu.Unlock()
			if n != 1 {
				t.Errorf("%s: paid fired %d times", id, n)
			}
		}
	})
}

// TestReplicasShareReconcilerWork: three replicas on one database and one
// Midtrans reconcile 30 due payments at the same time. They share the
// work through the database: 30 status calls in all, not one per replica
// and payment, and every payment ends paid, with paid fired once.
func TestReplicasShareReconcilerWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		env := testenv.New(t, db, testenv.Config{Sim: midtranstest.Config{Now: clock}})
		ctx := testenv.Ctx(t)
		const orders, replicas = 30, 3
		for i := range orders {
			id := fmt.Sprintf("share-rec-%d", i)
			if _, err := env.Service.CreateCharge(ctx, chargeReq(id, "bni_va", nil)); err != nil {
				t.Fatal(err)
			}
			if err := env.Sim.Pay(id); err != nil { // no notification URL: the notification is lost
				t.Fatal(err)
			}
		}
		mu.Lock()
		now = now.Add(2 * time.Hour) // past the pending threshold
		mu.Unlock()
		before := len(env.Sim.Calls())
		paid := map[string]int{}
		var svcs []*payments.Service
		for r := range replicas {
			svc, err := payments.New(env.Client, env.Store, payments.WithMethods(methods.Default()...), payments.WithClock(clock),
				payments.WithInstanceName(fmt.Sprintf("replica-%d", r)),
				payments.WithReconciler(payments.ReconcileConfig{PendingAfter: time.Hour, Batch: 4}))
			if err != nil {
				t.Fatal(err)
			}
			svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
				mu.Lock()
				defer mu.Unlock()
				paid[e.Payment.OrderID]++
				return nil
			})
			svcs = append(svcs, svc)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		synced := make([]int, replicas)
		for r, svc := range svcs {
			wg.Go(func() {
				<-start
				n, err := svc.ReconcileOnce(ctx)
				if err != nil {
					t.Error(err)
				}
				synced[r] = n
			})
		}
		close(start)
		wg.Wait()
		statusCalls := 0
		for _, c := range env.Sim.Calls()[before:] {
			if c.Method == http.MethodGet && strings.HasSuffix(c.Path, "/status") {
				statusCalls++
			}
		}
		t.Logf("status calls: %d; synced per replica: %v", statusCalls, synced)
		if statusCalls != orders {
			t.Errorf("%d replicas made %d status calls for %d due payments, want %d", replicas, statusCalls, orders, orders)
		}
		if total := synced[0] + synced[1] + synced[2]; total != orders {
			t.Errorf("replicas synced %v payments, %d in all, want %d", synced, total, orders)
		}
		for _, svc := range svcs {
			drainDelivery(t, svc)
		}
		for i := range orders {
			id := fmt.Sprintf("share-rec-%d", i)
			if p, err := env.Service.Payment(ctx, id); err != nil || !p.Paid() {
				t.Errorf("%s after the reconcilers: %s %v", id, show(p), err)
			}
			mu.Lock()
			n := paid[id]
			mu.Unlock()
			if n != 1 {
				t.Errorf("%s: paid fired %d times", id, n)
			}
		}
	})
}
