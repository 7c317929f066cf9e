package payments_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
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

func TestWithAccountValidation(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	for _, bad := range []string{"", "two words", "a/b", strings.Repeat("x", 65), "ü"} {
		_, err := payments.New(env.Client, env.Store, payments.WithAccount(bad))
		if err == nil || !strings.Contains(err.Error(), "account") {
			t.Errorf("WithAccount(%q): New = %v, want an error naming the account", bad, err)
		}
	}
	svc, err := payments.New(env.Client, env.Store, payments.WithAccount("shop-2.sandbox_B"))
	if err != nil || svc.Account() != "shop-2.sandbox_B" {
		t.Fatalf("valid account: %v, %v", svc, err)
	}
	if env.Service.Account() != payments.DefaultAccount {
		t.Fatalf("default account %q", env.Service.Account())
	}
}

// TestAccountsShareADatabase: two merchants' Services on one database, each
// with its own Midtrans account, receivers and Run. The same order id is
// charged and paid in both; each Service's receivers get exactly its own
// events (none of the other's delivered to them, or acknowledged and
// dropped unseen), and one merchant's reconciler, eager to write off unknown
// charges, never touches the other's payments.
func TestAccountsShareADatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

		type seen struct {
			account string
			orderID string
		}
		var got sync.Map // service name -> *sync.Map of event id -> seen
		var shared payments.Store
		newEnv := func(name string, reconcile payments.ReconcileConfig) *testenv.Env {
			env := testenv.New(t, db, testenv.Config{Sim: midtranstest.Config{Now: clock}, NoDefaultMethods: true,
				Client: func(c *midtrans.Config) {
					// No retries, and a fresh connection per call (see
					// TestReconciler), so a dropped answer stays lost.
					c.MaxRetries = -1
					c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				}})
			if shared == nil {
				shared = env.Store // one store per process and database, as a host has
			}
			svc, err := payments.New(env.Client, shared, payments.WithMethods(methods.Default()...),
				payments.WithAccount(name), payments.WithClock(clock), payments.WithUnknownGrace(time.Minute),
				fastDelivery(3), payments.WithReconciler(reconcile))
			if err != nil {
				t.Fatal(err)
			}
			env.Service = svc
			events := new(sync.Map)
			got.Store(name, events)
			for _, sig := range payments.Signals() {
				env.Service.Connect(sig, func(_ context.Context, e *payments.Event) error {
					events.Store(e.ID, seen{e.Payment.Account, e.Payment.OrderID})
					return nil
				})
			}
			return env
		}
		a := newEnv("merchant-a", payments.ReconcileConfig{Interval: 5 * time.Millisecond, UnknownAfter: time.Second, PendingAfter: time.Second})
		b := newEnv("merchant-b", payments.ReconcileConfig{Disabled: true})

		ctx, cancel := context.WithCancel(testenv.Ctx(t))
		var wg sync.WaitGroup
		for _, env := range []*testenv.Env{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); _ = env.Service.Run(ctx) }()
		}
		defer func() { cancel(); wg.Wait() }()

		for _, env := range []*testenv.Env{a, b} {
			p, err := env.Service.CreateCharge(ctx, chargeReq("order-1", "bca_va", nil))
			if err != nil {
				t.Fatalf("%s: %v", env.Service.Account(), err)
			}
			if p.Account != env.Service.Account() {
				t.Fatalf("%s charged a payment of account %q", env.Service.Account(), p.Account)
			}
			if err := env.Sim.Pay("order-1"); err != nil {
				t.Fatal(err)
			}
			if p, err := env.Service.Sync(ctx, "order-1"); err != nil || p.Status != payments.StatusSettlement {
				t.Fatalf("%s: sync = %s, %v", env.Service.Account(), show(p), err)
			}
		}
		// B's charge whose answer is lost stays unknown: only B's own
		// Midtrans account can resolve it.
		b.Sim.DropNextResponses(1)
		if _, err := b.Service.CreateCharge(ctx, chargeReq("b-lost", "echannel", nil)); !errors.Is(err, payments.ErrOutcomeUnknown) {
			t.Fatalf("lost charge: %v", err)
		}
		advance(3 * time.Minute) // past A's unknown-after and unknown grace
		if n, err := a.Service.ReconcileOnce(ctx); err != nil || n != 0 {
			t.Errorf("A's reconciler synced %d payments (%v); it has none due", n, err)
		}

		// Every event is delivered, to its own Service's receivers only.
		var outbox []struct {
			EventID string `bun:"event_id"`
			Account string `bun:"account"`
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			outbox = outbox[:0]
			if err := db.NewSelect().Table("nusapay_outbox").Column("event_id", "account").Scan(ctx, &outbox); err != nil {
				t.Fatal(err)
			}
			var undelivered int
			if err := db.NewSelect().Table("nusapay_outbox").ColumnExpr("count(*)").Where("delivered_at IS NULL").Scan(ctx, &undelivered); err != nil {
				t.Fatal(err)
			}
			if undelivered == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		received := func(name string) *sync.Map { v, _ := got.Load(name); return v.(*sync.Map) }
		for _, row := range outbox {
			own, other := "merchant-a", "merchant-b"
			if row.Account == "merchant-b" {
				own, other = other, own
			}
			if _, ok := received(own).Load(row.EventID); !ok {
				t.Errorf("event %s of %s never reached its receivers", row.EventID, own)
			}
			if _, ok := received(other).Load(row.EventID); ok {
				t.Errorf("event %s of %s delivered to %s", row.EventID, own, other)
			}
		}
		for _, name := range []string{"merchant-a", "merchant-b"} {
			received(name).Range(func(id, v any) bool {
				if s := v.(seen); s.account != name {
					t.Errorf("%s received event %s of %s/%s", name, id, s.account, s.orderID)
				}
				return true
			})
		}

		for _, x := range []struct {
			env   *testenv.Env
			order string
			want  payments.Status
		}{{a, "order-1", payments.StatusSettlement}, {b, "order-1", payments.StatusSettlement}, {b, "b-lost", payments.StatusUnknown}} {
			p, err := x.env.Service.Payment(ctx, x.order)
			if err != nil || p.Status != x.want || p.Account != x.env.Service.Account() {
				t.Errorf("%s's %s: %s, %v; want %s", x.env.Service.Account(), x.order, show(p), err, x.want)
			}
		}
	})
}
