package payments_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
)

// TestStatesOf: a payment has outcome o exactly when one of StatesOf(o)
// matches it, for every status and fraud status, known or not; so a store
// that ORs the matches never needs the outcome rule itself.
func TestStatesOf(t *testing.T) {
	statuses := append(payments.Statuses(), "", "weird", "SETTLEMENT")
	frauds := []payments.FraudStatus{payments.FraudNone, payments.FraudAccept, payments.FraudChallenge, payments.FraudDeny, "weird", "ACCEPT"}
	outcomes := append(payments.Outcomes(), "nonsense")
	for _, s := range statuses {
		for _, f := range frauds {
			want := payments.OutcomeOf(s, f)
			if !slices.Contains(payments.Outcomes(), want) {
				t.Errorf("OutcomeOf(%q, %q) = %q is missing from Outcomes()", s, f, want)
			}
			for _, o := range outcomes {
				n := 0
				for _, m := range payments.StatesOf(o) {
					if m.Matches(s, f) {
						n++
					}
				}
				if (o == want) != (n == 1) || n > 1 {
					t.Errorf("(%q, %q) has outcome %q; %d of StatesOf(%q) match it", s, f, want, n, o)
				}
			}
		}
	}
	if m := payments.StatesOf("nonsense"); len(m) != 0 {
		t.Errorf("StatesOf(nonsense) = %+v", m)
	}
}

func TestPageCursor(t *testing.T) {
	at := time.Date(2026, 12, 2, 5, 0, 0, 123456000, time.UTC)
	c := payments.CursorAfter(&payments.Payment{ID: "01a2-x", CreatedAt: at})
	got, err := payments.ParsePageCursor(c)
	if err != nil || !got.CreatedAt.Equal(at) || got.ID != "01a2-x" {
		t.Fatalf("ParsePageCursor(%q) = %+v, %v", c, got, err)
	}
	for _, bad := range []string{"", "x", "djE6eDox", "djE6MTo", c + "!", "djI6MTp4"} {
		if _, err := payments.ParsePageCursor(bad); err == nil {
			t.Errorf("ParsePageCursor(%q) accepted", bad)
		}
	}
}

func TestPaymentQueryValidate(t *testing.T) {
	ok := payments.PaymentQuery{Statuses: []payments.Status{payments.StatusSettlement}, Outcomes: []payments.Outcome{payments.OutcomePaid},
		Methods: []string{"gopay"}, OrderIDPrefix: "INV-", CustomerEmail: "a@b.c", Limit: payments.MaxPageSize}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if (&payments.PaymentQuery{}).PageSize() != payments.DefaultPageSize {
		t.Error("default page size")
	}
	bad := payments.PaymentQuery{Statuses: []payments.Status{"paid"}, Outcomes: []payments.Outcome{"settlement"}, Limit: payments.MaxPageSize + 1,
		After: "??", OrderIDPrefix: "a b", Methods: []string{""}}
	err := bad.Validate()
	var ve *payments.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	for _, f := range []string{"statuses", "outcomes", "limit", "after", "order_id_prefix", "methods"} {
		if !ve.Has(f) {
			t.Errorf("%v does not name %s", err, f)
		}
	}
}

// TestServiceQueries: support staff find a payment, read its timeline and
// redeliver a dead event through the Service.
func TestServiceQueries(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	ctx := testenv.Ctx(t)
	for _, id := range []string{"ops-1", "ops-2", "other-3"} {
		if _, err := env.Service.CreateCharge(ctx, chargeReq(id, "gopay", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Sim.Pay("ops-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.Sync(ctx, "ops-2"); err != nil {
		t.Fatal(err)
	}

	page, err := env.Service.ListPayments(ctx, payments.PaymentQuery{OrderIDPrefix: "ops-", Outcomes: []payments.Outcome{payments.OutcomePaid}})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].OrderID != "ops-2" || page.Next != "" {
		t.Fatalf("paid ops-*: %+v, %v", page, err)
	}
	page, err = env.Service.ListPayments(ctx, payments.PaymentQuery{Limit: 2})
	if err != nil || len(page.Payments) != 2 || page.Payments[0].OrderID != "other-3" || page.Next == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	page, err = env.Service.ListPayments(ctx, payments.PaymentQuery{Limit: 2, After: page.Next})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].OrderID != "ops-1" || page.Next != "" {
		t.Fatalf("second page: %+v, %v", page, err)
	}
	var ve *payments.ValidationError
	if _, err := env.Service.ListPayments(ctx, payments.PaymentQuery{Limit: -1}); !errors.As(err, &ve) || !ve.Has("limit") {
		t.Fatalf("a negative limit: %v", err)
	}

	if _, err := env.Service.Timeline(ctx, "bad id!"); !errors.As(err, &ve) || !ve.Has("order_id") {
		t.Fatalf("Timeline of a bad order id: %v", err)
	}
	if _, err := env.Service.Timeline(ctx, "ops-none"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("Timeline of an unknown order: %v", err)
	}
	tl, err := env.Service.Timeline(ctx, "ops-2")
	if err != nil {
		t.Fatal(err)
	}
	if tl.Payment.Status != payments.StatusSettlement || len(tl.Audit) < 2 || len(tl.Events) == 0 {
		t.Fatalf("timeline of ops-2: %s, %d audit rows, %d events", show(tl.Payment), len(tl.Audit), len(tl.Events))
	}
	last := tl.Audit[len(tl.Audit)-1]
	if last.To.Status != payments.StatusSettlement || last.Source != payments.SourceSync {
		t.Errorf("last audit row %+v", last)
	}

	// A dead event goes back to the queue and is delivered.
	var (
		mu  sync.Mutex
		got []string
	)
	env.Service.Connect(payments.SignalCreated, func(_ context.Context, ev *payments.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.ID)
		return nil
	})
	st := env.Service.Store()
	claimed, err := st.ClaimEvents(ctx, "staff-test", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var dead *payments.OutboxEvent
	for _, ev := range claimed {
		if ev.OrderID == "ops-1" && ev.Signal == payments.SignalCreated {
			dead = ev
			if err := st.MarkDead(ctx, ev.Seq, "staff-test", "receiver gone"); err != nil {
				t.Fatal(err)
			}
		} else if err := st.MarkDelivered(ctx, ev.Seq, "staff-test"); err != nil {
			t.Fatal(err)
		}
	}
	if dead == nil {
		t.Fatalf("no created event of ops-1 among %d claimed", len(claimed))
	}
	if err := env.Service.RequeueEvent(ctx, ""); !errors.As(err, &ve) || !ve.Has("event_id") {
		t.Fatalf("RequeueEvent(\"\") = %v", err)
	}
	if err := env.Service.RequeueEvent(ctx, dead.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.RequeueEvent(ctx, dead.ID); !errors.Is(err, payments.ErrNotAllowed) {
		t.Fatalf("requeue of a pending event: %v", err)
	}
	if _, err := env.Service.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(got, dead.ID) {
		t.Fatalf("delivered %v, not the requeued %s", got, dead.ID)
	}
	if ev, err := st.Event(ctx, dead.ID); err != nil || ev.Dead || ev.DeliveredAt.IsZero() {
		t.Fatalf("requeued event after delivery: %+v, %v", ev, err)
	}
}
