package payments

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// Store persists payments, their audit trail, refunds, the notification
// inbox and the hook outbox. The store package implements it with Bun for
// PostgreSQL and SQLite; store/storetest is the conformance suite any other
// implementation must pass.
//
// Rules every implementation keeps:
//
//   - Atomic: Apply and CreatePayment each run as one database transaction
//     (a savepoint inside the host's transaction when the store is bound to
//     one). Either the payment row, its audit row and its outbox events are
//     all written, or none is.
//   - Uniqueness comes from constraints, never from a read before a write:
//     order ids, transaction ids, refund keys, notification dedup keys and
//     event ids.
//   - Idempotent: repeating Apply with the same target is a Duplicate that
//     writes only an audit row; repeating CreateRefund with the same key
//     returns the stored refund; repeating InsertNotification with the same
//     dedup key inserts nothing.
//   - Concurrency: Apply compares and sets on (status, version). Of any
//     number of concurrent conflicting changes exactly one is applied; the
//     others are decided again against the winner's state and come back
//     Stale or Duplicate, never applied twice.
//   - Context: a cancelled or expired ctx aborts the call; the transaction is
//     rolled back and nothing is written. A call that returned an error other
//     than ctx's own may have been rolled back by the database; nothing is
//     ever half written.
//   - Accounts: every row belongs to one merchant account, and a Store
//     is a view of one account (see ForAccount). Every read, write, claim
//     and reconcile sweep of a view sees and touches only its account's
//     rows; the rows it writes carry the account. Uniqueness of order ids,
//     transaction ids and notification dedup keys is per account, so two
//     merchants' order ids never collide. A payment id, refund id, event id
//     or seq of another account is not found (ErrNotFound, ErrLeaseLost),
//     never read or changed.
type Store interface {
	PaymentStore
	RefundStore
	Inbox
	Outbox
	ActionLog
	PayAccountStore
	SubscriptionStore
	// ForAccount returns a view of the same store (same database, same
	// transaction binding) scoped to account. It is cheap and does no I/O;
	// New calls it once and uses only the view. A new store's own account,
	// before any ForAccount, is DefaultAccount.
	ForAccount(account string) Store
}

// DefaultAccount is the account of a Service built without WithAccount, and
// of every row written before accounts existed.
const DefaultAccount = "default"

// PaymentStore holds payments and their audit trail.
type PaymentStore interface {
	// CreatePayment plans p with PlanCreate and, in one transaction,
	// inserts the plan's payment, audit row and "created" event, with
	// p.Account set to the store's account; p is then the payment as
	// stored. An order id that already has a payment in the account
	// returns an error wrapping ErrDuplicateOrder.
	CreatePayment(ctx context.Context, p *Payment) error
	// Payment returns the payment for an order id, or ErrNotFound.
	Payment(ctx context.Context, orderID string) (*Payment, error)
	// PaymentByTransactionID returns the payment with a Midtrans
	// transaction id, or ErrNotFound.
	PaymentByTransactionID(ctx context.Context, transactionID string) (*Payment, error)
	// Apply validates c (Change.Validate), then in one transaction locks
	// the payment, plans c against it with Plan, and carries the plan out:
	// the plan's Next with a compare-and-set on the status and version it
	// was planned against, its audit row and its outbox events. It decides
	// nothing itself. When the compare-and-set keeps failing, it plans
	// c.GiveUp() instead. Unknown order → ErrNotFound.
	Apply(ctx context.Context, c *Change) (*ApplyResult, error)
	// History returns the audit trail of a payment, oldest first.
	History(ctx context.Context, paymentID string) ([]AuditEntry, error)
	// ClaimReconcile claims up to q.Limit of the account's payments a
	// status sync should look at (see ReconcileQuery) and returns them, in
	// no particular order. The claim is the pacing mark itself: in one
	// atomic step each payment is selected and recorded synced at at (as
	// MarkSynced records it), so it is not due again, for any claimer, until
	// a query whose SyncedBefore is at or after at. Concurrent claims, from
	// this process or other replicas on the same database, therefore return
	// disjoint sets, and the reconciler's replicas share its work as they
	// share hook delivery; a payment whose claimer dies is claimed again
	// once due again. q.SyncedBefore must be set and before at. A claim
	// never waits for another claimer's rows (FOR UPDATE SKIP LOCKED on
	// PostgreSQL and MySQL; SQLite's write transactions are serialised),
	// and it reads only what is due, through indexes, so its cost follows
	// the number of due payments, not the size of the table. It does not
	// change the version.
	ClaimReconcile(ctx context.Context, q ReconcileQuery, at time.Time) ([]*Payment, error)
	// MarkSynced records that a payment was checked with Midtrans at t, so
	// the reconciler paces itself. It does not change the version.
	MarkSynced(ctx context.Context, paymentID string, t time.Time) error
	// ListPayments returns one page of the account's payments that match
	// q, newest first by (CreatedAt, ID), with keyset pagination: a page
	// never repeats or skips a payment of an earlier page, whatever is
	// inserted meanwhile (new payments sort before the cursor). It calls
	// q.Validate first, so bad input is a *ValidationError naming the
	// field. Outcomes are matched through StatesOf, never a rule of the
	// store's own.
	ListPayments(ctx context.Context, q PaymentQuery) (*PaymentPage, error)
	// Timeline returns an order's payment with its audit trail, its
	// notifications (inbox rows with its order id), refunds and hook
	// events, each oldest first. The lists are read one after another,
	// not as one snapshot. Unknown order → ErrNotFound.
	Timeline(ctx context.Context, orderID string) (*Timeline, error)
}

// RefundStore holds refunds, keyed by their refund key.
type RefundStore interface {
	// CreateRefund stores r before Midtrans is called, in one transaction
	// that locks r's payment, reads its refunds and plans r with
	// PlanNewRefund, so the amount is reserved atomically: of concurrent
	// refunds only those within Refundable are stored. When r.Key already
	// exists for the payment (keys are unique per payment) it stores
	// nothing and returns the existing refund with created=false, so a
	// retried refund reuses its key and never refunds twice.
	CreateRefund(ctx context.Context, r *Refund) (stored *Refund, created bool, err error)
	// AnswerRefund records answer, Midtrans' answer to the stored refund
	// with answer.ID, in one transaction: it locks the refund's payment,
	// reads its refunds, plans with PlanRefundAnswer and carries the plan
	// out — the refund row moves only forward (a compare-and-set on
	// RefundStatusesBecoming), and when the refund is succeeded and c is
	// given, the payment's plan is written as Apply writes one. It returns
	// the refund as stored afterwards and, when the payment was planned,
	// the ApplyResult. Unknown refund → ErrNotFound.
	AnswerRefund(ctx context.Context, answer *Refund, c *Change) (*Refund, *ApplyResult, error)
	// Refunds lists a payment's refunds, oldest first.
	Refunds(ctx context.Context, paymentID string) ([]*Refund, error)
}

// Inbox records every notification received, deduplicated by key.
type Inbox interface {
	// InsertNotification stores n unless its DedupKey was seen before
	// (ON CONFLICT DO NOTHING); inserted reports which. n.ID is filled.
	InsertNotification(ctx context.Context, n *Notification) (inserted bool, err error)
	// FinishNotification records how processing ended. A notification
	// that failed may be finished again by a later copy.
	FinishNotification(ctx context.Context, id string, state NotificationState, detail string) error
	// ApplyNotification records notification n and applies the change it
	// brings, in one transaction: it locks the payment with n.OrderID,
	// builds the change from it with change (called again if the
	// transaction is retried), validates and plans it with Plan, stores n
	// already finished, its State and Detail set by NotificationOutcome of
	// the plan's verdict, and carries the plan out as Apply does. n is
	// inserted, or, when a copy with its DedupKey is stored unfinished
	// (received or failed: an earlier attempt), that copy is finished in
	// its place. When the stored copy is finished already, nothing is
	// written and recorded is false: n is a duplicate. Concurrent copies
	// therefore meet at the payment's lock and the inbox key, and exactly
	// one records the notification. Unknown order → ErrNotFound, with
	// nothing written. n.ID, n.Account and n.ProcessedAt are filled.
	ApplyNotification(ctx context.Context, n *Notification, change func(prev *Payment) *Change) (res *ApplyResult, recorded bool, err error)
	// NotificationByDedupKey returns a stored notification, or ErrNotFound,
	// with its state and the ReceivedAt it was inserted with: copies of a
	// notification tell one in flight from one whose processor is gone by
	// them, so FinishNotification never changes ReceivedAt.
	NotificationByDedupKey(ctx context.Context, key string) (*Notification, error)
	// NotificationByID returns a stored notification by its id, or
	// ErrNotFound.
	NotificationByID(ctx context.Context, id string) (*Notification, error)
	// PruneNotifications deletes the account's finished notifications
	// (processed, ignored or rejected) with ProcessedAt before before; it
	// never deletes received or failed ones. It deletes in batches of at
	// most limit rows, each statement its own short transaction, until a
	// batch deletes fewer or ctx ends, and returns how many it deleted.
	PruneNotifications(ctx context.Context, before time.Time, limit int) (int, error)
}

// Outbox holds hook events until they are delivered. Several processes may
// claim concurrently: each event is leased to one owner at a time.
type Outbox interface {
	// ClaimEvents leases up to limit due events to owner until now+lease,
	// counting an attempt for each. Per payment only the oldest pending event
	// is claimable, so events are delivered in order per payment.
	ClaimEvents(ctx context.Context, owner string, limit int, lease time.Duration) ([]*OutboxEvent, error)
	// MarkDelivered finishes an event. ErrLeaseLost if owner no longer holds it.
	MarkDelivered(ctx context.Context, seq int64, owner string) error
	// MarkDeliveredBatch finishes, in one statement, every event of seqs
	// that owner still holds, and returns the others in ascending order:
	// those whose lease another owner took, that are already delivered or
	// dead, or that are unknown or of another account. Those are left
	// unchanged, as MarkDelivered leaves an event on ErrLeaseLost. On an
	// error none is finished: the events stay leased, and are claimed and
	// delivered again once the lease runs out. Empty seqs is a no-op.
	MarkDeliveredBatch(ctx context.Context, seqs []int64, owner string) (lost []int64, err error)
	// RetryEvent releases an event to be claimed again at or after at.
	RetryEvent(ctx context.Context, seq int64, owner string, at time.Time, lastErr string) error
	// MarkDead gives up on an event; it is kept for inspection and no longer
	// blocks later events of its payment.
	MarkDead(ctx context.Context, seq int64, owner string, lastErr string) error
	// Event returns an event by its stable event id, or ErrNotFound.
	Event(ctx context.Context, eventID string) (*OutboxEvent, error)
	// RequeueEvent puts a dead event back to be delivered: no longer dead,
	// due now, unleased, with its attempts reset to 0, so it gets the full
	// retry budget again (with the count kept, the first failure would bury
	// it at once); LastError is kept until the next attempt. It blocks later
	// events of its payment again until delivered, but events delivered
	// while it was dead stay delivered: a requeued event arrives out of
	// order. Unknown event → ErrNotFound; an event that is not dead →
	// ErrNotAllowed.
	RequeueEvent(ctx context.Context, eventID string) error
	// PruneEvents deletes the account's delivered events with DeliveredAt
	// before before; it never deletes pending or dead ones. It deletes in
	// batches of at most limit rows, each statement its own short
	// transaction, until a batch deletes fewer or ctx ends, and returns how
	// many it deleted.
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, error)
	// OldestPendingEvent returns when the account's oldest pending event
	// (neither delivered nor dead: waiting, leased or due for a retry) was
	// created, with ok false when none is pending: how far delivery lags.
	// It reads one row through an index, cheap enough for a metric
	// callback.
	OldestPendingEvent(ctx context.Context) (createdAt time.Time, ok bool, err error)
}

// ErrLeaseLost: the outbox event's lease expired and another owner took it.
var ErrLeaseLost = errors.New("payments: outbox lease lost")

// Change is a proposed status change and the facts that come with it.
type Change struct {
	// OrderID names the payment.
	OrderID string
	// To is the proposed state.
	To State
	// Source is where the change came from.
	Source Source
	// Actor is who asked for the change (ActorFrom of the staff action's
	// ctx); "" for changes nobody asked for by name.
	Actor string
	// Reject, when set, records the change as stale with this reason
	// without deciding it (an amount mismatch is never applied).
	Reject Reason

	// Facts merged into the payment when the change is applied. Zero values
	// keep what the payment has.
	TransactionID string
	PaymentType   string
	StatusMessage string
	Instructions  *Instructions
	ExpiresAt     time.Time
	// Amount is a new gross amount, set when a card pre-authorisation is
	// captured in part; zero keeps the payment's amount.
	Amount         Amount
	ChargeResponse json.RawMessage
	// TransactionTime and SettlementTime are Midtrans' own times for the
	// transaction (transaction_time, settlement_time).
	TransactionTime time.Time
	SettlementTime  time.Time
	// CustomField1..3 are the custom fields Midtrans echoes.
	CustomField1 string
	CustomField2 string
	CustomField3 string
	// Refunds are refunds Midtrans reports done (refunds[] of a status
	// answer or notification, ReportedRefunds): each becomes a succeeded
	// refund record of the payment.
	Refunds []Refund
	// Payload is the raw Midtrans JSON behind the change, kept in the audit
	// row and passed to hooks.
	Payload json.RawMessage
	// At is when the change was observed; zero means now.
	At time.Time
}

// ReasonAmountMismatch rejects a change whose reported amount differs from
// the payment's.
const ReasonAmountMismatch Reason = "amount mismatch"

// ReasonConcurrent: the change kept losing the compare-and-set to
// concurrent changes and was given up as stale.
const ReasonConcurrent Reason = "lost to concurrent changes"

// ApplyResult is what Apply did.
type ApplyResult struct {
	Verdict Verdict
	// Previous is the state the change was decided against.
	Previous State
	// Payment is the payment after the call (unchanged unless applied).
	Payment *Payment
	// Events are the hook events written to the outbox.
	Events []*OutboxEvent
}

// AuditEntry is one row of a payment's append-only audit trail: every
// applied or ignored change.
type AuditEntry struct {
	ID        int64
	Account   string
	PaymentID string
	OrderID   string
	Source    Source
	// Actor is the Change's Actor: who asked for it.
	Actor     string
	From      State
	To        State
	Decision  Decision
	Reason    Reason
	Payload   json.RawMessage
	CreatedAt time.Time
}

// ReconcileQuery selects payments a status sync should check: those whose
// outcome is unknown (initiated or unknown and untouched since
// UnknownBefore), pending since before PendingBefore, or pending with an
// expiry before ExpiredBefore — and not synced (nor claimed) since
// SyncedBefore: never, or at or before it. A zero time leaves its
// criterion out; with none of the first three, nothing is selected.
type ReconcileQuery struct {
	UnknownBefore time.Time
	PendingBefore time.Time
	ExpiredBefore time.Time
	SyncedBefore  time.Time
	// Limit is the most payments one claim returns (positive).
	Limit int
}

// Validate reports a ReconcileQuery that cannot be claimed at at: Limit
// must be positive, and SyncedBefore set and before at, or the claim
// would not keep the payments it returns from the next claimer.
func (q ReconcileQuery) Validate(at time.Time) error {
	switch {
	case q.Limit <= 0:
		return errors.New("payments: reconcile claim: limit must be positive")
	case q.SyncedBefore.IsZero() || !q.SyncedBefore.Before(at):
		return errors.New("payments: reconcile claim: SyncedBefore must be set and before the claim time")
	}
	return nil
}

// Refund is one refund request, stored before Midtrans is called.
type Refund struct {
	ID        string
	Account   string
	PaymentID string
	OrderID   string
	// Key is the refund_key sent to Midtrans: unique, reused on retry.
	Key    string
	Amount Amount
	Reason string
	Direct bool
	Status RefundStatus
	// StatusCode and Message are Midtrans' answer.
	StatusCode string
	Message    string
	Response   json.RawMessage
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RefundStatus is where a refund request stands.
type RefundStatus string

// Refund statuses.
const (
	RefundRequested RefundStatus = "requested" // stored, Midtrans not answered yet
	RefundSucceeded RefundStatus = "succeeded" // Midtrans accepted it
	RefundFailed    RefundStatus = "failed"    // Midtrans refused it
	RefundUnknown   RefundStatus = "unknown"   // the call's outcome is unknown; retry with the same key
)

// Notification is one Midtrans HTTP notification as received.
type Notification struct {
	ID             string
	Account        string
	DedupKey       string
	OrderID        string
	TransactionID  string
	Status         string
	SignatureValid bool
	State          NotificationState
	Detail         string
	Body           json.RawMessage
	ReceivedAt     time.Time
	ProcessedAt    time.Time
}

// NotificationState is how far a notification got.
type NotificationState string

// Notification states.
const (
	NotificationReceived  NotificationState = "received"
	NotificationProcessed NotificationState = "processed"
	NotificationIgnored   NotificationState = "ignored" // stale, duplicate, unknown order, test ping
	NotificationRejected  NotificationState = "rejected"
	NotificationFailed    NotificationState = "failed" // transient failure; Midtrans will retry
)

// NotificationOutcome is the inbox state and detail of a notification
// whose change the status machine decided with v: rejected for an amount
// mismatch (recorded and signalled, never applied), processed otherwise.
func NotificationOutcome(v Verdict) (NotificationState, string) {
	detail := v.Decision.String() + ": " + string(v.Reason)
	if v.Reason == ReasonAmountMismatch {
		return NotificationRejected, detail
	}
	return NotificationProcessed, detail
}

// FinishedNotificationStates are the inbox states whose outcome is
// committed, which a notification never leaves: processed, ignored and
// rejected.
func FinishedNotificationStates() []NotificationState {
	return []NotificationState{NotificationProcessed, NotificationIgnored, NotificationRejected}
}

// Finished reports whether st is one of FinishedNotificationStates.
func (st NotificationState) Finished() bool {
	return slices.Contains(FinishedNotificationStates(), st)
}

// OutboxEvent is a hook event waiting for, or past, delivery.
type OutboxEvent struct {
	// Seq orders events; per payment they are delivered in Seq order.
	Seq int64
	// ID is the stable event id receivers dedupe on.
	ID             string
	Account        string
	PaymentID      string
	OrderID        string
	Signal         Signal
	Payload        json.RawMessage
	Attempts       int
	NextAttemptAt  time.Time
	LeaseOwner     string
	LeaseExpiresAt time.Time
	DeliveredAt    time.Time
	Dead           bool
	LastError      string
	CreatedAt      time.Time
}

// DeliveryState is where the event stands, in one word: "delivered",
// "dead" (given up; RequeueEvent puts it back) or "pending".
func (e *OutboxEvent) DeliveryState() string {
	switch {
	case !e.DeliveredAt.IsZero():
		return "delivered"
	case e.Dead:
		return "dead"
	}
	return "pending"
}
