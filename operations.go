package payments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	method := "none"
	defer func() { s.countOperation(ctx, name, method, err); end(span, err) }()
	p, m, err := s.paymentAndMethod(ctx, orderID)
	if err != nil {
		return nil, err
	}
	method = m.Name()
	if !info.Capable(PaymentCapabilities(m, p)) {
		return p, fmt.Errorf("%s %s: %w: %s cannot %s", name, orderID, ErrUnsupported, channelOf(m, p), name)
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

// channelOf names what decides p's capabilities, for error texts: the
// method, or the channel chosen on a ChannelChooser's page.
func channelOf(m Method, p *Payment) string {
	if _, ok := m.(ChannelChooser); ok && p.PaymentType != "" {
		return fmt.Sprintf("method %s paid by %s", m.Name(), p.PaymentType)
	}
	return "method " + m.Name()
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
