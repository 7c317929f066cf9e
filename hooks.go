package payments

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Signal names a kind of hook event, Django-signal style.
type Signal string

// Signals. Each applied change fires status_changed plus the specific
// signals below that describe it.
const (
	SignalCreated           Signal = "created"            // the payment row was written
	SignalPending           Signal = "pending"            // Midtrans accepted the charge; waiting for the customer
	SignalPaid              Signal = "paid"               // money taken: fulfil the order (fires at most once per payment)
	SignalInReview          Signal = "in_review"          // card capture challenged by fraud detection: approve or deny
	SignalAuthorized        Signal = "authorized"         // card pre-authorisation: capture or cancel
	SignalDenied            Signal = "denied"             // refused by the bank, provider or fraud detection
	SignalCancelled         Signal = "cancelled"          // cancelled or voided
	SignalExpired           Signal = "expired"            // not paid in time
	SignalFailed            Signal = "failed"             // Midtrans' "failure" status
	SignalRefunded          Signal = "refunded"           // fully refunded
	SignalPartiallyRefunded Signal = "partially_refunded" // a partial refund (fires for each further one)
	SignalChargedBack       Signal = "charged_back"       // chargeback or partial chargeback
	SignalReversed          Signal = "reversed"           // a paid payment was reversed to deny: undo fulfilment
	SignalAmountMismatch    Signal = "amount_mismatch"    // Midtrans reported another amount; nothing applied
	SignalStatusChanged     Signal = "status_changed"     // any applied change

	SignalSubscriptionCreated  Signal = "subscription_created"  // Midtrans confirmed a new subscription (Event.Subscription)
	SignalSubscriptionCharged  Signal = "subscription_charged"  // a subscription's charge was paid (Event.Payment.SubscriptionID)
	SignalSubscriptionFailed   Signal = "subscription_failed"   // a subscription's charge was denied, expired or failed
	SignalSubscriptionDisabled Signal = "subscription_disabled" // an active subscription stopped charging (Event.Subscription)
)

// Signals returns every signal, in declaration order.
func Signals() []Signal {
	return []Signal{
		SignalCreated, SignalPending, SignalPaid, SignalInReview, SignalAuthorized,
		SignalDenied, SignalCancelled, SignalExpired, SignalFailed, SignalRefunded,
		SignalPartiallyRefunded, SignalChargedBack, SignalReversed, SignalAmountMismatch,
		SignalStatusChanged,
		SignalSubscriptionCreated, SignalSubscriptionCharged, SignalSubscriptionFailed, SignalSubscriptionDisabled,
	}
}

// SignalsFor returns the signals an applied change from prev to next fires,
// specific ones first and status_changed last. Paid fires only when the
// payment was never paid before (prev.PaidAt is zero), so an order is
// fulfilled once even if Midtrans' reports wander.
func SignalsFor(prev, next *Payment) []Signal {
	var out []Signal
	prevOut, nextOut := prev.Outcome(), next.Outcome()
	if next.Status == StatusPending && prev.Status.Local() {
		// initiated and pending share an outcome, but Midtrans accepting
		// the charge is news: instructions are ready to show.
		out = append(out, SignalPending)
	}
	if prevOut != nextOut {
		switch nextOut {
		case OutcomePaid:
			if prev.PaidAt.IsZero() {
				out = append(out, SignalPaid)
			}
		case OutcomeInReview:
			out = append(out, SignalInReview)
		case OutcomeAuthorized:
			out = append(out, SignalAuthorized)
		}
	}
	if next.Status != prev.Status || nextOut != prevOut || next.RefundedAmount != prev.RefundedAmount {
		switch next.Status {
		case StatusDeny:
			if prevOut == OutcomePaid {
				out = append(out, SignalReversed)
			} else {
				out = append(out, SignalDenied)
			}
		case StatusCancel:
			out = append(out, SignalCancelled)
		case StatusExpire:
			out = append(out, SignalExpired)
		case StatusFailure:
			out = append(out, SignalFailed)
		case StatusRefund:
			out = append(out, SignalRefunded)
		case StatusPartialRefund:
			out = append(out, SignalPartiallyRefunded)
		case StatusChargeback, StatusPartialChargeback:
			out = append(out, SignalChargedBack)
		case StatusCapture, StatusSettlement, StatusAuthorize:
			if nextOut == OutcomeFailed && prevOut == OutcomePaid {
				out = append(out, SignalReversed) // fraud deny after the money was taken
			} else if nextOut == OutcomeFailed && prevOut != OutcomeFailed {
				out = append(out, SignalDenied)
			}
		}
	}
	out = recurringSignals(next, out)
	return append(out, SignalStatusChanged)
}

// Event is what a hook receiver gets. It is stored in the outbox as JSON in
// the same transaction as the change, so it survives a crash between commit
// and delivery.
type Event struct {
	// ID is stable across redeliveries: receivers dedupe on it.
	ID     string `json:"id"`
	Signal Signal `json:"signal"`
	Source Source `json:"source"`
	// Payment is the payment as it was right after the change; nil for
	// SignalSubscriptionCreated and SignalSubscriptionDisabled.
	Payment *Payment `json:"payment"`
	// Previous and Current are the states before and after the change
	// (equal for created and amount_mismatch events).
	Previous State `json:"previous"`
	Current  State `json:"current"`
	// Payload is the raw Midtrans JSON behind the change, when there was one.
	Payload    json.RawMessage `json:"payload,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
	// Attempt is the delivery attempt, from 1. Not stored.
	Attempt int `json:"-"`
	// LastError is why the last attempt failed; set for SignalDead
	// receivers. Not stored.
	LastError string `json:"-"`
	// Subscription is the subscription right after the change, for
	// SignalSubscriptionCreated and SignalSubscriptionDisabled (its Token
	// is never stored in an event).
	Subscription *Subscription `json:"subscription,omitempty"`
}

// SignalDead is fired, in process and best effort, when a hook event is
// given up after the configured number of attempts: the receivers get the
// dead event itself (its Signal is the original one) with LastError set.
// Watch it to alert a human; the event stays in the outbox, marked dead.
const SignalDead Signal = "dead"

// Receiver handles hook events. Returning an error (or panicking) makes the
// event be delivered again later, with backoff; return nil once the effect
// is done. Delivery is at least once: dedupe on Event.ID, or write your
// effect in the same transaction as a row keyed by it, to make it
// exactly once in effect (see the package documentation).
type Receiver func(ctx context.Context, e *Event) error

// hub holds one Service's receivers.
type hub struct {
	mu        sync.RWMutex
	next      int
	receivers map[Signal][]receiverEntry
	// done remembers, per event id, which receivers already handled it, so
	// a retry caused by one failing receiver does not repeat the others in
	// this process. Entries go when the event is delivered or dead.
	done map[string]map[int]bool
}

type receiverEntry struct {
	id int
	fn Receiver
}

func newHub() *hub {
	return &hub{receivers: map[Signal][]receiverEntry{}, done: map[string]map[int]bool{}}
}

// Connect registers r for sig and returns a function that disconnects it.
// Connect receivers before Run starts delivering: an event whose signal has
// no receiver when it is delivered is acknowledged and not kept.
func (s *Service) Connect(sig Signal, r Receiver) (disconnect func()) {
	h := s.hooks
	h.mu.Lock()
	h.next++
	id := h.next
	h.receivers[sig] = append(h.receivers[sig], receiverEntry{id: id, fn: r})
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			list := h.receivers[sig]
			for i, e := range list {
				if e.id == id {
					h.receivers[sig] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
		})
	}
}

func (h *hub) snapshot(sig Signal) []receiverEntry {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]receiverEntry(nil), h.receivers[sig]...)
}

func (h *hub) handled(eventID string, receiver int) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.done[eventID][receiver]
}

func (h *hub) markHandled(eventID string, receiver int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done[eventID] == nil {
		h.done[eventID] = map[int]bool{}
	}
	h.done[eventID][receiver] = true
}

func (h *hub) forget(eventID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.done, eventID)
}
