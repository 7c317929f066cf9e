package payments

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/nusapay/payments/internal/uid"
	"github.com/nusapay/payments/midtrans"
)

// RefundRequest asks for a refund.
type RefundRequest struct {
	// Amount to refund; 0 refunds everything still refundable.
	Amount Amount `json:"amount,omitempty"`
	// Reason is shown to the customer by some channels (GoPay), at most 255
	// characters; BNI-acquired cards require one.
	Reason string `json:"reason,omitempty"`
	// Key is the Midtrans refund_key (A-Z a-z 0-9 _ -, at most 64), unique
	// per payment. Leave it empty to derive one from the payment, the amount
	// already refunded and this amount: a retry of the same refund then
	// reuses the same key and can never refund twice. To refund the same
	// amount twice on purpose while the first is unresolved, give distinct
	// keys. Asking again with a key already used returns that refund.
	Key string `json:"refund_key,omitempty"`
}

// refundKeyPattern is Midtrans' refund_key alphabet.
var refundKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidRefundKey reports whether key is a Midtrans refund_key: 1 to 64
// characters of A-Z a-z 0-9 _ -.
func ValidRefundKey(key string) bool { return refundKeyPattern.MatchString(key) }

// CanBecome reports whether a refund in status s may be recorded as next.
// Refunds move only forward: requested → unknown → succeeded or failed, and
// a failed one may still become succeeded when Midtrans reports it done.
// Succeeded is final, so no late or concurrent answer can write over it.
func (s RefundStatus) CanBecome(next RefundStatus) bool {
	switch s {
	case RefundRequested:
		return next == RefundRequested || next == RefundUnknown || next == RefundSucceeded || next == RefundFailed
	case RefundUnknown:
		return next == RefundUnknown || next == RefundSucceeded || next == RefundFailed
	case RefundFailed:
		return next == RefundFailed || next == RefundSucceeded
	case RefundSucceeded:
		return next == RefundSucceeded
	}
	return false
}

// RefundStatusesBecoming lists the statuses a refund may be in to be
// recorded as next (see CanBecome): a Store writes an answer only over a
// row in one of them.
func RefundStatusesBecoming(next RefundStatus) []RefundStatus {
	var out []RefundStatus
	for _, s := range []RefundStatus{RefundRequested, RefundUnknown, RefundFailed, RefundSucceeded} {
		if s.CanBecome(next) {
			out = append(out, s)
		}
	}
	return out
}

// inFlight reports a refund that may still succeed: it holds its amount.
func (s RefundStatus) inFlight() bool { return s == RefundRequested || s == RefundUnknown }

// Refundable is how much of p may still be refunded, given its refund
// records: the gross amount less what is refunded (the larger of the
// payment's refunded total and its succeeded refunds) and less every refund
// still in flight, which holds its amount until it resolves. Local checks
// against it alone can never let refunds exceed the captured amount.
func Refundable(p *Payment, refunds []*Refund) Amount {
	var succeeded, held Amount
	for _, r := range refunds {
		switch {
		case r.Status == RefundSucceeded:
			succeeded += r.Amount
		case r.Status.inFlight():
			held += r.Amount
		}
	}
	return max(p.Amount-max(p.RefundedAmount, succeeded)-held, 0)
}

// PlanNewRefund checks a refund before it is stored, against the payment
// (locked) and its refund records: the key is not used yet (a reused key is
// the caller's to handle with the stored refund), and the amount is
// positive and within what is refundable. It returns the refund to insert,
// with its ID, status and times, or a *ValidationError naming the field.
func PlanNewRefund(p *Payment, refunds []*Refund, r *Refund, now time.Time) (*Refund, error) {
	var v ValidationError
	if r.PaymentID == "" {
		v.Add("payment_id", "is required")
	} else if r.PaymentID != p.ID {
		v.Add("payment_id", "does not match the payment")
	}
	if !ValidRefundKey(r.Key) {
		v.Add("refund_key", "must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	if len(r.Reason) > 255 {
		v.Add("reason", "must be at most 255 characters")
	}
	switch left := Refundable(p, refunds); {
	case r.Amount <= 0:
		v.Add("amount", "must be positive")
	case r.Status != RefundSucceeded && r.Amount > left:
		v.Add("amount", fmt.Sprintf("must not exceed the %s still refundable (refunds in flight hold their amount)", left))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now = StorageTime(now)
	next := *r
	next.ID = uid.NewAt(now)
	next.Account, next.OrderID = p.Account, p.OrderID
	if next.Status == "" {
		next.Status = RefundRequested
	}
	next.CreatedAt, next.UpdatedAt = now, now
	return &next, nil
}

// RefundPlan is what recording Midtrans' answer to a refund does, decided by
// PlanRefundAnswer with no I/O.
type RefundPlan struct {
	// Refund is the refund as it is after the answer: the answer when the
	// refund could move to it, else the stored refund unchanged.
	Refund *Refund
	// Write reports whether Refund must be written (compare-and-set on
	// the stored status: RefundStatusesBecoming).
	Write bool
	// Change is the payment's plan when the refund succeeded and c was
	// given; nil otherwise.
	Change *ChangePlan
}

// PlanRefundAnswer records answer, Midtrans' answer to the stored refund
// with the same ID among refunds, against the payment prev (locked). The
// refund moves only forward (CanBecome). When the refund is succeeded
// afterwards and c (the payment change the answer reports) is given, the
// payment is planned with its refunded total counted from the refund
// records under the same lock — the succeeded refunds, this one included —
// so concurrent refunds never understate it.
func PlanRefundAnswer(prev *Payment, refunds []*Refund, answer *Refund, c *Change, now time.Time) (RefundPlan, error) {
	var stored *Refund
	for _, r := range refunds {
		if r.ID == answer.ID {
			stored = r
		}
	}
	if stored == nil {
		return RefundPlan{}, fmt.Errorf("refund %s: %w", answer.Key, ErrNotFound)
	}
	plan := RefundPlan{Refund: stored}
	if stored.Status.CanBecome(answer.Status) && (stored.Status != answer.Status || stored.StatusCode != answer.StatusCode) {
		next := *stored
		next.Status, next.StatusCode, next.Message, next.Response = answer.Status, answer.StatusCode, answer.Message, answer.Response
		next.UpdatedAt = StorageTime(now)
		plan.Refund, plan.Write = &next, true
	}
	if c == nil || plan.Refund.Status != RefundSucceeded {
		return plan, nil
	}
	var succeeded Amount
	for _, r := range refunds {
		if r.ID != stored.ID && r.Status == RefundSucceeded {
			succeeded += r.Amount
		}
	}
	succeeded += plan.Refund.Amount
	cc := *c
	cc.To.Refunded = max(succeeded, c.To.Refunded, prev.RefundedAmount)
	if cc.To.Status != StatusRefund {
		cc.To.Status = StatusPartialRefund
		if cc.To.Refunded >= prev.Amount {
			cc.To.Status = StatusRefund
		}
	}
	cp := Plan(prev, &cc, now)
	plan.Change = &cp
	return plan, nil
}

// ReportedRefunds turns the refunds Midtrans lists in a status answer or
// notification (refunds[], made through this module or in the dashboard)
// into refund records, succeeded, keyed by their refund_key (or by
// Midtrans' refund id when the key is missing).
func ReportedRefunds(p *Payment, r *midtrans.TransactionResponse) []Refund {
	var out []Refund
	for _, mr := range r.Refunds {
		a, err := ParseAmount(mr.RefundAmount)
		if err != nil || a <= 0 {
			continue
		}
		key := mr.RefundKey
		if key == "" && mr.RefundChargebackID != "" {
			key = "midtrans-" + mr.RefundChargebackID
		}
		if !ValidRefundKey(key) {
			continue
		}
		reason := mr.Reason
		if len(reason) > 255 {
			reason = reason[:255]
		}
		out = append(out, Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: key, Amount: a, Reason: reason,
			Status: RefundSucceeded, Message: "reported by Midtrans"})
	}
	return out
}

// Refund refunds a settled payment, in full or in part (the Django
// package's refund_payment). The refund is stored with its refund key
// before Midtrans is called, holding its amount, and the key is reused on
// retry.
func (s *Service) Refund(ctx context.Context, orderID string, req RefundRequest) (*Payment, *Refund, error) {
	return s.refund(ctx, orderID, req, false)
}

// DirectRefund refunds through Midtrans' legacy synchronous endpoint, which
// answers with the bank's or provider's result at once.
func (s *Service) DirectRefund(ctx context.Context, orderID string, req RefundRequest) (*Payment, *Refund, error) {
	return s.refund(ctx, orderID, req, true)
}

func (s *Service) refund(ctx context.Context, orderID string, req RefundRequest, direct bool) (p *Payment, r *Refund, err error) {
	name := "refund"
	if direct {
		name = "direct refund"
	}
	ctx, span := s.span(ctx, "Refund", orderID)
	metricOp, method := string(OpRefund), "none"
	if direct {
		metricOp = "direct_refund"
	}
	defer func() { s.countOperation(ctx, metricOp, method, err); end(span, err) }()
	p, m, err := s.paymentAndMethod(ctx, orderID)
	if err != nil {
		return nil, nil, err
	}
	method = m.Name()
	info := mustOperation(OpRefund)
	caps := PaymentCapabilities(m, p)
	if !info.Capable(caps) || (direct && !caps.DirectRefund) {
		return p, nil, fmt.Errorf("%s %s: %w: %s cannot %s", name, orderID, ErrUnsupported, channelOf(m, p), name)
	}
	refunds, err := s.store.Refunds(ctx, p.ID)
	if err != nil {
		return p, nil, fmt.Errorf("%s %s: %w", name, orderID, err)
	}
	if req.Key != "" {
		for _, stored := range refunds {
			if stored.Key == req.Key {
				// Asked before: the stored refund answers, whatever the
				// payment's status is now (a full refund ends in refund).
				return s.refundAgain(ctx, p, m, stored, req, direct, name)
			}
		}
	}
	if !info.Allows(p) {
		hint := ""
		if p.Status == StatusCapture || p.Status == StatusAuthorize {
			hint = "; a card payment not yet settled is voided with Cancel"
		}
		return p, nil, fmt.Errorf("%s %s: %w: the payment is %s; %s needs %s%s",
			name, orderID, ErrNotAllowed, p.Status, name, info.When, hint)
	}
	refundable := Refundable(p, refunds)
	amount := req.Amount
	if amount == 0 {
		amount = refundable
	}
	var ve ValidationError
	switch {
	case amount < 0:
		ve.Add("amount", "must not be negative")
	case amount == 0:
		ve.Add("amount", "nothing is left to refund (refunds in flight hold their amount)")
	case amount > refundable:
		ve.Add("amount", fmt.Sprintf("must not exceed the %s still refundable (refunds in flight hold their amount)", refundable))
	case amount != p.Amount && !caps.PartialRefund:
		ve.Add("amount", fmt.Sprintf("method %s refunds only in full (%s)", m.Name(), p.Amount))
	}
	if len(req.Reason) > 255 {
		ve.Add("reason", "must be at most 255 characters")
	}
	key := req.Key
	if key == "" {
		key = "rf-" + derivedKey(p.ID, strconv.FormatInt(int64(p.RefundedAmount), 10), strconv.FormatInt(int64(amount), 10), strconv.FormatBool(direct))
	} else if !ValidRefundKey(key) {
		ve.Add("refund_key", "must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	if err := ve.Err(); err != nil {
		return p, nil, err
	}
	// The store reserves the amount under the payment's lock: of concurrent
	// refunds, only those that fit are stored; the others fail here.
	r, created, err := s.store.CreateRefund(ctx, &Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: key, Amount: amount, Reason: req.Reason, Direct: direct})
	if err != nil {
		return p, nil, fmt.Errorf("%s %s: %w", name, orderID, err)
	}
	if !created {
		return s.refundAgain(ctx, p, m, r, RefundRequest{Amount: amount, Reason: req.Reason, Key: key}, direct, name)
	}
	return s.sendRefund(ctx, p, m, r, name)
}

// refundAgain answers a refund request whose key is stored already: the
// stored refund when it is resolved, else the same call again with the same
// key, which Midtrans answers once.
func (s *Service) refundAgain(ctx context.Context, p *Payment, m Method, r *Refund, req RefundRequest, direct bool, name string) (*Payment, *Refund, error) {
	if (req.Amount != 0 && r.Amount != req.Amount) || r.Direct != direct {
		return p, r, fmt.Errorf("%s %s: %w: refund key %s was used for %s", name, p.OrderID, ErrConflict, r.Key, r.Amount)
	}
	switch r.Status {
	case RefundSucceeded:
		return p, r, nil // done before; asking again must not refund again
	case RefundFailed:
		return p, r, fmt.Errorf("%s %s: refused earlier: %s %s", name, p.OrderID, r.StatusCode, r.Message)
	}
	return s.sendRefund(ctx, p, m, r, name)
}

// sendRefund calls Midtrans for a stored refund and records the answer.
func (s *Service) sendRefund(ctx context.Context, p *Payment, m Method, r *Refund, name string) (*Payment, *Refund, error) {
	id, opts, err := s.followUp(p, m)
	if err != nil {
		return p, r, fmt.Errorf("%s %s", name, err)
	}
	body := midtrans.RefundRequest{RefundKey: r.Key, Amount: int64(r.Amount), Reason: r.Reason}
	opts = append(opts, midtrans.WithIdempotencyKey(r.ID))
	var resp *midtrans.TransactionResponse
	if r.Direct {
		resp, err = s.client.DirectRefund(ctx, id, body, opts...)
	} else {
		resp, err = s.client.Refund(ctx, id, body, opts...)
	}
	return s.refundAnswered(ctx, p, m, r, name, resp, err)
}

// refundAnswered records Midtrans' answer to a refund and, when it
// succeeded, applies it to the payment in the same transaction.
func (s *Service) refundAnswered(ctx context.Context, p *Payment, m Method, r *Refund, name string, resp *midtrans.TransactionResponse, callErr error) (*Payment, *Refund, error) {
	var apiErr *midtrans.APIError
	answer := *r
	switch {
	case callErr == nil && resp.StatusCode == "200":
		answer.Status = RefundSucceeded
	case callErr == nil:
		// A direct refund the bank denied answers 202, and the payment
		// stays settled.
		answer.Status = RefundFailed
	case errors.Is(callErr, midtrans.ErrOutcomeUnknown), errors.As(callErr, &apiErr) && apiErr.Temporary():
		answer.Status = RefundUnknown
	case errors.As(callErr, &apiErr):
		answer.Status = RefundFailed
	default:
		answer.Status = RefundUnknown
	}
	switch {
	case resp != nil:
		answer.StatusCode, answer.Message, answer.Response = resp.StatusCode, resp.StatusMessage, jsonOrNil(resp.Raw)
	case apiErr != nil:
		answer.StatusCode, answer.Message, answer.Response = strconv.Itoa(apiErr.Code), apiErr.Message, jsonOrNil(apiErr.Body)
	default:
		answer.Message = callErr.Error()
	}
	var c *Change
	if answer.Status == RefundSucceeded {
		c = s.changeFrom(p, m, resp, SourceOperation)
	}
	stampActor(ctx, c)
	stored, res, err := s.store.AnswerRefund(ctx, &answer, c)
	if err != nil {
		return p, &answer, fmt.Errorf("%s %s: record the answer: %w", name, p.OrderID, errors.Join(err, callErr))
	}
	if res != nil {
		s.logVerdict(ctx, c, res)
		if len(res.Events) > 0 {
			s.wake()
		}
		p = res.Payment
	}
	switch stored.Status {
	case RefundSucceeded:
		return p, stored, nil
	case RefundUnknown, RefundRequested:
		return p, stored, fmt.Errorf("%s %s: %w: refund %s: %w (refund again with the same request: the key is reused)",
			name, p.OrderID, ErrOutcomeUnknown, stored.Key, callErr)
	}
	if callErr == nil {
		callErr = fmt.Errorf("midtrans answered %s %s", answer.StatusCode, answer.Message)
	}
	if errors.Is(callErr, midtrans.ErrCannotModify) {
		if synced, err := s.sync(ctx, p, SourceSync); err == nil {
			p = synced
		}
		return p, stored, fmt.Errorf("%s %s: %w: %w", name, p.OrderID, ErrNotAllowed, callErr)
	}
	return p, stored, fmt.Errorf("%s %s: refused: %w", name, p.OrderID, callErr)
}
