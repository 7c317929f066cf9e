package payments

import (
	"strings"
)

// Status is a payment's state: a Midtrans transaction_status, or one of the
// two local states a payment has before Midtrans has told us anything.
//
// Midtrans values are stored exactly as Midtrans spells them (lower case);
// ParseStatus normalises case because the DANA samples use "PENDING".
type Status string

// Local statuses.
const (
	// StatusInitiated: the row is written, Midtrans has not been called yet
	// or its answer has not been applied. Writing it first means a fast
	// notification always finds its payment.
	StatusInitiated Status = "initiated"
	// StatusUnknown: the charge call timed out or the connection broke, so
	// Midtrans may or may not have created the transaction. Never treated as
	// failed; a status sync resolves it.
	StatusUnknown Status = "unknown"
)

// Midtrans transaction_status values, as its docs list them.
const (
	StatusPending           Status = "pending"
	StatusAuthorize         Status = "authorize"
	StatusCapture           Status = "capture"
	StatusSettlement        Status = "settlement"
	StatusDeny              Status = "deny"
	StatusCancel            Status = "cancel"
	StatusExpire            Status = "expire"
	StatusFailure           Status = "failure"
	StatusRefund            Status = "refund"
	StatusPartialRefund     Status = "partial_refund"
	StatusChargeback        Status = "chargeback"
	StatusPartialChargeback Status = "partial_chargeback"
)

// Bit positions of the known statuses in a statusSet, in declaration order.
const (
	idxInitiated = iota
	idxUnknown
	idxPending
	idxAuthorize
	idxCapture
	idxSettlement
	idxDeny
	idxCancel
	idxExpire
	idxFailure
	idxRefund
	idxPartialRefund
	idxChargeback
	idxPartialChargeback
	numStatuses
)

// index gives every known status its bit position in a statusSet; -1 for
// statuses this package does not know.
func (s Status) index() int {
	switch s {
	case StatusInitiated:
		return idxInitiated
	case StatusUnknown:
		return idxUnknown
	case StatusPending:
		return idxPending
	case StatusAuthorize:
		return idxAuthorize
	case StatusCapture:
		return idxCapture
	case StatusSettlement:
		return idxSettlement
	case StatusDeny:
		return idxDeny
	case StatusCancel:
		return idxCancel
	case StatusExpire:
		return idxExpire
	case StatusFailure:
		return idxFailure
	case StatusRefund:
		return idxRefund
	case StatusPartialRefund:
		return idxPartialRefund
	case StatusChargeback:
		return idxChargeback
	case StatusPartialChargeback:
		return idxPartialChargeback
	}
	return -1
}

// Statuses returns every status this package knows, local ones first.
func Statuses() []Status {
	return []Status{
		StatusInitiated, StatusUnknown,
		StatusPending, StatusAuthorize, StatusCapture, StatusSettlement,
		StatusDeny, StatusCancel, StatusExpire, StatusFailure,
		StatusRefund, StatusPartialRefund, StatusChargeback, StatusPartialChargeback,
	}
}

// ParseStatus normalises a transaction_status from Midtrans (trims spaces,
// lower-cases). The result may be a value this package does not know — new
// statuses appear over time — which Known reports and Decide never applies.
func ParseStatus(s string) Status {
	return Status(strings.ToLower(strings.TrimSpace(s)))
}

// Known reports whether s is one of the statuses in Statuses.
func (s Status) Known() bool { return s.index() >= 0 }

// Local reports whether s is a local status that Midtrans never sends.
func (s Status) Local() bool { return s == StatusInitiated || s == StatusUnknown }

// Final reports whether no further change is expected in the normal course:
// deny, refund and chargeback. Late payments can still follow cancel, expire
// and failure (see Transitions), so they are not final.
func (s Status) Final() bool {
	switch s {
	case StatusDeny, StatusRefund, StatusChargeback:
		return true
	}
	return false
}

// FraudStatus is Midtrans' fraud_status. Empty means "not evaluated", not
// denied (cstore and some expire notifications carry none).
type FraudStatus string

// Fraud statuses.
const (
	FraudNone      FraudStatus = ""
	FraudAccept    FraudStatus = "accept"
	FraudChallenge FraudStatus = "challenge"
	FraudDeny      FraudStatus = "deny"
)

// ParseFraudStatus normalises a fraud_status from Midtrans.
func ParseFraudStatus(s string) FraudStatus {
	return FraudStatus(strings.ToLower(strings.TrimSpace(s)))
}

// Outcome is what a status means for the merchant's order.
type Outcome string

// Outcomes.
const (
	OutcomePending           Outcome = "pending"
	OutcomeInReview          Outcome = "in_review"
	OutcomeAuthorized        Outcome = "authorized"
	OutcomePaid              Outcome = "paid"
	OutcomeFailed            Outcome = "failed"
	OutcomeRefunded          Outcome = "refunded"
	OutcomePartiallyRefunded Outcome = "partially_refunded"
	OutcomeChargedBack       Outcome = "charged_back"
	// OutcomeUnknown: the charge outcome is not known yet (StatusUnknown), or
	// Midtrans sent a status this package does not recognise.
	OutcomeUnknown Outcome = "unknown"
)

// OutcomeOf maps a status and fraud status to an outcome, following the
// Midtrans rule: paid ⇔ settlement, or capture, with fraud_status accept or
// absent. A challenged capture is in review (do not ship); a fraud deny is
// failed whatever the status says.
func OutcomeOf(s Status, f FraudStatus) Outcome {
	switch s {
	case StatusInitiated, StatusPending:
		return OutcomePending
	case StatusAuthorize, StatusCapture, StatusSettlement:
		switch f {
		case FraudChallenge:
			return OutcomeInReview
		case FraudDeny:
			return OutcomeFailed
		}
		if s == StatusAuthorize {
			return OutcomeAuthorized
		}
		return OutcomePaid
	case StatusDeny, StatusCancel, StatusExpire, StatusFailure:
		return OutcomeFailed
	case StatusRefund:
		return OutcomeRefunded
	case StatusPartialRefund:
		return OutcomePartiallyRefunded
	case StatusChargeback, StatusPartialChargeback:
		return OutcomeChargedBack
	}
	return OutcomeUnknown
}

// State is what the status machine compares: the status, the fraud status,
// and the total refunded (or charged back) so far, which tells a second
// partial refund from a repeated notification of the first.
type State struct {
	Status   Status      `json:"status"`
	Fraud    FraudStatus `json:"fraud_status,omitempty"`
	Refunded Amount      `json:"refunded_amount"`
}

// Outcome is OutcomeOf(s.Status, s.Fraud).
func (s State) Outcome() Outcome { return OutcomeOf(s.Status, s.Fraud) }

// String is the state for people: "settlement/accept (refunded Rp 5.000)",
// "-" for no status.
func (s State) String() string {
	if s.Status == "" {
		return "-"
	}
	out := string(s.Status)
	if s.Fraud != "" {
		out += "/" + string(s.Fraud)
	}
	if s.Refunded != 0 {
		out += " (refunded " + s.Refunded.Rupiah() + ")"
	}
	return out
}

// Decision is the status machine's verdict on a proposed change.
type Decision uint8

// Decisions.
const (
	// Applied: the change moves the payment forward; store it and fire hooks.
	Applied Decision = iota + 1
	// Stale: the change is out of order, forbidden or unrecognised; record it
	// in the audit log, acknowledge it, change nothing.
	Stale
	// Duplicate: the payment is already in that state; acknowledge, change nothing.
	Duplicate
)

func (d Decision) String() string {
	switch d {
	case Applied:
		return "applied"
	case Stale:
		return "stale"
	case Duplicate:
		return "duplicate"
	}
	return "invalid"
}

// Reason says why Decide decided what it did; it is stored in the audit log.
type Reason string

// Reasons.
const (
	ReasonAllowed          Reason = "allowed by the transition table"
	ReasonNotAllowed       Reason = "not allowed by the transition table"
	ReasonSame             Reason = "already in this state"
	ReasonReviewResolved   Reason = "fraud review resolved"
	ReasonFraudDenied      Reason = "fraud status denied"
	ReasonFraudRegressed   Reason = "older fraud status"
	ReasonMoreRefunded     Reason = "further refund or chargeback"
	ReasonLessRefunded     Reason = "older refund or chargeback total"
	ReasonUnrecognized     Reason = "unrecognised status"
	ReasonFromUnrecognized Reason = "current status is unrecognised"
)

// Verdict is Decide's answer.
type Verdict struct {
	Decision Decision
	Reason   Reason
}

// statusSet is a set of known statuses as bits of Status.index.
type statusSet uint16

const (
	bitInitiated         statusSet = 1 << idxInitiated
	bitUnknown           statusSet = 1 << idxUnknown
	bitPending           statusSet = 1 << idxPending
	bitAuthorize         statusSet = 1 << idxAuthorize
	bitCapture           statusSet = 1 << idxCapture
	bitSettlement        statusSet = 1 << idxSettlement
	bitDeny              statusSet = 1 << idxDeny
	bitCancel            statusSet = 1 << idxCancel
	bitExpire            statusSet = 1 << idxExpire
	bitFailure           statusSet = 1 << idxFailure
	bitRefund            statusSet = 1 << idxRefund
	bitPartialRefund     statusSet = 1 << idxPartialRefund
	bitChargeback        statusSet = 1 << idxChargeback
	bitPartialChargeback statusSet = 1 << idxPartialChargeback

	// money came back: a refund or chargeback implies a payment happened,
	// even when its own notification was missed.
	bitsReturned = bitRefund | bitPartialRefund | bitChargeback | bitPartialChargeback
	bitsPaid     = bitCapture | bitSettlement
	bitsFailed   = bitDeny | bitCancel | bitExpire | bitFailure
	bitsMidtrans = bitPending | bitAuthorize | bitsPaid | bitsFailed | bitsReturned
)

// transitionTable is the status machine as data: row = current status,
// bits = statuses it may change to. Anything else is stale. Equal statuses
// are decided by Decide's refinements, not here.
//
// Why each row is what it is:
//   - initiated/unknown: we know nothing yet, so whatever Midtrans reports wins.
//   - pending/authorize: any result may follow; a refund or chargeback means a
//     payment we missed was made and returned.
//   - capture: settles, is voided (cancel), denied after review or by a
//     reversal, refunded or charged back. Never back to pending/authorize.
//   - settlement: only money-back states and deny (a provider reversal,
//     which Midtrans documents for Permata VA, Mandiri bill and
//     Indomaret, within minutes of the settlement).
//   - deny is final: it may be a reversal of a settlement, so a late
//     settlement or capture must be a stale replay, never a second payment.
//   - cancel: a voided capture can be replayed, so capture is stale; but
//     settlement never precedes cancel, so a settlement after cancel is a real
//     late payment (the customer paid as the merchant cancelled).
//   - expire/failure: nothing paid precedes them, so capture or settlement
//     after them is a real late payment (a VA paid at the last second).
//   - refund and chargeback are final; partial ones may grow into full ones.
func transitionTable() [numStatuses]statusSet {
	return [numStatuses]statusSet{
		idxInitiated:         bitUnknown | bitsMidtrans,
		idxUnknown:           bitsMidtrans,
		idxPending:           bitsMidtrans &^ bitPending,
		idxAuthorize:         bitsMidtrans &^ (bitPending | bitAuthorize),
		idxCapture:           bitSettlement | bitDeny | bitCancel | bitsReturned,
		idxSettlement:        bitDeny | bitsReturned,
		idxDeny:              0,
		idxCancel:            bitSettlement | bitsReturned,
		idxExpire:            bitsPaid | bitsReturned,
		idxFailure:           bitsPaid | bitsReturned,
		idxRefund:            0,
		idxPartialRefund:     bitRefund | bitChargeback | bitPartialChargeback,
		idxChargeback:        0,
		idxPartialChargeback: bitChargeback | bitRefund,
	}
}

// Transitions returns the transition table: for each known status, the other
// statuses it may change to. The map is a fresh copy; changing it changes nothing.
func Transitions() map[Status][]Status {
	table := transitionTable()
	all := Statuses()
	out := make(map[Status][]Status, len(all))
	for _, from := range all {
		next := []Status{}
		for _, to := range all {
			if table[from.index()]&(1<<to.index()) != 0 {
				next = append(next, to)
			}
		}
		out[from] = next
	}
	return out
}

// moneyTaken reports outcomes in which the customer's money was taken.
func moneyTaken(o Outcome) bool {
	switch o {
	case OutcomePaid, OutcomeRefunded, OutcomePartiallyRefunded, OutcomeChargedBack:
		return true
	}
	return false
}

// undecided reports outcomes in which it is not yet known whether money is taken.
func undecided(o Outcome) bool {
	switch o {
	case OutcomePending, OutcomeInReview, OutcomeAuthorized, OutcomeUnknown:
		return true
	}
	return false
}

// Decide says whether changing a payment from one state to another is
// applied, stale or a duplicate. It decides every change whatever its source
// (charge response, notification, status sync, operation, reconciler), so
// out-of-order and repeated deliveries can never move a payment backwards or
// fire a hook twice.
//
// Same-status changes are refined: a challenged card that is approved or
// denied moves on (capture+challenge → capture+accept is applied); a larger
// refunded total is a further partial refund; anything else is a duplicate.
func Decide(from, to State) Verdict {
	if !to.Status.Known() {
		return Verdict{Stale, ReasonUnrecognized}
	}
	if !from.Status.Known() {
		// A row can only hold a known status; be safe if it does not.
		return Verdict{Stale, ReasonFromUnrecognized}
	}
	if from.Status != to.Status {
		if transitionTable()[from.Status.index()]&(1<<to.Status.index()) == 0 {
			return Verdict{Stale, ReasonNotAllowed}
		}
		if moneyTaken(from.Outcome()) && undecided(to.Outcome()) {
			// capture → settlement is allowed, but not a settlement that
			// reports a fraud challenge after the money was taken.
			return Verdict{Stale, ReasonFraudRegressed}
		}
		return Verdict{Applied, ReasonAllowed}
	}
	if fromOut, toOut := from.Outcome(), to.Outcome(); fromOut != toOut {
		switch {
		case fromOut == OutcomeInReview:
			return Verdict{Applied, ReasonReviewResolved}
		case toOut == OutcomeFailed:
			return Verdict{Applied, ReasonFraudDenied}
		default:
			return Verdict{Stale, ReasonFraudRegressed}
		}
	}
	switch to.Status {
	case StatusPartialRefund, StatusPartialChargeback:
		switch {
		case to.Refunded > from.Refunded:
			return Verdict{Applied, ReasonMoreRefunded}
		case to.Refunded < from.Refunded:
			return Verdict{Stale, ReasonLessRefunded}
		}
	}
	return Verdict{Duplicate, ReasonSame}
}

// StatusCodeAllows reports whether Midtrans sends a notification with
// status_code code for a transaction in status s with fraud status f:
//
//	200  capture and settlement (fraud accept or none), authorize, refund,
//	     partial_refund, chargeback, partial_chargeback
//	201  pending, and a capture held for review (fraud challenge)
//	202  deny, cancel, expire, failure
//	407  expire
//
// The signature covers status_code but not transaction_status, so without
// confirmation this rule is what ties the applied status to what Midtrans
// signed. It describes notifications only: GET status answers use their
// codes more loosely.
func StatusCodeAllows(code string, s Status, f FraudStatus) bool {
	switch code {
	case "200":
		switch s {
		case StatusCapture, StatusSettlement:
			return f == FraudNone || f == FraudAccept
		case StatusAuthorize, StatusRefund, StatusPartialRefund, StatusChargeback, StatusPartialChargeback:
			return true
		}
	case "201":
		return s == StatusPending || (s == StatusCapture && f == FraudChallenge)
	case "202":
		return s == StatusDeny || s == StatusCancel || s == StatusExpire || s == StatusFailure
	case "407":
		return s == StatusExpire
	}
	return false
}
