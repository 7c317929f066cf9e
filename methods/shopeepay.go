package methods

import (
	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// ShopeePayOptions are the options of a ShopeePay charge: the host's,
// none a customer may set from a browser.
type ShopeePayOptions struct {
	// CallbackURL is where the Shopee app sends the customer after paying:
	// an http(s) URL or an app deeplink; empty means the Finish URL.
	CallbackURL string `json:"callback_url,omitempty"`
}

// ShopeePay is the shopeepay plugin: the customer opens the deeplink. For
// a Shopee QR code use QRIS with the "airpay shopee" acquirer.
type ShopeePay struct{ name string }

var _ payments.Method = (*ShopeePay)(nil)

// NewShopeePay returns the shopeepay plugin.
func NewShopeePay() *ShopeePay { return &ShopeePay{name: "shopeepay"} }

// Name is "shopeepay".
func (m *ShopeePay) Name() string { return m.name }

// Capabilities: cancel, expire and full refunds only; ShopeePay refuses
// partial refunds.
func (m *ShopeePay) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true, Refund: true, DirectRefund: true}
}

// NewOptions returns a new *ShopeePayOptions.
func (m *ShopeePay) NewOptions() any { return new(ShopeePayOptions) }

// Validate checks the callback URL.
func (m *ShopeePay) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if o, ok := payments.OptionsOf[ShopeePayOptions](req, v); ok {
		checkCallbackURL(v, "options.callback_url", o.CallbackURL)
	}
}

// Build returns the shopeepay charge; the shopeepay object is sent only
// with a callback URL.
func (m *ShopeePay) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[ShopeePayOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "shopeepay")
	if o.CallbackURL != "" {
		c.ShopeePay = &midtrans.ShopeePay{CallbackURL: o.CallbackURL}
	}
	return payments.Request{Core: c}, nil
}
