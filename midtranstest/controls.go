package midtranstest

import (
	"fmt"
	"time"
)

// The test controls below change a transaction the way the real system would (the
// customer pays, the bank settles, the provider reverses, …) and send the signed
// notification for the change. They accept an order_id or transaction_id (DANA
// included) and return ErrUnknownTransaction or ErrInvalidState (naming the from and
// to statuses).

func invalidState(op string, t *txn, to string) error {
	from := t.status
	if t.fraud == "challenge" {
		from += "/challenge"
	}
	return fmt.Errorf("%s %s: %w: from %q to %q", op, t.orderID, ErrInvalidState, from, to)
}

// control looks the transaction up under the lock and runs f.
func (s *Server) control(op, id string, f func(t *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, true)
	if t == nil {
		return fmt.Errorf("%s %s: %w", op, id, ErrUnknownTransaction)
	}
	return f(t)
}

// Pay makes the customer pay: a pending non-card transaction becomes settlement. A card
// transaction waiting for 3DS completes it and gets what its card decides: capture
// (fraud accept), authorize when the charge asked credit_card.type "authorize", deny for
// the sandbox "denied" cards, capture/challenge for 4511111111111117. A Snap order whose
// method is not chosen yet first selects its first enabled payment method.
func (s *Server) Pay(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, true)
	if t == nil {
		so := s.snapByOrder[id]
		if so == nil {
			so = s.snapByToken[id]
		}
		if so == nil || so.t != nil {
			return fmt.Errorf("pay %s: %w", id, ErrUnknownTransaction)
		}
		var err error
		if t, err = s.selectSnap(so, ""); err != nil {
			return fmt.Errorf("pay %s: %w", id, err)
		}
	}
	if t.status != stPending {
		return invalidState("pay", t, stSettlement)
	}
	if t.card != nil {
		s.completeCard(t)
		s.notifyLocked(t)
		return nil
	}
	s.settle(t)
	return nil
}

func (s *Server) settle(t *txn) {
	t.settledAt = s.now()
	if t.method == "shopeepay" {
		t.setExtra("shopeepay_reference_number", randomDigits(18))
		t.setExtra("reference_id", "DL-"+randomAlnum(22))
	}
	fraud := t.fraud
	if fraud == "" && t.method != "indomaret" {
		fraud = "accept" // GoPay settlements carry fraud_status; Indomaret never does
	}
	s.transition(t, stSettlement, fraud)
	s.notifyLocked(t)
}

// Settle settles a captured card transaction (Midtrans does it the next day).
func (s *Server) Settle(id string) error {
	return s.control("settle", id, func(t *txn) error {
		if t.status != stCapture || t.fraud == "challenge" {
			return invalidState("settle", t, stSettlement)
		}
		s.settle(t)
		return nil
	})
}

// Expire expires a pending (or authorized) transaction.
func (s *Server) Expire(id string) error {
	return s.control("expire", id, func(t *txn) error {
		if t.status != stPending && t.status != stAuthorize {
			return invalidState("expire", t, stExpire)
		}
		s.transition(t, stExpire, t.fraud)
		s.notifyLocked(t)
		return nil
	})
}

// Deny denies a pending or authorized transaction (by the bank/provider) or a
// challenged card capture (by the merchant's review: fraud_status deny).
func (s *Server) Deny(id string) error {
	return s.control("deny", id, func(t *txn) error {
		switch {
		case t.status == stCapture && t.fraud == "challenge":
			s.transition(t, stDeny, "deny")
		case t.status == stPending || t.status == stAuthorize:
			if t.card != nil {
				t.card.respCode, t.card.respMsg = "05", "Do not honor"
			}
			s.transition(t, stDeny, t.fraud)
		default:
			return invalidState("deny", t, stDeny)
		}
		s.notifyLocked(t)
		return nil
	})
}

// Cancel cancels a pending, authorized or captured transaction; a pending one frees its
// order_id for reuse.
func (s *Server) Cancel(id string) error {
	return s.control("cancel", id, func(t *txn) error { return s.cancel(t) })
}

// Refund refunds amount (0 = all that remains) of a settled or partially refunded
// transaction, whatever its method (a bank-transfer refund is recorded as "offline"),
// and sends the two refund notifications Midtrans sends.
func (s *Server) Refund(id string, amount int64) error {
	return s.control("refund", id, func(t *txn) error {
		if t.status != stSettlement && t.status != stPartialRefund {
			return invalidState("refund", t, stRefund)
		}
		remaining := t.gross - t.refunded
		if amount == 0 {
			amount = remaining
		}
		if amount <= 0 || amount > remaining {
			return fmt.Errorf("refund %s: %w: %d of %d remaining", id, ErrInvalidAmount, amount, remaining)
		}
		method := "online"
		switch t.paymentType {
		case "bank_transfer", "echannel", "cstore":
			method = "offline"
		}
		s.applyRefund(t, amount, newUUID(), "refund by midtranstest", method)
		return nil
	})
}

// Reverse turns a settlement into deny: the rare provider reversal Midtrans reports for
// Permata VA, Mandiri Bill and Indomaret (allowed for any method here).
func (s *Server) Reverse(id string) error {
	return s.control("reverse", id, func(t *txn) error {
		if t.status != stSettlement {
			return invalidState("reverse", t, stDeny)
		}
		s.transition(t, stDeny, t.fraud)
		s.notifyLocked(t)
		return nil
	})
}

// Challenge puts a card transaction (pending 3DS, or captured and accepted) under FDS
// review: capture with fraud_status "challenge", status_code "201".
func (s *Server) Challenge(id string) error {
	return s.control("challenge", id, func(t *txn) error {
		if t.card == nil || !(t.status == stPending || (t.status == stCapture && t.fraud == "accept")) {
			return invalidState("challenge", t, stCapture)
		}
		c := t.card
		c.challengeOK = c.threeDS
		c.respCode, c.respMsg = "00", "Approved"
		if c.approval == "" {
			c.approval = randomDigits(6)
		}
		t.expiresAt = time.Time{} // no longer waiting for 3DS
		s.transition(t, stCapture, "challenge")
		s.notifyLocked(t)
		return nil
	})
}

// Chargeback records a chargeback of amount (0 = all that remains) on a settled
// transaction: partial_chargeback or chargeback.
func (s *Server) Chargeback(id string, amount int64) error {
	return s.control("chargeback", id, func(t *txn) error {
		if t.status != stSettlement && t.status != stPartialChargeback {
			return invalidState("chargeback", t, stChargeback)
		}
		remaining := t.gross - t.chargedBack
		if amount == 0 {
			amount = remaining
		}
		if amount <= 0 || amount > remaining {
			return fmt.Errorf("chargeback %s: %w: %d of %d remaining", id, ErrInvalidAmount, amount, remaining)
		}
		t.chargedBack += amount
		status := stPartialChargeback
		if t.chargedBack >= t.gross {
			status = stChargeback
		}
		s.transition(t, status, t.fraud)
		s.notifyLocked(t)
		return nil
	})
}
