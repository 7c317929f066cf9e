package midtrans

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// ChargeRequest is the body of POST /v2/charge (the Core API). Set
// PaymentType and the matching payment object; payment types this package
// does not model (ovo, kredivo, uob_ezpay, seller_details …) go in Extra.
type ChargeRequest struct {
	PaymentType        string             `json:"payment_type"`
	TransactionDetails TransactionDetails `json:"transaction_details"`
	ItemDetails        []ItemDetail       `json:"item_details,omitempty"`
	CustomerDetails    *CustomerDetails   `json:"customer_details,omitempty"`
	CustomExpiry       *CustomExpiry      `json:"custom_expiry,omitempty"`
	CustomField1       string             `json:"custom_field1,omitempty"`
	CustomField2       string             `json:"custom_field2,omitempty"`
	CustomField3       string             `json:"custom_field3,omitempty"`
	// Metadata is a free JSON object, echoed in status and notifications.
	Metadata json.RawMessage `json:"metadata,omitempty"`

	CreditCard   *CreditCard   `json:"credit_card,omitempty"`
	BankTransfer *BankTransfer `json:"bank_transfer,omitempty"`
	EChannel     *EChannel     `json:"echannel,omitempty"`
	GoPay        *GoPay        `json:"gopay,omitempty"`
	ShopeePay    *ShopeePay    `json:"shopeepay,omitempty"`
	QRIS         *QRIS         `json:"qris,omitempty"`
	CStore       *CStore       `json:"cstore,omitempty"`

	// Extra holds further top-level members, merged into the JSON object
	// by MarshalJSON (sorted by key, after the modelled fields). A key that
	// names a modelled field is an error, so nothing is sent twice.
	// UnmarshalJSON fills it with the members it does not model.
	Extra map[string]json.RawMessage `json:"-"`
}

// TransactionDetails identifies the order and its total.
type TransactionDetails struct {
	OrderID string `json:"order_id"`
	// GrossAmount is whole rupiah; it must equal Σ price×quantity of the
	// items when items are sent.
	GrossAmount int64 `json:"gross_amount"`
}

// ItemDetail is one line of the order.
type ItemDetail struct {
	ID           string `json:"id,omitempty"`
	Price        int64  `json:"price"`
	Quantity     int64  `json:"quantity"`
	Name         string `json:"name"`
	Brand        string `json:"brand,omitempty"`
	Category     string `json:"category,omitempty"`
	MerchantName string `json:"merchant_name,omitempty"`
	URL          string `json:"url,omitempty"`
}

// CustomerDetails describes the payer. The shipping address goes under
// shipping_address (midtrans-go wrongly sends customer_address).
type CustomerDetails struct {
	FirstName       string   `json:"first_name,omitempty"`
	LastName        string   `json:"last_name,omitempty"`
	Email           string   `json:"email,omitempty"`
	Phone           string   `json:"phone,omitempty"`
	BillingAddress  *Address `json:"billing_address,omitempty"`
	ShippingAddress *Address `json:"shipping_address,omitempty"`
}

// Address is a billing or shipping address. CountryCode is ISO 3166-1
// alpha-3, e.g. "IDN".
type Address struct {
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Address     string `json:"address,omitempty"`
	City        string `json:"city,omitempty"`
	PostalCode  string `json:"postal_code,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
}

// CustomExpiry overrides the payment method's default expiry (not for
// cards). OrderTime is "2006-01-02 15:04:05 -0700"; Unit is second,
// minute (default), hour or day.
type CustomExpiry struct {
	OrderTime      string `json:"order_time,omitempty"`
	ExpiryDuration int    `json:"expiry_duration"`
	Unit           string `json:"unit,omitempty"`
}

// CreditCard is the credit_card object of a card charge.
type CreditCard struct {
	// TokenID is the one-time token from the browser, or a saved token id
	// for one-click charges.
	TokenID         string   `json:"token_id"`
	Authentication  bool     `json:"authentication,omitempty"`
	CallbackType    string   `json:"callback_type,omitempty"`
	Type            string   `json:"type,omitempty"`
	SaveTokenID     bool     `json:"save_token_id,omitempty"`
	Bank            string   `json:"bank,omitempty"`
	InstallmentTerm int      `json:"installment_term,omitempty"`
	Bins            []string `json:"bins,omitempty"`
	Channel         string   `json:"channel,omitempty"`
}

// BankTransfer is the bank_transfer object of a virtual account charge.
type BankTransfer struct {
	Bank     string          `json:"bank"`
	VANumber string          `json:"va_number,omitempty"`
	FreeText *FreeText       `json:"free_text,omitempty"`
	BCA      *BCAOptions     `json:"bca,omitempty"`
	Permata  *PermataOptions `json:"permata,omitempty"`
}

// FreeText is BCA's inquiry and payment text (BCA only).
type FreeText struct {
	Inquiry []FreeTextItem `json:"inquiry,omitempty"`
	Payment []FreeTextItem `json:"payment,omitempty"`
}

// FreeTextItem is one line of free text, in Bahasa Indonesia and English.
type FreeTextItem struct {
	ID string `json:"id"`
	EN string `json:"en"`
}

// BCAOptions are BCA-only VA settings.
type BCAOptions struct {
	SubCompanyCode string `json:"sub_company_code,omitempty"`
}

// PermataOptions are Permata-only VA settings.
type PermataOptions struct {
	RecipientName string `json:"recipient_name,omitempty"`
}

// EChannel is the echannel (Mandiri Bill) object. BillInfo1 and BillInfo2
// are always sent: one docs page marks them required.
type EChannel struct {
	BillInfo1 string `json:"bill_info1"`
	BillInfo2 string `json:"bill_info2"`
	BillInfo3 string `json:"bill_info3,omitempty"`
	BillInfo4 string `json:"bill_info4,omitempty"`
	BillInfo5 string `json:"bill_info5,omitempty"`
	BillInfo6 string `json:"bill_info6,omitempty"`
	BillInfo7 string `json:"bill_info7,omitempty"`
	BillInfo8 string `json:"bill_info8,omitempty"`
	BillKey   string `json:"bill_key,omitempty"`
}

// GoPay is the gopay object (Core API and Snap).
type GoPay struct {
	EnableCallback bool   `json:"enable_callback,omitempty"`
	CallbackURL    string `json:"callback_url,omitempty"`
	// AccountID and PaymentOptionToken charge a linked GoPay account
	// (tokenization): the account_id from LinkPaymentAccount and the token
	// of one of its payment options from GetPaymentAccount. The token is a
	// secret: MaskPayload hides it.
	AccountID          string `json:"account_id,omitempty"`
	PaymentOptionToken string `json:"payment_option_token,omitempty"`
}

// ShopeePay is the shopeepay object (Core API and Snap).
type ShopeePay struct {
	CallbackURL string `json:"callback_url,omitempty"`
}

// QRIS is the qris object; Acquirer is "gopay" or "airpay shopee".
type QRIS struct {
	Acquirer string `json:"acquirer,omitempty"`
}

// CStore is the cstore object; Store is "indomaret" or "alfamart".
type CStore struct {
	Store             string `json:"store"`
	Message           string `json:"message,omitempty"`
	AlfamartFreeText1 string `json:"alfamart_free_text_1,omitempty"`
	AlfamartFreeText2 string `json:"alfamart_free_text_2,omitempty"`
	AlfamartFreeText3 string `json:"alfamart_free_text_3,omitempty"`
}

// RefundRequest is the body of refund and direct refund. All fields are
// optional: without Amount the full amount is refunded; without RefundKey
// Midtrans makes one and treats each call as a new refund, so set it to
// retry safely.
type RefundRequest struct {
	RefundKey string `json:"refund_key,omitempty"`
	Amount    int64  `json:"amount,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// CaptureRequest is the body of POST /v2/capture. TransactionID is
// Midtrans' id (not the order id); GrossAmount 0 captures the full amount.
type CaptureRequest struct {
	TransactionID string `json:"transaction_id"`
	GrossAmount   int64  `json:"gross_amount,omitempty"`
}

// SnapRequest is the body of Snap's create transaction
// (POST /snap/v1/transactions).
// Snap objects this package does not model (bca_va, permata_va, uob_ezpay,
// recurring, user_id …) go in Extra.
type SnapRequest struct {
	TransactionDetails TransactionDetails `json:"transaction_details"`
	ItemDetails        []ItemDetail       `json:"item_details,omitempty"`
	CustomerDetails    *CustomerDetails   `json:"customer_details,omitempty"`
	EnabledPayments    []string           `json:"enabled_payments,omitempty"`
	CreditCard         *SnapCreditCard    `json:"credit_card,omitempty"`
	Callbacks          *SnapCallbacks     `json:"callbacks,omitempty"`
	Expiry             *SnapExpiry        `json:"expiry,omitempty"`
	PageExpiry         *SnapPageExpiry    `json:"page_expiry,omitempty"`
	CustomField1       string             `json:"custom_field1,omitempty"`
	CustomField2       string             `json:"custom_field2,omitempty"`
	CustomField3       string             `json:"custom_field3,omitempty"`
	Metadata           json.RawMessage    `json:"metadata,omitempty"`
	GoPay              *GoPay             `json:"gopay,omitempty"`
	ShopeePay          *ShopeePay         `json:"shopeepay,omitempty"`
	Dana               *SnapDana          `json:"dana,omitempty"`

	// Extra is merged like ChargeRequest.Extra.
	Extra map[string]json.RawMessage `json:"-"`
}

// SnapCreditCard is Snap's credit_card object.
type SnapCreditCard struct {
	Secure            bool                   `json:"secure,omitempty"`
	Bank              string                 `json:"bank,omitempty"`
	Type              string                 `json:"type,omitempty"`
	SaveCard          bool                   `json:"save_card,omitempty"`
	Channel           string                 `json:"channel,omitempty"`
	WhitelistBins     []string               `json:"whitelist_bins,omitempty"`
	Installment       *SnapInstallment       `json:"installment,omitempty"`
	DynamicDescriptor *SnapDynamicDescriptor `json:"dynamic_descriptor,omitempty"`
}

// SnapInstallment offers card installments in Snap. Terms maps a bank
// (or "offline") to the month counts offered.
type SnapInstallment struct {
	Required bool             `json:"required"`
	Terms    map[string][]int `json:"terms,omitempty"`
}

// SnapDynamicDescriptor is the statement descriptor (BNI only).
type SnapDynamicDescriptor struct {
	MerchantName string `json:"merchant_name,omitempty"`
	CityName     string `json:"city_name,omitempty"`
	CountryCode  string `json:"country_code,omitempty"`
}

// SnapCallbacks are the browser redirect URLs after payment.
type SnapCallbacks struct {
	Finish string `json:"finish,omitempty"`
	Error  string `json:"error,omitempty"`
}

// SnapExpiry bounds the transaction's lifetime. StartTime is
// "2006-01-02 15:04:05 -0700".
type SnapExpiry struct {
	StartTime string `json:"start_time,omitempty"`
	Duration  int    `json:"duration"`
	Unit      string `json:"unit"`
}

// SnapPageExpiry bounds the Snap page's lifetime (default 24h).
type SnapPageExpiry struct {
	Duration int    `json:"duration"`
	Unit     string `json:"unit"`
}

// SnapDana is Snap's dana object.
type SnapDana struct {
	CallbackURL string `json:"callback_url,omitempty"`
}

// The alias types drop the methods, so encoding/json handles the modelled
// fields while the methods below deal with Extra.
type (
	chargeRequestFields ChargeRequest
	snapRequestFields   SnapRequest
)

// MarshalJSON encodes the modelled fields and merges Extra.
func (r ChargeRequest) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(chargeRequestFields(r), r.Extra)
}

// UnmarshalJSON decodes the modelled fields and keeps every other member
// in Extra, so a decoded request re-encodes to the same members.
func (r *ChargeRequest) UnmarshalJSON(data []byte) error {
	var f chargeRequestFields
	extra, err := unmarshalWithExtra(data, &f)
	if err != nil {
		return err
	}
	f.Extra = extra
	*r = ChargeRequest(f)
	return nil
}

// MarshalJSON encodes the modelled fields and merges Extra.
func (r SnapRequest) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(snapRequestFields(r), r.Extra)
}

// UnmarshalJSON decodes the modelled fields and keeps every other member
// in Extra.
func (r *SnapRequest) UnmarshalJSON(data []byte) error {
	var f snapRequestFields
	extra, err := unmarshalWithExtra(data, &f)
	if err != nil {
		return err
	}
	f.Extra = extra
	*r = SnapRequest(f)
	return nil
}

func marshalWithExtra(fields any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(fields)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	known := jsonNames(reflect.TypeOf(fields))
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if slices.Contains(known, k) {
			return nil, invalid(ErrInvalidRequest, "", fmt.Sprintf("Extra key %q collides with a modelled field", k))
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // drop the closing brace
	for _, k := range keys {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		v := extra[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		if err := json.Compact(&buf, v); err != nil {
			return nil, invalid(ErrInvalidRequest, "", fmt.Sprintf("Extra[%q] is not valid JSON: %v", k, err))
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func unmarshalWithExtra(data []byte, fields any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(data, fields); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	known := jsonNames(reflect.TypeOf(fields).Elem())
	var extra map[string]json.RawMessage
	for k, v := range all {
		if slices.Contains(known, k) {
			continue
		}
		if extra == nil {
			extra = make(map[string]json.RawMessage)
		}
		extra[k] = v
	}
	return extra, nil
}

// jsonNames lists the JSON member names of a struct type's fields.
func jsonNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		if name := jsonName(f); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// jsonName is the member name encoding/json uses for f, or "" if f is
// not encoded. Only the forms used in this package are handled.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return f.Name
	}
	return name
}
