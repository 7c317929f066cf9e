package midtranstest

import (
	"encoding/json"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
)

// Error paths Midtrans documents, produced on demand: a channel the
// merchant has not activated (DisableChannel), an outdated 3-D Secure 1
// card, an OVO phone with no OVO account; and payment types taught by
// Config.PaymentTypes.

const (
	msgChannelInactive = "Payment channel is not activated."
	msg3DS1            = "Cards with 3DS version 1 or lower are not supported. Please retry with another card that supports the minimum 3DS version 2."
	msgOVOUnknownPhone = "User with requested phone number doesn't exist"
)

// ovoUnknownPhones: the sandbox's "not registered" OVO number (RC 14), in the
// forms a merchant may send it.
var ovoUnknownPhones = []string{"+628249134000", "628249134000", "08249134000"}

func unsupportedType(pt string) string { return fmt.Sprintf("payment_type %q is not supported", pt) }

// DisableChannel makes charges of a payment_type (e.g. "gopay",
// "bank_transfer", "credit_card", or one taught by Config.PaymentTypes)
// fail as Midtrans fails them for a merchant without that channel:
// status_code 402 "Payment channel is not activated." under HTTP 200,
// nothing created. EnableChannel undoes it.
func (s *Server) DisableChannel(paymentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disabled == nil {
		s.disabled = map[string]bool{}
	}
	s.disabled[paymentType] = true
}

// EnableChannel activates a payment_type again after DisableChannel.
func (s *Server) EnableChannel(paymentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.disabled, paymentType)
}

// refuseCharge answers a charge that passed validation but that Midtrans
// refuses before creating anything: an inactive channel, an unknown OVO
// phone.
func (s *Server) refuseCharge(mr methodReq) (apiResult, bool) {
	s.mu.Lock()
	off := s.disabled[mr.paymentType]
	s.mu.Unlock()
	if off {
		return coreError(http.StatusOK, "402", msgChannelInactive, true), true
	}
	if mr.paymentType == "ovo" && slices.Contains(ovoUnknownPhones, strings.ReplaceAll(mr.payerPhone, " ", "")) {
		return coreError(http.StatusOK, "404", msgOVOUnknownPhone, true), true
	}
	return apiResult{}, false
}

// ChargeView is what a PaymentTypeFunc sees of a charge that passed the
// common validation.
type ChargeView struct {
	PaymentType string
	OrderID     string
	GrossAmount int64
	// TransactionID is the id the transaction will have.
	TransactionID string
	// Object is the request's member named after the payment type (the
	// "ovo" object of an ovo charge); nil when absent.
	Object map[string]any
	// Request is the whole charge body as received.
	Request json.RawMessage
	// BaseURL is the simulator's public URL, for actions and redirect URLs.
	BaseURL string
}

// PaymentTypeFunc shapes the charge answer of a payment type the simulator
// does not know. The fields it returns are added to the charge answer and
// to every later status answer and notification of the transaction (an
// "actions" list, a "redirect_url", a reference …); fields the simulator
// sets itself (status_code, transaction_status, transaction_id, amounts,
// times …) are never replaced. An error refuses the charge as Midtrans
// refuses bad input: HTTP 400, status_code 400, the error's text as the
// validation message. It is called without the simulator's lock held, so
// it may call the Server's methods, and at most once per charge that passed
// validation (a duplicate order_id is refused with 406 after it ran).
type PaymentTypeFunc func(ChargeView) (map[string]any, error)

// customType returns the hook for a payment type the simulator does not
// know, or nil.
func (s *Server) customType(pt string, ptMsgs []string) PaymentTypeFunc {
	f := s.cfg.PaymentTypes[pt]
	if f == nil || !slices.Contains(ptMsgs, unsupportedType(pt)) {
		return nil
	}
	return f
}

// customCharge is what a PaymentTypeFunc decided.
type customCharge struct {
	txID   string
	fields obj
}

// runCustomType calls the hook; a non-zero apiResult refuses the charge.
func (s *Server) runCustomType(f PaymentTypeFunc, pt string, c common, m map[string]any, body []byte) (customCharge, apiResult) {
	view := ChargeView{PaymentType: pt, OrderID: c.orderID, GrossAmount: c.gross, TransactionID: newUUID(),
		Request: append(json.RawMessage(nil), body...), BaseURL: s.URL()}
	view.Object, _ = asObject(m[pt])
	fields, err := f(view)
	if err != nil {
		return customCharge{}, validationError([]string{err.Error()})
	}
	// A JSON round trip keeps the fields apart from the caller's map and
	// proves they can be encoded, once, here rather than in every answer.
	raw, err := json.Marshal(fields)
	if err != nil {
		return customCharge{}, validationError([]string{fmt.Sprintf("%s: the PaymentTypes function returned fields that cannot be encoded: %v", pt, err)})
	}
	var out obj
	if err := json.Unmarshal(raw, &out); err != nil {
		return customCharge{}, validationError([]string{err.Error()})
	}
	return customCharge{txID: view.TransactionID, fields: out}, apiResult{}
}

// addExtra adds the transaction's extra fields that o does not have yet.
func (t *txn) addExtra(o obj) {
	for _, k := range slices.Sorted(maps.Keys(t.extra)) {
		if _, set := o[k]; !set {
			o[k] = t.extra[k]
		}
	}
}

func (t *txn) setExtra(k string, v any) {
	if t.extra == nil {
		t.extra = obj{}
	}
	t.extra[k] = v
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[mrand.IntN(len(alnum))]
	}
	return string(b)
}
