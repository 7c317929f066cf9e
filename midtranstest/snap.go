package midtranstest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// snapOrder is a Snap token; its Core transaction exists only once a method is chosen.
type snapOrder struct {
	token        string
	orderID      string
	gross        int64
	c            common
	request      []byte
	enabled      []string
	cardAuth     bool
	vaNumbers    map[string]string // bca_va.va_number, …
	phone        string
	finishURL    string
	hasExpiry    bool
	expStart     time.Time
	expDur       time.Duration
	overrideURLs []string
	appendURLs   []string
	t            *txn
}

// snapDefaultPayments is what a Snap page offers when enabled_payments is absent.
func snapDefaultPayments() []string {
	return []string{"credit_card", "gopay", "shopeepay", "other_qris", "bca_va", "bni_va", "bri_va",
		"permata_va", "cimb_va", "echannel", "indomaret", "alfamart", "akulaku", "kredivo", "dana", "ovo", "uob_ezpay"}
}

// snapMethod maps a Snap payment name to the Core charge it becomes; ok=false for names
// the simulator does not support (deprecated direct debits, other_va, …).
func snapMethod(name string) (methodReq, bool) {
	switch name {
	case "credit_card", "gopay", "shopeepay", "akulaku", "kredivo", "uob_ezpay", "echannel", "ovo", "dana":
		return methodReq{paymentType: name, method: name}, true
	case "bca_va", "bni_va", "bri_va", "permata_va", "cimb_va", "danamon_va", "bsi_va", "seabank_va", "saqu_va":
		bank := strings.TrimSuffix(name, "_va")
		return methodReq{paymentType: "bank_transfer", method: bank, bank: bank}, true
	case "other_qris":
		return methodReq{paymentType: "qris", method: "qris", acquirer: "gopay"}, true
	case "indomaret", "alfamart":
		return methodReq{paymentType: "cstore", method: name, store: name}, true
	}
	return methodReq{}, false
}

// expandPayments resolves the aliases bank_transfer (all VAs) and cstore (both stores).
func expandPayments(names []string) []string {
	var out []string
	for _, n := range names {
		switch n {
		case "bank_transfer":
			out = append(out, "bca_va", "bni_va", "bri_va", "permata_va", "cimb_va")
		case "cstore":
			out = append(out, "indomaret", "alfamart")
		default:
			out = append(out, n)
		}
	}
	return out
}

// snapCreate answers POST /snap/v1/transactions: HTTP 201 with a token, or HTTP
// 400 {"error_messages": [...]}.
func (s *Server) snapCreate(r *http.Request, body []byte) apiResult {
	m, err := decodeObject(body)
	if err != nil {
		return snapError(http.StatusBadRequest, "Request body is not a valid JSON")
	}
	c, msgs := parseCommon(m)
	so := &snapOrder{orderID: c.orderID, gross: c.gross, c: c, request: append([]byte(nil), body...),
		vaNumbers: map[string]string{}}
	if v, present := m["enabled_payments"]; present && v != nil {
		arr, ok := v.([]any)
		if !ok {
			msgs = append(msgs, "enabled_payments must be an array of strings")
		}
		for _, e := range arr {
			name, ok := asString(e)
			if !ok {
				msgs = append(msgs, "enabled_payments must be an array of strings")
				break
			}
			so.enabled = append(so.enabled, name)
		}
	}
	var expMsgs []string
	so.expStart, so.expDur, expMsgs, so.hasExpiry = parseSnapExpiry(m["expiry"])
	msgs = append(msgs, expMsgs...)
	if len(msgs) > 0 {
		return snapError(http.StatusBadRequest, msgs...)
	}
	if cc, ok := asObject(m["credit_card"]); ok {
		t, _ := asString(cc["type"])
		so.cardAuth = t == "authorize"
	}
	for _, k := range []string{"bca_va", "bni_va", "bri_va", "permata_va", "cimb_va"} {
		if o, ok := asObject(m[k]); ok {
			if va, ok := asString(o["va_number"]); ok && isDigits(va) {
				so.vaNumbers[strings.TrimSuffix(k, "_va")] = va
			}
		}
	}
	if cb, ok := asObject(m["callbacks"]); ok {
		so.finishURL, _ = asString(cb["finish"])
	}
	if c.customer != nil {
		so.phone, _ = asString(c.customer["phone"])
	}
	so.overrideURLs = splitURLs(r.Header.Get("X-Override-Notification"))
	so.appendURLs = splitURLs(r.Header.Get("X-Append-Notification"))

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orderTaken(c.orderID) {
		return snapError(http.StatusBadRequest, msgSnapOrderUsed)
	}
	so.token = newUUID()
	s.snapByOrder[so.orderID] = so
	s.snapByToken[so.token] = so
	return apiResult{status: http.StatusCreated, body: mustJSON(obj{
		"token": so.token, "redirect_url": s.baseURL + "/snap/v3/redirection/" + so.token})}
}

// SelectSnapPayment is the customer choosing a method on the Snap page: it creates the
// Core transaction (pending) and notifies. paymentType is a Snap name ("bca_va",
// "other_qris", "indomaret", …) or a Core payment type ("bank_transfer", "qris",
// "cstore", "credit_card", …) resolved to the first matching enabled method. For "dana"
// the transaction_id has DANA's style (e.g. "A120240830074017NP16XMU4JTID").
func (s *Server) SelectSnapPayment(orderID, paymentType string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	so := s.snapByOrder[orderID]
	if so == nil {
		so = s.snapByToken[orderID]
	}
	if so == nil {
		return fmt.Errorf("select %s: %w", orderID, ErrUnknownTransaction)
	}
	if so.t != nil {
		return fmt.Errorf("select %s: %w: payment already chosen (from %q to %q)", orderID, ErrInvalidState, so.t.status, stPending)
	}
	_, err := s.selectSnap(so, paymentType)
	return err
}

func (so *snapOrder) payments() []string {
	if len(so.enabled) == 0 {
		return snapDefaultPayments()
	}
	return expandPayments(so.enabled)
}

// resolvePayment finds the enabled Snap payment a name refers to ("" = the first supported).
func (so *snapOrder) resolvePayment(name string) (string, error) {
	matches := func(p string, mr methodReq) bool {
		switch name {
		case "", p:
			return true
		case "permata":
			return p == "permata_va"
		}
		return name == mr.paymentType // bank_transfer, cstore, qris → the first enabled one
	}
	for _, p := range so.payments() {
		if mr, ok := snapMethod(p); ok && matches(p, mr) {
			return p, nil
		}
	}
	if name == "" {
		return "", fmt.Errorf("%w: no enabled payment method the simulator supports", ErrInvalidState)
	}
	return "", fmt.Errorf("%w: payment %q is not enabled for Snap order %s (or not supported by the simulator)", ErrInvalidState, name, so.orderID)
}

// selectSnap creates the Core transaction for a Snap order. Called with s.mu held.
func (s *Server) selectSnap(so *snapOrder, name string) (*txn, error) {
	p, err := so.resolvePayment(name)
	if err != nil {
		return nil, err
	}
	mr, _ := snapMethod(p)
	mr.customVA = so.vaNumbers[mr.bank]
	if mr.paymentType == "ovo" {
		mr.payerPhone = so.phone
		if mr.payerPhone == "" {
			mr.payerPhone = "081111111111"
		}
	}
	t := s.newTxn(mr, so.c, so.request, http.Header{}, true)
	t.overrideURLs, t.appendURLs = so.overrideURLs, so.appendURLs
	if so.hasExpiry && mr.paymentType != "credit_card" && mr.paymentType != "ovo" {
		start := so.expStart
		if start.IsZero() {
			start = s.now() // Snap expiry starts when the customer picks a method
		}
		t.expiresAt = start.Add(so.expDur)
	}
	if mr.paymentType == "credit_card" {
		// the customer typed the sandbox card 4811 1111 1111 1114 and 3DS opened
		t.card = &cardInfo{number: "4811111111111114", masked: "48111111-1114", outcome: cardAccept,
			bank: "bni", cardType: "credit", eci: "05", threeDS: true, authorize: so.cardAuth}
	}
	so.t = t
	s.register(t)
	s.notifyLocked(t)
	return t, nil
}
