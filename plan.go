package payments

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/nusapay/payments/internal/uid"
)

// ChangePlan is what one change does to one payment, decided by Plan or
// PlanCreate with no I/O. A Store only carries it out, in one transaction:
// it writes Next with a compare-and-set on the payment's previous status and
// version (or inserts it, for PlanCreate), appends Audit to the audit trail,
// and adds Events to the outbox. A Store decides nothing of its own.
type ChangePlan struct {
	// Verdict is the status machine's answer.
	Verdict Verdict
	// Next is the payment to write; nil when the row stays as it is (a
	// duplicate or stale report that brings no fact the payment lacks).
	Next *Payment
	// Audit is the audit row to append; every change gets one. Its ID is
	// the store's to assign.
	Audit AuditEntry
	// Events are the hook events to add to the outbox, in order, each with
	// its stable ID already set.
	Events []Event
	// Refunds are refund records to insert, or to move forward to
	// succeeded when their key is stored already (RefundStatusesBecoming):
	// the refunds the change reports done.
	Refunds []Refund
}

// Payment returns the payment as it is after the plan: Next, or prev.
func (p ChangePlan) payment(prev *Payment) *Payment {
	if p.Next != nil {
		return p.Next
	}
	return prev
}

// Result returns the ApplyResult a Store answers once the plan is written:
// prev is the payment the plan was made against, events are the outbox
// events as stored.
func (p ChangePlan) Result(prev *Payment, events []*OutboxEvent) *ApplyResult {
	return &ApplyResult{Verdict: p.Verdict, Previous: prev.State(), Payment: p.payment(prev), Events: events}
}

// Plan decides change c against the stored payment prev at time now. It is
// the one home of every rule about a change:
//
//   - the verdict comes from Decide, unless c.Reject refuses the change
//     (an amount mismatch, a change given up after losing to concurrent
//     ones), which is recorded as stale;
//   - an applied change moves the payment to c.To and brings every fact it
//     carries (transaction id, payment type, message, instructions, expiry,
//     Midtrans' transaction and settlement times, custom fields, a captured
//     amount, the charge answer); the refunded total only grows; PaidAt is
//     set the first time the payment is paid, at c.At;
//   - a change that is not applied (a duplicate, an out-of-order or
//     forbidden report) still fills facts the payment lacks, and never
//     overwrites one it has: an older report must not undo a newer one.
//     A rejected change brings nothing;
//   - the signals an applied change fires are SignalsFor's; an amount
//     mismatch fires SignalAmountMismatch and changes nothing.
//
// Every time in the result is UTC at microsecond precision, what every
// supported database keeps, so a payment written and read back is equal.
// Plan never changes prev or c.
func Plan(prev *Payment, c *Change, now time.Time) ChangePlan {
	now = StorageTime(now)
	at := now
	if !c.At.IsZero() {
		at = StorageTime(c.At)
	}
	verdict := Decide(prev.State(), c.To)
	if c.Reject != "" {
		verdict = Verdict{Decision: Stale, Reason: c.Reject}
	}
	plan := ChangePlan{
		Verdict: verdict,
		Audit: AuditEntry{Account: prev.Account, PaymentID: prev.ID, OrderID: prev.OrderID, Source: c.Source, Actor: c.Actor, From: prev.State(), To: c.To,
			Decision: verdict.Decision, Reason: verdict.Reason, Payload: c.Payload, CreatedAt: now},
	}
	event := func(sig Signal, p *Payment, current State) Event {
		return Event{ID: uid.NewAt(now), Signal: sig, Source: c.Source, Payment: p, Previous: prev.State(),
			Current: current, Payload: c.Payload, OccurredAt: at}
	}
	if c.Reject == "" {
		for _, r := range c.Refunds {
			r.ID, r.Account, r.PaymentID, r.OrderID, r.Status = uid.NewAt(now), prev.Account, prev.ID, prev.OrderID, RefundSucceeded
			r.CreatedAt, r.UpdatedAt = now, now
			plan.Refunds = append(plan.Refunds, r)
		}
	}
	switch {
	case verdict.Decision == Applied:
		next := applyFacts(prev, c, at)
		next.Version, next.UpdatedAt = prev.Version+1, now
		plan.Next = next
		for _, sig := range SignalsFor(prev, next) {
			plan.Events = append(plan.Events, event(sig, next, next.State()))
		}
	case c.Reject == ReasonAmountMismatch:
		plan.Events = append(plan.Events, event(SignalAmountMismatch, prev, prev.State()))
	case c.Reject != "":
		// Refused: nothing it says is trusted.
	default:
		if next := fillFacts(prev, c); next != nil {
			next.Version, next.UpdatedAt = prev.Version+1, now
			plan.Next = next
		}
	}
	return plan
}

// applyFacts returns prev moved to c.To with every fact c carries.
func applyFacts(prev *Payment, c *Change, at time.Time) *Payment {
	next := clonePayment(prev)
	next.Status, next.FraudStatus = c.To.Status, c.To.Fraud
	next.RefundedAmount = max(prev.RefundedAmount, c.To.Refunded)
	if c.Amount > 0 {
		next.Amount = c.Amount
	}
	if c.StatusMessage != "" {
		next.StatusMessage = c.StatusMessage
	}
	setString(&next.TransactionID, c.TransactionID)
	setString(&next.PaymentType, c.PaymentType)
	setString(&next.CustomField1, c.CustomField1)
	setString(&next.CustomField2, c.CustomField2)
	setString(&next.CustomField3, c.CustomField3)
	if c.Instructions != nil {
		next.Instructions = c.Instructions.merge(prev.Instructions)
	}
	setTime(&next.ExpiresAt, c.ExpiresAt)
	setTime(&next.TransactionTime, c.TransactionTime)
	setTime(&next.SettlementTime, c.SettlementTime)
	if len(c.ChargeResponse) > 0 {
		next.ChargeResponse = c.ChargeResponse
	}
	if next.Outcome() == OutcomePaid && next.PaidAt.IsZero() {
		next.PaidAt = at
	}
	return next
}

// fillFacts returns prev with the facts it lacks taken from c, or nil when
// c brings none.
func fillFacts(prev *Payment, c *Change) *Payment {
	next := clonePayment(prev)
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&next.TransactionID, c.TransactionID)
	fill(&next.PaymentType, c.PaymentType)
	fill(&next.CustomField1, c.CustomField1)
	fill(&next.CustomField2, c.CustomField2)
	fill(&next.CustomField3, c.CustomField3)
	if c.Instructions != nil {
		next.Instructions = prev.Instructions.merge(*c.Instructions)
	}
	if next.ExpiresAt.IsZero() {
		next.ExpiresAt = StorageTime(c.ExpiresAt)
	}
	if next.TransactionTime.IsZero() {
		next.TransactionTime = StorageTime(c.TransactionTime)
	}
	if next.SettlementTime.IsZero() {
		next.SettlementTime = StorageTime(c.SettlementTime)
	}
	if len(next.ChargeResponse) == 0 && len(c.ChargeResponse) > 0 {
		next.ChargeResponse = c.ChargeResponse
	}
	if sameFacts(prev, next) {
		return nil
	}
	return next
}

// sameFacts compares two versions of a payment as stored: instructions by
// their JSON form, so an empty list and no list are the same.
func sameFacts(a, b *Payment) bool {
	ai, err1 := json.Marshal(a.Instructions)
	bi, err2 := json.Marshal(b.Instructions)
	if err1 != nil || err2 != nil || string(ai) != string(bi) {
		return false
	}
	ac, bc := *a, *b
	ac.Instructions, bc.Instructions = Instructions{}, Instructions{}
	return reflect.DeepEqual(ac, bc)
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setTime(dst *time.Time, v time.Time) {
	if !v.IsZero() {
		*dst = StorageTime(v)
	}
}

// clonePayment copies p so that changing the copy's instructions never
// reaches p's.
func clonePayment(p *Payment) *Payment {
	next := *p
	next.Actions = append([]Action(nil), p.Actions...)
	if p.Card != nil {
		card := *p.Card
		next.Card = &card
	}
	return &next
}

// clone is a copy of c sharing no memory with it; nil stays nil.
func (c *Customer) clone() *Customer {
	if c == nil {
		return nil
	}
	out := *c
	if c.BillingAddress != nil {
		a := *c.BillingAddress
		out.BillingAddress = &a
	}
	if c.ShippingAddress != nil {
		a := *c.ShippingAddress
		out.ShippingAddress = &a
	}
	return &out
}

// StorageTime returns t in UTC truncated to microseconds, the precision
// every supported database keeps; the zero time stays zero.
func StorageTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// PlanCreate plans the insert of a new payment at time now: it checks p
// (every bad field is named in a *ValidationError), fills the defaults (a
// new ID when empty, StatusInitiated, IDR, version 1, the creation times),
// and returns the row to insert as Next, its audit row and its "created"
// event. p is not changed, and Next shares no memory with it: the caller's
// customer, items and metadata are copied.
func PlanCreate(p *Payment, now time.Time) (ChangePlan, error) {
	if err := checkNewPayment(p); err != nil {
		return ChangePlan{}, err
	}
	now = StorageTime(now)
	next := clonePayment(p)
	next.Customer, next.Items, next.Metadata = p.Customer.clone(), slices.Clone(p.Items), slices.Clone(p.Metadata)
	if next.ID == "" {
		next.ID = uid.NewAt(now)
	}
	if next.Status == "" {
		next.Status = StatusInitiated
	}
	if next.Currency == "" {
		next.Currency = "IDR"
	}
	if next.Account == "" {
		next.Account = DefaultAccount
	}
	next.Version = 1
	next.CreatedAt, next.UpdatedAt = now, now
	next.ExpiresAt, next.PaidAt = StorageTime(next.ExpiresAt), StorageTime(next.PaidAt)
	next.TransactionTime, next.SettlementTime = StorageTime(next.TransactionTime), StorageTime(next.SettlementTime)
	created := next.State()
	verdict := Verdict{Decision: Applied, Reason: ReasonCreated}
	return ChangePlan{
		Verdict: verdict,
		Next:    next,
		Audit: AuditEntry{Account: next.Account, PaymentID: next.ID, OrderID: next.OrderID, Source: SourceCharge, To: created,
			Decision: verdict.Decision, Reason: verdict.Reason, CreatedAt: now},
		Events: []Event{{ID: uid.NewAt(now), Signal: SignalCreated, Source: SourceCharge, Payment: next,
			Current: created, Previous: created, OccurredAt: now}},
	}, nil
}

// ReasonCreated is the audit reason of a payment's first row.
const ReasonCreated Reason = "payment created"

func checkNewPayment(p *Payment) error {
	var v ValidationError
	if p == nil {
		v.Add("payment", "is required")
		return v.Err()
	}
	if p.OrderID == "" {
		v.Add("order_id", "is required")
	} else if len(p.OrderID) > 255 {
		v.Add("order_id", "must be at most 255 characters")
	}
	if p.Method == "" {
		v.Add("method", "is required")
	}
	if p.Amount <= 0 {
		v.Add("gross_amount", "must be positive")
	}
	if p.RefundedAmount < 0 {
		v.Add("refunded_amount", "must not be negative")
	}
	if p.Status != "" && !p.Status.Known() {
		v.Add("transaction_status", fmt.Sprintf("unknown status %q", p.Status))
	}
	if len(p.Metadata) > 0 && !json.Valid(p.Metadata) {
		v.Add("metadata", "must be valid JSON")
	}
	if len(p.ChargeResponse) > 0 && !json.Valid(p.ChargeResponse) {
		v.Add("charge_response", "must be valid JSON")
	}
	return v.Err()
}

// Validate checks that c can be planned: every bad field is named in a
// *ValidationError. Stores call it before they lock anything.
func (c *Change) Validate() error {
	var v ValidationError
	if c == nil {
		v.Add("change", "is required")
		return v.Err()
	}
	if c.OrderID == "" {
		v.Add("order_id", "is required")
	}
	if c.To.Status == "" {
		v.Add("transaction_status", "is required")
	}
	if !c.Source.Valid() {
		v.Add("source", fmt.Sprintf("unknown source %q", c.Source))
	}
	if c.To.Refunded < 0 {
		v.Add("refund_amount", "must not be negative")
	}
	if c.Amount < 0 {
		v.Add("gross_amount", "must not be negative")
	}
	if len(c.Payload) > 0 && !json.Valid(c.Payload) {
		v.Add("payload", "must be valid JSON")
	}
	if len(c.ChargeResponse) > 0 && !json.Valid(c.ChargeResponse) {
		v.Add("charge_response", "must be valid JSON")
	}
	return v.Err()
}

// GiveUp returns a copy of c that a Store plans instead of c after c kept
// losing its compare-and-set to concurrent changes: it is recorded as
// stale and applies nothing, rather than risk applying c to a state it was
// not decided against.
func (c *Change) GiveUp() *Change {
	cp := *c
	cp.Reject = ReasonConcurrent
	return &cp
}
