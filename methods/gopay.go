package methods

import (
	"strings"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// GoPayOptions are the options of a GoPay charge: the host's, none a
// customer may set from a browser.
type GoPayOptions struct {
	// CallbackURL is where the GoPay app sends the customer after paying:
	// an http(s) URL or an app deeplink. When set, enable_callback is sent
	// too; when empty, the dashboard setting applies. The app appends
	// order_id and result, which are for display only.
	CallbackURL string `json:"callback_url,omitempty"`
	// AccountID charges the customer's linked GoPay account (tokenization;
	// payments.Service.LinkGoPayAccount) instead of showing a QR code or
	// deeplink: Midtrans' account_id of a stored, enabled account of
	// CustomerID. The Service puts the account's payment option token in
	// the request itself, from the Store: the host never handles it.
	AccountID string `json:"account_id,omitempty"`
	// CustomerID is the host's id of the authenticated customer; required
	// with AccountID, which must be that customer's account.
	CustomerID string `json:"customer_id,omitempty"`
	// PaymentOption is the linked account's payment option to pay from:
	// "GOPAY_WALLET" (the default) or another the account lists, such as
	// "PAY_LATER".
	PaymentOption string `json:"payment_option,omitempty"`
}

// LinkedAccount implements payments.LinkedAccountOptions.
func (o GoPayOptions) LinkedAccount() (customerID, accountID, paymentOption string) {
	return o.CustomerID, o.AccountID, o.PaymentOption
}

// GoPay is the gopay plugin. A desktop page shows the QR image; a phone
// opens the deeplink. A charge paid by scanning the QR is reported with
// payment_type "qris" afterwards.
type GoPay struct{ name string }

var _ payments.Method = (*GoPay)(nil)

// NewGoPay returns the gopay plugin.
func NewGoPay() *GoPay { return &GoPay{name: "gopay"} }

// Name is "gopay".
func (m *GoPay) Name() string { return m.name }

// Capabilities: cancel, expire and refunds, partial ones included.
func (m *GoPay) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true, Refund: true, PartialRefund: true, DirectRefund: true}
}

// NewOptions returns a new *GoPayOptions.
func (m *GoPay) NewOptions() any { return new(GoPayOptions) }

// Validate checks the callback URL and the linked account's fields; the
// Service checks the account itself against the Store.
func (m *GoPay) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if o, ok := payments.OptionsOf[GoPayOptions](req, v); ok {
		checkCallbackURL(v, "options.callback_url", o.CallbackURL)
		switch {
		case o.AccountID != "":
			checkMaxLen(v, "options.account_id", o.AccountID, 64)
			if hasSpaceOrControl(o.AccountID) {
				v.Add("options.account_id", "must not contain spaces or control characters")
			}
			if o.CustomerID == "" {
				v.Add("options.customer_id", "is required with options.account_id")
			}
			checkMaxLen(v, "options.customer_id", o.CustomerID, 255)
			if o.PaymentOption != "" && (len(o.PaymentOption) > 32 || strings.Trim(o.PaymentOption, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "") {
				v.Add("options.payment_option", "must be a payment option name such as GOPAY_WALLET or PAY_LATER")
			}
		case o.CustomerID != "" || o.PaymentOption != "":
			v.Add("options.account_id", "is required with options.customer_id and options.payment_option")
		}
	}
}

// Build returns the gopay charge; the gopay object is sent only with a
// callback URL, since it holds nothing else.
func (m *GoPay) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[GoPayOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "gopay")
	if o.CallbackURL != "" {
		c.GoPay = &midtrans.GoPay{EnableCallback: true, CallbackURL: o.CallbackURL}
	}
	return payments.Request{Core: c}, nil
}
