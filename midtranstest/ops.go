package midtranstest

import (
	"net/http"
	"strings"
	"time"
)

// notFound: unknown ids are answered under HTTP 200, as the sandbox recordings show.
func notFound() apiResult {
	return apiResult{status: http.StatusOK, body: mustJSON(obj{"status_code": "404", "status_message": msgNotFound})}
}

func ok200(o obj) apiResult { return apiResult{status: http.StatusOK, body: mustJSON(o)} }

// status answers GET /v2/{id}/status.
func (s *Server) status(id string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, false)
	if t == nil {
		return notFound()
	}
	return ok200(s.statusObject(t, false))
}

// operate answers approve, deny, cancel and expire.
func (s *Server) operate(id, op string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, false)
	if t == nil {
		return notFound()
	}
	cannot := coreError(http.StatusOK, "412", msgCannotModify, false)
	switch op {
	case "approve":
		if t.status != stCapture || t.fraud != "challenge" {
			return cannot
		}
		s.transition(t, stCapture, "accept")
		s.notifyLocked(t)
		return ok200(t.opObject("200", "Success, transaction is approved", true))
	case "deny":
		if t.status != stCapture || t.fraud != "challenge" {
			return cannot
		}
		s.transition(t, stDeny, "deny")
		s.notifyLocked(t)
		return ok200(t.opObject("200", "Success, transaction is denied", true))
	case "cancel":
		if err := s.cancel(t); err != nil {
			return cannot
		}
		return ok200(t.opObject("200", "Success, transaction is canceled", true))
	default: // expire
		if t.status != stPending {
			return coreError(http.StatusOK, "412", msgCannotUpdate, true)
		}
		s.transition(t, stExpire, t.fraud)
		s.notifyLocked(t)
		return ok200(t.opObject("407", "Success, transaction has expired", false))
	}
}

// cancel voids a transaction before settlement; cancelling a pending one frees its order_id.
func (s *Server) cancel(t *txn) error {
	switch t.status {
	case stPending:
		t.freed = true
	case stAuthorize, stCapture:
	default:
		return invalidState("cancel", t, stCancel)
	}
	s.transition(t, stCancel, t.fraud)
	s.notifyLocked(t)
	return nil
}

// capture answers POST /v2/capture for a pre-authorized card.
func (s *Server) capture(body []byte) apiResult {
	m, err := decodeObject(body)
	if err != nil {
		return syntaxError()
	}
	id, _ := asString(m["transaction_id"])
	var amount int64
	var msgs []string
	if id == "" {
		msgs = append(msgs, "transaction_id is required")
	}
	if v, present := m["gross_amount"]; present && v != nil {
		n, ok := asInt(v)
		if !ok || n <= 0 {
			msgs = append(msgs, "gross_amount must be an integer greater than 0")
		}
		amount = n
	}
	if len(msgs) > 0 {
		return validationError(msgs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byTxID[id] // capture takes Midtrans' transaction_id only
	if t == nil {
		return notFound()
	}
	s.expireIfDue(t)
	if t.status != stAuthorize {
		return coreError(http.StatusOK, "412", msgCannotModify, false)
	}
	if amount > t.gross {
		return validationError([]string{"gross_amount must not exceed the authorized amount"})
	}
	if amount > 0 {
		t.gross = amount
	}
	t.expiresAt = time.Time{}
	s.transition(t, stCapture, "accept")
	s.notifyLocked(t)
	o := t.opObject("200", "Success, Credit Card capture transaction is successful", true)
	o["eci"] = t.card.eci
	o["currency"] = "IDR"
	o["card_type"] = t.card.cardType
	o["channel_response_code"] = t.card.respCode
	o["channel_response_message"] = t.card.respMsg
	return ok200(o)
}

// refundAPI answers POST /v2/{id}/refund and /refund/online/direct.
func (s *Server) refundAPI(id string, body []byte, direct bool) apiResult {
	m := map[string]any{}
	if len(strings.TrimSpace(string(body))) > 0 {
		var err error
		if m, err = decodeObject(body); err != nil {
			return syntaxError()
		}
	}
	key, _ := asString(m["refund_key"])
	reason, _ := asString(m["reason"])
	var requested int64
	var msgs []string
	if v, present := m["amount"]; present && v != nil {
		n, ok := asInt(v)
		if !ok {
			msgs = append(msgs, "amount must be an integer without decimals")
		}
		requested = n
	}
	if key != "" && !refundKeyValid(key) {
		msgs = append(msgs, "refund_key may contain only letters, digits, '-' and '_'")
	}
	if len(msgs) > 0 {
		return validationError(msgs)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, false)
	if t == nil {
		return notFound()
	}
	// refund keys are per transaction: the docs samples reuse "reference1" across transactions
	if rec := s.refundKeys[t.txID+"\x00"+key]; key != "" && rec != nil {
		if rec.amount == requested && rec.direct == direct {
			return ok200Bytes(rec.body) // a retry of the same refund gets the same answer
		}
		return coreError(http.StatusOK, "406", msgDupRefund, false)
	}
	if t.status != stSettlement && t.status != stPartialRefund {
		return coreError(http.StatusOK, "412", msgCannotModify, false)
	}
	switch t.paymentType {
	case "bank_transfer", "echannel", "cstore":
		return coreError(http.StatusOK, "412", msgCannotModify, false) // no API refund
	}
	amount := requested
	remaining := t.gross - t.refunded
	if amount == 0 {
		amount = remaining
	}
	if amount <= 0 || amount > remaining {
		return coreError(http.StatusOK, "414", msgRefundAmount, false)
	}
	if (t.paymentType == "shopeepay" || t.paymentType == "ovo") && amount != t.gross {
		return coreError(http.StatusOK, "414", msgRefundAmount, false) // full refunds only
	}
	if key == "" {
		key = newUUID()
	}
	e := s.applyRefund(t, amount, key, reason, "online")
	msg := "Success, refund request is approved"
	if direct {
		msg = "Success, refund request is approved by the bank"
	}
	o := obj{
		"status_code": "200", "status_message": msg,
		"transaction_id": t.txID, "order_id": t.orderID, "payment_type": t.paymentType,
		"transaction_time": jakarta(t.createdAt), "transaction_status": t.status,
		"gross_amount": amountString(t.gross), "refund_chargeback_id": e.id,
		"refund_amount": amountString(e.amount), "refund_key": e.key,
	}
	b := mustJSON(o)
	s.refundKeys[t.txID+"\x00"+key] = &refundRecord{amount: requested, direct: direct, body: b}
	return ok200Bytes(b)
}

func ok200Bytes(b []byte) apiResult { return apiResult{status: http.StatusOK, body: b} }

func refundKeyValid(k string) bool {
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// applyRefund records a refund and sends Midtrans' two refund notifications: the first
// without, the second with refunds[].bank_confirmed_at.
func (s *Server) applyRefund(t *txn, amount int64, key, reason, method string) *refundEntry {
	s.refundSeq++
	e := &refundEntry{id: s.refundSeq, key: key, amount: amount, reason: reason, method: method, createdAt: s.now()}
	t.refunds = append(t.refunds, e)
	t.refunded += amount
	status := stPartialRefund
	if t.refunded >= t.gross {
		status = stRefund
	}
	s.transition(t, status, t.fraud)
	s.notifyLocked(t)
	e.bankConfirmedAt = s.now()
	s.notifyLocked(t)
	return e
}
