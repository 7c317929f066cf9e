package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/nusapay/payments/midtrans"
)

// CreateSubscription asks Midtrans to charge req.Token on a schedule. It
// validates req (every bad member named in a *ValidationError; nothing is
// stored or sent), stores the subscription as initiated, calls Midtrans
// with the subscription's id as idempotency key, and stores Midtrans'
// answer, which fires SignalSubscriptionCreated.
//
// A name the account already uses is ErrDuplicateSubscription, and nothing
// is sent — unless that subscription is still initiated with the same
// request, in which case it is sent again with the same idempotency key
// (Midtrans answers the first one's subscription for 3 minutes). A
// definite refusal by Midtrans deletes the initiated row and returns the
// *midtrans.APIError. When the outcome is unknown (timeout, Midtrans 5xx)
// the subscription stays initiated and the error wraps ErrOutcomeUnknown:
// call CreateSubscription again with the same request to resolve it.
func (s *Service) CreateSubscription(ctx context.Context, req *SubscriptionRequest) (sub *Subscription, err error) {
	name := ""
	if req != nil {
		name = req.Name
	}
	ctx, span := s.span(ctx, "CreateSubscription", name)
	defer func() { end(span, err) }()
	if err := req.Validate(s.now()); err != nil {
		return nil, err
	}
	if err := s.validateCustomer(req.Customer); err != nil {
		return nil, err
	}
	release, err := s.charging.Lock(ctx, "subscription:"+req.Name)
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", req.Name, err)
	}
	defer release()
	sub = PlanSubscriptionCreate(req, s.now())
	if err := s.store.CreateSubscription(ctx, sub); err != nil {
		if !errors.Is(err, ErrDuplicateSubscription) {
			return nil, fmt.Errorf("subscription %s: %w", req.Name, err)
		}
		existing, gerr := s.store.SubscriptionByName(ctx, req.Name)
		if gerr != nil {
			return nil, fmt.Errorf("subscription %s: %w", req.Name, errors.Join(err, gerr))
		}
		if existing.Status != SubscriptionInitiated || !sameRequest(existing, req) {
			return existing, fmt.Errorf("subscription %s: %w", req.Name, ErrDuplicateSubscription)
		}
		sub = existing // never answered: send again with the same key
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "payments: create subscription", slog.String("subscription", sub.ID),
		slog.String("name", sub.Name), slog.Int64("amount", int64(sub.Amount)), slog.String("payment_type", sub.PaymentType))

	body := &midtrans.SubscriptionRequest{Name: sub.Name, Amount: int64(sub.Amount), Currency: sub.Currency,
		PaymentType: sub.PaymentType, Token: sub.Token, Metadata: sub.Metadata, CustomerDetails: customerDetails(sub.Customer),
		Schedule: midtrans.SubscriptionSchedule{Interval: sub.Schedule.Interval, IntervalUnit: sub.Schedule.IntervalUnit,
			MaxInterval: sub.Schedule.MaxInterval}}
	if !sub.Schedule.StartTime.IsZero() {
		body.Schedule.StartTime = midtrans.FormatZoneTime(sub.Schedule.StartTime)
	}
	if sub.GoPayAccountID != "" {
		body.GoPay = &midtrans.SubscriptionGoPay{AccountID: sub.GoPayAccountID}
	}
	resp, err := s.client.CreateSubscription(ctx, body, midtrans.WithIdempotencyKey(sub.ID))
	if err != nil {
		return s.subscriptionCreateFailed(ctx, sub, err)
	}
	return s.saveSubscription(ctx, sub.ID, func(next *Subscription) error { return mergeMidtrans(next, resp) })
}

// sameRequest reports whether an initiated subscription was stored for
// the same request, so sending it again is a retry, not a new one.
func sameRequest(sub *Subscription, req *SubscriptionRequest) bool {
	return sub.Amount == req.Amount && sub.PaymentType == req.PaymentType && sub.Token == req.Token &&
		sub.Schedule.Interval == req.Interval && sub.Schedule.IntervalUnit == req.IntervalUnit &&
		sub.Schedule.MaxInterval == req.MaxInterval && sub.GoPayAccountID == req.GoPayAccountID
}

func (s *Service) subscriptionCreateFailed(ctx context.Context, sub *Subscription, callErr error) (*Subscription, error) {
	var apiErr *midtrans.APIError
	switch {
	case errors.Is(callErr, midtrans.ErrOutcomeUnknown), errors.Is(callErr, midtrans.ErrUpstreamUnavailable),
		errors.Is(callErr, midtrans.ErrRateLimited):
		return sub, fmt.Errorf("subscription %s: %w: %w", sub.Name, ErrOutcomeUnknown, callErr)
	case errors.As(callErr, &apiErr), errors.Is(callErr, midtrans.ErrInvalidRequest):
		// A definite refusal: nothing exists at Midtrans, so the name is
		// freed for a corrected request.
		if err := s.store.DiscardSubscription(ctx, sub.ID); err != nil {
			return nil, errors.Join(fmt.Errorf("subscription %s: %w", sub.Name, callErr), err)
		}
		return nil, fmt.Errorf("subscription %s: %w", sub.Name, callErr)
	default:
		// Not sent (ctx done before sending): it stays initiated, and
		// creating it again resumes it.
		return sub, fmt.Errorf("subscription %s: %w", sub.Name, callErr)
	}
}

// mergeMidtrans takes Midtrans' facts about a subscription into sub.
func mergeMidtrans(sub *Subscription, r *midtrans.SubscriptionResponse) error {
	if sub.MidtransID != "" && r.ID != sub.MidtransID {
		return fmt.Errorf("midtrans answered about subscription %s, not %s", r.ID, sub.MidtransID)
	}
	sub.MidtransID = r.ID
	switch SubscriptionStatus(strings.ToLower(r.Status)) {
	case SubscriptionActive:
		sub.Status = SubscriptionActive
	default:
		// "inactive", and anything newer: it does not charge.
		sub.Status = SubscriptionInactive
	}
	if r.Name != "" {
		sub.Name = r.Name
	}
	if r.Amount != "" {
		if a, err := midtrans.SubscriptionAmount(r.Amount); err == nil && a > 0 {
			sub.Amount = Amount(a)
		}
	}
	sc := r.Schedule
	if sc.Interval > 0 {
		sub.Schedule.Interval = sc.Interval
	}
	if sc.IntervalUnit != "" {
		sub.Schedule.IntervalUnit = sc.IntervalUnit
	}
	if sc.MaxInterval > 0 {
		sub.Schedule.MaxInterval = sc.MaxInterval
	}
	sub.Schedule.CurrentInterval = sc.CurrentInterval
	if t, err := midtrans.ParseSubscriptionTime(sc.StartTime); err == nil && !t.IsZero() {
		sub.Schedule.StartTime = StorageTime(t)
	}
	if t, err := midtrans.ParseSubscriptionTime(sc.NextExecutionAt); err == nil {
		sub.Schedule.NextExecutionAt = StorageTime(t)
	}
	return nil
}

// saveSubscription reads the subscription, lets change edit a copy, plans
// and saves it, deciding again when another writer got there first.
func (s *Service) saveSubscription(ctx context.Context, id string, change func(next *Subscription) error) (*Subscription, error) {
	for attempt := 0; ; attempt++ {
		prev, err := s.store.Subscription(ctx, id)
		if err != nil {
			return nil, err
		}
		edit := *prev
		if err := change(&edit); err != nil {
			return prev, fmt.Errorf("subscription %s: %w", id, err)
		}
		next, events := PlanSubscriptionChange(prev, &edit, s.now())
		err = s.store.SaveSubscription(ctx, next, events)
		if errors.Is(err, ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return prev, fmt.Errorf("subscription %s: %w", id, err)
		}
		if len(events) > 0 {
			s.wake()
		}
		return next, nil
	}
}

// Subscription returns the stored subscription with id (this module's
// id), or an error matching ErrSubscriptionNotFound.
func (s *Service) Subscription(ctx context.Context, id string) (*Subscription, error) {
	return s.store.Subscription(ctx, id)
}

// SubscriptionPayments returns the payments of a subscription's charges,
// oldest first.
func (s *Service) SubscriptionPayments(ctx context.Context, id string) ([]*Payment, error) {
	return s.store.SubscriptionPayments(ctx, id)
}

// confirmedSubscription reads a subscription Midtrans knows; an
// initiated one is ErrNotAllowed (resolve it with CreateSubscription).
func (s *Service) confirmedSubscription(ctx context.Context, id string) (*Subscription, error) {
	sub, err := s.store.Subscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if sub.MidtransID == "" || sub.Status == SubscriptionInitiated {
		return sub, fmt.Errorf("subscription %s: %w: Midtrans has not confirmed it yet (create it again to resolve it)", id, ErrNotAllowed)
	}
	return sub, nil
}

// subscriptionCallFailed maps a failed Midtrans call on a subscription.
func subscriptionCallFailed(op string, sub *Subscription, err error) error {
	if errors.Is(err, midtrans.ErrOutcomeUnknown) || errors.Is(err, midtrans.ErrUpstreamUnavailable) {
		return fmt.Errorf("%s subscription %s: %w: %w", op, sub.ID, ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("%s subscription %s: %w", op, sub.ID, err)
}

// UpdateSubscription changes a subscription at Midtrans (PATCH) and then
// stores the change. u is validated first (a *ValidationError names every
// bad member; nothing is sent or changed). When the outcome is unknown the
// stored subscription is unchanged and the error wraps ErrOutcomeUnknown;
// SyncSubscription reads Midtrans' state back.
func (s *Service) UpdateSubscription(ctx context.Context, id string, u *SubscriptionUpdate) (sub *Subscription, err error) {
	ctx, span := s.span(ctx, "UpdateSubscription", id)
	defer func() { end(span, err) }()
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if sub, err = s.confirmedSubscription(ctx, id); err != nil {
		return sub, err
	}
	body := &midtrans.SubscriptionUpdate{Name: u.Name, Amount: int64(u.Amount), Token: u.Token, Metadata: u.Metadata}
	if u.Interval > 0 || u.MaxInterval > 0 {
		body.Schedule = &midtrans.SubscriptionSchedule{Interval: u.Interval, MaxInterval: u.MaxInterval}
	}
	if u.Name != "" && u.Name != sub.Name {
		// The name is how charges find their subscription: make sure no
		// other subscription of the account has it before Midtrans does.
		if other, err := s.store.SubscriptionByName(ctx, u.Name); err == nil && other.ID != sub.ID {
			return sub, fmt.Errorf("subscription %s: name %s: %w", id, u.Name, ErrDuplicateSubscription)
		}
	}
	if _, err := s.client.UpdateSubscription(ctx, sub.MidtransID, body); err != nil {
		return sub, subscriptionCallFailed("update", sub, err)
	}
	return s.saveSubscription(ctx, id, func(next *Subscription) error {
		if u.Name != "" {
			next.Name = u.Name
		}
		if u.Amount > 0 {
			next.Amount = u.Amount
		}
		if u.Token != "" {
			next.Token = u.Token
		}
		if u.Interval > 0 {
			next.Schedule.Interval = u.Interval
		}
		if u.MaxInterval > 0 {
			next.Schedule.MaxInterval = u.MaxInterval
		}
		if len(u.Metadata) > 0 {
			next.Metadata = u.Metadata
		}
		return nil
	})
}

// EnableSubscription makes a disabled subscription charge again.
func (s *Service) EnableSubscription(ctx context.Context, id string) (*Subscription, error) {
	return s.setSubscriptionStatus(ctx, id, "enable", SubscriptionActive)
}

// DisableSubscription stops a subscription's charges (until it is enabled
// again); an active one fires SignalSubscriptionDisabled.
func (s *Service) DisableSubscription(ctx context.Context, id string) (*Subscription, error) {
	return s.setSubscriptionStatus(ctx, id, "disable", SubscriptionInactive)
}

func (s *Service) setSubscriptionStatus(ctx context.Context, id, op string, to SubscriptionStatus) (sub *Subscription, err error) {
	ctx, span := s.span(ctx, op+"Subscription", id)
	defer func() { end(span, err) }()
	if sub, err = s.confirmedSubscription(ctx, id); err != nil {
		return sub, err
	}
	call := s.client.DisableSubscription
	if to == SubscriptionActive {
		call = s.client.EnableSubscription
	}
	if _, err := call(ctx, sub.MidtransID); err != nil {
		return sub, subscriptionCallFailed(op, sub, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "payments: "+op+" subscription", slog.String("subscription", id),
		slog.String("actor", ActorFrom(ctx)))
	return s.saveSubscription(ctx, id, func(next *Subscription) error {
		next.Status = to
		return nil
	})
}

// SyncSubscription reads a subscription from Midtrans and stores what it
// says (status, schedule progress).
func (s *Service) SyncSubscription(ctx context.Context, id string) (sub *Subscription, err error) {
	ctx, span := s.span(ctx, "SyncSubscription", id)
	defer func() { end(span, err) }()
	if sub, err = s.confirmedSubscription(ctx, id); err != nil {
		return sub, err
	}
	resp, err := s.client.GetSubscription(ctx, sub.MidtransID)
	if err != nil {
		return sub, subscriptionCallFailed("sync", sub, err)
	}
	return s.saveSubscription(ctx, id, func(next *Subscription) error { return mergeMidtrans(next, resp) })
}

// recurringPayment makes the payment for a verified notification about an
// order this Service does not know, when it is a charge of one of its
// subscriptions; (nil, nil) otherwise.
//
// Midtrans makes a recurring charge's order id from the subscription's
// name ("SUBS-" + name + "-" + 10 digits), and lists the transaction in the
// subscription's transaction ids. The name (unique per account) finds the
// candidate, or a subscription_id member of the notification when Midtrans
// sends one; the transaction ids, read with GET subscription, confirm it,
// so a look-alike order id is never adopted. That read also refreshes the
// subscription's schedule and status.
//
// This consumes the ordinary, signed payment notification of the charge's
// transaction (Payment Notification URL). Midtrans' separate Recurring
// Notification URL posts another, unsigned shape ({"transaction": …,
// "subscription": …}) that notify refuses as malformed: point that URL
// elsewhere, or leave it empty.
func (s *Service) recurringPayment(ctx context.Context, n *midtrans.TransactionResponse, body []byte) (*Payment, error) {
	if n.TransactionID == "" {
		return nil, nil
	}
	sub, err := s.recurringCandidate(ctx, n.OrderID, body)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.MidtransID == "" {
		s.log.WarnContext(ctx, "payments: a charge of a subscription Midtrans has not confirmed to us; create it again to resolve it",
			"order_id", n.OrderID, "subscription", sub.ID)
		return nil, nil
	}
	resp, err := s.client.GetSubscription(ctx, sub.MidtransID)
	if err != nil {
		return nil, fmt.Errorf("confirm subscription %s: %w", sub.ID, err)
	}
	if !slices.Contains(resp.TransactionIDs, n.TransactionID) {
		s.log.WarnContext(ctx, "payments: order id looks like a subscription's charge, but Midtrans does not list the transaction",
			"order_id", n.OrderID, "subscription", sub.ID)
		return nil, nil
	}
	if _, err := s.saveSubscription(ctx, sub.ID, func(next *Subscription) error { return mergeMidtrans(next, resp) }); err != nil {
		// The charge matters more than the schedule: go on.
		s.log.WarnContext(ctx, "payments: refresh subscription", "subscription", sub.ID, "error", err)
	}
	amount := sub.Amount
	if a, err := ParseAmount(n.GrossAmount); err == nil && a > 0 {
		amount = a
	}
	p := &Payment{OrderID: n.OrderID, TransactionID: n.TransactionID, Method: sub.PaymentType, PaymentType: n.PaymentType,
		Amount: amount, Currency: "IDR", Status: StatusInitiated, Customer: sub.Customer, Metadata: sub.Metadata,
		SubscriptionID: sub.ID}
	if err := s.store.CreatePayment(ctx, p); err != nil {
		if errors.Is(err, ErrDuplicateOrder) {
			return s.store.Payment(ctx, n.OrderID) // another copy made it first
		}
		return nil, err
	}
	s.wake()
	return p, nil
}

// recurringCandidate finds the subscription an order id may be a charge
// of, or an error matching ErrNotFound.
func (s *Service) recurringCandidate(ctx context.Context, orderID string, body []byte) (*Subscription, error) {
	var m struct {
		SubscriptionID string `json:"subscription_id"`
	}
	if json.Unmarshal(body, &m) == nil && m.SubscriptionID != "" {
		if sub, err := s.store.SubscriptionByMidtransID(ctx, m.SubscriptionID); !errors.Is(err, ErrNotFound) {
			return sub, err
		}
	}
	name, ok := RecurringName(orderID)
	if !ok {
		return nil, ErrSubscriptionNotFound
	}
	return s.store.SubscriptionByName(ctx, name)
}

// RecurringName returns the subscription name in the order id Midtrans
// gives a recurring charge: the name between an optional "SUBS-" prefix
// and a "-" and 10-digit suffix.
func RecurringName(orderID string) (string, bool) {
	rest := strings.TrimPrefix(orderID, "SUBS-")
	if len(rest) < 12 || rest[len(rest)-11] != '-' {
		return "", false
	}
	for _, c := range rest[len(rest)-10:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	name := rest[:len(rest)-11]
	return name, validSubscriptionName(name)
}

// validateCustomer checks a subscription's customer details as a charge's
// are checked.
func (s *Service) validateCustomer(c *Customer) error {
	if c == nil {
		return nil
	}
	var ve ValidationError
	s.checkCustomer(c, &ve)
	return ve.Err()
}
