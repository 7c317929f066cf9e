package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/fixture"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
)

var sigPaid = []payments.Signal{payments.SignalCreated, payments.SignalPending, payments.SignalStatusChanged, payments.SignalPaid, payments.SignalStatusChanged}

func charge(t *testing.T, s *stack, orderID, method string, opts any) *payments.Payment {
	t.Helper()
	req := &payments.ChargeRequest{OrderID: orderID, Method: method, Amount: 50000, Options: opts,
		Items:    []payments.Item{{ID: "a", Name: "Teh Tarik", Price: 25000, Quantity: 2}},
		Customer: &payments.Customer{FirstName: "Siti", LastName: "Rahma", Email: "siti@example.com", Phone: "+6281234567890"}}
	p, err := s.Service.CreateCharge(testenv.Ctx(t), req)
	if err != nil {
		t.Fatalf("charge %s: %v", orderID, err)
	}
	return p
}

func get(t *testing.T, s *stack, orderID string) *payments.Payment {
	t.Helper()
	p, err := s.Service.Payment(testenv.Ctx(t), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sameSignals(a, b []payments.Signal) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

var allMethods = []struct {
	name string
	opts any
	// refund: the channel refunds through the API.
	refund bool
}{
	{"bca_va", nil, false}, {"bni_va", nil, false}, {"bri_va", nil, false}, {"permata_va", nil, false}, {"cimb_va", nil, false},
	{"echannel", nil, false}, {"gopay", nil, true}, {"shopeepay", nil, true}, {"qris", nil, true},
	{"indomaret", nil, false}, {"alfamart", nil, false}, {"akulaku", nil, true},
	{"credit_card", methods.CardOptions{TokenID: midtranstest.CardToken("4811111111111114")}, true},
}

// TestEveryMethodThroughNotifications drives every method to paid, expired,
// denied, cancelled and refunded at the simulator; only the notifications
// it sends move the payments.
func TestEveryMethodThroughNotifications(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		type outcome struct {
			suffix string
			drive  func(orderID string) error
			want   payments.Status
			signal payments.Signal
		}
		for _, m := range allMethods {
			outcomes := []outcome{
				{"paid", s.Sim.Pay, payments.StatusSettlement, payments.SignalPaid},
				{"expired", s.Sim.Expire, payments.StatusExpire, payments.SignalExpired},
				{"denied", s.Sim.Deny, payments.StatusDeny, payments.SignalDenied},
				{"cancelled", s.Sim.Cancel, payments.StatusCancel, payments.SignalCancelled},
			}
			if m.name == "credit_card" {
				outcomes[0].want = payments.StatusCapture // 3DS completed: captured, settled later
			}
			if m.refund {
				outcomes = append(outcomes, outcome{"refunded", func(o string) error {
					if err := s.Sim.Pay(o); err != nil {
						return err
					}
					if m.name == "credit_card" {
						if err := s.Sim.Settle(o); err != nil {
							return err
						}
					}
					// The shop sees the payment before the refund; with
					// confirmation a refund processed first would skip paid.
					s.settle(t)
					return s.Sim.Refund(o, 0)
				}, payments.StatusRefund, payments.SignalRefunded})
			}
			for _, o := range outcomes {
				t.Run(m.name+"/"+o.suffix, func(t *testing.T) {
					orderID := m.name + "-" + o.suffix
					charge(t, s, orderID, m.name, m.opts)
					if err := o.drive(orderID); err != nil {
						t.Fatal(err)
					}
					s.settle(t)
					p := get(t, s, orderID)
					if p.Status != o.want {
						t.Fatalf("%s ended %s, want %s", orderID, p.Status, o.want)
					}
					if n := s.rec.count(orderID, o.signal); n != 1 {
						t.Fatalf("%s: %d %s events (%v)", orderID, n, o.signal, s.rec.signals(orderID))
					}
					if o.suffix == "refunded" && (p.RefundedAmount != 50000 || s.rec.count(orderID, payments.SignalPaid) != 1) {
						t.Fatalf("refunded payment: refunded %s, signals %v", p.RefundedAmount, s.rec.signals(orderID))
					}
				})
			}
		}
		for _, code := range s.hook.answered() {
			if code != http.StatusOK {
				t.Fatalf("the webhook answered %d", code)
			}
		}
	})
}

// TestDANAThroughNotifications: DANA is charged through Snap; its
// transaction id arrives with the first notification and every follow-up
// uses it.
func TestDANAThroughNotifications(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		p := charge(t, s, "dana-1", "dana", nil)
		if p.Status != payments.StatusPending || p.TransactionID != "" || p.RedirectURL == "" {
			t.Fatalf("after the Snap charge: %+v", p.Status)
		}
		if err := s.Sim.SelectSnapPayment("dana-1", "dana"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		if p = get(t, s, "dana-1"); !strings.HasPrefix(p.TransactionID, "A1") || p.PaymentType != "dana" {
			t.Fatalf("after the customer chose DANA: tx %q type %q", p.TransactionID, p.PaymentType)
		}
		if err := s.Sim.Pay("dana-1"); err != nil {
			t.Fatal(err)
		}
		s.settle(t)
		if p = get(t, s, "dana-1"); !p.Paid() {
			t.Fatalf("after payment: %s", p.Status)
		}
		p, _, err := s.Service.Refund(testenv.Ctx(t), "dana-1", payments.RefundRequest{Amount: 10000})
		if err != nil || p.Status != payments.StatusPartialRefund {
			t.Fatalf("DANA refund by transaction id: %s %v", p.Status, err)
		}
	})
}

// TestNotificationStorm: 50 concurrent copies of each settlement
// notification for 100 orders: one paid event per order. A copy answered
// "retry" (it waited longer than NotificationOptions.Wait for another copy,
// which a loaded machine can make happen) is delivered again, as Midtrans
// does; every copy must end processed or duplicate.
func TestNotificationStorm(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		const orders, copies = 100, 50
		bodies := make([][]byte, orders)
		for i := range orders {
			orderID := fmt.Sprintf("storm-%03d", i)
			p := charge(t, s, orderID, "gopay", nil)
			body, err := notify.Signed(env.Sim.ServerKey(), map[string]any{
				"order_id": orderID, "transaction_id": p.TransactionID, "status_code": "200",
				"gross_amount": "50000.00", "transaction_status": "settlement", "payment_type": "gopay", "fraud_status": "accept"})
			if err != nil {
				t.Fatal(err)
			}
			bodies[i] = body
		}
		env.Sim.SetNotificationURL("") // only the storm below reaches the handler
		for i := range orders {
			// The customer pays; Midtrans' own notification is lost, and
			// its copies arrive all at once.
			if err := env.Sim.Pay(fmt.Sprintf("storm-%03d", i)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		var mu sync.Mutex
		kinds := map[notify.Kind]int{}
		for i := range orders {
			for range copies {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					resp := s.handler.Handle(testenv.Ctx(t), bodies[i])
					for attempt := 0; resp.Kind == notify.Retry && attempt < 20; attempt++ {
						time.Sleep(100 * time.Millisecond)
						resp = s.handler.Handle(testenv.Ctx(t), bodies[i])
					}
					mu.Lock()
					kinds[resp.Kind]++
					mu.Unlock()
				}()
			}
		}
		wg.Wait()
		if kinds[notify.Processed]+kinds[notify.Duplicate] != orders*copies {
			t.Fatalf("results %v, want all processed or duplicate", kinds)
		}
		s.settle(t)
		for i := range orders {
			orderID := fmt.Sprintf("storm-%03d", i)
			if n := s.rec.count(orderID, payments.SignalPaid); n != 1 {
				t.Fatalf("%s: %d paid events", orderID, n)
			}
			if !get(t, s, orderID).Paid() {
				t.Fatalf("%s not paid", orderID)
			}
		}
	})
}

// TestDeliveryOrders: without confirmation the machine alone decides; every
// order of delivery ends where the table says, with one event per applied
// change.
func TestDeliveryOrders(t *testing.T) {
	type note struct{ status, code string }
	pending, settled, expired := note{"pending", "201"}, note{"settlement", "200"}, note{"expire", "202"}
	captured, refunded, denied := note{"capture", "200"}, note{"refund", "200"}, note{"deny", "202"}
	cases := []struct {
		name  string
		notes []note
		want  payments.Status
	}{
		{"pending-settlement-expire", []note{pending, settled, expired}, payments.StatusSettlement},
		{"capture-settlement-refund", []note{captured, settled, refunded}, payments.StatusRefund},
		{"settlement-deny-reversal", []note{settled, denied}, payments.StatusDeny},
	}
	// paid fires once when money-taken news comes before any news that the
	// money went back (refund) or never stayed (deny); if that news comes
	// first, the order is never fulfilled and paid never fires.
	wantPaid := func(order []note) int {
		for _, n := range order {
			switch n {
			case settled, captured:
				return 1
			case refunded, denied:
				return 0
			}
		}
		return 0
	}
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env, notify.WithoutConfirmation())
		env.Sim.SetNotificationURL("")
		n := 0
		for _, tc := range cases {
			for _, order := range permutations(tc.notes) {
				n++
				orderID := fmt.Sprintf("order-%s-%d", tc.name, n)
				method := "gopay"
				if order[0] == captured || tc.name == "capture-settlement-refund" {
					method = "credit_card"
				}
				var opts any
				if method == "credit_card" {
					opts = methods.CardOptions{TokenID: midtranstest.CardToken("4811111111111114")}
				}
				p := charge(t, s, orderID, method, opts)
				s.settle(t)
				before := len(s.rec.signals(orderID))
				applied := 0
				for _, nt := range order {
					body, _ := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": orderID, "transaction_id": p.TransactionID,
						"status_code": nt.code, "gross_amount": "50000.00", "transaction_status": nt.status, "fraud_status": "accept",
						"refund_amount": map[bool]string{true: "50000.00"}[nt == refunded]})
					resp := s.handler.Handle(testenv.Ctx(t), body)
					if !answered(resp) {
						t.Fatalf("%s: %s: %+v", orderID, nt.status, resp)
					}
					if resp.Decision == "applied" {
						applied++
					}
				}
				s.settle(t)
				got := get(t, s, orderID)
				if got.Status != tc.want {
					t.Fatalf("%s (%v) ended %s, want %s", tc.name, order, got.Status, tc.want)
				}
				changed := 0
				for _, sig := range s.rec.signals(orderID)[before:] {
					if sig == payments.SignalStatusChanged {
						changed++
					}
				}
				if changed != applied {
					t.Fatalf("%s: %d status_changed events for %d applied changes", orderID, changed, applied)
				}
				if paid := s.rec.count(orderID, payments.SignalPaid); paid != wantPaid(order) {
					t.Fatalf("%s (%v): %d paid events", tc.name, order, paid)
				}
			}
		}
	})
}

func permutations[T any](in []T) [][]T {
	if len(in) <= 1 {
		return [][]T{append([]T(nil), in...)}
	}
	var out [][]T
	for i := range in {
		rest := append(append([]T(nil), in[:i]...), in[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]T{in[i]}, p...))
		}
	}
	return out
}

// TestRejected: forged and malformed notifications are answered with the
// documented code and change nothing.
func TestRejected(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		p := charge(t, s, "victim-1", "bca_va", nil)
		s.settle(t)
		before := get(t, s, "victim-1")
		key := env.Sim.ServerKey()
		good := map[string]any{"order_id": "victim-1", "transaction_id": p.TransactionID, "status_code": "200",
			"gross_amount": "50000.00", "transaction_status": "settlement"}
		signed := func(k string, mutate func(m map[string]any)) []byte {
			m := map[string]any{}
			for a, b := range good {
				m[a] = b
			}
			if mutate != nil {
				mutate(m)
			}
			b, err := notify.Signed(k, m)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		tamper := func(body []byte, from, to string) []byte { return bytes.Replace(body, []byte(from), []byte(to), 1) }
		cases := []struct {
			name string
			body []byte
			code int
		}{
			{"wrong key", signed("SB-Mid-server-attacker", nil), http.StatusUnauthorized},
			{"tampered amount", tamper(signed(key, nil), `"gross_amount":"50000.00"`, `"gross_amount":"5000.00"`), http.StatusUnauthorized},
			{"tampered status code", tamper(signed(key, func(m map[string]any) { m["status_code"] = "201" }), `"status_code":"201"`, `"status_code":"200"`), http.StatusUnauthorized},
			{"forged signature", tamper(signed(key, nil), `"signature_key":"`, `"signature_key":"00`), http.StatusUnauthorized},
			{"malformed", []byte(`{"order_id": "victim-1", `), http.StatusBadRequest},
			{"not an object", []byte(`[1,2,3]`), http.StatusBadRequest},
			{"missing amount", signedMissing(t, key), http.StatusBadRequest},
			{"oversized", append([]byte(`{"order_id":"victim-1","pad":"`), append(bytes.Repeat([]byte("x"), notify.DefaultMaxBodySize), '"', '}')...), http.StatusRequestEntityTooLarge},
			{"test ping without signature", []byte(`{"order_id":"victim-1","status_code":"200","gross_amount":"50000.00","transaction_status":"settlement"}`), http.StatusOK},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := http.Post(s.hook.URL, "application/json", bytes.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.code {
					t.Fatalf("answered %d, want %d", resp.StatusCode, tc.code)
				}
				after := get(t, s, "victim-1")
				if after.Version != before.Version || after.Status != payments.StatusPending {
					t.Fatalf("%s changed the payment: %s v%d", tc.name, after.Status, after.Version)
				}
			})
		}
		s.settle(t)
		if n := s.rec.count("victim-1", payments.SignalPaid); n != 0 {
			t.Fatalf("forged notifications fired paid %d times", n)
		}
	})
}

func signedMissing(t *testing.T, key string) []byte {
	body, err := notify.Signed(key, map[string]any{"order_id": "victim-1", "status_code": "200", "gross_amount": "1.00"})
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Replace(body, []byte(`"gross_amount":"1.00",`), nil, 1)
}

// TestAmountMismatch: a correctly signed notification whose confirmed
// amount differs is recorded and signalled, never applied as paid.
func TestAmountMismatch(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env, notify.WithoutConfirmation())
		p := charge(t, s, "mismatch-1", "gopay", nil)
		body, _ := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": "mismatch-1", "transaction_id": p.TransactionID,
			"status_code": "200", "gross_amount": "5000.00", "transaction_status": "settlement"})
		resp := s.handler.Handle(testenv.Ctx(t), body)
		if resp.Kind != notify.Processed || resp.Decision != "stale" || !strings.Contains(resp.Message, "amount mismatch") {
			t.Fatalf("result %+v", resp)
		}
		s.settle(t)
		if got := get(t, s, "mismatch-1"); got.Paid() || got.Status != payments.StatusPending {
			t.Fatalf("mismatch applied: %s", got.Status)
		}
		if s.rec.count("mismatch-1", payments.SignalAmountMismatch) != 1 || s.rec.count("mismatch-1", payments.SignalPaid) != 0 {
			t.Fatalf("signals %v", s.rec.signals("mismatch-1"))
		}
	})
}

// TestConfirmationDecides: with confirmation on, a signed body claiming
// settlement for a payment Midtrans still has pending changes nothing.
func TestConfirmationDecides(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		p := charge(t, s, "confirm-1", "qris", nil)
		s.settle(t) // the simulator's own pending notification is done before faults are injected
		body, _ := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": "confirm-1", "transaction_id": p.TransactionID,
			"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement"})
		resp := s.handler.Handle(testenv.Ctx(t), body)
		if resp.Kind != notify.Processed || resp.Decision != "duplicate" {
			t.Fatalf("result %+v", resp)
		}
		if got := get(t, s, "confirm-1"); got.Status != payments.StatusPending {
			t.Fatalf("unconfirmed settlement applied: %s", got.Status)
		}
		// The status call failing is transient: 503 so Midtrans retries.
		env.Sim.FailNext(3, 503)
		body2, _ := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": "confirm-1", "transaction_id": p.TransactionID,
			"status_code": "202", "gross_amount": "50000.00", "transaction_status": "expire"})
		if resp := s.handler.Handle(testenv.Ctx(t), body2); resp.Kind != notify.Retry || resp.Err == nil {
			t.Fatalf("status call failing: %+v", resp)
		}
		// Once Midtrans answers again the retry is processed, not dropped as a duplicate.
		if resp := s.handler.Handle(testenv.Ctx(t), body2); resp.Kind != notify.Processed {
			t.Fatalf("retry after the failure: %+v", resp)
		}
	})
}

func TestUnknownOrderAndDuplicates(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env, notify.WithoutConfirmation())
		body, _ := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": "someone-elses", "status_code": "200",
			"gross_amount": "1000.00", "transaction_status": "settlement"})
		resp := s.handler.Handle(testenv.Ctx(t), body)
		if resp.Kind != notify.Ignored {
			t.Fatalf("unknown order: %+v", resp)
		}
		rec, err := env.Store.NotificationByDedupKey(testenv.Ctx(t), notifyKey(t, body))
		if err != nil || rec.State != payments.NotificationIgnored || rec.OrderID != "someone-elses" {
			t.Fatalf("unknown order not recorded: %+v %v", rec, err)
		}
		if resp := s.handler.Handle(testenv.Ctx(t), body); resp.Kind != notify.Duplicate {
			t.Fatalf("repeat: %+v", resp)
		}
	})
}

func notifyKey(t *testing.T, body []byte) string {
	n, err := notify.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return notify.DedupKey(n)
}

// TestSyntheticFixturesVerify: the recorded signature vectors verify with
// their key through the handler's parser and the package's Sign.
func TestSyntheticFixturesVerify(t *testing.T) {
	for _, name := range fixture.Glob(t, "recorded/synthetic/snap-notification-*.json") {
		n, err := notify.Parse(fixture.Bytes(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := notify.Sign("SB-Mid-server-test", n.OrderID, n.StatusCode, n.GrossAmount); got != n.SignatureKey {
			t.Errorf("%s: signature does not verify", name)
		}
	}
}

func TestNewValidatesOptions(t *testing.T) {
	env := testenv.New(t, sqlite(t), testenv.Config{})
	for _, opt := range []notify.Option{notify.WithServerKeys(" k"), notify.WithMaxBodySize(0), notify.WithServerKeys("")} {
		if _, err := notify.New(env.Service, opt); err == nil {
			t.Fatal("bad option accepted")
		}
	}
	if _, err := notify.New(nil); err == nil {
		t.Fatal("nil service accepted")
	}
	_ = errors.New
	_ = context.Background
}
