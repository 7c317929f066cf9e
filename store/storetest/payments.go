package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newPayment(orderID string) *payments.Payment {
	return &payments.Payment{
		OrderID: orderID,
		Method:  "bca_va",
		Amount:  150000,
		Customer: &payments.Customer{
			FirstName: "Budi", LastName: "Utomo", Email: "budi@example.com", Phone: "081223323423",
			ShippingAddress: &payments.Address{Address: "Jl. Sudirman 1", City: "Jakarta", PostalCode: "10220", CountryCode: "IDN"},
		},
		Items: []payments.Item{
			{ID: "sku-1", Name: "Kopi", Price: 50000, Quantity: 2},
			{ID: "sku-2", Name: "Teh", Price: 50000, Quantity: 1},
		},
		Metadata:     json.RawMessage(`{"cart":"c-1","n":1}`),
		CustomField1: "one", CustomField2: "two", CustomField3: "three",
	}
}

func mustCreate(t *testing.T, s payments.Store, orderID string) *payments.Payment {
	t.Helper()
	p := newPayment(orderID)
	if err := s.CreatePayment(ctxT(t), p); err != nil {
		t.Fatalf("CreatePayment(%s): %v", orderID, err)
	}
	return p
}

func mustApply(t *testing.T, s payments.Store, c *payments.Change) *payments.ApplyResult {
	t.Helper()
	res, err := s.Apply(ctxT(t), c)
	if err != nil {
		t.Fatalf("Apply(%s → %s): %v", c.OrderID, c.To.Status, err)
	}
	return res
}

func change(orderID string, to payments.Status) *payments.Change {
	return &payments.Change{OrderID: orderID, To: payments.State{Status: to}, Source: payments.SourceNotification}
}

func mustGet(t *testing.T, s payments.Store, orderID string) *payments.Payment {
	t.Helper()
	p, err := s.Payment(ctxT(t), orderID)
	if err != nil {
		t.Fatalf("Payment(%s): %v", orderID, err)
	}
	return p
}

func history(t *testing.T, s payments.Store, p *payments.Payment) []payments.AuditEntry {
	t.Helper()
	h, err := s.History(ctxT(t), p.ID)
	if err != nil {
		t.Fatalf("History(%s): %v", p.OrderID, err)
	}
	return h
}

// drain claims every due event and returns them in claim order,
// acknowledging each, so later events of the same payment become due.
func drain(t *testing.T, s payments.Store) []*payments.OutboxEvent {
	t.Helper()
	var out []*payments.OutboxEvent
	for {
		evs, err := s.ClaimEvents(ctxT(t), "drain", 100, time.Minute)
		if err != nil {
			t.Fatalf("ClaimEvents: %v", err)
		}
		if len(evs) == 0 {
			return out
		}
		for _, e := range evs {
			if err := s.MarkDelivered(ctxT(t), e.Seq, "drain"); err != nil {
				t.Fatalf("MarkDelivered(%d): %v", e.Seq, err)
			}
			out = append(out, e)
		}
	}
}

func signals(evs []*payments.OutboxEvent) []payments.Signal {
	out := make([]payments.Signal, len(evs))
	for i, e := range evs {
		out[i] = e.Signal
	}
	return out
}

func equalSignals(a, b []payments.Signal) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func testCreateAndRead(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	p := newPayment("order-create-1")
	p.ExpiresAt = time.Date(2026, 11, 22, 9, 30, 0, 123456000, time.FixedZone("WIB", 7*3600))
	p.Instructions = payments.Instructions{VANumber: "812785002530231", Bank: "bca",
		Actions: []payments.Action{{Name: "get-status", Method: "GET", URL: "https://example/status"}}}
	p.ChargeResponse = json.RawMessage(`{"status_code":"201",  "va_numbers":[{"bank":"bca"}]}`)
	before := time.Now().Add(-time.Minute)
	if err := s.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || p.Version != 1 || p.Status != payments.StatusInitiated || p.Currency != "IDR" {
		t.Fatalf("CreatePayment did not fill id/version/status/currency: %+v", p)
	}
	if p.CreatedAt.Before(before) || !p.CreatedAt.Equal(p.UpdatedAt) {
		t.Fatalf("timestamps not set: created %v updated %v", p.CreatedAt, p.UpdatedAt)
	}
	for _, get := range []func() (*payments.Payment, error){
		func() (*payments.Payment, error) { return s.Payment(ctx, "order-create-1") },
	} {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != p.ID || got.OrderID != p.OrderID || got.Amount != 150000 || got.Method != "bca_va" ||
			got.Status != payments.StatusInitiated || got.Version != 1 {
			t.Fatalf("read back %+v", got)
		}
		if !got.ExpiresAt.Equal(p.ExpiresAt) || got.ExpiresAt.Location() != time.UTC {
			t.Fatalf("expires_at %v, want %v in UTC", got.ExpiresAt, p.ExpiresAt)
		}
		if !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("created_at %v, want %v", got.CreatedAt, p.CreatedAt)
		}
		if got.VANumber != "812785002530231" || got.Bank != "bca" {
			t.Fatalf("instructions lost: %+v", got.Instructions)
		}
		if a, ok := got.Action("get-status"); !ok || a.URL != "https://example/status" {
			t.Fatalf("actions lost: %+v", got.Actions)
		}
		if got.Customer == nil || got.Customer.Email != "budi@example.com" || got.Customer.ShippingAddress == nil ||
			got.Customer.ShippingAddress.CountryCode != "IDN" {
			t.Fatalf("customer lost: %+v", got.Customer)
		}
		if len(got.Items) != 2 || got.Items[0].Price != 50000 || got.Items[0].Quantity != 2 {
			t.Fatalf("items lost: %+v", got.Items)
		}
		if got.CustomField1 != "one" || got.CustomField2 != "two" || got.CustomField3 != "three" {
			t.Fatalf("custom fields lost: %+v", got)
		}
		var meta map[string]any
		if err := json.Unmarshal(got.Metadata, &meta); err != nil || meta["cart"] != "c-1" {
			t.Fatalf("metadata lost: %s", got.Metadata)
		}
		if string(got.ChargeResponse) != string(p.ChargeResponse) {
			t.Fatalf("charge response not kept byte for byte: %s", got.ChargeResponse)
		}
	}
	h := history(t, s, p)
	if len(h) != 1 || h[0].Decision != payments.Applied || h[0].To.Status != payments.StatusInitiated || h[0].Source != payments.SourceCharge {
		t.Fatalf("creation audit: %+v", h)
	}
	evs := drain(t, s)
	if len(evs) != 1 || evs[0].Signal != payments.SignalCreated || evs[0].PaymentID != p.ID || evs[0].OrderID != p.OrderID {
		t.Fatalf("created event: %+v", evs)
	}
}

func testCreateDuplicateOrder(t *testing.T, s payments.Store) {
	first := mustCreate(t, s, "order-dup")
	second := newPayment("order-dup")
	second.Amount = 999
	err := s.CreatePayment(ctxT(t), second)
	if !errors.Is(err, payments.ErrDuplicateOrder) {
		t.Fatalf("second CreatePayment: %v, want ErrDuplicateOrder", err)
	}
	if !strings.Contains(err.Error(), "order-dup") {
		t.Fatalf("error %q does not name the order", err)
	}
	got := mustGet(t, s, "order-dup")
	if got.ID != first.ID || got.Amount != 150000 {
		t.Fatalf("first payment changed: %+v", got)
	}
	if h := history(t, s, got); len(h) != 1 {
		t.Fatalf("duplicate wrote audit rows: %+v", h)
	}
	if evs := drain(t, s); len(evs) != 1 {
		t.Fatalf("duplicate wrote outbox events: %v", signals(evs))
	}
}

func testCreateValidation(t *testing.T, s payments.Store) {
	cases := map[string]func(p *payments.Payment){
		"order_id":           func(p *payments.Payment) { p.OrderID = "" },
		"gross_amount":       func(p *payments.Payment) { p.Amount = 0 },
		"method":             func(p *payments.Payment) { p.Method = "" },
		"metadata":           func(p *payments.Payment) { p.Metadata = json.RawMessage(`{bad`) },
		"transaction_status": func(p *payments.Payment) { p.Status = "nonsense" },
	}
	for field, mutate := range cases {
		p := newPayment("order-invalid-" + field)
		mutate(p)
		err := s.CreatePayment(ctxT(t), p)
		var ve *payments.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, payments.ErrValidation) || !ve.Has(field) {
			t.Errorf("%s: CreatePayment = %v, want a ValidationError naming %s", field, err, field)
		}
		if p.OrderID != "" {
			if _, err := s.Payment(ctxT(t), p.OrderID); !errors.Is(err, payments.ErrNotFound) {
				t.Errorf("%s: invalid payment was stored (%v)", field, err)
			}
		}
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("invalid payments wrote events: %v", signals(evs))
	}
}

func testNotFound(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	if _, err := s.Payment(ctx, "missing"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("Payment(missing) = %v", err)
	}
	if _, err := s.PaymentByTransactionID(ctx, "missing"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("PaymentByTransactionID(missing) = %v", err)
	}
	if _, err := s.PaymentByTransactionID(ctx, ""); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("PaymentByTransactionID(\"\") = %v", err)
	}
	if _, err := s.Apply(ctx, change("missing", payments.StatusPending)); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("Apply(missing) = %v", err)
	}
	if _, err := s.Event(ctx, "missing"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("Event(missing) = %v", err)
	}
	if _, err := s.NotificationByDedupKey(ctx, "missing"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("NotificationByDedupKey(missing) = %v", err)
	}
}

func testApplyThroughStatusMachine(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-sm")
	drain(t, s)
	steps := []struct {
		to      payments.Status
		want    payments.Decision
		version int64
		signals []payments.Signal
	}{
		{payments.StatusPending, payments.Applied, 2, []payments.Signal{payments.SignalPending, payments.SignalStatusChanged}},
		{payments.StatusPending, payments.Duplicate, 2, nil},
		{payments.StatusSettlement, payments.Applied, 3, []payments.Signal{payments.SignalPaid, payments.SignalStatusChanged}},
		{payments.StatusPending, payments.Stale, 3, nil},
		{payments.StatusExpire, payments.Stale, 3, nil},
		{payments.StatusSettlement, payments.Duplicate, 3, nil},
	}
	for i, st := range steps {
		res := mustApply(t, s, change("order-sm", st.to))
		if res.Verdict.Decision != st.want {
			t.Fatalf("step %d → %s: %s (%s), want %s", i, st.to, res.Verdict.Decision, res.Verdict.Reason, st.want)
		}
		if res.Payment.Version != st.version {
			t.Fatalf("step %d: version %d, want %d", i, res.Payment.Version, st.version)
		}
		if !equalSignals(signals(res.Events), st.signals) {
			t.Fatalf("step %d: events %v, want %v", i, signals(res.Events), st.signals)
		}
		got := mustGet(t, s, "order-sm")
		if got.Version != st.version {
			t.Fatalf("step %d: stored version %d", i, got.Version)
		}
	}
	h := history(t, s, p)
	if len(h) != 1+len(steps) {
		t.Fatalf("audit rows %d, want one per change plus creation (%d)", len(h), 1+len(steps))
	}
	for i, st := range steps {
		e := h[i+1]
		if e.Decision != st.want || e.To.Status != st.to || e.Source != payments.SourceNotification || e.Reason == "" {
			t.Fatalf("audit row %d: %+v, want %s to %s", i+1, e, st.want, st.to)
		}
	}
	if h[4].From.Status != payments.StatusSettlement {
		t.Fatalf("stale audit row records from=%s", h[4].From.Status)
	}
	got := signals(drain(t, s))
	want := []payments.Signal{payments.SignalPending, payments.SignalStatusChanged, payments.SignalPaid, payments.SignalStatusChanged}
	if !equalSignals(got, want) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
}

func testApplyMergesFacts(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-facts")
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	raw := json.RawMessage(`{"status_code":"201","transaction_id":"tx-facts"}`)
	res := mustApply(t, s, &payments.Change{
		OrderID: "order-facts", To: payments.State{Status: payments.StatusPending, Fraud: payments.FraudAccept},
		Source: payments.SourceCharge, TransactionID: "tx-facts", PaymentType: "bank_transfer",
		StatusMessage: "Success, Bank Transfer transaction is created",
		Instructions:  &payments.Instructions{VANumber: "123", Bank: "bni"}, ExpiresAt: exp,
		ChargeResponse: raw, Payload: raw,
	})
	if res.Verdict.Decision != payments.Applied {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	got, err := s.PaymentByTransactionID(ctxT(t), "tx-facts")
	if err != nil {
		t.Fatal(err)
	}
	if got.OrderID != "order-facts" || got.PaymentType != "bank_transfer" || got.VANumber != "123" || got.Bank != "bni" ||
		!got.ExpiresAt.Equal(exp) || string(got.ChargeResponse) != string(raw) || got.FraudStatus != payments.FraudAccept ||
		got.StatusMessage == "" {
		t.Fatalf("facts not merged: %+v", got)
	}
	// A duplicate carries no facts into the row.
	res = mustApply(t, s, &payments.Change{OrderID: "order-facts", To: payments.State{Status: payments.StatusPending, Fraud: payments.FraudAccept},
		Source: payments.SourceSync, Instructions: &payments.Instructions{VANumber: "999"}})
	if res.Verdict.Decision != payments.Duplicate {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	if got := mustGet(t, s, "order-facts"); got.VANumber != "123" || got.Version != 2 {
		t.Fatalf("duplicate changed the row: %+v", got)
	}
	h := history(t, s, got)
	if string(h[1].Payload) != string(raw) {
		t.Fatalf("audit payload %s, want %s", h[1].Payload, raw)
	}
}

func testApplyPaidOnce(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-paid-once")
	drain(t, s)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := change("order-paid-once", payments.StatusCapture)
	c.To.Fraud = payments.FraudAccept
	c.At = at
	mustApply(t, s, c)
	// capture → settlement is a change but not a second payment.
	c2 := change("order-paid-once", payments.StatusSettlement)
	c2.To.Fraud = payments.FraudAccept
	res := mustApply(t, s, c2)
	if res.Verdict.Decision != payments.Applied {
		t.Fatalf("settlement after capture: %+v", res.Verdict)
	}
	got := mustGet(t, s, "order-paid-once")
	if !got.PaidAt.Equal(at) {
		t.Fatalf("paid_at %v, want the first paid time %v", got.PaidAt, at)
	}
	paid := 0
	for _, sig := range signals(drain(t, s)) {
		if sig == payments.SignalPaid {
			paid++
		}
	}
	if paid != 1 {
		t.Fatalf("%d paid events, want 1", paid)
	}
}

func testApplyReversal(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-reversal")
	mustApply(t, s, change("order-reversal", payments.StatusSettlement))
	drain(t, s)
	res := mustApply(t, s, change("order-reversal", payments.StatusDeny))
	if res.Verdict.Decision != payments.Applied || res.Payment.Paid() {
		t.Fatalf("reversal: %+v", res.Verdict)
	}
	if got := signals(drain(t, s)); !equalSignals(got, []payments.Signal{payments.SignalReversed, payments.SignalStatusChanged}) {
		t.Fatalf("reversal events %v", got)
	}
	// A replayed settlement after the reversal is stale: no second payment.
	if res := mustApply(t, s, change("order-reversal", payments.StatusSettlement)); res.Verdict.Decision != payments.Stale {
		t.Fatalf("settlement after reversal: %+v", res.Verdict)
	}
}

func testApplyPartialRefunds(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-refunds")
	mustApply(t, s, change("order-refunds", payments.StatusSettlement))
	drain(t, s)
	for i, st := range []struct {
		to       payments.State
		want     payments.Decision
		refunded payments.Amount
	}{
		{payments.State{Status: payments.StatusPartialRefund, Refunded: 50000}, payments.Applied, 50000},
		{payments.State{Status: payments.StatusPartialRefund, Refunded: 50000}, payments.Duplicate, 50000},
		{payments.State{Status: payments.StatusPartialRefund, Refunded: 80000}, payments.Applied, 80000},
		{payments.State{Status: payments.StatusPartialRefund, Refunded: 50000}, payments.Stale, 80000},
		{payments.State{Status: payments.StatusRefund, Refunded: 150000}, payments.Applied, 150000},
	} {
		res := mustApply(t, s, &payments.Change{OrderID: "order-refunds", To: st.to, Source: payments.SourceOperation})
		if res.Verdict.Decision != st.want || res.Payment.RefundedAmount != st.refunded {
			t.Fatalf("step %d: %s refunded %d, want %s %d", i, res.Verdict.Decision, res.Payment.RefundedAmount, st.want, st.refunded)
		}
	}
	want := []payments.Signal{payments.SignalPartiallyRefunded, payments.SignalStatusChanged,
		payments.SignalPartiallyRefunded, payments.SignalStatusChanged, payments.SignalRefunded, payments.SignalStatusChanged}
	if got := signals(drain(t, s)); !equalSignals(got, want) {
		t.Fatalf("refund events %v, want %v", got, want)
	}
}

func testApplyAmountMismatch(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-mismatch")
	mustApply(t, s, change("order-mismatch", payments.StatusPending))
	drain(t, s)
	c := change("order-mismatch", payments.StatusSettlement)
	c.Reject = payments.ReasonAmountMismatch
	c.Payload = json.RawMessage(`{"gross_amount":"1.00"}`)
	res := mustApply(t, s, c)
	if res.Verdict.Decision != payments.Stale || res.Verdict.Reason != payments.ReasonAmountMismatch {
		t.Fatalf("mismatch verdict %+v", res.Verdict)
	}
	got := mustGet(t, s, "order-mismatch")
	if got.Status != payments.StatusPending || got.Paid() || got.Version != 2 {
		t.Fatalf("mismatch changed the payment: %+v", got)
	}
	if sigs := signals(drain(t, s)); !equalSignals(sigs, []payments.Signal{payments.SignalAmountMismatch}) {
		t.Fatalf("mismatch events %v", sigs)
	}
	h := history(t, s, p)
	last := h[len(h)-1]
	if last.Reason != payments.ReasonAmountMismatch || string(last.Payload) != string(c.Payload) {
		t.Fatalf("mismatch audit %+v", last)
	}
}

func testApplyUnrecognisedStatus(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-odd")
	res := mustApply(t, s, change("order-odd", "partial_settlement"))
	if res.Verdict.Decision != payments.Stale || res.Verdict.Reason != payments.ReasonUnrecognized {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	h := history(t, s, p)
	if h[len(h)-1].To.Status != "partial_settlement" {
		t.Fatalf("unrecognised status not kept in the audit trail: %+v", h[len(h)-1])
	}
	if got := mustGet(t, s, "order-odd"); got.Status != payments.StatusInitiated {
		t.Fatalf("status changed to %s", got.Status)
	}
}

func testApplyValidation(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-bad-change")
	for field, c := range map[string]*payments.Change{
		"order_id":           {To: payments.State{Status: payments.StatusPending}, Source: payments.SourceSync},
		"transaction_status": {OrderID: "order-bad-change", Source: payments.SourceSync},
		"source":             {OrderID: "order-bad-change", To: payments.State{Status: payments.StatusPending}, Source: "gossip"},
		"payload":            {OrderID: "order-bad-change", To: payments.State{Status: payments.StatusPending}, Source: payments.SourceSync, Payload: json.RawMessage("{")},
	} {
		_, err := s.Apply(ctxT(t), c)
		var ve *payments.ValidationError
		if !errors.As(err, &ve) || !ve.Has(field) {
			t.Errorf("%s: Apply = %v, want a ValidationError naming it", field, err)
		}
	}
	if got := mustGet(t, s, "order-bad-change"); got.Version != 1 {
		t.Fatalf("invalid change was applied: %+v", got)
	}
}

func testApplyTransactionIDConflict(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-tx-a")
	b := mustCreate(t, s, "order-tx-b")
	c := change("order-tx-a", payments.StatusPending)
	c.TransactionID = "tx-shared"
	mustApply(t, s, c)
	drain(t, s)
	c = change("order-tx-b", payments.StatusPending)
	c.TransactionID = "tx-shared"
	_, err := s.Apply(ctxT(t), c)
	if !errors.Is(err, payments.ErrConflict) || !strings.Contains(err.Error(), "tx-shared") {
		t.Fatalf("Apply with another payment's transaction id = %v, want ErrConflict naming it", err)
	}
	// Failed midway (after the decision, at the row write): nothing of it stays.
	got := mustGet(t, s, "order-tx-b")
	if got.Status != payments.StatusInitiated || got.Version != 1 || got.TransactionID != "" {
		t.Fatalf("partial write: %+v", got)
	}
	if h := history(t, s, b); len(h) != 1 {
		t.Fatalf("audit row written for a failed change: %+v", h)
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("events written for a failed change: %v", signals(evs))
	}
}

func testApplyCancelledContext(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-ctx")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Apply(ctx, change("order-ctx", payments.StatusSettlement)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with cancelled ctx = %v, want context.Canceled", err)
	}
	if err := s.CreatePayment(ctx, newPayment("order-ctx-2")); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreatePayment with cancelled ctx = %v", err)
	}
	if _, err := s.InsertNotification(ctx, &payments.Notification{DedupKey: "k", Body: json.RawMessage(`{}`)}); err == nil {
		t.Fatal("InsertNotification with cancelled ctx succeeded")
	}
	if got := mustGet(t, s, "order-ctx"); got.Status != payments.StatusInitiated || got.Version != 1 {
		t.Fatalf("cancelled Apply changed the payment: %+v", got)
	}
	if _, err := s.Payment(ctxT(t), "order-ctx-2"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("cancelled CreatePayment stored a payment: %v", err)
	}
	if h := history(t, s, p); len(h) != 1 {
		t.Fatalf("cancelled Apply wrote audit: %+v", h)
	}
}

// testConcurrentConflictingApply: 32 goroutines propose mutually exclusive
// outcomes for one pending payment; exactly one is applied.
func testConcurrentConflictingApply(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-race")
	mustApply(t, s, change("order-race", payments.StatusPending))
	drain(t, s)
	targets := []payments.Status{payments.StatusDeny, payments.StatusCancel, payments.StatusExpire, payments.StatusFailure}
	const n = 32
	results := make([]*payments.ApplyResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.Apply(ctxT(t), change("order-race", targets[i%len(targets)]))
		}()
	}
	close(start)
	wg.Wait()
	applied := 0
	var winner payments.Status
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if results[i].Verdict.Decision == payments.Applied {
			applied++
			winner = results[i].Payment.Status
		}
	}
	if applied != 1 {
		t.Fatalf("%d of %d conflicting changes applied, want exactly 1", applied, n)
	}
	got := mustGet(t, s, "order-race")
	if got.Status != winner || got.Version != 3 {
		t.Fatalf("stored %s v%d, winner %s", got.Status, got.Version, winner)
	}
	if h := history(t, s, p); len(h) != 2+n {
		t.Fatalf("%d audit rows, want %d", len(h), 2+n)
	}
	if evs := drain(t, s); len(evs) != 2 {
		t.Fatalf("events %v, want one change's worth", signals(evs))
	}
}

// testConcurrentDuplicateApply: 32 goroutines deliver the same settlement;
// it is applied once and paid fires once.
func testConcurrentDuplicateApply(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-storm")
	mustApply(t, s, change("order-storm", payments.StatusPending))
	drain(t, s)
	const n = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	decisions := map[payments.Decision]int{}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Apply(ctxT(t), change("order-storm", payments.StatusSettlement))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			decisions[res.Verdict.Decision]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if decisions[payments.Applied] != 1 || decisions[payments.Duplicate] != n-1 {
		t.Fatalf("decisions %v, want 1 applied and %d duplicates", decisions, n-1)
	}
	paid := 0
	for _, sig := range signals(drain(t, s)) {
		if sig == payments.SignalPaid {
			paid++
		}
	}
	if paid != 1 {
		t.Fatalf("%d paid events", paid)
	}
}

// testApplyNewAmount: a partial capture changes the gross amount with the
// change that applies it, and only then.
func testApplyNewAmount(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-amount")
	mustApply(t, s, change("order-amount", payments.StatusAuthorize))
	stale := change("order-amount", payments.StatusPending)
	stale.Amount = 1
	if res := mustApply(t, s, stale); res.Verdict.Decision != payments.Stale || res.Payment.Amount != 150000 {
		t.Fatalf("a stale change set the amount: %+v", res.Payment.Amount)
	}
	c := change("order-amount", payments.StatusCapture)
	c.Amount = 100000
	res := mustApply(t, s, c)
	if res.Verdict.Decision != payments.Applied || res.Payment.Amount != 100000 {
		t.Fatalf("capture of 100000: %s amount %s", res.Verdict.Decision, res.Payment.Amount)
	}
	if got := mustGet(t, s, "order-amount"); got.Amount != 100000 {
		t.Fatalf("stored amount %s", got.Amount)
	}
	bad := change("order-amount", payments.StatusSettlement)
	bad.Amount = -1
	if _, err := s.Apply(ctxT(t), bad); !errors.Is(err, payments.ErrValidation) {
		t.Fatalf("negative amount: %v", err)
	}
}

// testDuplicateFillsTransactionID: a repeated state still records the
// transaction id the payment did not know (DANA learns it this way), and
// fires nothing.
func testDuplicateFillsTransactionID(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-fill")
	mustApply(t, s, change("order-fill", payments.StatusPending))
	drain(t, s)
	c := change("order-fill", payments.StatusPending)
	c.TransactionID, c.PaymentType = "A120240830074017NP16XMU4JTID", "dana"
	c.Instructions = &payments.Instructions{DeeplinkURL: "https://m.dana.id/pay"}
	res := mustApply(t, s, c)
	if res.Verdict.Decision != payments.Duplicate || len(res.Events) != 0 {
		t.Fatalf("verdict %s with %d events", res.Verdict.Decision, len(res.Events))
	}
	got, err := s.PaymentByTransactionID(ctxT(t), "A120240830074017NP16XMU4JTID")
	if err != nil || got.OrderID != "order-fill" || got.PaymentType != "dana" || got.DeeplinkURL == "" || got.Version != 3 {
		t.Fatalf("facts not filled: %+v %v", got, err)
	}
	// Once known, a duplicate does not overwrite it.
	c2 := change("order-fill", payments.StatusPending)
	c2.TransactionID = "A1-other"
	mustApply(t, s, c2)
	if got := mustGet(t, s, "order-fill"); got.TransactionID != "A120240830074017NP16XMU4JTID" || got.Version != 3 {
		t.Fatalf("duplicate overwrote the transaction id: %s v%d", got.TransactionID, got.Version)
	}
}

// testLateChargeAnswer: the charge answer arrives after notifications
// already moved the payment (pending, even paid). It changes no state, but
// its instructions and raw answer — the 3DS redirect, the deeplinks — are
// kept: status answers do not repeat them.
func testLateChargeAnswer(t *testing.T, s payments.Store) {
	for _, first := range []payments.Status{payments.StatusPending, payments.StatusSettlement} {
		orderID := "order-late-" + string(first)
		mustCreate(t, s, orderID)
		n := change(orderID, first)
		n.TransactionID = "tx-" + orderID
		n.Instructions = &payments.Instructions{QRString: "from-status"}
		mustApply(t, s, n)
		drain(t, s)
		raw := json.RawMessage(`{"status_code":"201","transaction_status":"pending"}`)
		c := &payments.Change{OrderID: orderID, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge,
			TransactionID: "tx-" + orderID, ChargeResponse: raw,
			Instructions: &payments.Instructions{QRString: "from-status", DeeplinkURL: "gojek://pay", RedirectURL: "https://3ds"}}
		res := mustApply(t, s, c)
		if res.Verdict.Decision == payments.Applied || len(res.Events) != 0 {
			t.Fatalf("%s: late charge answer %s with %d events", first, res.Verdict.Decision, len(res.Events))
		}
		got := mustGet(t, s, orderID)
		if got.Status != first || got.DeeplinkURL != "gojek://pay" || got.RedirectURL != "https://3ds" || string(got.ChargeResponse) != string(raw) {
			t.Fatalf("%s: after the late answer: %s deeplink %q redirect %q charge %s", first, got.Status, got.DeeplinkURL, got.RedirectURL, got.ChargeResponse)
		}
		// A second late copy changes nothing more.
		again := mustApply(t, s, c)
		if again.Payment.Version != got.Version {
			t.Fatalf("%s: a repeated charge answer bumped the version", first)
		}
	}
}

// fromApplier is a store that can plan a change against a payment it
// returned instead of reading it again (store.Store.ApplyFrom).
type fromApplier interface {
	ApplyFrom(ctx context.Context, prev *payments.Payment, c *payments.Change) (*payments.ApplyResult, error)
}

// testApplyFrom holds ApplyFrom to Apply: planned against the payment
// CreatePayment returned, a charge's answer gives the verdict, payment,
// audit and events a read would have (up to ids, times and JSON member
// order: a JSON column may reorder the metadata's members); a stale prev
// never moves the row backwards; a prev of another order or account is
// never written.
func testApplyFrom(t *testing.T, s payments.Store) {
	af, ok := s.(fromApplier)
	if !ok {
		t.Skip("the store has no ApplyFrom")
	}
	ctx := ctxT(t)
	create := func(order string) *payments.Payment {
		p := newPayment(order)
		p.Metadata = json.RawMessage(`{"zeta": 1, "alpha": {"y": 2, "b": [3, 1]}, "m": null}`)
		if err := s.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	answer := func(order string) *payments.Change {
		return &payments.Change{OrderID: order, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge,
			TransactionID: "tx-" + order, Instructions: &payments.Instructions{VANumber: "8801", Bank: "bca"},
			ChargeResponse: json.RawMessage(`{"status_code":"201","order_id":"` + order + `"}`)}
	}
	from, read := create("from-1"), create("from-2")
	got, err := af.ApplyFrom(ctx, from, answer(from.OrderID))
	if err != nil {
		t.Fatal(err)
	}
	want := mustApply(t, s, answer(read.OrderID))
	if got.Verdict != want.Verdict || got.Previous != want.Previous || len(got.Events) != len(want.Events) {
		t.Fatalf("ApplyFrom: %+v %+v, %d events; Apply: %+v %+v, %d events",
			got.Verdict, got.Previous, len(got.Events), want.Verdict, want.Previous, len(want.Events))
	}
	same := func(what string, a, b any) {
		t.Helper()
		if ja, jb := comparableJSON(t, a), comparableJSON(t, b); ja != jb {
			t.Errorf("%s: ApplyFrom's\n%s\nApply's\n%s", what, ja, jb)
		}
	}
	same("payment", got.Payment, want.Payment)
	same("payment as read", mustGet(t, s, from.OrderID), mustGet(t, s, read.OrderID))
	for i := range got.Events {
		if got.Events[i].Signal != want.Events[i].Signal {
			t.Errorf("event %d: %s, want %s", i, got.Events[i].Signal, want.Events[i].Signal)
		}
		same(fmt.Sprintf("event %d's payload", i), got.Events[i].Payload, want.Events[i].Payload)
	}
	if a, b := history(t, s, from), history(t, s, read); len(a) != len(b) || a[len(a)-1].Decision != b[len(b)-1].Decision {
		t.Errorf("history: %+v, want %+v", a, b)
	}

	// A stale prev: the payment was paid since. The answer is planned
	// against the row, never against prev: the status stays (the answer's
	// facts, such as instructions, may still be learnt).
	stale := create("from-stale")
	mustApply(t, s, &payments.Change{OrderID: stale.OrderID, To: payments.State{Status: payments.StatusSettlement},
		Source: payments.SourceNotification, TransactionID: "tx-" + stale.OrderID})
	res, err := af.ApplyFrom(ctx, stale, answer(stale.OrderID))
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment.Status != payments.StatusSettlement || res.Previous.Status != payments.StatusSettlement {
		t.Fatalf("stale prev: %s (previous %s), want settlement kept", res.Payment.Status, res.Previous.Status)
	}
	if got := mustGet(t, s, stale.OrderID); got.Status != payments.StatusSettlement || got.PaidAt.IsZero() {
		t.Fatalf("stale prev: the row is %s, paid at %v, want settlement kept", got.Status, got.PaidAt)
	}

	// prev of another order (same version, another row): not written.
	mine, other := create("from-mine"), create("from-other")
	if _, err := af.ApplyFrom(ctx, other, answer(mine.OrderID)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, other.OrderID); got.Version != 1 || got.Status != payments.StatusInitiated {
		t.Fatalf("another order's prev was written: %s v%d", got.Status, got.Version)
	}
	if got := mustGet(t, s, mine.OrderID); got.Status != payments.StatusPending || got.TransactionID != "tx-"+mine.OrderID {
		t.Fatalf("the change's own payment: %s %q", got.Status, got.TransactionID)
	}

	// prev of another account, same order id and version: not written.
	otherAccount := s.ForAccount("from-elsewhere")
	theirs := newPayment("from-shared")
	if err := otherAccount.CreatePayment(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	ours := create("from-shared")
	if _, err := af.ApplyFrom(ctx, theirs, answer(ours.OrderID)); err != nil {
		t.Fatal(err)
	}
	if got, err := otherAccount.Payment(ctx, theirs.OrderID); err != nil || got.Version != 1 {
		t.Fatalf("another account's prev was written: %+v %v", got, err)
	}
	if got := mustGet(t, s, ours.OrderID); got.Status != payments.StatusPending {
		t.Fatalf("the account's own payment: %s", got.Status)
	}
}

// comparableJSON is v as JSON with members sorted at every level, and
// without what differs between two payments made alike: ids, order ids,
// transaction ids and times.
func comparableJSON(t *testing.T, v any) string {
	t.Helper()
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var strip func(any) any
	strip = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				switch {
				case k == "id" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_time"):
					delete(x, k)
				default:
					x[k] = strip(v)
				}
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return x
	}
	out, err := json.Marshal(strip(x)) // maps marshal with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// fromNotificationApplier is a store whose ApplyNotification can plan
// against a payment it returned (store.Store.ApplyNotificationFrom).
type fromNotificationApplier interface {
	ApplyNotificationFrom(ctx context.Context, prev *payments.Payment, n *payments.Notification,
		change func(*payments.Payment) *payments.Change) (*payments.ApplyResult, bool, error)
}

// testApplyNotificationFrom: a notification applied against the payment
// read before it was confirmed records and applies it as
// ApplyNotification does; when the payment changed since, the change is
// built and planned against the row, never against prev; a prev of
// another order is never written.
func testApplyNotificationFrom(t *testing.T, s payments.Store) {
	af, ok := s.(fromNotificationApplier)
	if !ok {
		t.Skip("the store has no ApplyNotificationFrom")
	}
	ctx := ctxT(t)
	var built []payments.Status // the status of each payment change was built against
	to := func(st payments.Status) func(*payments.Payment) *payments.Change {
		return func(p *payments.Payment) *payments.Change {
			built = append(built, p.Status)
			return &payments.Change{OrderID: p.OrderID, To: payments.State{Status: st}, Source: payments.SourceNotification,
				TransactionID: "tx-" + p.OrderID}
		}
	}
	note := func(order, key string) *payments.Notification {
		return &payments.Notification{DedupKey: key, OrderID: order, Status: "settlement", Body: json.RawMessage(`{}`)}
	}

	fresh := mustCreate(t, s, "nfrom-fresh")
	res, recorded, err := af.ApplyNotificationFrom(ctx, fresh, note(fresh.OrderID, "nfrom-key-1"), to(payments.StatusSettlement))
	if err != nil || !recorded || !res.Payment.Paid() || len(built) != 1 || built[0] != payments.StatusInitiated {
		t.Fatalf("fresh prev: %+v recorded=%v built against %v: %v", res, recorded, built, err)
	}
	if n, err := s.NotificationByDedupKey(ctx, "nfrom-key-1"); err != nil || !n.State.Finished() {
		t.Fatalf("fresh prev: inbox %+v %v", n, err)
	}
	if got := mustGet(t, s, fresh.OrderID); !got.Paid() || got.Version != 2 {
		t.Fatalf("fresh prev: the row is %s v%d", got.Status, got.Version)
	}

	// Stale: expired since prev was read. A settlement built against prev
	// (initiated) would pay it; against the row it must not.
	stale := mustCreate(t, s, "nfrom-stale")
	mustApply(t, s, change(stale.OrderID, payments.StatusExpire))
	built = nil
	res, _, err = af.ApplyNotificationFrom(ctx, stale, note(stale.OrderID, "nfrom-key-2"), to(payments.StatusSettlement))
	if err != nil {
		t.Fatal(err)
	}
	if len(built) == 0 || built[len(built)-1] != payments.StatusExpire || res.Previous.Status != payments.StatusExpire {
		t.Fatalf("stale prev: change built against %v, decided against %s", built, res.Previous.Status)
	}
	if got := mustGet(t, s, stale.OrderID); got.Status != res.Payment.Status {
		t.Fatalf("stale prev: the row is %s, the result %s", got.Status, res.Payment.Status)
	}

	// prev of another order: never written.
	mine, other := mustCreate(t, s, "nfrom-mine"), mustCreate(t, s, "nfrom-other")
	if _, _, err := af.ApplyNotificationFrom(ctx, other, note(mine.OrderID, "nfrom-key-3"), to(payments.StatusSettlement)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, other.OrderID); got.Version != 1 {
		t.Fatalf("another order's prev was written: %s v%d", got.Status, got.Version)
	}
	if got := mustGet(t, s, mine.OrderID); !got.Paid() {
		t.Fatalf("the notification's own payment: %s", got.Status)
	}
}
