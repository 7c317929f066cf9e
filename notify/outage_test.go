package notify_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/notify"
)

// TestStormThroughDatabaseOutage (defect 2): copies of settlement
// notifications arrive concurrently, as in a storm, and Midtrans retries
// every answer that is not 2xx. Mid-way the database starts failing the
// audit write (so the change cannot commit) and the inbox update (so the
// failure cannot be recorded), then heals. Two replicas share the work. No copy is answered 2xx before
// its payment is committed paid, and every order ends paid, once.
func TestStormThroughDatabaseOutage(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		opts := []notify.Option{notify.WithoutConfirmation(), notify.WithWait(300 * time.Millisecond)}
		s := newStack(t, env, opts...)
		// A second replica: its own Service and handler on the same
		// database, so copies also meet across processes.
		svc2, err := payments.New(env.Client, env.Store, payments.WithMethods(methods.Default()...))
		if err != nil {
			t.Fatal(err)
		}
		h2, err := notify.New(svc2, opts...)
		if err != nil {
			t.Fatal(err)
		}
		replicas := []string{s.hook.URL, serve(t, svc2, h2).URL}
		env.Sim.SetNotificationURL("")
		ctx := testenv.Ctx(t)
		const before, during, copies = 5, 20, 4
		bodies := make([][]byte, before+during)
		for i := range bodies {
			id := fmt.Sprintf("outage-%02d", i)
			if err := env.Store.CreatePayment(ctx, &payments.Payment{OrderID: id, Method: "gopay", Amount: 50000}); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Store.Apply(ctx, &payments.Change{OrderID: id, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge}); err != nil {
				t.Fatal(err)
			}
			bodies[i], _ = notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": id, "transaction_id": "tx-" + id,
				"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement", "fraud_status": "accept",
				"payment_type": "gopay"})
		}
		var mu sync.Mutex
		var problems []string
		report := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			problems = append(problems, fmt.Sprintf(format, args...))
		}
		// deliver is Midtrans: it retries every answer but 2xx, on a
		// scaled-down schedule that outlasts the outage.
		deliver := func(i, c int) {
			orderID := fmt.Sprintf("outage-%02d", i)
			delay := 50 * time.Millisecond
			for attempt := range 14 {
				resp, err := http.Post(replicas[(c+attempt)%2], "application/json", bytes.NewReader(bodies[i]))
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode/100 == 2 {
						// Reads still work during the outage: what is committed?
						p, err := env.Store.Payment(ctx, orderID)
						if err != nil || !p.Paid() {
							report("%s: answered %d while the payment is %v (%v)", orderID, resp.StatusCode, p.Status, err)
						}
						return
					}
				}
				time.Sleep(delay)
				delay = min(2*delay, time.Second)
			}
			report("%s: never answered 2xx", orderID)
		}
		storm := func(from, to int) *sync.WaitGroup {
			var wg sync.WaitGroup
			for i := from; i < to; i++ {
				for c := range copies {
					wg.Go(func() { deliver(i, c) })
				}
			}
			return &wg
		}
		storm(0, before).Wait()
		cond := "NEW.order_id LIKE 'outage-%'"
		healAudit := dbtest.FailWrites(t, env.DB, "nusapay_payment_events", "INSERT", cond)
		healInbox := dbtest.FailWrites(t, env.DB, "nusapay_inbox", "UPDATE", cond)
		wg := storm(before, before+during)
		time.Sleep(1500 * time.Millisecond)
		healAudit()
		healInbox()
		wg.Wait()
		for _, p := range problems {
			t.Error(p)
		}
		s.settle(t)
		for i := range bodies {
			orderID := fmt.Sprintf("outage-%02d", i)
			if p := get(t, s, orderID); !p.Paid() {
				t.Errorf("%s ended %s", orderID, p.Status)
			}
			if n := s.rec.count(orderID, payments.SignalPaid); n != 1 {
				t.Errorf("%s: %d paid events", orderID, n)
			}
		}
	})
}

// TestRetryAfterUnrecordedFailure: with the default settings, a
// notification whose processing failed and whose failure could not be
// recorded either (the database refused both) is processed by the very next
// retry once the database is back, within the copy's wait, instead of
// being answered 503 until a long in-flight window ends.
func TestRetryAfterUnrecordedFailure(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env, notify.WithoutConfirmation())
		env.Sim.SetNotificationURL("")
		ctx := testenv.Ctx(t)
		const id = "unrecorded-1"
		if err := env.Store.CreatePayment(ctx, &payments.Payment{OrderID: id, Method: "gopay", Amount: 50000}); err != nil {
			t.Fatal(err)
		}
		body, _ := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": id, "transaction_id": "tx-" + id,
			"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement", "fraud_status": "accept",
			"payment_type": "gopay"})
		healAudit := dbtest.FailWrites(t, env.DB, "nusapay_payment_events", "INSERT", "1 = 1")
		healInbox := dbtest.FailWrites(t, env.DB, "nusapay_inbox", "UPDATE", "1 = 1")
		if code := post(t, s, body); code != http.StatusServiceUnavailable {
			t.Fatalf("during the outage: answered %d, want 503", code)
		}
		healAudit()
		healInbox()
		if code := post(t, s, body); code != http.StatusOK {
			t.Fatalf("the first retry after the outage: answered %d, want 200", code)
		}
		if p, err := env.Store.Payment(ctx, id); err != nil || !p.Paid() {
			t.Fatalf("after the retry: %v %v", p, err)
		}
	})
}

// TestStormThroughRealOutage: the database really goes away mid-storm — a
// PostgreSQL server of the test's own is stopped at once (open connections
// break, new ones are refused) and started again three seconds later —
// while copies of settlement notifications arrive and the sender, like
// Midtrans, retries every answer that is not 2xx. A copy answered 2xx stops
// being retried, so an order left pending would mean a 2xx was given before
// its effect was committed: every order must end paid, with one paid event.
func TestStormThroughRealOutage(t *testing.T) {
	tw := dbtest.NewThrowaway(t)
	env := testenv.New(t, tw.Open(), testenv.Config{})
	s := newStack(t, env, notify.WithoutConfirmation())
	env.Sim.SetNotificationURL("")
	ctx := testenv.Ctx(t)
	const orders, copies = 20, 3
	bodies := make([][]byte, orders)
	for i := range bodies {
		id := fmt.Sprintf("real-outage-%02d", i)
		if err := env.Store.CreatePayment(ctx, &payments.Payment{OrderID: id, Method: "gopay", Amount: 50000}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store.Apply(ctx, &payments.Change{OrderID: id, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge}); err != nil {
			t.Fatal(err)
		}
		bodies[i], _ = notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": id, "transaction_id": "tx-" + id,
			"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement", "fraud_status": "accept",
			"payment_type": "gopay"})
	}
	var (
		mu        sync.Mutex
		abandoned []string
		non2xx    int
	)
	client := &http.Client{Timeout: 10 * time.Second}
	deliver := func(i int) {
		delay := 50 * time.Millisecond
		for range 30 {
			resp, err := client.Post(s.hook.URL, "application/json", bytes.NewReader(bodies[i]))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					return
				}
			}
			mu.Lock()
			non2xx++
			mu.Unlock()
			time.Sleep(delay)
			delay = min(2*delay, time.Second)
		}
		mu.Lock()
		abandoned = append(abandoned, fmt.Sprintf("real-outage-%02d", i))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := range orders {
		for range copies {
			wg.Go(func() {
				time.Sleep(time.Duration(i) * 40 * time.Millisecond) // a storm spread over the outage
				deliver(i)
			})
		}
	}
	time.Sleep(200 * time.Millisecond)
	tw.Stop()
	time.Sleep(3 * time.Second)
	tw.Start()
	wg.Wait()
	if len(abandoned) > 0 {
		t.Fatalf("never answered 2xx: %v", abandoned)
	}
	if non2xx == 0 {
		t.Fatal("the outage answered nothing but 2xx: it did not happen mid-storm")
	}
	s.settle(t)
	for i := range orders {
		orderID := fmt.Sprintf("real-outage-%02d", i)
		if p := get(t, s, orderID); !p.Paid() {
			t.Errorf("%s ended %s: a 2xx was given before its effect was committed", orderID, p.Status)
		}
		if n := s.rec.count(orderID, payments.SignalPaid); n != 1 {
			t.Errorf("%s: %d paid events", orderID, n)
		}
	}
	t.Logf("%d answers were not 2xx during the outage and were retried", non2xx)
}
