package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// paymentRow maps nusapay_payments. JSON columns are strings: Bun would
// write a []byte as a bytea literal, and TEXT keeps raw Midtrans bodies
// byte for byte.
type paymentRow struct {
	bun.BaseModel `bun:"table:nusapay_payments,alias:p"`

	ID             string    `bun:"id,pk"`
	Account        string    `bun:"account,notnull"`
	OrderID        string    `bun:"order_id,notnull"`
	TransactionID  string    `bun:"transaction_id,nullzero"`
	Method         string    `bun:"method,notnull"`
	PaymentType    string    `bun:"payment_type,notnull"`
	Amount         int64     `bun:"amount,notnull"`
	Currency       string    `bun:"currency,notnull"`
	Status         string    `bun:"status,notnull"`
	FraudStatus    string    `bun:"fraud_status,notnull"`
	StatusMessage  string    `bun:"status_message,notnull"`
	Instructions   string    `bun:"instructions,notnull"`
	ExpiresAt      time.Time `bun:"expires_at,nullzero"`
	PaidAt         time.Time `bun:"paid_at,nullzero"`
	RefundedAmount int64     `bun:"refunded_amount,notnull"`
	Customer       string    `bun:"customer,nullzero"`
	// CustomerEmail is payments.EmailKey of the customer's email, for
	// ListPayments; written on insert only, as the customer never changes.
	CustomerEmail  string    `bun:"customer_email,nullzero"`
	Items          string    `bun:"items,nullzero"`
	Metadata       string    `bun:"metadata,nullzero"`
	CustomField1   string    `bun:"custom_field1,notnull"`
	CustomField2   string    `bun:"custom_field2,notnull"`
	CustomField3   string    `bun:"custom_field3,notnull"`
	ChargeResponse string    `bun:"charge_response,nullzero"`
	TxTime         time.Time `bun:"transaction_time,nullzero"`
	SettlementTime time.Time `bun:"settlement_time,nullzero"`
	Version        int64     `bun:"version,notnull"`
	SyncedAt       time.Time `bun:"synced_at,nullzero"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
	UpdatedAt      time.Time `bun:"updated_at,notnull"`
	// SubscriptionID links a subscription's charge; written on insert only.
	SubscriptionID string `bun:"subscription_id,nullzero"`
}

// paymentColumns are every column of paymentRow, in paymentArgs' order.
const paymentColumns = "id, account, order_id, transaction_id, method, payment_type, amount, currency, status, " +
	"fraud_status, status_message, instructions, expires_at, paid_at, refunded_amount, customer, customer_email, items, " +
	"metadata, custom_field1, custom_field2, custom_field3, charge_response, transaction_time, settlement_time, version, " +
	"synced_at, created_at, updated_at, subscription_id"

// paymentArgs are r's values in paymentColumns' order (see put).
func paymentArgs(r *paymentRow) []any {
	args := make(argList, 0, 30)
	for rest := paymentColumns; rest != ""; {
		var col string
		col, rest, _ = strings.Cut(rest, ", ")
		r.put(col, &args)
	}
	return args
}

// put gives w r's value of column col, a nullzero column's zero value as
// NULL, as Bun writes it (transaction_id is unique where set: an empty one
// must be NULL); NULL for a column r does not have. The one place a
// column's NULL rule lives: statements' arguments and function calls'
// literals both come from here.
func (r *paymentRow) put(col string, w valueSink) {
	switch col {
	case "id":
		w.str(r.ID)
	case "account":
		w.str(r.Account)
	case "order_id":
		w.str(r.OrderID)
	case "transaction_id":
		nullString(w, r.TransactionID)
	case "method":
		w.str(r.Method)
	case "payment_type":
		w.str(r.PaymentType)
	case "amount":
		w.int(r.Amount)
	case "currency":
		w.str(r.Currency)
	case "status":
		w.str(r.Status)
	case "fraud_status":
		w.str(r.FraudStatus)
	case "status_message":
		w.str(r.StatusMessage)
	case "instructions":
		w.str(r.Instructions)
	case "expires_at":
		nullTime(w, r.ExpiresAt)
	case "paid_at":
		nullTime(w, r.PaidAt)
	case "refunded_amount":
		w.int(r.RefundedAmount)
	case "customer":
		nullString(w, r.Customer)
	case "customer_email":
		nullString(w, r.CustomerEmail)
	case "items":
		nullString(w, r.Items)
	case "metadata":
		nullString(w, r.Metadata)
	case "custom_field1":
		w.str(r.CustomField1)
	case "custom_field2":
		w.str(r.CustomField2)
	case "custom_field3":
		w.str(r.CustomField3)
	case "charge_response":
		nullString(w, r.ChargeResponse)
	case "transaction_time":
		nullTime(w, r.TxTime)
	case "settlement_time":
		nullTime(w, r.SettlementTime)
	case "version":
		w.int(r.Version)
	case "synced_at":
		nullTime(w, r.SyncedAt)
	case "created_at":
		w.at(r.CreatedAt)
	case "updated_at":
		w.at(r.UpdatedAt)
	case "subscription_id":
		nullString(w, r.SubscriptionID)
	default:
		w.null()
	}
}

// nullString gives w s, or NULL when empty.
func nullString(w valueSink, s string) {
	if s == "" {
		w.null()
		return
	}
	w.str(s)
}

// nullTime gives w t, or NULL when zero.
func nullTime(w valueSink, t time.Time) {
	if t.IsZero() {
		w.null()
		return
	}
	w.at(t)
}

// valueSink takes a row's values in column order: as a statement's
// arguments (argList) or as the literals of a function call (callText).
// Typed methods rather than any: boxing every value cost an allocation
// each on the hot path.
type valueSink interface {
	str(string)
	int(int64)
	// at takes a time, which the sink keeps at the store's precision.
	at(time.Time)
	null()
}

// argList collects values as a statement's arguments.
type argList []any

func (l *argList) str(s string)   { *l = append(*l, s) }
func (l *argList) int(v int64)    { *l = append(*l, v) }
func (l *argList) at(t time.Time) { *l = append(*l, dbTime(t)) }
func (l *argList) null()          { *l = append(*l, nil) }

// rowForUpdate is p's row for a compare-and-set, which writes only
// changedColumns: the JSON of what never changes after the insert
// (customer, items) is not built, nor the instructions' unless they change.
func rowForUpdate(p *payments.Payment, instructions bool) (*paymentRow, error) {
	r := rowFromScalars(p)
	if instructions {
		b, err := json.Marshal(p.Instructions)
		if err != nil {
			return nil, fmt.Errorf("instructions: %w", err)
		}
		r.Instructions = string(b)
	}
	return r, nil
}

func rowFromPayment(p *payments.Payment) (*paymentRow, error) {
	r, err := rowForUpdate(p, true)
	if err != nil {
		return nil, err
	}
	if p.Customer != nil {
		b, err := json.Marshal(p.Customer)
		if err != nil {
			return nil, fmt.Errorf("customer_details: %w", err)
		}
		r.Customer = string(b)
		r.CustomerEmail = payments.EmailKey(p.Customer.Email)
	}
	if len(p.Items) > 0 {
		b, err := json.Marshal(p.Items)
		if err != nil {
			return nil, fmt.Errorf("item_details: %w", err)
		}
		r.Items = string(b)
	}
	return r, nil
}

// rowFromScalars is p's row without its JSON columns but metadata and the
// charge response, which are JSON already.
func rowFromScalars(p *payments.Payment) *paymentRow {
	return &paymentRow{
		ID:             p.ID,
		Account:        p.Account,
		OrderID:        p.OrderID,
		TransactionID:  p.TransactionID,
		Method:         p.Method,
		PaymentType:    p.PaymentType,
		Amount:         int64(p.Amount),
		Currency:       p.Currency,
		Status:         string(p.Status),
		FraudStatus:    string(p.FraudStatus),
		StatusMessage:  p.StatusMessage,
		ExpiresAt:      dbTime(p.ExpiresAt),
		PaidAt:         dbTime(p.PaidAt),
		RefundedAmount: int64(p.RefundedAmount),
		Metadata:       string(p.Metadata),
		CustomField1:   p.CustomField1,
		CustomField2:   p.CustomField2,
		CustomField3:   p.CustomField3,
		ChargeResponse: string(p.ChargeResponse),
		TxTime:         dbTime(p.TransactionTime),
		SettlementTime: dbTime(p.SettlementTime),
		Version:        p.Version,
		CreatedAt:      dbTime(p.CreatedAt),
		UpdatedAt:      dbTime(p.UpdatedAt),
		SubscriptionID: p.SubscriptionID,
	}
}

func (r *paymentRow) payment() (*payments.Payment, error) {
	p := &payments.Payment{
		ID:              r.ID,
		Account:         r.Account,
		OrderID:         r.OrderID,
		TransactionID:   r.TransactionID,
		Method:          r.Method,
		PaymentType:     r.PaymentType,
		Amount:          payments.Amount(r.Amount),
		Currency:        r.Currency,
		Status:          payments.Status(r.Status),
		FraudStatus:     payments.FraudStatus(r.FraudStatus),
		StatusMessage:   r.StatusMessage,
		ExpiresAt:       utc(r.ExpiresAt),
		PaidAt:          utc(r.PaidAt),
		RefundedAmount:  payments.Amount(r.RefundedAmount),
		TransactionTime: utc(r.TxTime),
		SettlementTime:  utc(r.SettlementTime),
		CustomField1:    r.CustomField1,
		CustomField2:    r.CustomField2,
		CustomField3:    r.CustomField3,
		Version:         r.Version,
		CreatedAt:       utc(r.CreatedAt),
		UpdatedAt:       utc(r.UpdatedAt),
		SubscriptionID:  r.SubscriptionID,
	}
	if r.Instructions != "" {
		if err := json.Unmarshal([]byte(r.Instructions), &p.Instructions); err != nil {
			return nil, fmt.Errorf("payment %s: instructions: %w", r.OrderID, err)
		}
	}
	if r.Customer != "" {
		p.Customer = new(payments.Customer)
		if err := json.Unmarshal([]byte(r.Customer), p.Customer); err != nil {
			return nil, fmt.Errorf("payment %s: customer: %w", r.OrderID, err)
		}
	}
	if r.Items != "" {
		if err := json.Unmarshal([]byte(r.Items), &p.Items); err != nil {
			return nil, fmt.Errorf("payment %s: items: %w", r.OrderID, err)
		}
	}
	if r.Metadata != "" {
		p.Metadata = json.RawMessage(r.Metadata)
	}
	if r.ChargeResponse != "" {
		p.ChargeResponse = json.RawMessage(r.ChargeResponse)
	}
	return p, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// eventRow maps nusapay_payment_events, the audit trail.
type eventRow struct {
	bun.BaseModel `bun:"table:nusapay_payment_events,alias:e"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Account      string    `bun:"account,notnull"`
	PaymentID    string    `bun:"payment_id,notnull"`
	OrderID      string    `bun:"order_id,notnull"`
	Source       string    `bun:"source,notnull"`
	Actor        string    `bun:"actor,notnull"`
	FromStatus   string    `bun:"from_status,notnull"`
	FromFraud    string    `bun:"from_fraud,notnull"`
	FromRefunded int64     `bun:"from_refunded,notnull"`
	ToStatus     string    `bun:"to_status,notnull"`
	ToFraud      string    `bun:"to_fraud,notnull"`
	ToRefunded   int64     `bun:"to_refunded,notnull"`
	Decision     string    `bun:"decision,notnull"`
	Reason       string    `bun:"reason,notnull"`
	Payload      string    `bun:"payload,nullzero"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
}

func (r *eventRow) entry() payments.AuditEntry {
	e := payments.AuditEntry{
		ID:        r.ID,
		Account:   r.Account,
		PaymentID: r.PaymentID,
		OrderID:   r.OrderID,
		Source:    payments.Source(r.Source),
		Actor:     r.Actor,
		From:      payments.State{Status: payments.Status(r.FromStatus), Fraud: payments.FraudStatus(r.FromFraud), Refunded: payments.Amount(r.FromRefunded)},
		To:        payments.State{Status: payments.Status(r.ToStatus), Fraud: payments.FraudStatus(r.ToFraud), Refunded: payments.Amount(r.ToRefunded)},
		Decision:  decisionFromString(r.Decision),
		Reason:    payments.Reason(r.Reason),
		CreatedAt: utc(r.CreatedAt),
	}
	if r.Payload != "" {
		e.Payload = json.RawMessage(r.Payload)
	}
	return e
}

func decisionFromString(s string) payments.Decision {
	for _, d := range []payments.Decision{payments.Applied, payments.Stale, payments.Duplicate} {
		if d.String() == s {
			return d
		}
	}
	return 0
}

// refundRow maps nusapay_refunds.
type refundRow struct {
	bun.BaseModel `bun:"table:nusapay_refunds,alias:r"`

	ID         string    `bun:"id,pk"`
	Account    string    `bun:"account,notnull"`
	PaymentID  string    `bun:"payment_id,notnull"`
	OrderID    string    `bun:"order_id,notnull"`
	RefundKey  string    `bun:"refund_key,notnull"`
	Amount     int64     `bun:"amount,notnull"`
	Reason     string    `bun:"reason,notnull"`
	Direct     bool      `bun:"direct,notnull"`
	Status     string    `bun:"status,notnull"`
	StatusCode string    `bun:"status_code,notnull"`
	Message    string    `bun:"message,notnull"`
	Response   string    `bun:"response,nullzero"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	UpdatedAt  time.Time `bun:"updated_at,notnull"`
}

func rowFromRefund(r *payments.Refund) *refundRow {
	return &refundRow{
		Account:    r.Account,
		ID:         r.ID,
		PaymentID:  r.PaymentID,
		OrderID:    r.OrderID,
		RefundKey:  r.Key,
		Amount:     int64(r.Amount),
		Reason:     r.Reason,
		Direct:     r.Direct,
		Status:     string(r.Status),
		StatusCode: r.StatusCode,
		Message:    r.Message,
		Response:   string(r.Response),
		CreatedAt:  dbTime(r.CreatedAt),
		UpdatedAt:  dbTime(r.UpdatedAt),
	}
}

func (r *refundRow) refund() *payments.Refund {
	out := &payments.Refund{
		ID:         r.ID,
		Account:    r.Account,
		PaymentID:  r.PaymentID,
		OrderID:    r.OrderID,
		Key:        r.RefundKey,
		Amount:     payments.Amount(r.Amount),
		Reason:     r.Reason,
		Direct:     r.Direct,
		Status:     payments.RefundStatus(r.Status),
		StatusCode: r.StatusCode,
		Message:    r.Message,
		CreatedAt:  utc(r.CreatedAt),
		UpdatedAt:  utc(r.UpdatedAt),
	}
	if r.Response != "" {
		out.Response = json.RawMessage(r.Response)
	}
	return out
}

// inboxRow maps nusapay_inbox.
type inboxRow struct {
	bun.BaseModel `bun:"table:nusapay_inbox,alias:i"`

	ID             string    `bun:"id,pk"`
	Account        string    `bun:"account,notnull"`
	DedupKey       string    `bun:"dedup_key,notnull"`
	OrderID        string    `bun:"order_id,notnull"`
	TransactionID  string    `bun:"transaction_id,notnull"`
	Status         string    `bun:"status,notnull"`
	SignatureValid bool      `bun:"signature_valid,notnull"`
	State          string    `bun:"state,notnull"`
	Detail         string    `bun:"detail,notnull"`
	Body           string    `bun:"body,notnull"`
	ReceivedAt     time.Time `bun:"received_at,notnull"`
	ProcessedAt    time.Time `bun:"processed_at,nullzero"`
}

func (r *inboxRow) notification() *payments.Notification {
	return &payments.Notification{
		ID:             r.ID,
		Account:        r.Account,
		DedupKey:       r.DedupKey,
		OrderID:        r.OrderID,
		TransactionID:  r.TransactionID,
		Status:         r.Status,
		SignatureValid: r.SignatureValid,
		State:          payments.NotificationState(r.State),
		Detail:         r.Detail,
		Body:           json.RawMessage(r.Body),
		ReceivedAt:     utc(r.ReceivedAt),
		ProcessedAt:    utc(r.ProcessedAt),
	}
}

// outboxRow maps nusapay_outbox.
type outboxRow struct {
	bun.BaseModel `bun:"table:nusapay_outbox,alias:o"`

	Seq            int64     `bun:"seq,pk,autoincrement"`
	EventID        string    `bun:"event_id,notnull"`
	Account        string    `bun:"account,notnull"`
	PaymentID      string    `bun:"payment_id,notnull"`
	OrderID        string    `bun:"order_id,notnull"`
	Topic          string    `bun:"topic,notnull"`
	Payload        string    `bun:"payload,notnull"`
	Attempts       int       `bun:"attempts,notnull"`
	NextAttemptAt  time.Time `bun:"next_attempt_at,notnull"`
	LeaseOwner     string    `bun:"lease_owner,nullzero"`
	LeaseExpiresAt time.Time `bun:"lease_expires_at,nullzero"`
	DeliveredAt    time.Time `bun:"delivered_at,nullzero"`
	Dead           bool      `bun:"dead,notnull"`
	LastError      string    `bun:"last_error,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

func (r *outboxRow) event() *payments.OutboxEvent {
	return &payments.OutboxEvent{
		Seq:            r.Seq,
		ID:             r.EventID,
		Account:        r.Account,
		PaymentID:      r.PaymentID,
		OrderID:        r.OrderID,
		Signal:         payments.Signal(r.Topic),
		Payload:        json.RawMessage(r.Payload),
		Attempts:       r.Attempts,
		NextAttemptAt:  utc(r.NextAttemptAt),
		LeaseOwner:     r.LeaseOwner,
		LeaseExpiresAt: utc(r.LeaseExpiresAt),
		DeliveredAt:    utc(r.DeliveredAt),
		Dead:           r.Dead,
		LastError:      r.LastError,
		CreatedAt:      utc(r.CreatedAt),
	}
}

// actionRow maps nusapay_staff_actions, the staff action log.
type actionRow struct {
	bun.BaseModel `bun:"table:nusapay_staff_actions,alias:sa"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Account    string    `bun:"account,notnull"`
	OrderID    string    `bun:"order_id,notnull"`
	Actor      string    `bun:"actor,notnull"`
	Action     string    `bun:"action,notnull"`
	Detail     string    `bun:"detail,nullzero"`
	Result     string    `bun:"result,notnull"`
	Message    string    `bun:"message,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	FinishedAt time.Time `bun:"finished_at,nullzero"`
}

func (r *actionRow) action() *payments.StaffAction {
	a := &payments.StaffAction{
		ID: r.ID, Account: r.Account, OrderID: r.OrderID, Actor: r.Actor, Action: r.Action,
		Result: payments.ActionResult(r.Result), Message: r.Message,
		CreatedAt: utc(r.CreatedAt), FinishedAt: utc(r.FinishedAt),
	}
	if r.Detail != "" {
		a.Detail = json.RawMessage(r.Detail)
	}
	return a
}
