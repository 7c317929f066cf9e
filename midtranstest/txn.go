package midtranstest

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Transaction statuses.
const (
	stPending           = "pending"
	stCapture           = "capture"
	stSettlement        = "settlement"
	stDeny              = "deny"
	stCancel            = "cancel"
	stExpire            = "expire"
	stRefund            = "refund"
	stPartialRefund     = "partial_refund"
	stChargeback        = "chargeback"
	stPartialChargeback = "partial_chargeback"
	stAuthorize         = "authorize"
)

type action struct {
	Name   string   `json:"name"`
	Method string   `json:"method"`
	URL    string   `json:"url"`
	Fields []string `json:"fields,omitempty"`
}

// actionsJSON keeps "fields": [] where Midtrans sends it (the gopay cancel action).
func actionsJSON(as []action) []obj {
	out := make([]obj, len(as))
	for i, a := range as {
		o := obj{"name": a.Name, "method": a.Method, "url": a.URL}
		if a.Fields != nil {
			o["fields"] = a.Fields
		}
		out[i] = o
	}
	return out
}

type refundEntry struct {
	id              int64
	key             string
	amount          int64
	reason          string
	method          string // online | offline
	createdAt       time.Time
	bankConfirmedAt time.Time
}

// refundRecord remembers a refund_key's answer so a retry with the same key replays it.
type refundRecord struct {
	amount int64
	direct bool
	body   []byte
}

type cardInfo struct {
	number      string // the full sandbox number, when known
	masked      string // "48111111-1114"
	outcome     cardOutcome
	bank        string
	cardType    string
	approval    string
	eci         string
	respCode    string
	respMsg     string
	threeDS     bool
	authorize   bool // credit_card.type "authorize"
	challengeOK bool // 3DS completed
	savedToken  string
	savedExpiry time.Time
	installment int
}

// txn is one Core API transaction. Guarded by Server.mu.
type txn struct {
	orderID     string
	txID        string
	paymentType string // as Midtrans reports it ("bank_transfer" for Permata)
	method      string // finer: bca, bni, bri, permata, cimb, echannel, gopay, qris, indomaret, …
	status      string
	fraud       string // "" = absent
	gross       int64
	createdAt   time.Time
	expiresAt   time.Time
	settledAt   time.Time
	freed       bool // cancelled while pending: the order_id may be reused

	bank        string
	va          string
	billKey     string
	billerCode  string
	paymentCode string
	store       string
	qr          string
	acquirer    string
	issuer      string
	crossRef    string // QRIS (GoPay acquirer) merchant_cross_reference_id
	storeCode   string // Indomaret approval_code at settlement
	actions     []action
	redirectURL string
	chanCode    string // channel_response_code/message of e-wallet charge answers
	chanMsg     string
	payerPhone  string
	card        *cardInfo
	callbackURL string

	customFields map[string]string
	metadata     json.RawMessage
	request      json.RawMessage

	overrideURLs []string
	appendURLs   []string
	snap         bool

	refunds     []*refundEntry
	refunded    int64
	chargedBack int64

	// extra are fields the simulator adds to every answer about the
	// transaction without modelling them: a Config.PaymentTypes hook's, and
	// ShopeePay's settlement references.
	extra obj

	payAccount string // the linked GoPay account a tokenization charge paid from
	payOption  string // and its payment option (payment_option_type)
}

// statusCode is the body status_code for the current state; notifications
// report expire as 202 while GET status reports 407.
func (t *txn) statusCode(notification bool) string {
	switch t.status {
	case stPending:
		return "201"
	case stCapture:
		if t.fraud == "challenge" {
			return "201"
		}
		return "200"
	case stDeny, stCancel:
		return "202"
	case stExpire:
		if notification {
			return "202"
		}
		return "407"
	}
	return "200"
}

func amountString(n int64) string { return strconv.FormatInt(n, 10) + ".00" }

// jakarta is t as Midtrans writes times, in WIB (UTC+7, no daylight
// saving), which the layout does not name: the UTC time moved by 7 hours
// reads the same, without a zone built on every answer.
func jakarta(t time.Time) string { return t.UTC().Add(7 * time.Hour).Format(timeLayout) }

// Signature is Midtrans' signature_key: hex(SHA512(order_id + status_code + gross_amount + serverKey)).
func Signature(orderID, statusCode, grossAmount, serverKey string) string {
	sum := sha512.Sum512([]byte(orderID + statusCode + grossAmount + serverKey))
	return hex.EncodeToString(sum[:])
}

// base holds the fields every answer about a transaction carries.
func (t *txn) base(s *Server) obj {
	return obj{
		"transaction_id":     t.txID,
		"order_id":           t.orderID,
		"merchant_id":        s.cfg.MerchantID,
		"gross_amount":       amountString(t.gross),
		"currency":           "IDR",
		"payment_type":       t.paymentType,
		"transaction_time":   jakarta(t.createdAt),
		"transaction_status": t.status,
	}
}

// statusObject is the full transaction object of GET status and notifications.
func (s *Server) statusObject(t *txn, notification bool) obj {
	o := t.base(s)
	code := t.statusCode(notification)
	o["status_code"] = code
	if notification {
		o["status_message"] = "midtrans payment notification"
	} else {
		o["status_message"] = "Success, transaction is found"
	}
	o["signature_key"] = Signature(t.orderID, code, amountString(t.gross), s.cfg.ServerKey)
	if t.fraud != "" {
		o["fraud_status"] = t.fraud
	}
	if !t.expiresAt.IsZero() {
		o["expiry_time"] = jakarta(t.expiresAt)
	}
	if !t.settledAt.IsZero() {
		o["settlement_time"] = jakarta(t.settledAt)
	}
	t.instrumentFields(o)
	if t.payOption != "" && !t.settledAt.IsZero() {
		o["payment_option_type"] = t.payOption
	}
	switch t.method {
	case "bca", "bni", "bri", "cimb", "danamon", "bsi", "seabank", "saqu":
		if !t.settledAt.IsZero() {
			o["payment_amounts"] = []obj{{"paid_at": jakarta(t.settledAt), "amount": amountString(t.gross)}}
		}
	case "qris":
		if !t.settledAt.IsZero() {
			o["issuer"] = t.issuer
			o["transaction_type"] = "on-us"
			if t.crossRef != "" {
				o["merchant_cross_reference_id"] = t.crossRef
			}
		}
	case "indomaret":
		if !t.settledAt.IsZero() {
			o["approval_code"] = t.storeCode
		}
	case "ovo":
		o["payer_phone_number"] = t.payerPhone
	case "gopay":
		if !t.settledAt.IsZero() {
			o["payment_option_type"] = "GOPAY_WALLET" // settlement and refund notifications carry it
		}
	}
	if c := t.card; c != nil {
		o["masked_card"] = c.masked
		o["card_type"] = c.cardType
		o["bank"] = c.bank
		o["eci"] = c.eci
		o["on_us"] = true
		if c.respCode != "" {
			o["channel_response_code"] = c.respCode
			o["channel_response_message"] = c.respMsg
		}
		if c.approval != "" && t.status != stDeny && t.status != stPending {
			o["approval_code"] = c.approval
		}
		if c.threeDS {
			o["three_ds_version"] = "2"
			if t.status != stPending {
				o["challenge_completion"] = c.challengeOK
			}
		}
		if c.installment > 0 {
			o["installment_term"] = c.installment // a number here, a string in the charge answer
		}
		if c.savedToken != "" {
			o["saved_token_id"] = c.savedToken
			o["saved_token_id_expired_at"] = jakarta(c.savedExpiry)
		}
		if !notification && t.status == stCapture {
			// as in the capture answer: the acquiring channel and the
			// 8-day window to void or capture
			o["channel"] = "dragon"
			o["expiry_time"] = jakarta(t.createdAt.Add(8 * 24 * time.Hour))
		}
	}
	t.addExtra(o)
	for k, v := range t.customFields {
		o[k] = v
	}
	if len(t.metadata) > 0 {
		o["metadata"] = t.metadata
	}
	if len(t.refunds) > 0 {
		o["refund_amount"] = amountString(t.refunded)
		o["refunds"] = t.refundsJSON()
	}
	return o
}

// instrumentFields adds what the customer pays with: VA, bill key, payment code, QRIS acquirer.
func (t *txn) instrumentFields(o obj) {
	switch {
	case t.method == "permata":
		o["permata_va_number"] = t.va
	case t.va != "":
		o["va_numbers"] = []obj{{"bank": t.bank, "va_number": t.va}}
	case t.billKey != "":
		o["bill_key"] = t.billKey
		o["biller_code"] = t.billerCode
	case t.paymentCode != "":
		o["payment_code"] = t.paymentCode
		o["store"] = t.store
	}
	if t.acquirer != "" {
		o["acquirer"] = t.acquirer
	}
}

func (t *txn) refundsJSON() []obj {
	out := make([]obj, 0, len(t.refunds))
	for _, r := range t.refunds {
		e := obj{
			"refund_chargeback_id": r.id,
			"refund_amount":        amountString(r.amount),
			"created_at":           jakarta(r.createdAt),
			"reason":               r.reason,
			"refund_key":           r.key,
			"refund_method":        r.method,
		}
		if !r.bankConfirmedAt.IsZero() {
			e["bank_confirmed_at"] = jakarta(r.bankConfirmedAt)
		}
		out = append(out, e)
	}
	return out
}

// opObject is the short object operation answers carry (cancel/approve/deny samples).
func (t *txn) opObject(code, msg string, withFraud bool) obj {
	o := obj{
		"status_code":        code,
		"status_message":     msg,
		"transaction_id":     t.txID,
		"order_id":           t.orderID,
		"payment_type":       t.paymentType,
		"transaction_time":   jakarta(t.createdAt),
		"transaction_status": t.status,
		"gross_amount":       amountString(t.gross),
	}
	if withFraud && t.fraud != "" {
		o["fraud_status"] = t.fraud
	}
	if t.card != nil && withFraud {
		o["masked_card"] = t.card.masked
		o["bank"] = t.card.bank
	}
	return o
}

// Transaction is a snapshot of a simulated transaction.
type Transaction struct {
	OrderID, TransactionID, PaymentType, Status, FraudStatus string
	GrossAmount, RefundedAmount                              int64
	Bank, VANumber, BillKey, BillerCode, PaymentCode, Store  string
	QRString                                                 string
	ExpiryTime                                               time.Time
	// Snap is true for transactions created through Snap. A Snap order whose payment
	// method is not chosen yet has an empty Status and PaymentType.
	Snap bool
	// NotificationURLs are the URLs the next notification goes to.
	NotificationURLs []string
	// Request is the charge body as received (for Snap: the Snap request).
	Request json.RawMessage
}

func (s *Server) snapshot(t *txn) Transaction {
	tr := Transaction{
		OrderID: t.orderID, TransactionID: t.txID, PaymentType: t.paymentType, Status: t.status,
		FraudStatus: t.fraud, GrossAmount: t.gross, RefundedAmount: t.refunded,
		Bank: t.bank, VANumber: t.va, BillKey: t.billKey, BillerCode: t.billerCode,
		PaymentCode: t.paymentCode, Store: t.store, QRString: t.qr, ExpiryTime: t.expiresAt,
		Snap: t.snap, NotificationURLs: s.notificationURLs(t.overrideURLs, t.appendURLs),
		Request: append(json.RawMessage(nil), t.request...),
	}
	if t.card != nil {
		tr.Bank = t.card.bank
	}
	return tr
}

// Transaction returns a snapshot by order_id or transaction_id.
func (s *Server) Transaction(id string) (Transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.lookup(id, true); t != nil {
		return s.snapshot(t), true
	}
	if so := s.snapByOrder[id]; so != nil && so.t == nil {
		return Transaction{OrderID: so.orderID, GrossAmount: so.gross, Snap: true,
			NotificationURLs: s.notificationURLs(so.overrideURLs, so.appendURLs),
			Request:          append(json.RawMessage(nil), so.request...)}, true
	}
	return Transaction{}, false
}

// lookup finds a transaction by transaction_id, else by order_id. DANA transactions are
// reachable only by transaction_id unless anyID is set (test controls).
func (s *Server) lookup(id string, anyID bool) *txn {
	t := s.byTxID[id]
	if t == nil {
		t = s.byOrder[id]
		if t != nil && t.paymentType == "dana" && !anyID {
			return nil
		}
	}
	if t != nil {
		s.expireIfDue(t)
	}
	return t
}

// expireIfDue expires a pending (or authorized) transaction whose expiry_time has passed
// on the configured clock, as Midtrans would have done meanwhile.
func (s *Server) expireIfDue(t *txn) {
	if t.expiresAt.IsZero() || s.now().Before(t.expiresAt) {
		return
	}
	if t.status == stPending || t.status == stAuthorize {
		s.transition(t, stExpire, t.fraud)
		s.notifyLocked(t)
	}
}

// transition changes the status and releases a pending payment code for reuse.
func (s *Server) transition(t *txn, status, fraud string) {
	if t.status == stPending && status != stPending {
		for k, v := range s.activeCodes {
			if v == t {
				delete(s.activeCodes, k)
			}
		}
	}
	t.status, t.fraud = status, fraud
}

func splitURLs(h string) []string {
	var out []string
	for _, u := range strings.Split(h, ",") {
		if u = strings.TrimSpace(u); u != "" && len(out) < 3 {
			out = append(out, u)
		}
	}
	return out
}

// notificationURLs: Override replaces everything; otherwise the dashboard URL plus the
// Append URLs. Called with s.mu held.
func (s *Server) notificationURLs(override, appendURLs []string) []string {
	if len(override) > 0 {
		return append([]string(nil), override...)
	}
	var out []string
	if s.notifyURL != "" {
		out = append(out, s.notifyURL)
	}
	return append(out, appendURLs...)
}
