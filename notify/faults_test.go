package notify_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/midtranstest"
)

// TestDatabaseFailsMidNotification: the database fails while a settlement
// notification is processed, at the inbox and later at the audit write; the
// handler answers 503, Midtrans retries on its schedule, and once the
// database is back the payment is paid, once.
func TestDatabaseFailsMidNotification(t *testing.T) {
	for _, table := range []string{"nusapay_inbox", "nusapay_payment_events", "nusapay_outbox"} {
		t.Run(table, func(t *testing.T) {
			// Midtrans' schedule scaled down, yet long enough (5 s in all)
			// that a loaded CI machine heals the database before the
			// simulator runs out of retries.
			cfg := testenv.Config{Sim: midtranstest.Config{RetryDelays: []time.Duration{100 * time.Millisecond, 300 * time.Millisecond,
				700 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond}}}
			testenv.Each(t, cfg, func(t *testing.T, env *testenv.Env) {
				s := newStack(t, env)
				orderID := "dbfail-" + table
				charge(t, s, orderID, "bri_va", nil)
				s.settle(t)
				heal := dbtest.FailWrites(t, env.DB, table, "INSERT", "NEW.order_id = '"+orderID+"'")
				if err := env.Sim.Pay(orderID); err != nil {
					t.Fatal(err)
				}
				eventually(t, "a 503 answer", func() bool {
					for _, c := range s.hook.answered() {
						if c == http.StatusServiceUnavailable {
							return true
						}
					}
					return false
				})
				if p := get(t, s, orderID); p.Status != payments.StatusPending {
					t.Fatalf("half-applied while the database fails: %s", p.Status)
				}
				heal()
				s.settle(t)
				p := get(t, s, orderID)
				if !p.Paid() {
					t.Fatalf("after the database came back: %s (answers %v)", p.Status, s.hook.answered())
				}
				if n := s.rec.count(orderID, payments.SignalPaid); n != 1 {
					t.Fatalf("%d paid events", n)
				}
			})
		})
	}
}

// TestCrashBeforeDelivery: the change commits with its events, the process
// dies before delivering them; a new process (a restart, or another
// replica) delivers them.
func TestCrashBeforeDelivery(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		charge(t, s, "crash-1", "gopay", nil)
		if err := env.Sim.Pay("crash-1"); err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.WaitIdle(testenv.Ctx(t)); err != nil {
			t.Fatal(err)
		}
		// The first process also claimed one event and died holding its lease.
		if _, err := env.Store.ClaimEvents(testenv.Ctx(t), "dead-process", 1, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if got := s.rec.signals("crash-1"); len(got) != 0 {
			t.Fatalf("delivered before the restart: %v", got)
		}
		restarted, err := payments.New(env.Client, env.Store, payments.WithDelivery(payments.DeliveryConfig{Poll: 20 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		rec := record(restarted)
		ctx, cancel := context.WithCancel(testenv.Ctx(t))
		done := make(chan error, 1)
		go func() { done <- restarted.Run(ctx) }()
		eventually(t, "delivery after the restart", func() bool { return sameSignals(rec.signals("crash-1"), sigPaid) })
		cancel()
		<-done
	})
}
