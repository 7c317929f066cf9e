package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nusapay/payments/midtrans"
)

// NotificationOptions say how ApplyNotification processes a notification.
// The zero value is the safe default: confirmed with GET status.
type NotificationOptions struct {
	// Unconfirmed applies the notification body's own facts instead of
	// asking Midtrans for the payment's status. Only order_id, status_code
	// and gross_amount are signed: a body whose transaction_status
	// contradicts status_code is refused (StatusCodeAllows), but a replayed
	// older genuine notification is accepted, and its other facts are
	// trusted as sent.
	Unconfirmed bool
	// Wait bounds how long a copy waits for its turn while another copy
	// of the same notification is being processed in this process, before
	// giving up with ErrNotificationInFlight. Default 3 seconds: inside the
	// 5 seconds Midtrans expects an answer in. (Copies in other replicas
	// meet in the apply transaction and need no waiting.)
	Wait time.Duration
}

// WithDefaults returns o with every zero duration set to its default.
func (o NotificationOptions) WithDefaults() NotificationOptions {
	if o.Wait <= 0 {
		o.Wait = 3 * time.Second
	}
	return o
}

// ErrStatusContradicts: an unconfirmed notification's transaction_status
// (which the signature does not cover) contradicts its signed status_code:
// it was edited, and is refused before anything is stored.
var ErrStatusContradicts = errors.New("payments: transaction_status contradicts the signed status_code")

// ErrNotificationInFlight: another copy of the notification was still being
// processed when ApplyNotification stopped waiting for it. Its outcome is
// not known yet; deliver the notification again later.
var ErrNotificationInFlight = errors.New("payments: a copy of the notification is being processed")

// NotificationResult is what ApplyNotification did with a notification
// whose effect is committed.
type NotificationResult struct {
	// State is the inbox state the notification ended in: processed,
	// ignored (an order this Service does not know) or rejected (an amount
	// mismatch: recorded and signalled, never applied).
	State NotificationState
	// Duplicate: a copy of a notification already handled; nothing was
	// done now. State is the earlier copy's.
	Duplicate bool
	// Verdict is the status machine's decision; zero for a duplicate or an
	// unknown order.
	Verdict Verdict
	// Detail says why, for people.
	Detail string
}

// VerifySignature reports whether signature is the signature_key Midtrans
// computes for these raw notification fields with the Service's server key
// (hex SHA-512 of order id, status code, gross amount and key, compared in
// constant time). The key itself is never handed out.
func (s *Service) VerifySignature(orderID, statusCode, grossAmount, signature string) bool {
	return s.client.VerifySignature(orderID, statusCode, grossAmount, signature)
}

// ApplyNotification processes a Midtrans notification whose signature the
// caller has verified (package notify does, and is the usual caller). An
// unconfirmed notification whose status contradicts its signed status_code
// is refused with ErrStatusContradicts, before anything is stored.
// Otherwise, unless a copy of it is on record already (a Duplicate,
// answered from one read of the inbox), it confirms n with GET status
// unless opts.Unconfirmed (addressing the payment as its method's
// capabilities require), and then, in one write transaction, records n
// with its raw body in the inbox under its NotificationKey, checks the
// amount against the stored payment and applies the change through the
// status machine (Store.ApplyNotification).
//
// Copies of one notification (Midtrans retries, storms) take turns in this
// process (each waits at most opts.Wait, then ErrNotificationInFlight) and
// meet in that transaction across replicas: one records it, the others
// find it recorded and are Duplicates. A copy of one that failed is
// processed again; the status machine makes that safe.
//
// A nil error means the notification's effect is committed, so the sender
// may stop. Any error means it is not: the caller should ask Midtrans to
// deliver it again (HTTP 503).
func (s *Service) ApplyNotification(ctx context.Context, n *midtrans.TransactionResponse, body []byte, opts NotificationOptions) (res NotificationResult, err error) {
	ctx, span := s.span(ctx, "ApplyNotification", n.OrderID)
	defer func() { end(span, err) }()
	opts = opts.WithDefaults()
	if n.OrderID == "" {
		return res, fmt.Errorf("notification: no order id: %w", ErrValidation)
	}
	if !ValidOrderID(n.OrderID) {
		// Signed, but no payment can have this id: nothing to record or
		// apply, and nothing a retry could change.
		s.log.WarnContext(ctx, "payments: notification for an order id no payment can have", "order_id_bytes", len(n.OrderID))
		return NotificationResult{State: NotificationIgnored, Detail: "not an order id"}, nil
	}
	if opts.Unconfirmed && !StatusCodeAllows(n.StatusCode, ParseStatus(n.TransactionStatus), ParseFraudStatus(n.FraudStatus)) {
		return res, fmt.Errorf("notification %s: transaction_status %q (fraud_status %q) with status_code %q: %w",
			n.OrderID, n.TransactionStatus, n.FraudStatus, n.StatusCode, ErrStatusContradicts)
	}
	key := NotificationKey(n)
	// Copies in this process take turns: the second finds the first's
	// outcome in the inbox instead of confirming and applying it again.
	turnCtx, cancel := context.WithTimeoutCause(ctx, opts.Wait, ErrNotificationInFlight)
	release, err := s.notifying.Lock(turnCtx, key)
	cancel()
	if err != nil {
		return res, fmt.Errorf("notification %s: %w", n.OrderID, err)
	}
	defer release()
	rec := &Notification{
		DedupKey: key, OrderID: n.OrderID, TransactionID: n.TransactionID, Status: n.TransactionStatus,
		SignatureValid: true, Body: body, ReceivedAt: s.now(),
	}
	prev, err := s.store.NotificationByDedupKey(ctx, key)
	switch {
	case err == nil && prev.State.Finished():
		return duplicateOf(prev.State), nil
	case err == nil:
		// An earlier attempt failed (or was made before notifications
		// were recorded in their apply transaction): finish its row.
		rec.ID, rec.ReceivedAt = prev.ID, prev.ReceivedAt
	case !errors.Is(err, ErrNotFound):
		return res, fmt.Errorf("notification %s: %w", n.OrderID, err)
	}
	return s.processNotification(ctx, n, rec, opts)
}

func duplicateOf(st NotificationState) NotificationResult {
	return NotificationResult{State: st, Duplicate: true, Detail: "already " + string(st)}
}

// processNotification confirms, checks and applies a notification to be
// recorded as rec.
func (s *Service) processNotification(ctx context.Context, n *midtrans.TransactionResponse, rec *Notification, opts NotificationOptions) (NotificationResult, error) {
	report := n
	var known *Payment // the payment as read before confirming, if it was
	if !opts.Unconfirmed {
		p, err := s.store.Payment(ctx, n.OrderID)
		if errors.Is(err, ErrNotFound) {
			if p, err = s.unknownOrder(ctx, n, rec); p == nil || err != nil {
				return s.unknownOrderOutcome(ctx, rec, err)
			}
		}
		if err != nil {
			return NotificationResult{}, s.notificationFailed(ctx, rec, "read payment", err)
		}
		// Ask about the transaction notified (a Snap order's first
		// notification brings its transaction id), addressed as the method
		// requires.
		about := *p
		if n.TransactionID != "" {
			about.TransactionID = n.TransactionID
		}
		if n.PaymentType != "" {
			about.PaymentType = n.PaymentType // the channel chosen on a Snap page
		}
		id, callOpts, err := s.followUp(&about, s.methods.byName[p.Method])
		if err != nil {
			return NotificationResult{}, s.notificationFailed(ctx, rec, "confirm", err)
		}
		if report, err = s.client.Status(ctx, id, callOpts...); err != nil {
			return NotificationResult{}, s.notificationFailed(ctx, rec, "confirm with GET status", err)
		}
		known = p
	}
	var c *Change
	change := func(p *Payment) *Change {
		c = s.changeFrom(p, s.methods.byName[p.Method], report, SourceNotification)
		stampActor(ctx, c)
		return c
	}
	ar, recorded, err := s.applyNotificationFrom(ctx, known, rec, change)
	if errors.Is(err, ErrNotFound) && opts.Unconfirmed {
		var p *Payment
		if p, err = s.unknownOrder(ctx, n, rec); p == nil || err != nil {
			return s.unknownOrderOutcome(ctx, rec, err)
		}
		ar, recorded, err = s.store.ApplyNotification(ctx, rec, change)
	}
	if err != nil {
		return NotificationResult{}, s.notificationFailed(ctx, rec, "apply", err)
	}
	if !recorded {
		// A copy in another replica recorded it meanwhile.
		st := NotificationProcessed
		if prev, err := s.store.NotificationByDedupKey(ctx, rec.DedupKey); err == nil {
			st = prev.State
		}
		return duplicateOf(st), nil
	}
	s.committed(ctx, c, ar)
	return NotificationResult{State: rec.State, Verdict: ar.Verdict, Detail: rec.Detail}, nil
}

// applyNotificationFrom applies a notification with the store's
// ApplyNotificationFrom when it has one and prev is known (see
// priorApplier), else with ApplyNotification.
func (s *Service) applyNotificationFrom(ctx context.Context, prev *Payment, rec *Notification, change func(*Payment) *Change) (*ApplyResult, bool, error) {
	if pa, ok := s.store.(priorApplier); ok && prev != nil {
		return pa.ApplyNotificationFrom(ctx, prev, rec, change)
	}
	return s.store.ApplyNotification(ctx, rec, change)
}

// unknownOrder is a notification's payment when the Service has none for
// its order id: a subscription's charge, which Midtrans made and is made
// now, linked to its subscription; nil when the order is not this
// Service's.
func (s *Service) unknownOrder(ctx context.Context, n *midtrans.TransactionResponse, rec *Notification) (*Payment, error) {
	p, err := s.recurringPayment(ctx, n, rec.Body)
	if err == nil && p == nil {
		s.log.WarnContext(ctx, "payments: notification for an unknown order", "order_id", n.OrderID)
	}
	return p, err
}

// unknownOrderOutcome records a notification of an order the Service does
// not know as ignored, or the failure to find out.
func (s *Service) unknownOrderOutcome(ctx context.Context, rec *Notification, err error) (NotificationResult, error) {
	if err != nil {
		return NotificationResult{}, s.notificationFailed(ctx, rec, "read payment", err)
	}
	res := NotificationResult{State: NotificationIgnored, Detail: "unknown order"}
	return res, s.recordNotification(ctx, rec, res.State, res.Detail)
}

// recordNotification records a notification that is not applied to a
// payment, in the state it ended in: inserted, or its stored copy's row
// updated.
func (s *Service) recordNotification(ctx context.Context, rec *Notification, st NotificationState, detail string) error {
	rec.State, rec.Detail = st, detail
	inserted, err := s.store.InsertNotification(ctx, rec)
	if err == nil && !inserted {
		err = s.store.FinishNotification(ctx, rec.ID, st, detail)
	}
	if err != nil {
		return fmt.Errorf("notification %s: record %s: %w", rec.OrderID, st, err)
	}
	return nil
}

// notificationFailed records a failed attempt, for people to see (the next
// copy processes the notification again whether or not it is recorded),
// and returns the failure.
func (s *Service) notificationFailed(ctx context.Context, rec *Notification, step string, err error) error {
	if ferr := s.recordNotification(ctx, rec, NotificationFailed, step+": "+err.Error()); ferr != nil {
		s.log.ErrorContext(ctx, "payments: record notification failure", "order_id", rec.OrderID, "error", ferr)
	}
	return fmt.Errorf("notification %s: %s: %w", rec.OrderID, step, err)
}

// NotificationKey identifies a notification event, for the inbox's
// deduplication. Midtrans sends no event id, so the key is derived from the
// fields that change from one event of a transaction to the next: its status
// and fraud status, status code, amounts, and the refunds so far (the two
// notifications Midtrans sends per refund differ by bank_confirmed_at).
// Re-deliveries of one event share it.
func NotificationKey(n *midtrans.TransactionResponse) string {
	parts := []string{n.OrderID, n.TransactionID, strings.ToLower(n.TransactionStatus), strings.ToLower(n.FraudStatus),
		n.StatusCode, n.GrossAmount, n.RefundAmount, fmt.Sprint(len(n.Refunds)), fmt.Sprint(len(n.PaymentAmounts))}
	if k := len(n.Refunds); k > 0 {
		parts = append(parts, n.Refunds[k-1].RefundKey, n.Refunds[k-1].BankConfirmedAt)
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "n1:" + hex.EncodeToString(h.Sum(nil))
}
