package methods

import (
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

// Validate checks the callback URL.
func (m *GoPay) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if o, ok := payments.OptionsOf[GoPayOptions](req, v); ok {
		checkCallbackURL(v, "options.callback_url", o.CallbackURL)
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
