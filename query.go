package payments

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StateMatch is a set of (status, fraud status) pairs in a form a store can
// turn into a query: the payments whose status is Status (or, when
// OtherStatuses is set, any status not in Statuses()) and whose fraud status
// is one of FraudIn when FraudIn is not empty, and none of FraudNotIn.
type StateMatch struct {
	Status        Status
	OtherStatuses bool
	FraudIn       []FraudStatus
	FraudNotIn    []FraudStatus
}

// Matches reports whether a payment in status s with fraud status f is in m.
func (m StateMatch) Matches(s Status, f FraudStatus) bool {
	if m.OtherStatuses {
		if s.Known() {
			return false
		}
	} else if s != m.Status {
		return false
	}
	if len(m.FraudIn) > 0 && !slices.Contains(m.FraudIn, f) {
		return false
	}
	return !slices.Contains(m.FraudNotIn, f)
}

// fraudStatuses are the fraud statuses OutcomeOf tells apart; every other
// value is treated as otherFraud is.
var fraudStatuses = [...]FraudStatus{FraudNone, FraudAccept, FraudChallenge, FraudDeny}

// otherFraud and otherStatus stand for every value OutcomeOf does not name:
// it treats all of them alike.
const (
	otherFraud  FraudStatus = "\x00other"
	otherStatus Status      = "\x00other"
)

// StatesOf returns the (status, fraud status) pairs whose outcome is o, as
// matches a store ORs together. It is derived from OutcomeOf, never written
// out a second time: for each status it asks OutcomeOf about every fraud
// status it names and about one it does not. A payment p has outcome o
// exactly when one of StatesOf(o) Matches(p.Status, p.FraudStatus). An
// outcome that is not one of Outcomes() has none.
func StatesOf(o Outcome) []StateMatch {
	var out []StateMatch
	statuses := append(Statuses(), otherStatus)
	for _, s := range statuses {
		var in, notIn []FraudStatus
		for _, f := range fraudStatuses {
			if OutcomeOf(s, f) == o {
				in = append(in, f)
			} else {
				notIn = append(notIn, f)
			}
		}
		m := StateMatch{Status: s}
		if s == otherStatus {
			m = StateMatch{OtherStatuses: true}
		}
		switch {
		case OutcomeOf(s, otherFraud) == o:
			m.FraudNotIn = notIn // nil: any fraud status
		case len(in) > 0:
			m.FraudIn = in
		default:
			continue
		}
		out = append(out, m)
	}
	return out
}

// Outcomes returns every outcome OutcomeOf gives.
func Outcomes() []Outcome {
	return []Outcome{
		OutcomePending, OutcomeInReview, OutcomeAuthorized, OutcomePaid, OutcomeFailed,
		OutcomeRefunded, OutcomePartiallyRefunded, OutcomeChargedBack, OutcomeUnknown,
	}
}

// Page sizes of ListPayments.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PaymentQuery selects payments for support staff (Store.ListPayments).
// Filters combine with AND; a list filter matches any of its values; zero
// values do not filter. Results come newest first, by (CreatedAt, ID).
type PaymentQuery struct {
	// Statuses: any of these statuses (each one of Statuses()).
	Statuses []Status
	// Outcomes: any of these outcomes (each one of Outcomes()), matched
	// through StatesOf.
	Outcomes []Outcome
	// Methods: any of these plugin names.
	Methods []string
	// CreatedFrom ≤ CreatedAt < CreatedTo; UpdatedFrom ≤ UpdatedAt < UpdatedTo.
	CreatedFrom, CreatedTo time.Time
	UpdatedFrom, UpdatedTo time.Time
	// OrderIDPrefix: order ids starting with it, case-sensitively.
	OrderIDPrefix string
	// CustomerEmail: the customer's email, exactly but ignoring case.
	CustomerEmail string
	// After is PaymentPage.Next of the previous page; "" starts at the newest.
	After string
	// Limit is the page size: 0 means DefaultPageSize, at most MaxPageSize.
	Limit int
}

// PaymentPage is one page of ListPayments.
type PaymentPage struct {
	Payments []*Payment
	// Next is the After of the following page; "" on the last page.
	Next string
}

// Validate checks q: a *ValidationError names every bad field (statuses,
// outcomes, methods, created_to, updated_to, order_id_prefix,
// customer_email, after, limit). Every Store calls it first.
func (q *PaymentQuery) Validate() error {
	var ve ValidationError
	for _, s := range q.Statuses {
		if !s.Known() {
			ve.Add("statuses", fmt.Sprintf("%q is not a status", string(s)))
		}
	}
	for _, o := range q.Outcomes {
		if !slices.Contains(Outcomes(), o) {
			ve.Add("outcomes", fmt.Sprintf("%q is not an outcome", string(o)))
		}
	}
	for _, m := range q.Methods {
		if m == "" || len(m) > 64 {
			ve.Add("methods", "each must be 1-64 characters")
			break
		}
	}
	if !q.CreatedFrom.IsZero() && !q.CreatedTo.IsZero() && !q.CreatedFrom.Before(q.CreatedTo) {
		ve.Add("created_to", "must be after created_from")
	}
	if !q.UpdatedFrom.IsZero() && !q.UpdatedTo.IsZero() && !q.UpdatedFrom.Before(q.UpdatedTo) {
		ve.Add("updated_to", "must be after updated_from")
	}
	if q.OrderIDPrefix != "" && !ValidOrderID(q.OrderIDPrefix) {
		ve.Add("order_id_prefix", orderIDMessage)
	}
	if len(q.CustomerEmail) > 255 {
		ve.Add("customer_email", "must be at most 255 characters")
	}
	if q.After != "" {
		if _, err := ParsePageCursor(q.After); err != nil {
			ve.Add("after", "is not a cursor of this list")
		}
	}
	if q.Limit < 0 || q.Limit > MaxPageSize {
		ve.Add("limit", fmt.Sprintf("must be 0 (default %d) to %d", DefaultPageSize, MaxPageSize))
	}
	return ve.Err()
}

// PageSize is q.Limit, or DefaultPageSize when it is 0.
func (q *PaymentQuery) PageSize() int {
	if q.Limit == 0 {
		return DefaultPageSize
	}
	return q.Limit
}

// EmailKey is how customer emails are stored for lookup and compared:
// lower-cased, so a search ignores case.
func EmailKey(email string) string { return strings.ToLower(email) }

// PageCursor is a position in the ListPayments order: after the payment
// created at CreatedAt with id ID.
type PageCursor struct {
	CreatedAt time.Time
	ID        string
}

// CursorAfter is the cursor of the position after p.
func CursorAfter(p *Payment) string {
	return PageCursor{CreatedAt: p.CreatedAt, ID: p.ID}.String()
}

// String encodes c opaquely (URL-safe base64).
func (c PageCursor) String() string {
	raw := "v1:" + strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var errCursor = errors.New("payments: malformed page cursor")

// ParsePageCursor decodes a cursor made by PageCursor.String.
func ParsePageCursor(s string) (PageCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return PageCursor{}, errCursor
	}
	parts := strings.SplitN(string(b), ":", 3)
	if len(parts) != 3 || parts[0] != "v1" || parts[2] == "" || len(parts[2]) > 64 {
		return PageCursor{}, errCursor
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return PageCursor{}, errCursor
	}
	return PageCursor{CreatedAt: time.UnixMicro(us).UTC(), ID: parts[2]}, nil
}

// Timeline is everything stored about one payment, each list oldest first:
// what support staff read to answer "what happened to this order?".
type Timeline struct {
	Payment *Payment
	// Audit is the payment's audit trail (every applied or ignored change).
	Audit []AuditEntry
	// Notifications are the inbox rows received for the order id.
	Notifications []*Notification
	Refunds       []*Refund
	// Events are the hook events with their delivery state.
	Events []*OutboxEvent
	// Actions are the staff actions taken on the order (StaffAction).
	Actions []*StaffAction
}

// ListPayments returns one page of the Service's payments that match q,
// newest first (see PaymentStore.ListPayments). Bad input is a
// *ValidationError naming the field.
func (s *Service) ListPayments(ctx context.Context, q PaymentQuery) (*PaymentPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return s.store.ListPayments(ctx, q)
}

// Timeline returns what is stored about an order: its payment, audit
// trail, notifications, refunds and hook events (see
// PaymentStore.Timeline). An order id ValidOrderID rejects is a
// *ValidationError naming order_id; an unknown one is ErrNotFound.
func (s *Service) Timeline(ctx context.Context, orderID string) (*Timeline, error) {
	if err := checkOrderID(orderID); err != nil {
		return nil, err
	}
	return s.store.Timeline(ctx, orderID)
}

// RequeueEvent puts a dead hook event back to be delivered now, with a
// fresh retry budget (see Outbox.RequeueEvent), and wakes this process's
// delivery workers. It is a staff action (StaffAction), recorded with the
// actor of ctx (WithActor) before it runs. An empty id is a *ValidationError naming event_id; an
// unknown one ErrNotFound, one that is not dead ErrNotAllowed.
func (s *Service) RequeueEvent(ctx context.Context, eventID string) error {
	if eventID == "" || len(eventID) > 64 {
		var ve ValidationError
		ve.Add("event_id", "must be 1-64 characters")
		return ve.Err()
	}
	ev, err := s.store.Event(ctx, eventID)
	if err != nil {
		return fmt.Errorf("event %s: %w", eventID, err)
	}
	return s.act(ctx, ev.OrderID, ActionRequeueEvent, map[string]string{"event_id": eventID}, func(ctx context.Context) error {
		if err := s.store.RequeueEvent(ctx, eventID); err != nil {
			return fmt.Errorf("requeue event %s: %w", eventID, err)
		}
		s.wake()
		return nil
	})
}
