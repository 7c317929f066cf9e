package payments_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

func planBase() *payments.Payment {
	created := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	return &payments.Payment{
		ID: "pay-1", OrderID: "INV-1", Method: "bca_va", Amount: 100000, Currency: "IDR",
		Status: payments.StatusPending, TransactionID: "tx-1", PaymentType: "bank_transfer",
		Instructions: payments.Instructions{VANumber: "123", Bank: "bca"},
		Version:      2, CreatedAt: created, UpdatedAt: created,
	}
}

func signalsOf(evs []payments.Event) []payments.Signal {
	out := make([]payments.Signal, len(evs))
	for i, e := range evs {
		out[i] = e.Signal
	}
	return out
}

// TestPlanAppliedBringsFacts: an applied change carries every fact it
// brings, Midtrans' own times and custom fields included, sets PaidAt once,
// bumps the version and fires the signals.
func TestPlanAppliedBringsFacts(t *testing.T) {
	prev := planBase()
	now := time.Date(2026, 12, 2, 4, 0, 0, 123456789, time.FixedZone("WIB", 7*3600))
	settled := time.Date(2026, 12, 2, 3, 59, 0, 0, time.UTC)
	c := &payments.Change{
		OrderID: "INV-1", To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification,
		StatusMessage: "settled", SettlementTime: settled, TransactionTime: prev.CreatedAt,
		CustomField1: "cf1", CustomField2: "cf2", CustomField3: "cf3",
		Instructions: &payments.Instructions{MerchantID: "G123"},
		Payload:      json.RawMessage(`{"transaction_status":"settlement"}`),
	}
	before := *prev
	plan := payments.Plan(prev, c, now)
	if !reflect.DeepEqual(*prev, before) {
		t.Fatal("Plan changed prev")
	}
	if plan.Verdict.Decision != payments.Applied || plan.Next == nil {
		t.Fatalf("verdict %+v next %v", plan.Verdict, plan.Next)
	}
	n := plan.Next
	want := now.UTC().Truncate(time.Microsecond)
	if n.Status != payments.StatusSettlement || n.Version != 3 || !n.UpdatedAt.Equal(want) || n.UpdatedAt.Location() != time.UTC ||
		!n.PaidAt.Equal(want) || !n.SettlementTime.Equal(settled) || !n.TransactionTime.Equal(prev.CreatedAt) ||
		n.CustomField1 != "cf1" || n.CustomField2 != "cf2" || n.CustomField3 != "cf3" ||
		n.MerchantID != "G123" || n.VANumber != "123" || n.StatusMessage != "settled" {
		t.Fatalf("next %+v", n)
	}
	if got, want := signalsOf(plan.Events), []payments.Signal{payments.SignalPaid, payments.SignalStatusChanged}; !reflect.DeepEqual(got, want) {
		t.Fatalf("signals %v, want %v", got, want)
	}
	for _, e := range plan.Events {
		if e.ID == "" || e.Payment != n || e.Previous != prev.State() || e.Current != n.State() {
			t.Fatalf("event %+v", e)
		}
	}
	if plan.Audit.PaymentID != "pay-1" || plan.Audit.From != prev.State() || plan.Audit.To != c.To ||
		plan.Audit.Decision != payments.Applied || string(plan.Audit.Payload) != string(c.Payload) {
		t.Fatalf("audit %+v", plan.Audit)
	}

	// Paid again after a reversal round trip keeps the first PaidAt and
	// fires no second paid.
	again := payments.Plan(n, &payments.Change{OrderID: "INV-1", To: payments.State{Status: payments.StatusSettlement},
		Source: payments.SourceSync}, now.Add(time.Hour))
	if again.Verdict.Decision != payments.Duplicate || again.Next != nil || len(again.Events) != 0 {
		t.Fatalf("repeat: %+v", again)
	}
}

// TestPlanNotAppliedFillsOnly: a duplicate or stale report fills what the
// payment lacks (merchant id, expiry, Midtrans times, custom fields) and
// never overwrites what it has; one that brings nothing new writes nothing.
func TestPlanNotAppliedFillsOnly(t *testing.T) {
	prev := planBase()
	exp := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, to := range []payments.Status{payments.StatusPending, payments.StatusInitiated} {
		c := &payments.Change{OrderID: "INV-1", To: payments.State{Status: to}, Source: payments.SourceSync,
			TransactionID: "tx-other", ExpiresAt: exp, CustomField1: "cf1",
			Instructions: &payments.Instructions{VANumber: "999", MerchantID: "G123"}}
		plan := payments.Plan(prev, c, time.Now())
		if plan.Verdict.Decision == payments.Applied || len(plan.Events) != 0 || plan.Next == nil {
			t.Fatalf("%s: %+v", to, plan)
		}
		n := plan.Next
		if n.TransactionID != "tx-1" || n.VANumber != "123" || n.Status != payments.StatusPending ||
			n.MerchantID != "G123" || !n.ExpiresAt.Equal(exp) || n.CustomField1 != "cf1" || n.Version != prev.Version+1 {
			t.Fatalf("%s: next %+v", to, n)
		}
		// The same report again brings nothing: no write.
		if again := payments.Plan(n, c, time.Now()); again.Next != nil {
			t.Fatalf("%s: a report with nothing new writes %+v", to, again.Next)
		}
	}
}

// TestPlanRejected: an amount mismatch changes nothing and fires its own
// signal; a change given up after losing to concurrent ones brings nothing.
func TestPlanRejected(t *testing.T) {
	prev := planBase()
	c := &payments.Change{OrderID: "INV-1", To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification,
		Reject: payments.ReasonAmountMismatch, TransactionID: "tx-x", Instructions: &payments.Instructions{MerchantID: "G9"}}
	plan := payments.Plan(prev, c, time.Now())
	if plan.Verdict.Decision != payments.Stale || plan.Next != nil ||
		!reflect.DeepEqual(signalsOf(plan.Events), []payments.Signal{payments.SignalAmountMismatch}) {
		t.Fatalf("mismatch plan %+v", plan)
	}
	c.Reject = ""
	gave := payments.Plan(prev, c.GiveUp(), time.Now())
	if gave.Verdict.Reason != payments.ReasonConcurrent || gave.Next != nil || len(gave.Events) != 0 {
		t.Fatalf("give-up plan %+v", gave)
	}
	if c.Reject != "" {
		t.Fatal("GiveUp changed the change")
	}
}

// TestPlanRefundedOnlyGrows: a report of a smaller refunded total never
// lowers what the payment says was refunded.
func TestPlanRefundedOnlyGrows(t *testing.T) {
	prev := planBase()
	prev.Status, prev.RefundedAmount = payments.StatusPartialRefund, 30000
	plan := payments.Plan(prev, &payments.Change{OrderID: "INV-1", To: payments.State{Status: payments.StatusRefund, Refunded: 10000},
		Source: payments.SourceNotification}, time.Now())
	if plan.Next == nil || plan.Next.RefundedAmount != 30000 || plan.Next.Status != payments.StatusRefund {
		t.Fatalf("plan %+v", plan.Next)
	}
}

// TestPlanCreate: defaults, validation naming every field, and the created
// event and audit row.
func TestPlanCreate(t *testing.T) {
	plan, err := payments.PlanCreate(&payments.Payment{OrderID: "INV-2", Method: "gopay", Amount: 5000}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n := plan.Next
	if n.ID == "" || n.Status != payments.StatusInitiated || n.Currency != "IDR" || n.Version != 1 || n.CreatedAt.IsZero() ||
		!reflect.DeepEqual(signalsOf(plan.Events), []payments.Signal{payments.SignalCreated}) || plan.Audit.PaymentID != n.ID {
		t.Fatalf("plan %+v", plan)
	}
	_, err = payments.PlanCreate(&payments.Payment{Status: "weird"}, time.Now())
	var ve *payments.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 4 {
		t.Fatalf("err %v", err)
	}
}
