package midtrans

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// TransactionResponse is every Core API answer about a transaction:
// charge, status, approve, deny, cancel, expire, refund, direct refund and
// capture, and the body of an HTTP notification. Decoding is lenient:
// unknown members are ignored, every string field also accepts a JSON
// number (kept as its literal text, 6 → "6") or null, and the raw body is
// kept in Raw. Midtrans adds fields over time and types differ between
// charge responses and notifications (installment_term is "6" in one and 6
// in the other).
type TransactionResponse struct {
	StatusCode      string `json:"status_code,omitempty"`
	StatusMessage   string `json:"status_message,omitempty"`
	ID              string `json:"id,omitempty"` // request/trace id, mostly on errors
	TransactionID   string `json:"transaction_id,omitempty"`
	OrderID         string `json:"order_id,omitempty"`
	MerchantID      string `json:"merchant_id,omitempty"`
	GrossAmount     string `json:"gross_amount,omitempty"` // "145000.00"
	Currency        string `json:"currency,omitempty"`
	PaymentType     string `json:"payment_type,omitempty"`
	TransactionTime string `json:"transaction_time,omitempty"` // WIB, see ParseTime
	// TransactionStatus is pending, capture, settlement, deny, cancel,
	// expire, failure, refund, partial_refund, chargeback,
	// partial_chargeback or authorize; compare case-insensitively (DANA
	// sends "PENDING").
	TransactionStatus string `json:"transaction_status,omitempty"`
	FraudStatus       string `json:"fraud_status,omitempty"`
	// ExpiryTime is expiry_time, or QRIS' expire_time when that is absent.
	ExpiryTime     string `json:"expiry_time,omitempty"`
	SettlementTime string `json:"settlement_time,omitempty"`
	SignatureKey   string `json:"signature_key,omitempty"`

	// Cards.
	MaskedCard             string `json:"masked_card,omitempty"`
	CardType               string `json:"card_type,omitempty"`
	Bank                   string `json:"bank,omitempty"`
	ApprovalCode           string `json:"approval_code,omitempty"`
	ECI                    string `json:"eci,omitempty"`
	ChannelResponseCode    string `json:"channel_response_code,omitempty"`
	ChannelResponseMessage string `json:"channel_response_message,omitempty"`
	RedirectURL            string `json:"redirect_url,omitempty"`
	SavedTokenID           string `json:"saved_token_id,omitempty"`
	SavedTokenIDExpiredAt  string `json:"saved_token_id_expired_at,omitempty"`
	ThreeDSVersion         string `json:"three_ds_version,omitempty"`
	Channel                string `json:"channel,omitempty"`
	InstallmentTerm        string `json:"installment_term,omitempty"`
	OnUs                   *bool  `json:"on_us,omitempty"`
	// ChallengeCompletion is three_ds_challenge_completion, or
	// challenge_completion when that is absent.
	ChallengeCompletion *bool `json:"three_ds_challenge_completion,omitempty"`

	// Payment instructions.
	VANumbers       []VANumber `json:"va_numbers,omitempty"`
	PermataVANumber string     `json:"permata_va_number,omitempty"`
	BillKey         string     `json:"bill_key,omitempty"`
	BillerCode      string     `json:"biller_code,omitempty"`
	PaymentCode     string     `json:"payment_code,omitempty"`
	Store           string     `json:"store,omitempty"`
	QRString        string     `json:"qr_string,omitempty"`
	Acquirer        string     `json:"acquirer,omitempty"`
	Issuer          string     `json:"issuer,omitempty"`
	TransactionType string     `json:"transaction_type,omitempty"`
	// Actions are URLs to act on the payment (QR image, deeplink …); look
	// them up by name with Action, never by index.
	Actions []Action `json:"actions,omitempty"`

	// Refunds.
	RefundAmount       string   `json:"refund_amount,omitempty"`
	RefundKey          string   `json:"refund_key,omitempty"`
	RefundChargebackID string   `json:"refund_chargeback_id,omitempty"` // a JSON number in samples
	Refunds            []Refund `json:"refunds,omitempty"`

	// PaymentAmounts lists the payments into a multi-use (B2B) VA.
	PaymentAmounts []PaymentAmount `json:"payment_amounts,omitempty"`

	CustomField1 string          `json:"custom_field1,omitempty"`
	CustomField2 string          `json:"custom_field2,omitempty"`
	CustomField3 string          `json:"custom_field3,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`

	ValidationMessages []string `json:"validation_messages,omitempty"`

	// HTTPStatus is the HTTP status of the response (0 when decoded from a
	// notification).
	HTTPStatus int `json:"-"`
	// Raw is the exact response body of a call, or the JSON value the
	// struct was decoded from.
	Raw json.RawMessage `json:"-"`
}

// VANumber is one virtual account number.
type VANumber struct {
	Bank     string `json:"bank,omitempty"`
	VANumber string `json:"va_number,omitempty"`
}

// Action is a URL returned to act on a payment, e.g. "generate-qr-code" or
// "deeplink-redirect".
type Action struct {
	Name   string   `json:"name,omitempty"`
	Method string   `json:"method,omitempty"`
	URL    string   `json:"url,omitempty"`
	Fields []string `json:"fields,omitempty"`
}

// Refund is one refund of a transaction.
type Refund struct {
	RefundChargebackID string `json:"refund_chargeback_id,omitempty"`
	RefundAmount       string `json:"refund_amount,omitempty"`
	CreatedAt          string `json:"created_at,omitempty"`
	Reason             string `json:"reason,omitempty"`
	RefundKey          string `json:"refund_key,omitempty"`
	RefundMethod       string `json:"refund_method,omitempty"`
	BankConfirmedAt    string `json:"bank_confirmed_at,omitempty"`
}

// PaymentAmount is one payment into a multi-use VA.
type PaymentAmount struct {
	PaidAt string `json:"paid_at,omitempty"`
	Amount string `json:"amount,omitempty"`
}

// Action returns the action called name.
func (r *TransactionResponse) Action(name string) (Action, bool) {
	for _, a := range r.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// UnmarshalJSON decodes leniently (see TransactionResponse) and keeps a
// copy of data in Raw.
func (r *TransactionResponse) UnmarshalJSON(data []byte) error {
	if err := r.decodeObject(data); err != nil {
		return err
	}
	r.Raw = bytes.Clone(data)
	return nil
}

// decodeObject decodes data into r, leniently, keeping r.HTTPStatus; Raw
// is left to the caller. It walks the object once and keeps the values of
// the members it knows by their place (transactionResponseIndex), with no
// map of members: a notification is decoded on every webhook call, a
// transaction answer on every charge.
func (r *TransactionResponse) decodeObject(data []byte) error {
	values := make([]json.RawMessage, len(transactionResponseNames))
	if _, err := walkObject(data, func(name, value []byte) {
		if i, ok := transactionResponseIndex[string(name)]; ok {
			values[i] = value
		}
	}); err != nil {
		return err
	}
	return r.fromValues(values)
}

// fromValues decodes into r, leniently, keeping r.HTTPStatus, the values
// of the members named transactionResponseNames, by place (nil where the
// member is absent): TransactionResponse's fields, then the other
// spellings Midtrans uses for two of them, each read only when its field
// was not set.
func (r *TransactionResponse) fromValues(values []json.RawMessage) error {
	var v TransactionResponse
	rv := reflect.ValueOf(&v).Elem()
	for i, name := range transactionResponseFields {
		if name == "" || values[i] == nil {
			continue
		}
		if err := decodeValue(values[i], rv.Field(i).Addr().Interface()); err != nil {
			return fmt.Errorf("midtrans: decode %s: %w", name, err)
		}
	}
	fields := len(transactionResponseFields)
	for _, alias := range []struct {
		value json.RawMessage
		name  string
		unset bool
		dst   any
	}{
		{values[fields], transactionResponseNames[fields], v.ExpiryTime == "", &v.ExpiryTime},
		{values[fields+1], transactionResponseNames[fields+1], v.ChallengeCompletion == nil, &v.ChallengeCompletion},
	} {
		if alias.value == nil || !alias.unset {
			continue
		}
		if err := decodeValue(alias.value, alias.dst); err != nil {
			return fmt.Errorf("midtrans: decode %s: %w", alias.name, err)
		}
	}
	v.HTTPStatus = r.HTTPStatus
	*r = v
	return nil
}

// UnmarshalJSON decodes leniently, like TransactionResponse.
func (v *VANumber) UnmarshalJSON(data []byte) error { _, err := decodeLenient(data, v); return err }

// UnmarshalJSON decodes leniently, like TransactionResponse.
func (a *Action) UnmarshalJSON(data []byte) error { _, err := decodeLenient(data, a); return err }

// UnmarshalJSON decodes leniently, like TransactionResponse.
func (r *Refund) UnmarshalJSON(data []byte) error { _, err := decodeLenient(data, r); return err }

// UnmarshalJSON decodes leniently, like TransactionResponse.
func (p *PaymentAmount) UnmarshalJSON(data []byte) error {
	_, err := decodeLenient(data, p)
	return err
}

// B2BStatusResponse is the answer of GET /v2/{id}/status/b2b: the child
// transactions of a multi-use VA, newest first.
type B2BStatusResponse struct {
	StatusCode    string                `json:"status_code,omitempty"`
	StatusMessage string                `json:"status_message,omitempty"`
	Transactions  []TransactionResponse `json:"transactions,omitempty"`
	HTTPStatus    int                   `json:"-"`
	Raw           json.RawMessage       `json:"-"`
}

// UnmarshalJSON decodes leniently and keeps a copy of data in Raw.
func (r *B2BStatusResponse) UnmarshalJSON(data []byte) error {
	var v B2BStatusResponse
	if _, err := decodeLenient(data, &v); err != nil {
		return err
	}
	v.HTTPStatus = r.HTTPStatus
	v.Raw = bytes.Clone(data)
	*r = v
	return nil
}

// SnapResponse is Snap's answer to create transaction: the token for
// snap.js and the hosted payment page URL.
type SnapResponse struct {
	Token       string          `json:"token"`
	RedirectURL string          `json:"redirect_url"`
	HTTPStatus  int             `json:"-"`
	Raw         json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes leniently and keeps a copy of data in Raw.
func (r *SnapResponse) UnmarshalJSON(data []byte) error {
	var v SnapResponse
	if _, err := decodeLenient(data, &v); err != nil {
		return err
	}
	v.HTTPStatus = r.HTTPStatus
	v.Raw = bytes.Clone(data)
	*r = v
	return nil
}

// envelope is what the error rules need from any answer.
type envelope struct {
	StatusCode         string
	StatusMessage      string
	ID                 string
	TransactionStatus  string
	Token              string
	ValidationMessages []string
	ErrorMessages      []string
}

// decodeLenient decodes the JSON object data into the struct dst points
// to, matching members by their exact json tag names. String and []string
// fields go through flexString, *bool fields through flexBool; others use
// encoding/json (and so the lenient UnmarshalJSON of nested types). null
// leaves a field unset. It returns the members for spelling variants.
func decodeLenient(data []byte, dst any) (map[string]json.RawMessage, error) {
	members, err := parseObject(data)
	if err != nil {
		return nil, err
	}
	if err := decodeFields(members, dst); err != nil {
		return nil, err
	}
	return members, nil
}

// decodeFields is decodeLenient on members already split.
func decodeFields(members map[string]json.RawMessage, dst any) error {
	return decodeNamed(members, dst, fieldNames(reflect.TypeOf(dst).Elem()))
}

// transactionResponseFields are TransactionResponse's fieldNames, computed
// once: a notification is decoded on every webhook call. Never modified.
var transactionResponseFields = fieldNames(reflect.TypeFor[TransactionResponse]())

// transactionResponseNames are transactionResponseFields and then the
// other spellings of expiry_time and challenge_completion, in the order
// fromValues reads them; transactionResponseIndex maps each name to its
// place. Computed once, never modified.
var (
	transactionResponseNames = append(slices.Clone(transactionResponseFields), "expire_time", "challenge_completion")
	transactionResponseIndex = indexOfNames(transactionResponseNames)
)

// indexOfNames maps each non-empty name to its place in names.
func indexOfNames(names []string) map[string]int {
	index := make(map[string]int, len(names))
	for i, name := range names {
		if name != "" {
			index[name] = i
		}
	}
	return index
}

// fieldNames lists the JSON member name of each field of the struct type
// t, by field index ("" for a field that is not decoded). Working them out
// walks the struct's tags by reflection, which costs more than decoding a
// typical answer; it is done once for TransactionResponse.
func fieldNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = jsonName(t.Field(i))
	}
	return names
}

// decodeNamed is decodeFields with the names of dst's fields given, as
// fieldNames lists them.
func decodeNamed(members map[string]json.RawMessage, dst any, names []string) error {
	rv := reflect.ValueOf(dst).Elem()
	for i, name := range names {
		if name == "" {
			continue
		}
		raw, ok := members[name]
		if !ok {
			continue
		}
		if err := decodeValue(raw, rv.Field(i).Addr().Interface()); err != nil {
			return fmt.Errorf("midtrans: decode %s: %w", name, err)
		}
	}
	return nil
}

func decodeMember(members map[string]json.RawMessage, name string, dst any) error {
	return decodeRaw(members[name], name, dst)
}

// decodeRaw decodes raw, the value of the member name, into dst; nothing
// when raw is nil (the member is absent).
func decodeRaw(raw json.RawMessage, name string, dst any) error {
	if raw == nil {
		return nil
	}
	if err := decodeValue(raw, dst); err != nil {
		return fmt.Errorf("midtrans: decode %s: %w", name, err)
	}
	return nil
}

func decodeValue(raw json.RawMessage, dst any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	switch p := dst.(type) {
	case *string:
		var s flexString
		if err := s.UnmarshalJSON(raw); err != nil {
			return err
		}
		*p = string(s)
		return nil
	case *[]string:
		var xs []flexString
		if err := json.Unmarshal(raw, &xs); err != nil {
			return err
		}
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = string(x)
		}
		*p = out
		return nil
	case **bool:
		var b flexBool
		if err := b.UnmarshalJSON(raw); err != nil {
			return err
		}
		v := bool(b)
		*p = &v
		return nil
	}
	return json.Unmarshal(raw, dst)
}

// flexString accepts a JSON string, a JSON number (kept as its literal
// text) or null (empty).
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return fmt.Errorf("empty value")
	case data[0] == '"' && plainString(data):
		*s = flexString(data[1 : len(data)-1])
	case data[0] == '"':
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case data[0] == '-' || ('0' <= data[0] && data[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(data, &n); err != nil {
			return err
		}
		*s = flexString(n)
	case string(data) == "null":
		*s = ""
	default:
		return fmt.Errorf("want a string or a number, got %.20s", data)
	}
	return nil
}

// plainString reports whether data is a JSON string whose text is its
// bytes between the quotes: printable ASCII without escapes. Most of
// Midtrans' strings are, and they need no decoding.
func plainString(data []byte) bool {
	if len(data) < 2 || data[len(data)-1] != '"' {
		return false
	}
	for _, b := range data[1 : len(data)-1] {
		if b < ' ' || b > '~' || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

// flexBool accepts a JSON bool, or a string holding one ("true").
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
		return nil
	case string:
		p, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a bool, got %q", v)
		}
		*b = flexBool(p)
		return nil
	}
	return fmt.Errorf("want a bool, got %.20s", data)
}
