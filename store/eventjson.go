package store

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nusapay/payments"
)

// An event's JSON is written here field by field, byte for byte as
// encoding/json writes it from the struct tags of payments.Event, Payment
// and the types inside (TestEventJSONMatchesEncodingJSON holds the two
// together on random events with every field set). encoding/json boxes
// each time.Time it checks for omitzero and allocates for each
// time.Time it writes: about thirty allocations of a charge.
//
// Whatever this writer cannot write as encoding/json would (a time
// outside RFC 3339, invalid raw JSON) makes it report false, and the
// caller falls back to encoding/json, which writes or refuses it.

// jsonWriter appends one JSON value to b; comma says whether the object
// being written already has a member.
type jsonWriter struct {
	b     []byte
	comma bool
	ok    bool
}

func (w *jsonWriter) begin() {
	w.b = append(w.b, '{')
	w.comma = false
}

func (w *jsonWriter) end() {
	w.b = append(w.b, '}')
	w.comma = true
}

func (w *jsonWriter) key(k string) {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

// strOmit writes a string member tagged omitempty.
func (w *jsonWriter) strOmit(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jsonWriter) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jsonWriter) time(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	n0 := len(w.b)
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	// time.Time.MarshalJSON refuses what RFC 3339 cannot say: a year
	// outside 0..9999, a zone offset of 24 hours or more.
	b := w.b
	switch {
	case len(b)-n0 < 5 || b[n0+4] != '-':
		w.ok = false
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		if ('0' <= c && c <= '9') || 10*(b[len(b)-5]-'0')+(b[len(b)-4]-'0') >= 24 {
			w.ok = false
		}
	}
	w.b = append(w.b, '"')
}

// timeOmit writes a time member tagged omitzero.
func (w *jsonWriter) timeOmit(k string, t time.Time) {
	if !t.IsZero() {
		w.time(k, t)
	}
}

// rawOmit writes a json.RawMessage member tagged omitempty: compacted and
// with <, >, & and U+2028/U+2029 escaped, as encoding/json writes one.
func (w *jsonWriter) rawOmit(k string, m json.RawMessage) {
	if len(m) == 0 {
		return
	}
	if !json.Valid(m) {
		w.ok = false
		return
	}
	w.key(k)
	w.b = appendCompactJSON(w.b, m)
}

// appendPaymentJSON appends p's JSON and reports whether it could.
func appendPaymentJSON(b []byte, p *payments.Payment) ([]byte, bool) {
	w := jsonWriter{b: b, ok: true}
	w.payment(p)
	return w.b, w.ok
}

// appendEventJSON appends ev's JSON with paymentJSON, ev.Payment's JSON
// from appendPaymentJSON, for its payment, and reports whether it could.
// ev.Subscription must be nil.
func appendEventJSON(b []byte, ev *payments.Event, paymentJSON []byte) ([]byte, bool) {
	w := jsonWriter{b: b, ok: true}
	w.begin()
	w.str("id", ev.ID)
	w.str("signal", string(ev.Signal))
	w.str("source", string(ev.Source))
	w.key("previous")
	w.state(ev.Previous)
	w.key("current")
	w.state(ev.Current)
	w.rawOmit("payload", ev.Payload)
	w.time("occurred_at", ev.OccurredAt)
	// Last: marshalEventStd's payment member, outside the embedded Event,
	// comes after all of the Event's.
	w.key("payment")
	w.b = append(w.b, paymentJSON...)
	w.end()
	return w.b, w.ok
}

func (w *jsonWriter) state(s payments.State) {
	w.begin()
	w.str("status", string(s.Status))
	w.strOmit("fraud_status", string(s.Fraud))
	w.int("refunded_amount", int64(s.Refunded))
	w.end()
}

func (w *jsonWriter) payment(p *payments.Payment) {
	w.begin()
	w.str("id", p.ID)
	w.str("account", p.Account)
	w.str("order_id", p.OrderID)
	w.strOmit("transaction_id", p.TransactionID)
	w.str("method", p.Method)
	w.strOmit("payment_type", p.PaymentType)
	w.int("gross_amount", int64(p.Amount))
	w.str("currency", p.Currency)
	w.str("transaction_status", string(p.Status))
	w.strOmit("fraud_status", string(p.FraudStatus))
	w.strOmit("status_message", p.StatusMessage)
	w.instructions(&p.Instructions)
	w.timeOmit("expiry_time", p.ExpiresAt)
	w.timeOmit("paid_at", p.PaidAt)
	w.int("refunded_amount", int64(p.RefundedAmount))
	w.timeOmit("transaction_time", p.TransactionTime)
	w.timeOmit("settlement_time", p.SettlementTime)
	if p.Customer != nil {
		w.key("customer_details")
		w.customer(p.Customer)
	}
	if len(p.Items) > 0 {
		w.key("item_details")
		w.b = append(w.b, '[')
		for i := range p.Items {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.item(&p.Items[i])
		}
		w.b = append(w.b, ']')
	}
	w.rawOmit("metadata", p.Metadata)
	w.strOmit("custom_field1", p.CustomField1)
	w.strOmit("custom_field2", p.CustomField2)
	w.strOmit("custom_field3", p.CustomField3)
	w.int("version", p.Version)
	w.time("created_at", p.CreatedAt)
	w.time("updated_at", p.UpdatedAt)
	w.rawOmit("charge_response", p.ChargeResponse)
	w.strOmit("subscription_id", p.SubscriptionID)
	w.end()
}

// instructions writes the members of the embedded Instructions in place.
func (w *jsonWriter) instructions(in *payments.Instructions) {
	w.strOmit("va_number", in.VANumber)
	w.strOmit("bank", in.Bank)
	w.strOmit("bill_key", in.BillKey)
	w.strOmit("biller_code", in.BillerCode)
	w.strOmit("payment_code", in.PaymentCode)
	w.strOmit("store", in.Store)
	w.strOmit("qr_string", in.QRString)
	w.strOmit("qr_image_url", in.QRImageURL)
	w.strOmit("deeplink_url", in.DeeplinkURL)
	w.strOmit("redirect_url", in.RedirectURL)
	if len(in.Actions) > 0 {
		w.key("actions")
		w.b = append(w.b, '[')
		for i := range in.Actions {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.action(&in.Actions[i])
		}
		w.b = append(w.b, ']')
	}
	w.strOmit("snap_token", in.SnapToken)
	w.strOmit("acquirer", in.Acquirer)
	w.strOmit("channel_response_code", in.ChannelResponseCode)
	w.strOmit("channel_response_message", in.ChannelResponseMessage)
	w.strOmit("merchant_id", in.MerchantID)
	if c := in.Card; c != nil {
		w.key("card")
		w.begin()
		w.strOmit("masked_card", c.MaskedCard)
		w.strOmit("card_type", c.CardType)
		w.strOmit("bank", c.Bank)
		w.strOmit("approval_code", c.ApprovalCode)
		w.strOmit("eci", c.ECI)
		w.strOmit("three_ds_version", c.ThreeDSVersion)
		if c.OnUs != nil {
			w.key("on_us")
			w.b = strconv.AppendBool(w.b, *c.OnUs)
		}
		if c.InstallmentTerm != 0 {
			w.int("installment_term", int64(c.InstallmentTerm))
		}
		w.strOmit("saved_token_id", c.SavedTokenID)
		w.timeOmit("saved_token_id_expired_at", c.SavedTokenExpiresAt)
		w.end()
	}
}

func (w *jsonWriter) action(a *payments.Action) {
	w.begin()
	w.str("name", a.Name)
	w.str("method", a.Method)
	w.str("url", a.URL)
	if len(a.Fields) > 0 {
		w.key("fields")
		w.b = append(w.b, '[')
		for i, f := range a.Fields {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendJSONString(w.b, f)
		}
		w.b = append(w.b, ']')
	}
	w.end()
}

func (w *jsonWriter) customer(c *payments.Customer) {
	w.begin()
	w.strOmit("first_name", c.FirstName)
	w.strOmit("last_name", c.LastName)
	w.strOmit("email", c.Email)
	w.strOmit("phone", c.Phone)
	if c.BillingAddress != nil {
		w.key("billing_address")
		w.address(c.BillingAddress)
	}
	if c.ShippingAddress != nil {
		w.key("shipping_address")
		w.address(c.ShippingAddress)
	}
	w.end()
}

func (w *jsonWriter) address(a *payments.Address) {
	w.begin()
	w.strOmit("first_name", a.FirstName)
	w.strOmit("last_name", a.LastName)
	w.strOmit("email", a.Email)
	w.strOmit("phone", a.Phone)
	w.strOmit("address", a.Address)
	w.strOmit("city", a.City)
	w.strOmit("postal_code", a.PostalCode)
	w.strOmit("country_code", a.CountryCode)
	w.end()
}

func (w *jsonWriter) item(it *payments.Item) {
	w.begin()
	w.strOmit("id", it.ID)
	w.str("name", it.Name)
	w.int("price", int64(it.Price))
	w.int("quantity", it.Quantity)
	w.strOmit("brand", it.Brand)
	w.strOmit("category", it.Category)
	w.strOmit("merchant_name", it.MerchantName)
	w.strOmit("url", it.URL)
	w.end()
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes a string with
// HTML escaping on: ", \ and control characters escaped (\b \f \n \r \t
// by name), <, > and & as \u003c..., invalid UTF-8 as \ufffd, U+2028 and
// U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCompactJSON appends m, valid JSON, without the whitespace between
// its tokens and with <, >, & and U+2028/U+2029 escaped, as encoding/json
// writes a json.RawMessage.
func appendCompactJSON(b []byte, m []byte) []byte {
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			b = append(b, m[start:i]...)
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(m) && m[i+1] == 0x80 && m[i+2]&^1 == 0xA8:
			b = append(b, m[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[m[i+2]&0xF])
			i += 2
			start = i + 1
		case !inString && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			b = append(b, m[start:i]...)
			start = i + 1
		}
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		}
	}
	return append(b, m[start:]...)
}
