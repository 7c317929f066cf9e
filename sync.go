package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nusapay/payments/midtrans"
)

// Sync asks Midtrans for the payment's current status (GET status) and
// applies it through the status machine, so a missed notification or a lost
// charge answer ends in the right state with the right hooks. It is the
// Django package's get_status.
//
// A payment whose charge never got an answer (initiated or unknown) that
// Midtrans still does not know after the unknown grace period (see
// WithUnknownGrace) is marked failed: the charge never reached Midtrans.
// A pending payment Midtrans does not know (a Snap page where the customer
// has not chosen a channel yet) stays pending until its page has ended
// (Snap's page_expiry, and a minute's grace), then expires.
func (s *Service) Sync(ctx context.Context, orderID string) (p *Payment, err error) {
	ctx, span := s.span(ctx, "Sync", orderID)
	defer func() { end(span, err) }()
	p, err = s.Payment(ctx, orderID)
	if err != nil {
		return nil, err
	}
	return s.sync(ctx, p, SourceSync)
}

func (s *Service) sync(ctx context.Context, p *Payment, source Source) (*Payment, error) {
	m := s.methods.byName[p.Method]
	id, opts, err := s.followUp(p, m)
	if err != nil {
		// DANA before its notification: nothing to ask about yet.
		return p, nil
	}
	resp, err := s.client.Status(ctx, id, opts...)
	switch {
	case errors.Is(err, midtrans.ErrNotFound):
		// Not known yet is normal for a Snap payment whose customer has not
		// chosen a channel: it stays pending until its page has ended. A
		// charge that never got an answer (initiated or unknown) ends
		// failed, after the grace.
		if err := s.store.MarkSynced(ctx, p.ID, s.now()); err != nil {
			return p, err
		}
		if p.Status.Local() && s.now().Sub(p.UpdatedAt) >= s.unknownGrace {
			return s.applied(ctx, p, &Change{OrderID: p.OrderID, To: State{Status: StatusFailure}, Source: source,
				StatusMessage: "the charge never reached Midtrans (status: not found)"})
		}
		if snapPageEnded(p, s.now()) {
			return s.applied(ctx, p, &Change{OrderID: p.OrderID, To: State{Status: StatusExpire}, Source: source,
				StatusMessage: "the payment page expired unused: no channel was chosen (status: not found)"})
		}
		return p, nil
	case err != nil:
		return p, fmt.Errorf("sync %s: %w", p.OrderID, err)
	}
	c := s.changeFrom(p, m, resp, source)
	got, err := s.applied(ctx, p, c)
	if err != nil {
		return p, err
	}
	if err := s.store.MarkSynced(ctx, p.ID, s.now()); err != nil {
		return got, err
	}
	return got, nil
}

// ApplyStatus applies what Midtrans reported about a payment — a GET status
// answer, or a notification whose signature was verified — through the
// status machine, with the amount check Sync makes. The payment is found by
// the report's order id; ErrNotFound when there is none. It neither
// records nor deduplicates: a webhook enters through ApplyNotification.
func (s *Service) ApplyStatus(ctx context.Context, r *midtrans.TransactionResponse, source Source) (res *ApplyResult, err error) {
	ctx, span := s.span(ctx, "ApplyStatus", r.OrderID)
	defer func() { end(span, err) }()
	if r.OrderID == "" {
		return nil, fmt.Errorf("apply status: no order id: %w", ErrNotFound)
	}
	p, err := s.store.Payment(ctx, r.OrderID)
	if err != nil {
		return nil, err
	}
	res, err = s.apply(ctx, s.changeFrom(p, s.methods.byName[p.Method], r, source))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", source, r.OrderID, err)
	}
	return res, nil
}

// followUp returns the id to address p by in follow-up calls, and the call
// options the method needs. The transaction id is preferred: it is always
// URL-safe, and DANA accepts nothing else.
func (s *Service) followUp(p *Payment, m Method) (string, []midtrans.CallOption, error) {
	var opts []midtrans.CallOption
	txOnly := PaymentCapabilities(m, p).TransactionIDOnly
	if txOnly {
		// Snap-only channels are addressed as Snap transactions.
		opts = append(opts, midtrans.WithHeader("transaction-source", "SNAP_API"))
	}
	switch {
	case p.TransactionID != "":
		return p.TransactionID, opts, nil
	case txOnly:
		return "", nil, fmt.Errorf("%s: %w: the transaction id is not known yet (it comes with the first notification)", p.OrderID, ErrNotAllowed)
	default:
		return p.OrderID, opts, nil
	}
}

// changeFrom turns a Midtrans answer about p (charge, status, operation or
// notification) into a Change. An answer about another order, in another
// currency or for another amount is never applied: it is recorded as an
// amount mismatch.
func (s *Service) changeFrom(p *Payment, m Method, r *midtrans.TransactionResponse, source Source) *Change {
	to := State{Status: ParseStatus(r.TransactionStatus), Fraud: ParseFraudStatus(r.FraudStatus)}
	if r.RefundAmount != "" {
		if a, err := ParseAmount(r.RefundAmount); err == nil {
			to.Refunded = a
		}
	}
	if to.Status == StatusRefund && to.Refunded == 0 {
		to.Refunded = p.Amount
	}
	c := &Change{
		OrderID: p.OrderID, To: to, Source: source,
		TransactionID: r.TransactionID, PaymentType: r.PaymentType, StatusMessage: r.StatusMessage,
		CustomField1: r.CustomField1, CustomField2: r.CustomField2, CustomField3: r.CustomField3,
		Refunds: ReportedRefunds(p, r), Payload: jsonOrNil(r.Raw),
	}
	if t, err := midtrans.ParseTime(r.TransactionTime); err == nil {
		c.TransactionTime = t
	}
	if t, err := midtrans.ParseTime(r.SettlementTime); err == nil {
		c.SettlementTime = t
	}
	var in Instructions
	if m != nil {
		in = instructionsFor(m, r)
	} else {
		in = ParseInstructions(r)
	}
	merged := in.merge(p.Instructions)
	c.Instructions = &merged
	if t, err := midtrans.ParseTime(r.ExpiryTime); err == nil && !t.IsZero() {
		c.ExpiresAt = t
	}
	if reason := mismatch(p, r); reason != "" {
		c.Reject = ReasonAmountMismatch
		c.StatusMessage = reason
		s.log.Error("payments: Midtrans reported a different transaction", "order_id", p.OrderID, "mismatch", reason)
	}
	return c
}

// mismatch says how r disagrees with p about what was paid, or "".
func mismatch(p *Payment, r *midtrans.TransactionResponse) string {
	if r.OrderID != "" && r.OrderID != p.OrderID {
		return fmt.Sprintf("order id %q, expected %q", r.OrderID, p.OrderID)
	}
	if r.Currency != "" && !strings.EqualFold(r.Currency, "IDR") {
		return fmt.Sprintf("currency %q, expected IDR", r.Currency)
	}
	if r.GrossAmount != "" {
		a, err := ParseAmount(r.GrossAmount)
		if err != nil {
			return fmt.Sprintf("gross amount %q is not a rupiah amount", r.GrossAmount)
		}
		if a != p.Amount {
			return fmt.Sprintf("gross amount %s, expected %s", a, p.Amount)
		}
	}
	return ""
}

// jsonOrNil returns b when it is valid JSON, so a broken body never stops
// a change from being recorded.
func jsonOrNil(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return json.RawMessage(b)
}
