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
	// Wait bounds how long a copy that finds another copy of the same
	// notification being processed waits for its outcome before giving up
	// with ErrNotificationInFlight. Default 3 seconds: inside the 5 seconds
	// Midtrans expects an answer in, and longer than InFlight, so a waiting
	// copy takes over from a processor that is gone instead of giving up.
	Wait time.Duration
	// InFlight is how long a notification may stay received but unfinished
	// before a copy of it treats its processor as gone (crashed, or unable
	// to record the outcome during a database outage) and processes it
	// again itself. Default 2 seconds: a notification takes far less, and
	// processing one twice is safe (the status machine makes the second a
	// duplicate), while waiting longer would answer Midtrans' retries 503
	// long after an outage ended.
	InFlight time.Duration
}

// WithDefaults returns o with every zero duration set to its default.
func (o NotificationOptions) WithDefaults() NotificationOptions {
	if o.Wait <= 0 {
		o.Wait = 3 * time.Second
	}
	if o.InFlight <= 0 {
		o.InFlight = 2 * time.Second
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
// Otherwise it records n with its raw body in the inbox under its NotificationKey
// (a copy of one already handled is a Duplicate), confirms it with GET
// status unless opts.Unconfirmed (addressing the payment as its method's
// capabilities require), checks the amount against the stored payment and
// applies the change through the status machine, then records how the
// notification ended.
//
// Copies of one notification (Midtrans retries, storms) take turns in this
// process and meet in the inbox across replicas: a copy of one already
// finished is a Duplicate; a copy of one being processed waits for its
// outcome (at most opts.Wait, then ErrNotificationInFlight); a copy of one
// that failed, or stayed unfinished longer than opts.InFlight, processes
// it again — the status machine makes that safe.
//
// A nil error means the notification's effect is committed, so the sender
// may stop. Any error means it is not known to be: the caller should ask
// Midtrans to deliver it again (HTTP 503). That includes a change that
// committed when recording the notification's outcome failed: the next copy
// finds the change a duplicate.
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
	deadline := time.Now().Add(opts.Wait)
	turnCtx, cancel := context.WithDeadlineCause(ctx, deadline, ErrNotificationInFlight)
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
	inserted, err := s.store.InsertNotification(ctx, rec)
	if err != nil {
		return res, fmt.Errorf("notification %s: %w", n.OrderID, err)
	}
	if !inserted {
		prev, err := s.awaitCopy(ctx, rec.DedupKey, time.Until(deadline), opts.InFlight)
		if err != nil {
			return res, fmt.Errorf("notification %s: %w", n.OrderID, err)
		}
		if prev.State.finished() {
			return NotificationResult{State: prev.State, Duplicate: true, Detail: "already " + string(prev.State)}, nil
		}
		// An earlier copy failed, or is gone: do it again.
		rec = prev
	}
	return s.processNotification(ctx, n, rec, opts)
}

// finished reports whether a notification in this state has its outcome
// committed.
func (st NotificationState) finished() bool {
	return st == NotificationProcessed || st == NotificationIgnored || st == NotificationRejected
}

// awaitCopy returns the stored copy of a notification once it is finished,
// failed, or unfinished past inFlight; while another replica is processing
// it, it polls for at most wait.
func (s *Service) awaitCopy(ctx context.Context, key string, wait, inFlight time.Duration) (*Notification, error) {
	var prev *Notification
	err := pollStore(ctx, wait, func() (bool, error) {
		var err error
		if prev, err = s.store.NotificationByDedupKey(ctx, key); err != nil {
			return false, err
		}
		return prev.State.finished() || prev.State == NotificationFailed || s.now().Sub(prev.ReceivedAt) >= inFlight, nil
	})
	if errors.Is(err, errPollTimeout) {
		return nil, ErrNotificationInFlight
	}
	return prev, err
}

// processNotification confirms, checks and applies a notification stored
// as rec.
func (s *Service) processNotification(ctx context.Context, n *midtrans.TransactionResponse, rec *Notification, opts NotificationOptions) (NotificationResult, error) {
	p, err := s.store.Payment(ctx, n.OrderID)
	if errors.Is(err, ErrNotFound) {
		// A subscription's charge: Midtrans made the order, so the
		// payment is made now, linked to its subscription.
		p, err = s.recurringPayment(ctx, n, rec.Body)
	}
	if err == nil && p == nil {
		s.log.WarnContext(ctx, "payments: notification for an unknown order", "order_id", n.OrderID)
		return s.finishNotification(ctx, rec, NotificationResult{State: NotificationIgnored, Detail: "unknown order"})
	}
	if err != nil {
		return NotificationResult{}, s.notificationFailed(ctx, rec, "read payment", err)
	}
	m := s.methods.byName[p.Method]
	report := n
	if !opts.Unconfirmed {
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
		id, callOpts, err := s.followUp(&about, m)
		if err != nil {
			return NotificationResult{}, s.notificationFailed(ctx, rec, "confirm", err)
		}
		if report, err = s.client.Status(ctx, id, callOpts...); err != nil {
			return NotificationResult{}, s.notificationFailed(ctx, rec, "confirm with GET status", err)
		}
	}
	ar, err := s.apply(ctx, s.changeFrom(p, m, report, SourceNotification))
	if err != nil {
		return NotificationResult{}, s.notificationFailed(ctx, rec, "apply", err)
	}
	res := NotificationResult{State: NotificationProcessed, Verdict: ar.Verdict,
		Detail: ar.Verdict.Decision.String() + ": " + string(ar.Verdict.Reason)}
	if ar.Verdict.Reason == ReasonAmountMismatch {
		res.State = NotificationRejected
	}
	return s.finishNotification(ctx, rec, res)
}

// finishNotification records how a notification ended. When that fails the
// outcome is not on record, so it is not reported committed: the next copy
// finds the notification unfinished and, once it is past the in-flight
// window, repeats it as a duplicate.
func (s *Service) finishNotification(ctx context.Context, rec *Notification, res NotificationResult) (NotificationResult, error) {
	if err := s.store.FinishNotification(ctx, rec.ID, res.State, res.Detail); err != nil {
		return res, fmt.Errorf("notification %s: record %s: %w", rec.OrderID, res.State, err)
	}
	return res, nil
}

// notificationFailed records a failed attempt, so that the next copy
// processes the notification again, and returns the failure.
func (s *Service) notificationFailed(ctx context.Context, rec *Notification, step string, err error) error {
	if ferr := s.store.FinishNotification(ctx, rec.ID, NotificationFailed, step+": "+err.Error()); ferr != nil {
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
