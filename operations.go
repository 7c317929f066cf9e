package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/nusapay/payments/midtrans"
)

// operation is one follow-up call on a payment; which states and methods
// allow it comes from its row in Operations.
type operation struct {
	op Op
	// key distinguishes calls of one operation on one payment version that
	// must not share an idempotency key (capture amounts).
	key string
	// amount, when set, is the payment's gross amount once the call
	// succeeds (a partial capture).
	amount Amount
	call   func(ctx context.Context, c *midtrans.Client, p *Payment, id string, opts []midtrans.CallOption) (*midtrans.TransactionResponse, error)
}

// Cancel voids a payment that is pending, authorised or captured but not
// yet settled (Midtrans POST /cancel). After settlement use Refund.
func (s *Service) Cancel(ctx context.Context, orderID string) (*Payment, error) {
	return s.operate(ctx, orderID, operation{
		op: OpCancel,
		call: func(ctx context.Context, c *midtrans.Client, _ *Payment, id string, opts []midtrans.CallOption) (*midtrans.TransactionResponse, error) {
			return c.Cancel(ctx, id, opts...)
		},
	})
}

// Expire ends a pending payment now, e.g. when the customer switches to
// another method (Midtrans POST /expire).
func (s *Service) Expire(ctx context.Context, orderID string) (*Payment, error) {
	return s.operate(ctx, orderID, operation{
		op: OpExpire,
		call: func(ctx context.Context, c *midtrans.Client, _ *Payment, id string, opts []midtrans.CallOption) (*midtrans.TransactionResponse, error) {
			return c.Expire(ctx, id, opts...)
		},
	})
}

// Approve accepts a card payment that fraud detection challenged.
func (s *Service) Approve(ctx context.Context, orderID string) (*Payment, error) {
	return s.operate(ctx, orderID, operation{
		op: OpApprove,
		call: func(ctx context.Context, c *midtrans.Client, _ *Payment, id string, opts []midtrans.CallOption) (*midtrans.TransactionResponse, error) {
			return c.Approve(ctx, id, opts...)
		},
	})
}

// Deny rejects a card payment that fraud detection challenged.
func (s *Service) Deny(ctx context.Context, orderID string) (*Payment, error) {
	return s.operate(ctx, orderID, operation{
		op: OpDeny,
		call: func(ctx context.Context, c *midtrans.Client, _ *Payment, id string, opts []midtrans.CallOption) (*midtrans.TransactionResponse, error) {
			return c.Deny(ctx, id, opts...)
		},
	})
}

// Capture captures a card pre-authorisation, in full when amount is 0 or
// in part (the Django package's capture_payment).
func (s *Service) Capture(ctx context.Context, orderID string, amount Amount) (*Payment, error) {
	return s.operate(ctx, orderID, operation{
		op: OpCapture, key: strconv.FormatInt(int64(amount), 10), amount: amount,
		call: func(ctx context.Context, c *midtrans.Client, p *Payment, _ string, opts []midtrans.CallOption) (*midtrans.TransactionResponse, error) {
			var ve ValidationError
			switch {
			case amount < 0:
				ve.Add("gross_amount", "must not be negative")
			case amount > p.Amount:
				ve.Add("gross_amount", fmt.Sprintf("must not exceed the authorised %s", p.Amount))
			case p.TransactionID == "":
				return nil, fmt.Errorf("%w: no transaction id to capture", ErrNotAllowed)
			}
			if err := ve.Err(); err != nil {
				return nil, err
			}
			return c.Capture(ctx, midtrans.CaptureRequest{TransactionID: p.TransactionID, GrossAmount: int64(amount)}, opts...)
		},
	})
}

// operate runs op on the payment for orderID: refused locally (no call to
// Midtrans) when the method cannot do it or the state forbids it; otherwise
// called with an idempotency key derived from the payment's current
// version, so repeating a call whose outcome was unknown gets Midtrans'
// first answer; the answer is applied through the status machine.
func (s *Service) operate(ctx context.Context, orderID string, op operation) (p *Payment, err error) {
	info, name := mustOperation(op.op), string(op.op)
	ctx, span := s.span(ctx, name, orderID)
	defer func() { end(span, err) }()
	p, m, err := s.paymentAndMethod(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if !info.Capable(m.Capabilities()) {
		return p, fmt.Errorf("%s %s: %w: method %s cannot %s", name, orderID, ErrUnsupported, m.Name(), name)
	}
	if !info.Allows(p) {
		return p, fmt.Errorf("%s %s: %w: the payment is %s (fraud status %q); %s needs %s",
			name, orderID, ErrNotAllowed, p.Status, p.FraudStatus, name, info.When)
	}
	id, opts, err := s.followUp(p, m)
	if err != nil {
		return p, fmt.Errorf("%s %s", name, err)
	}
	opts = append(opts, midtrans.WithIdempotencyKey(derivedKey(p.ID, name, op.key, strconv.FormatInt(p.Version, 10))))
	resp, err := op.call(ctx, s.client, p, id, opts)
	if err != nil {
		return s.operationFailed(ctx, p, name, err)
	}
	base := p
	if op.amount > 0 {
		// Midtrans reports the captured amount from now on.
		cp := *p
		cp.Amount = op.amount
		base = &cp
	}
	c := s.changeFrom(base, m, resp, SourceOperation)
	c.Amount = op.amount
	return s.applied(ctx, p, c)
}

// operationFailed explains a failed follow-up call. When Midtrans says the
// state does not allow it, the local copy is stale: sync it so the caller
// sees the truth.
func (s *Service) operationFailed(ctx context.Context, p *Payment, op string, callErr error) (*Payment, error) {
	switch {
	case errors.Is(callErr, ErrValidation), errors.Is(callErr, ErrNotAllowed):
		return p, fmt.Errorf("%s %s: %w", op, p.OrderID, callErr)
	case errors.Is(callErr, midtrans.ErrOutcomeUnknown):
		return p, fmt.Errorf("%s %s: %w: %w", op, p.OrderID, ErrOutcomeUnknown, callErr)
	case errors.Is(callErr, midtrans.ErrCannotModify), errors.Is(callErr, midtrans.ErrNotFound):
		if synced, err := s.sync(ctx, p, SourceSync); err == nil {
			p = synced
		}
		return p, fmt.Errorf("%s %s: %w: %w", op, p.OrderID, ErrNotAllowed, callErr)
	}
	return p, fmt.Errorf("%s %s: %w", op, p.OrderID, callErr)
}

func (s *Service) paymentAndMethod(ctx context.Context, orderID string) (*Payment, Method, error) {
	p, err := s.Payment(ctx, orderID)
	if err != nil {
		return nil, nil, err
	}
	m, ok := s.methods.byName[p.Method]
	if !ok {
		return p, nil, fmt.Errorf("payment %s: method %q is not registered with this Service", orderID, p.Method)
	}
	return p, m, nil
}

// derivedKey makes a stable key of at most 36 characters from parts: the
// same operation on the same payment version always gets the same key.
func derivedKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// RefundRequest asks for a refund.
type RefundRequest struct {
	// Amount to refund; 0 refunds everything not refunded yet.
	Amount Amount `json:"amount,omitempty"`
	// Reason is shown to the customer by some channels (GoPay), at most 255
	// characters; BNI-acquired cards require one.
	Reason string `json:"reason,omitempty"`
	// Key is the Midtrans refund_key (A-Z a-z 0-9 _ -, at most 64). Leave
	// it empty to derive one from the payment, the amount already refunded
	// and this amount: a retry of the same refund then reuses the same key
	// and can never refund twice. To refund the same amount twice on
	// purpose while the first is unresolved, give distinct keys.
	Key string `json:"refund_key,omitempty"`
}

var refundKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Refund refunds a settled payment, in full or in part (the Django
// package's refund_payment). The refund is stored with its refund key
// before Midtrans is called, and the key is reused on retry.
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
	defer func() { end(span, err) }()
	p, m, err := s.paymentAndMethod(ctx, orderID)
	if err != nil {
		return nil, nil, err
	}
	caps := m.Capabilities()
	if !caps.Refund || (direct && !caps.DirectRefund) {
		return p, nil, fmt.Errorf("%s %s: %w: method %s cannot %s", name, orderID, ErrUnsupported, m.Name(), name)
	}
	if p.Status != StatusSettlement && p.Status != StatusPartialRefund {
		hint := ""
		if p.Status == StatusCapture || p.Status == StatusAuthorize {
			hint = "; a card payment not yet settled is voided with Cancel"
		}
		return p, nil, fmt.Errorf("%s %s: %w: the payment is %s; refunds need settlement or partial_refund%s",
			name, orderID, ErrNotAllowed, p.Status, hint)
	}
	remaining := p.Amount - p.RefundedAmount
	amount := req.Amount
	if amount == 0 {
		amount = remaining
	}
	var ve ValidationError
	switch {
	case amount < 0:
		ve.Add("amount", "must not be negative")
	case amount > remaining:
		ve.Add("amount", fmt.Sprintf("must not exceed the %s not yet refunded", remaining))
	case amount != p.Amount && !caps.PartialRefund:
		ve.Add("amount", fmt.Sprintf("method %s refunds only in full (%s)", m.Name(), p.Amount))
	}
	if len(req.Reason) > 255 {
		ve.Add("reason", "must be at most 255 characters")
	}
	key := req.Key
	if key == "" {
		key = "rf-" + derivedKey(p.ID, strconv.FormatInt(int64(p.RefundedAmount), 10), strconv.FormatInt(int64(amount), 10), strconv.FormatBool(direct))
	} else if !refundKeyPattern.MatchString(key) {
		ve.Add("refund_key", "must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	if err := ve.Err(); err != nil {
		return p, nil, err
	}
	id, opts, err := s.followUp(p, m)
	if err != nil {
		return p, nil, fmt.Errorf("%s %s", name, err)
	}

	r, created, err := s.store.CreateRefund(ctx, &Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: key, Amount: amount, Reason: req.Reason, Direct: direct})
	if err != nil {
		return p, nil, fmt.Errorf("%s %s: %w", name, orderID, err)
	}
	if !created {
		if r.Amount != amount || r.Direct != direct {
			return p, r, fmt.Errorf("%s %s: %w: refund key %s was used for %s", name, orderID, ErrConflict, key, r.Amount)
		}
		if r.Status == RefundSucceeded {
			return p, r, nil // done before; asking again must not refund again
		}
	}
	body := midtrans.RefundRequest{RefundKey: key, Amount: int64(amount), Reason: req.Reason}
	opts = append(opts, midtrans.WithIdempotencyKey(r.ID))
	var resp *midtrans.TransactionResponse
	if direct {
		resp, err = s.client.DirectRefund(ctx, id, body, opts...)
	} else {
		resp, err = s.client.Refund(ctx, id, body, opts...)
	}
	return s.refundAnswered(ctx, p, m, r, name, resp, err)
}

// refundAnswered records Midtrans' answer to a refund and applies it.
func (s *Service) refundAnswered(ctx context.Context, p *Payment, m Method, r *Refund, name string, resp *midtrans.TransactionResponse, callErr error) (*Payment, *Refund, error) {
	var apiErr *midtrans.APIError
	switch {
	case callErr == nil && resp.StatusCode == "200":
		r.Status = RefundSucceeded
	case callErr == nil:
		// A direct refund the bank denied answers 202, and the payment
		// stays settled.
		r.Status = RefundFailed
	case errors.Is(callErr, midtrans.ErrOutcomeUnknown), errors.As(callErr, &apiErr) && apiErr.Temporary():
		r.Status = RefundUnknown
	case errors.As(callErr, &apiErr):
		r.Status = RefundFailed
	default:
		r.Status = RefundUnknown
	}
	if resp != nil {
		r.StatusCode, r.Message, r.Response = resp.StatusCode, resp.StatusMessage, jsonOrNil(resp.Raw)
	} else if apiErr != nil {
		r.StatusCode, r.Message, r.Response = strconv.Itoa(apiErr.Code), apiErr.Message, jsonOrNil(apiErr.Body)
	} else {
		r.Message = callErr.Error()
	}
	if err := s.store.UpdateRefund(ctx, r); err != nil {
		return p, r, fmt.Errorf("%s %s: record the answer: %w", name, p.OrderID, errors.Join(err, callErr))
	}
	switch r.Status {
	case RefundUnknown:
		return p, r, fmt.Errorf("%s %s: %w: refund %s: %w (refund again with the same request: the key is reused)",
			name, p.OrderID, ErrOutcomeUnknown, r.Key, callErr)
	case RefundFailed:
		if callErr == nil {
			callErr = fmt.Errorf("midtrans answered %s %s", resp.StatusCode, resp.StatusMessage)
		}
		if errors.Is(callErr, midtrans.ErrCannotModify) {
			if synced, err := s.sync(ctx, p, SourceSync); err == nil {
				p = synced
			}
			return p, r, fmt.Errorf("%s %s: %w: %w", name, p.OrderID, ErrNotAllowed, callErr)
		}
		return p, r, fmt.Errorf("%s %s: refused: %w", name, p.OrderID, callErr)
	}
	// Refunded so far is what this module's succeeded refunds add up to:
	// counted once per refund key, whatever Midtrans' refund_amount means
	// in this particular answer.
	total, err := s.refundedTotal(ctx, p)
	if err != nil {
		return p, r, fmt.Errorf("%s %s: %w", name, p.OrderID, err)
	}
	c := s.changeFrom(p, m, resp, SourceOperation)
	c.To.Refunded = max(total, c.To.Refunded, p.RefundedAmount)
	if c.To.Status != StatusRefund && c.To.Status != StatusPartialRefund {
		c.To.Status = StatusPartialRefund
		if c.To.Refunded >= p.Amount {
			c.To.Status = StatusRefund
		}
	}
	got, err := s.applied(ctx, p, c)
	return got, r, err
}

func (s *Service) refundedTotal(ctx context.Context, p *Payment) (Amount, error) {
	refunds, err := s.store.Refunds(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	var total Amount
	for _, r := range refunds {
		if r.Status == RefundSucceeded {
			total += r.Amount
		}
	}
	return total, nil
}
