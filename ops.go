package payments

import (
	"context"
	"fmt"
)

// Op names an operation on an existing payment: the {op} of the adapters'
// operation route and the Service method of the same name.
type Op string

// The operations. Operations lists them with their rules.
const (
	OpSync    Op = "sync"
	OpCancel  Op = "cancel"
	OpExpire  Op = "expire"
	OpRefund  Op = "refund"
	OpCapture Op = "capture"
	OpApprove Op = "approve"
	OpDeny    Op = "deny"
)

// OperationInfo is one row of the operation table: which states and methods
// allow an operation and what it reads. The Service's refusals, their error
// texts and the adapters' route all derive from it, so an operation is
// added or removed here and nowhere else.
type OperationInfo struct {
	Name Op
	// Allows reports whether the payment's state permits the operation.
	Allows func(p *Payment) bool
	// When says, in words, which states permit it (for error texts).
	When string
	// Capable reports whether a method with these capabilities can do it.
	Capable func(Capabilities) bool
	// Fields are the OperationRequest fields it reads (JSON names).
	Fields []string

	run func(ctx context.Context, s *Service, orderID string, req OperationRequest) (*Payment, *Refund, error)
}

// OperationRequest is what an operation reads besides the order id: the
// body of the adapters' operation route. Only capture (amount) and refund
// read it.
type OperationRequest struct {
	Amount Amount `json:"amount,omitempty"`
	Reason string `json:"reason,omitempty"`
	// RefundKey makes a refund request idempotent across retries.
	RefundKey string `json:"refund_key,omitempty"`
	// Direct asks for Midtrans' legacy synchronous refund.
	Direct bool `json:"direct,omitempty"`
}

func anyState(*Payment) bool { return true }

// challenged: capture or authorize that fraud detection challenged.
func challenged(p *Payment) bool {
	return p.FraudStatus == FraudChallenge && (p.Status == StatusCapture || p.Status == StatusAuthorize)
}

func inStatus(ss ...Status) func(p *Payment) bool {
	return func(p *Payment) bool {
		for _, s := range ss {
			if p.Status == s {
				return true
			}
		}
		return false
	}
}

// Operations returns the operation table, in a stable order (a new slice
// on each call: nothing package-level to mutate).
func Operations() []OperationInfo {
	review := "in review (capture with fraud status challenge)"
	return []OperationInfo{
		{Name: OpSync, When: "any status", Allows: anyState, Capable: func(Capabilities) bool { return true },
			run: func(ctx context.Context, s *Service, id string, _ OperationRequest) (*Payment, *Refund, error) {
				p, err := s.Sync(ctx, id)
				return p, nil, err
			}},
		{Name: OpCancel, When: "pending, authorize or capture", Allows: inStatus(StatusPending, StatusAuthorize, StatusCapture),
			Capable: func(c Capabilities) bool { return c.Cancel },
			run: func(ctx context.Context, s *Service, id string, _ OperationRequest) (*Payment, *Refund, error) {
				p, err := s.Cancel(ctx, id)
				return p, nil, err
			}},
		{Name: OpExpire, When: "pending", Allows: inStatus(StatusPending),
			Capable: func(c Capabilities) bool { return c.Expire },
			run: func(ctx context.Context, s *Service, id string, _ OperationRequest) (*Payment, *Refund, error) {
				p, err := s.Expire(ctx, id)
				return p, nil, err
			}},
		{Name: OpRefund, When: "settlement or partial_refund", Allows: inStatus(StatusSettlement, StatusPartialRefund),
			Capable: func(c Capabilities) bool { return c.Refund }, Fields: []string{"amount", "reason", "refund_key", "direct"},
			run: func(ctx context.Context, s *Service, id string, req OperationRequest) (*Payment, *Refund, error) {
				r := RefundRequest{Amount: req.Amount, Reason: req.Reason, Key: req.RefundKey}
				if req.Direct {
					return s.DirectRefund(ctx, id, r)
				}
				return s.Refund(ctx, id, r)
			}},
		{Name: OpCapture, When: "authorize", Allows: func(p *Payment) bool { return p.Status == StatusAuthorize && p.FraudStatus != FraudChallenge },
			Capable: func(c Capabilities) bool { return c.Capture }, Fields: []string{"amount"},
			run: func(ctx context.Context, s *Service, id string, req OperationRequest) (*Payment, *Refund, error) {
				p, err := s.Capture(ctx, id, req.Amount)
				return p, nil, err
			}},
		{Name: OpApprove, When: review, Allows: challenged, Capable: func(c Capabilities) bool { return c.Review },
			run: func(ctx context.Context, s *Service, id string, _ OperationRequest) (*Payment, *Refund, error) {
				p, err := s.Approve(ctx, id)
				return p, nil, err
			}},
		{Name: OpDeny, When: review, Allows: challenged, Capable: func(c Capabilities) bool { return c.Review },
			run: func(ctx context.Context, s *Service, id string, _ OperationRequest) (*Payment, *Refund, error) {
				p, err := s.Deny(ctx, id)
				return p, nil, err
			}},
	}
}

// Operation returns the table row of the operation called name.
func Operation(name string) (OperationInfo, bool) {
	for _, o := range Operations() {
		if string(o.Name) == name {
			return o, true
		}
	}
	return OperationInfo{}, false
}

// Operate runs the operation op on the payment for orderID: the Service
// method of that name with req's fields it reads (see OperationInfo.Fields).
// The refund is set for a refund only. An op not in Operations is a
// *ValidationError naming op. It is a staff action (StaffAction): recorded
// with the actor of ctx (WithActor) before it runs, and its result after;
// the audit rows of the changes it makes carry the actor too. Calling the
// Service method itself (Cancel, Refund, …) records no action.
func (s *Service) Operate(ctx context.Context, orderID string, op Op, req OperationRequest) (*Payment, *Refund, error) {
	info, ok := Operation(string(op))
	if !ok {
		var ve ValidationError
		ve.Add("op", fmt.Sprintf("unknown operation %q", op))
		return nil, nil, ve.Err()
	}
	if err := checkOrderID(orderID); err != nil {
		return nil, nil, err
	}
	var p *Payment
	var r *Refund
	err := s.act(ctx, orderID, string(op), operationDetail(info, req), func(ctx context.Context) (err error) {
		p, r, err = info.run(ctx, s, orderID, req)
		return err
	})
	return p, r, err
}

// operationDetail is what a staff action records of req: the fields the
// operation reads, and only when set.
func operationDetail(info OperationInfo, req OperationRequest) any {
	all := map[string]any{"amount": req.Amount, "reason": req.Reason, "refund_key": req.RefundKey, "direct": req.Direct}
	out := map[string]any{}
	for _, f := range info.Fields {
		if v := all[f]; v != Amount(0) && v != "" && v != false {
			out[f] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mustOperation is the row of an operation this package defines.
func mustOperation(op Op) OperationInfo {
	info, ok := Operation(string(op))
	if !ok {
		panic("payments: no operation " + string(op) + " in the table")
	}
	return info
}

// AvailableOperations returns the rows of the operation table that p's
// method can do and p's state allows now, in table order: the actions a
// console offers for p. Operate still decides at the time it runs.
func (s *Service) AvailableOperations(p *Payment) []OperationInfo {
	m, ok := s.Method(p.Method)
	if !ok {
		return nil
	}
	var out []OperationInfo
	for _, info := range Operations() {
		if info.Capable(PaymentCapabilities(m, p)) && info.Allows(p) {
			out = append(out, info)
		}
	}
	return out
}
