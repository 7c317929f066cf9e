package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
)

// newWebhook serves the simulator's notifications through a new notify
// handler on the adapters' routes (webhook, in pay_account_test.go).
func newWebhook(t *testing.T, env *testenv.Env) *notify.Handler {
	t.Helper()
	h, err := notify.New(env.Service)
	if err != nil {
		t.Fatal(err)
	}
	webhook(t, env, h)
	return h
}

// savedToken charges a card with save_token_id and returns the token.
func savedToken(t *testing.T, env *testenv.Env, orderID string) string {
	t.Helper()
	opts := noThreeDS("4811111111111114")
	opts.SaveToken = true
	p, err := env.Service.CreateCharge(testenv.Ctx(t), chargeReq(orderID, "credit_card", opts))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		SavedTokenID string `json:"saved_token_id"`
	}
	if err := json.Unmarshal(p.ChargeResponse, &r); err != nil || r.SavedTokenID == "" {
		t.Fatalf("no saved_token_id in %s (%v)", p.ChargeResponse, err)
	}
	return r.SavedTokenID
}

func subscriptionReq(name, token string) *payments.SubscriptionRequest {
	return &payments.SubscriptionRequest{Name: name, Amount: 99000, PaymentType: payments.SubscriptionCard, Token: token,
		Interval: 1, IntervalUnit: payments.IntervalMonth, MaxInterval: 12, Customer: customer(),
		Metadata: json.RawMessage(`{"plan":"gold"}`)}
}

// signalLog records every delivered event by what it is about.
type signalLog struct {
	mu    sync.Mutex
	byKey map[string][]payments.Signal // order id, or "sub:" + subscription id
	ids   map[string]int
}

func connectAll(svc *payments.Service) *signalLog {
	l := &signalLog{byKey: map[string][]payments.Signal{}, ids: map[string]int{}}
	for _, sig := range payments.Signals() {
		svc.Connect(sig, func(_ context.Context, e *payments.Event) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.ids[e.ID]++
			key := "?"
			switch {
			case e.Payment != nil:
				key = e.Payment.OrderID
			case e.Subscription != nil:
				key = "sub:" + e.Subscription.ID
				if e.Subscription.Token != "" {
					key = "token leaked"
				}
			}
			l.byKey[key] = append(l.byKey[key], e.Signal)
			return nil
		})
	}
	return l
}

func (l *signalLog) count(key string, sig payments.Signal) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.byKey[key] {
		if s == sig {
			n++
		}
	}
	return n
}

// TestSubscriptionEndToEnd: a card subscription on a saved token; two
// recurring charges (one paid, one denied) arrive as signed notifications,
// become payments linked to the subscription and fire the usual signals
// plus the subscription ones, once each; disabled, it charges no more.
func TestSubscriptionEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{Options: []payments.Option{fastDelivery(5)}})
		svc := env.Service
		ctx := testenv.Ctx(t)
		hook := newWebhook(t, env)
		log := connectAll(svc)
		token := savedToken(t, env, "first-order")

		sub, err := svc.CreateSubscription(ctx, subscriptionReq("gold-monthly", token))
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != payments.SubscriptionActive || sub.MidtransID == "" || sub.Schedule.NextExecutionAt.IsZero() ||
			sub.Version != 2 || sub.Token != token {
			t.Fatalf("created = %+v", sub)
		}
		// The name is taken: nothing more is sent.
		calls := len(env.Sim.Calls())
		if _, err := svc.CreateSubscription(ctx, subscriptionReq("gold-monthly", token)); !errors.Is(err, payments.ErrDuplicateSubscription) {
			t.Fatalf("same name again: %v", err)
		}
		if len(env.Sim.Calls()) != calls {
			t.Fatal("a duplicate subscription reached Midtrans")
		}

		paid, err := env.Sim.ChargeSubscription(sub.MidtransID, midtranstest.RecurringApproved)
		if err != nil {
			t.Fatal(err)
		}
		denied, err := env.Sim.ChargeSubscription(sub.MidtransID, midtranstest.RecurringDenied)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		ps, err := svc.SubscriptionPayments(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 {
			t.Fatalf("%d payments for the subscription, want 2: %v", len(ps), ps)
		}
		got := map[string]*payments.Payment{ps[0].OrderID: ps[0], ps[1].OrderID: ps[1]}
		pp, dp := got[paid.OrderID], got[denied.OrderID]
		if pp == nil || dp == nil {
			t.Fatalf("payments %v, want orders %s and %s", ps, paid.OrderID, denied.OrderID)
		}
		if pp.Outcome() != payments.OutcomePaid || pp.SubscriptionID != sub.ID || pp.TransactionID != paid.TransactionID ||
			pp.Amount != 99000 || pp.PaidAt.IsZero() {
			t.Fatalf("paid charge = %s", show(pp))
		}
		if dp.Status != payments.StatusDeny || dp.Outcome() != payments.OutcomeFailed || dp.SubscriptionID != sub.ID {
			t.Fatalf("denied charge = %s", show(dp))
		}
		// The charges refreshed the schedule.
		if cur, err := svc.Subscription(ctx, sub.ID); err != nil || cur.Schedule.CurrentInterval != 2 {
			t.Fatalf("after two charges: %+v, %v", cur, err)
		}

		// A look-alike order id whose transaction Midtrans does not list
		// is not adopted.
		fake := mustSigned(t, env, map[string]any{"order_id": "SUBS-gold-monthly-0123456789", "transaction_id": "not-listed",
			"status_code": "200", "transaction_status": "capture", "fraud_status": "accept", "gross_amount": "99000.00",
			"payment_type": "credit_card"})
		if r := hook.Handle(ctx, fake); r.Kind != notify.Ignored {
			t.Fatalf("look-alike charge: %v %v", r.Kind, r.Err)
		}

		off, err := svc.DisableSubscription(payments.WithActor(ctx, "ops@example.com"), sub.ID)
		if err != nil || off.Status != payments.SubscriptionInactive {
			t.Fatalf("disable: %+v, %v", off, err)
		}
		if _, err := env.Sim.ChargeSubscription(sub.MidtransID, midtranstest.RecurringApproved); !errors.Is(err, midtranstest.ErrInvalidState) {
			t.Fatalf("a disabled subscription charged: %v", err)
		}
		if ps, _ := svc.SubscriptionPayments(ctx, sub.ID); len(ps) != 2 {
			t.Fatalf("%d payments after disable", len(ps))
		}

		drainDelivery(t, svc)
		for _, c := range []struct {
			key  string
			sig  payments.Signal
			want int
		}{
			{"sub:" + sub.ID, payments.SignalSubscriptionCreated, 1},
			{"sub:" + sub.ID, payments.SignalSubscriptionDisabled, 1},
			{paid.OrderID, payments.SignalCreated, 1},
			{paid.OrderID, payments.SignalPaid, 1},
			{paid.OrderID, payments.SignalSubscriptionCharged, 1},
			{paid.OrderID, payments.SignalSubscriptionFailed, 0},
			{denied.OrderID, payments.SignalDenied, 1},
			{denied.OrderID, payments.SignalSubscriptionFailed, 1},
			{denied.OrderID, payments.SignalSubscriptionCharged, 0},
			{"first-order", payments.SignalSubscriptionCharged, 0},
		} {
			if n := log.count(c.key, c.sig); n != c.want {
				t.Errorf("%s %s fired %d times, want %d (all: %v)", c.key, c.sig, n, c.want, log.byKey[c.key])
			}
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if _, ok := log.byKey["token leaked"]; ok {
			t.Error("a subscription event carried the token")
		}
		for id, n := range log.ids {
			if n != 1 {
				t.Errorf("event %s delivered %d times", id, n)
			}
		}
	})
}

func mustSigned(t *testing.T, env *testenv.Env, fields map[string]any) []byte {
	t.Helper()
	b, err := notify.Signed(env.Sim.ServerKey(), fields)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSubscriptionValidation: bad input is a *ValidationError naming every
// field; nothing is stored or sent.
func TestSubscriptionValidation(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	ctx := testenv.Ctx(t)
	bad := &payments.SubscriptionRequest{Name: "no spaces allowed", Amount: -1, PaymentType: "ovo", Interval: 0,
		IntervalUnit: "year", MaxInterval: -2, StartTime: time.Now().Add(-time.Hour), Metadata: json.RawMessage(`[1]`),
		Customer: &payments.Customer{Email: "not-an-email"}}
	_, err := env.Service.CreateSubscription(ctx, bad)
	var ve *payments.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, payments.ErrValidation) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]bool{}
	for _, f := range ve.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"name", "amount", "payment_type", "token", "schedule.interval", "schedule.interval_unit",
		"schedule.max_interval", "schedule.start_time", "metadata"} {
		if !fields[want] {
			t.Errorf("no error for %s in %v", want, ve.Fields)
		}
	}
	if _, err := env.Service.CreateSubscription(ctx, nil); !errors.Is(err, payments.ErrValidation) {
		t.Errorf("nil request: %v", err)
	}
	// A valid request with a bad customer is refused too.
	req := subscriptionReq("fine", "tok")
	req.Customer = &payments.Customer{Email: "not-an-email"}
	_, err = env.Service.CreateSubscription(ctx, req)
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "customer_details.email" {
		t.Errorf("bad customer: %v", err)
	}
	if len(env.Sim.Calls()) != 0 {
		t.Errorf("%d calls reached Midtrans", len(env.Sim.Calls()))
	}
	if _, err := env.Store.SubscriptionByName(ctx, "fine"); !errors.Is(err, payments.ErrSubscriptionNotFound) {
		t.Errorf("something was stored: %v", err)
	}
	for name, u := range map[string]*payments.SubscriptionUpdate{
		"nil": nil, "empty": {}, "bad name": {Name: "a b"}, "negative": {Amount: -5},
	} {
		if _, err := env.Service.UpdateSubscription(ctx, "x", u); !errors.Is(err, payments.ErrValidation) {
			t.Errorf("update %s: %v", name, err)
		}
	}
}

// TestSubscriptionRefusedAndUpdated: Midtrans refusing a subscription
// frees its name; an update reaches Midtrans and is stored; enable after
// disable charges again.
func TestSubscriptionRefusedAndUpdated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		svc := env.Service
		ctx := testenv.Ctx(t)
		_, err := svc.CreateSubscription(ctx, subscriptionReq("silver", "not-a-saved-token"))
		if err == nil || !strings.Contains(err.Error(), "token is invalid") {
			t.Fatalf("refused: %v", err)
		}
		if _, err := env.Store.SubscriptionByName(ctx, "silver"); !errors.Is(err, payments.ErrSubscriptionNotFound) {
			t.Fatalf("a refused subscription stayed: %v", err)
		}
		token := savedToken(t, env, "card-for-silver")
		sub, err := svc.CreateSubscription(ctx, subscriptionReq("silver", token))
		if err != nil {
			t.Fatal(err)
		}
		up, err := svc.UpdateSubscription(ctx, sub.ID, &payments.SubscriptionUpdate{Amount: 120000, Interval: 3})
		if err != nil || up.Amount != 120000 || up.Schedule.Interval != 3 {
			t.Fatalf("update: %+v, %v", up, err)
		}
		if s, ok := env.Sim.Subscription(sub.MidtransID); !ok || s.Amount != 120000 || s.Interval != 3 {
			t.Fatalf("simulator has %+v", s)
		}
		if _, err := svc.DisableSubscription(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		on, err := svc.EnableSubscription(ctx, sub.ID)
		if err != nil || on.Status != payments.SubscriptionActive {
			t.Fatalf("enable: %+v, %v", on, err)
		}
		if _, err := env.Sim.ChargeSubscription(sub.MidtransID, midtranstest.RecurringByToken); err != nil {
			t.Fatalf("enabled, yet: %v", err)
		}
		synced, err := svc.SyncSubscription(ctx, sub.ID)
		if err != nil || synced.Schedule.CurrentInterval != 1 {
			t.Fatalf("sync: %+v, %v", synced, err)
		}
		if _, err := svc.Subscription(ctx, "nope"); !errors.Is(err, payments.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	})
}

// TestSubscriptionGoPay: a GoPay subscription charges the linked account;
// its charge becomes a settled payment of method gopay.
func TestSubscriptionGoPay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		newWebhook(t, env)
		ctx := testenv.Ctx(t)
		req := subscriptionReq("gopay-weekly", "eyJ0eXBlIjogIkdPUEFZX1dBTExFVCJ9")
		req.PaymentType, req.IntervalUnit = payments.SubscriptionGoPay, payments.IntervalWeek
		if _, err := env.Service.CreateSubscription(ctx, req); !errors.Is(err, payments.ErrValidation) {
			t.Fatalf("gopay without an account: %v", err)
		}
		req.GoPayAccountID = "00000269-7836-49e5-bc65-e592afafec14"
		sub, err := env.Service.CreateSubscription(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := env.Sim.Subscription(sub.MidtransID); !ok || s.PaymentType != "gopay" || s.IntervalUnit != "week" {
			t.Fatalf("simulator has %+v", s)
		}
		tr, err := env.Sim.ChargeSubscription(sub.MidtransID, midtranstest.RecurringByToken)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := env.Service.Payment(ctx, tr.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Method != "gopay" || p.Status != payments.StatusSettlement || p.SubscriptionID != sub.ID {
			t.Fatalf("gopay charge = %s", show(p))
		}
	})
}

// TestSubscriptionUnknownOutcomeResumes: a create whose answer is lost
// stays initiated; creating it again sends the same idempotency key, so
// Midtrans ends up with one subscription, which is then stored.
func TestSubscriptionUnknownOutcomeResumes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{Client: func(c *midtrans.Config) {
			c.MaxRetries = -1
			c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		}})
		ctx := testenv.Ctx(t)
		token := savedToken(t, env, "resume-first")
		env.Sim.DropNextResponses(1)
		sub, err := env.Service.CreateSubscription(ctx, subscriptionReq("resumed", token))
		if !errors.Is(err, payments.ErrOutcomeUnknown) || sub == nil || sub.Status != payments.SubscriptionInitiated {
			t.Fatalf("lost answer: %+v, %v", sub, err)
		}
		// Not confirmed: operations wait for it.
		if _, err := env.Service.DisableSubscription(ctx, sub.ID); !errors.Is(err, payments.ErrNotAllowed) {
			t.Fatalf("disable an initiated subscription: %v", err)
		}
		again, err := env.Service.CreateSubscription(ctx, subscriptionReq("resumed", token))
		if err != nil || again.ID != sub.ID || again.Status != payments.SubscriptionActive {
			t.Fatalf("resumed: %+v, %v", again, err)
		}
		var keys []string
		for _, c := range env.Sim.Calls() {
			if c.Path == "/v1/subscriptions" {
				keys = append(keys, c.IdempotencyKey)
			}
		}
		if len(keys) != 2 || keys[0] != sub.ID || keys[1] != sub.ID {
			t.Fatalf("create calls with keys %v, want two with %s", keys, sub.ID)
		}
		if s, ok := env.Sim.Subscription(again.MidtransID); !ok || s.Name != "resumed" {
			t.Fatalf("simulator has %+v", s)
		}
		// A different request under the same name is a duplicate, not a resume.
		other := subscriptionReq("resumed", token)
		other.Amount = 1
		if _, err := env.Service.CreateSubscription(ctx, other); !errors.Is(err, payments.ErrDuplicateSubscription) {
			t.Fatalf("another request, same name: %v", err)
		}
	})
}

// FuzzRecurringName: a name read from an order id is one a subscription
// may have, and the order id Midtrans makes from it reads back to it.
func FuzzRecurringName(f *testing.F) {
	for _, s := range []string{"SUBS-gold-monthly-0123456789", "gold-0123456789", "SUBS--0123456789", "SUBS-a-012345678x", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, orderID string) {
		name, ok := payments.RecurringName(orderID)
		if !ok {
			return
		}
		if name == "" || len(name) > payments.MaxSubscriptionNameLen || !payments.ValidOrderID(name) {
			t.Fatalf("RecurringName(%q) = %q, not a subscription name", orderID, name)
		}
		made := "SUBS-" + name + "-0123456789"
		if !payments.ValidOrderID(made) {
			t.Fatalf("order id %q made from %q is not valid", made, name)
		}
		if back, ok := payments.RecurringName(made); !ok || back != name {
			t.Fatalf("RecurringName(%q) = %q, %v; want %q", made, back, ok, name)
		}
	})
}

// TestSubscriptionNeverPrintsToken: fmt and slog show a subscription
// without its token.
func TestSubscriptionNeverPrintsToken(t *testing.T) {
	sub := payments.Subscription{ID: "s1", Name: "gold", Token: "48111111secrettoken1114", Amount: 1000}
	var buf strings.Builder
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "sub", sub, "ptr", &sub)
	for _, s := range []string{fmt.Sprintf("%v", sub), fmt.Sprintf("%+v", &sub), fmt.Sprint(sub), buf.String()} {
		if strings.Contains(s, "secrettoken") {
			t.Errorf("token printed: %s", s)
		}
		if !strings.Contains(s, "gold") {
			t.Errorf("name missing: %s", s)
		}
	}
	b, _ := json.Marshal(sub)
	if strings.Contains(string(b), "secrettoken") {
		t.Errorf("token in JSON: %s", b)
	}
}
