package payments

import (
	"encoding/json"
	"time"
)

// Payment is one attempt to take money for one order through Midtrans, as
// stored locally. JSON names follow Midtrans and the Django package this
// module replaces (va_number, bill_key, qr_string, transaction_status,
// charge_response, ...), so payloads look familiar.
//
// Times are UTC. Midtrans reports Asia/Jakarta wall-clock times without a
// zone; they are converted on the way in.
type Payment struct {
	// ID is this module's identifier (a UUIDv7), stable for the payment's life.
	ID string `json:"id"`
	// Account is the merchant account the payment belongs to (see
	// WithAccount); the store sets it from the Service's account.
	Account string `json:"account"`
	// OrderID is the merchant's order id, unique per payment within its
	// account; Midtrans' transaction_details.order_id.
	OrderID string `json:"order_id"`
	// TransactionID is Midtrans' id, known once Midtrans has answered.
	// Follow-up calls use it (DANA accepts nothing else).
	TransactionID string `json:"transaction_id,omitempty"`
	// Method is the name of the plugin that charged it ("bca_va", "gopay", ...).
	Method string `json:"method"`
	// PaymentType is Midtrans' payment_type as last reported. It can differ
	// from what the method requested: a GoPay charge paid by scanning its QR
	// is reported as "qris".
	PaymentType string `json:"payment_type,omitempty"`
	// Amount is the gross amount charged.
	Amount Amount `json:"gross_amount"`
	// Currency is always "IDR" today.
	Currency string `json:"currency"`
	// Status is Midtrans' transaction_status, or a local status.
	Status Status `json:"transaction_status"`
	// FraudStatus is Midtrans' fraud_status, empty when not evaluated.
	FraudStatus FraudStatus `json:"fraud_status,omitempty"`
	// StatusMessage is Midtrans' last status_message, for display and support.
	StatusMessage string `json:"status_message,omitempty"`

	// Instructions tell the customer how to pay.
	Instructions

	// ExpiresAt is when an unpaid payment expires (Midtrans expiry_time).
	ExpiresAt time.Time `json:"expiry_time,omitzero"`
	// PaidAt is when the payment first became paid.
	PaidAt time.Time `json:"paid_at,omitzero"`
	// RefundedAmount is the total refunded or charged back so far.
	RefundedAmount Amount `json:"refunded_amount"`
	// TransactionTime and SettlementTime are Midtrans' own times
	// (transaction_time, settlement_time), next to this module's CreatedAt
	// and PaidAt, which say when the payment was stored and first seen paid.
	TransactionTime time.Time `json:"transaction_time,omitzero"`
	SettlementTime  time.Time `json:"settlement_time,omitzero"`

	Customer *Customer `json:"customer_details,omitempty"`
	Items    []Item    `json:"item_details,omitempty"`
	// Metadata is a JSON object echoed by Midtrans in status and notifications.
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	CustomField1 string          `json:"custom_field1,omitempty"`
	CustomField2 string          `json:"custom_field2,omitempty"`
	CustomField3 string          `json:"custom_field3,omitempty"`

	// Version increases by one with every applied change; the store uses it
	// for compare-and-set.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// ChargeResponse is the raw JSON Midtrans answered to the charge.
	ChargeResponse json.RawMessage `json:"charge_response,omitempty"`

	// SubscriptionID is the Subscription (its ID) whose recurring charge
	// this payment is; empty for other payments.
	SubscriptionID string `json:"subscription_id,omitempty"`
}

// Instructions are what a checkout page shows so the customer can pay:
// a virtual account number, a bill key, a store payment code, a QR code, a
// deeplink or a redirect. Which fields are set depends on the method.
type Instructions struct {
	// VANumber and Bank: bank-transfer virtual account (Permata's
	// permata_va_number lands here too).
	VANumber string `json:"va_number,omitempty"`
	Bank     string `json:"bank,omitempty"`
	// BillKey and BillerCode: Mandiri bill payment (echannel); the customer
	// enters the biller (company) code, then the bill key.
	BillKey    string `json:"bill_key,omitempty"`
	BillerCode string `json:"biller_code,omitempty"`
	// PaymentCode and Store: Indomaret or Alfamart counter payment.
	PaymentCode string `json:"payment_code,omitempty"`
	Store       string `json:"store,omitempty"`
	// QRString is the raw QRIS/EMV payload, to draw the QR yourself;
	// QRImageURL is Midtrans' rendered image (the generate-qr-code action).
	QRString   string `json:"qr_string,omitempty"`
	QRImageURL string `json:"qr_image_url,omitempty"`
	// DeeplinkURL opens the e-wallet app (deeplink-redirect action).
	DeeplinkURL string `json:"deeplink_url,omitempty"`
	// RedirectURL is a page to send the customer to: 3DS, Akulaku, Snap.
	RedirectURL string `json:"redirect_url,omitempty"`
	// Actions are every actions[] entry Midtrans returned; look them up by
	// name with Payment.Action, never by position.
	Actions []Action `json:"actions,omitempty"`
	// SnapToken opens the Snap payment page with snap.js (Snap-based
	// methods such as DANA); RedirectURL is the same page as a link.
	SnapToken string `json:"snap_token,omitempty"`
	// Acquirer is the QRIS acquirer ("gopay", "airpay shopee").
	Acquirer string `json:"acquirer,omitempty"`
	// ChannelResponseCode and ChannelResponseMessage are the bank's or
	// provider's own answer ("00"/"Approved", "05"/"Do not honor").
	ChannelResponseCode    string `json:"channel_response_code,omitempty"`
	ChannelResponseMessage string `json:"channel_response_message,omitempty"`
	// MerchantID is the Midtrans merchant the transaction belongs to.
	MerchantID string `json:"merchant_id,omitempty"`
	// Card holds the card result for card payments.
	Card *CardResult `json:"card,omitempty"`
}

// CardResult is what Midtrans reports about a card payment.
type CardResult struct {
	MaskedCard     string `json:"masked_card,omitempty"`
	CardType       string `json:"card_type,omitempty"` // credit or debit
	Bank           string `json:"bank,omitempty"`      // acquiring bank
	ApprovalCode   string `json:"approval_code,omitempty"`
	ECI            string `json:"eci,omitempty"`
	ThreeDSVersion string `json:"three_ds_version,omitempty"`
	OnUs           *bool  `json:"on_us,omitempty"`
	// InstallmentTerm is the number of months, 0 for none.
	InstallmentTerm int `json:"installment_term,omitempty"`
	// SavedTokenID pays again without card details (one-click), until
	// SavedTokenExpiresAt.
	SavedTokenID        string    `json:"saved_token_id,omitempty"`
	SavedTokenExpiresAt time.Time `json:"saved_token_id_expired_at,omitzero"`
}

// Action is one entry of Midtrans' actions array.
type Action struct {
	Name   string   `json:"name"`
	Method string   `json:"method"`
	URL    string   `json:"url"`
	Fields []string `json:"fields,omitempty"`
}

// Action names Midtrans uses in a charge answer's actions[].
const (
	ActionGenerateQRCode   = "generate-qr-code"
	ActionGenerateQRCodeV2 = "generate-qr-code-v2"
	ActionDeeplinkRedirect = "deeplink-redirect"
	ActionGetStatus        = "get-status"
	ActionCancel           = "cancel"
)

// Action returns the action with the given name.
func (in *Instructions) Action(name string) (Action, bool) {
	for _, a := range in.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// Customer is Midtrans' customer_details. Names at most 255 characters;
// email and phone optional, at most 255 characters, a valid address and
// number. A charge or subscription naming a bad field is refused.
type Customer struct {
	FirstName       string   `json:"first_name,omitempty"`
	LastName        string   `json:"last_name,omitempty"`
	Email           string   `json:"email,omitempty"`
	Phone           string   `json:"phone,omitempty"`
	BillingAddress  *Address `json:"billing_address,omitempty"`
	ShippingAddress *Address `json:"shipping_address,omitempty"`
}

// Address is a billing or shipping address: names, email, phone and
// address at most 255 characters, city 100; email and phone as in Customer;
// postal code optional, at most 10 letters, digits, dashes and spaces;
// country code optional, three letters (ISO 3166-1 alpha-3).
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

// Item is one line of Midtrans' item_details. Price may be negative for a
// discount line; the prices times quantities must add up to the amount.
// Name is required; it and every other text field at most 50 characters;
// quantity 1 to 1,000,000.
type Item struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name"`
	Price        Amount `json:"price"`
	Quantity     int64  `json:"quantity"`
	Brand        string `json:"brand,omitempty"`
	Category     string `json:"category,omitempty"`
	MerchantName string `json:"merchant_name,omitempty"`
	URL          string `json:"url,omitempty"`
}

// State returns what the status machine compares.
func (p *Payment) State() State {
	return State{Status: p.Status, Fraud: p.FraudStatus, Refunded: p.RefundedAmount}
}

// Outcome says what the payment's status means for the order.
func (p *Payment) Outcome() Outcome { return OutcomeOf(p.Status, p.FraudStatus) }

// Paid reports whether the money is taken and kept: Outcome is OutcomePaid.
func (p *Payment) Paid() bool { return p.Outcome() == OutcomePaid }

// Source says where a status change came from; it is kept in the audit log
// and passed to hooks.
type Source string

// Sources.
const (
	SourceCharge       Source = "charge"
	SourceNotification Source = "notification"
	SourceSync         Source = "sync"
	SourceOperation    Source = "operation"
	SourceReconciler   Source = "reconciler"
)

// Valid reports whether s is one of the sources above.
func (s Source) Valid() bool {
	switch s {
	case SourceCharge, SourceNotification, SourceSync, SourceOperation, SourceReconciler:
		return true
	}
	return false
}
