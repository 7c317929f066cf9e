package methods

import (
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// DanaOptions are the options of a DANA payment: the host's, none a
// customer may set from a browser.
type DanaOptions struct {
	// CallbackURL is where DANA sends the customer after paying: an
	// http(s) URL or an app deeplink.
	CallbackURL string `json:"callback_url,omitempty"`
}

// Dana is the dana plugin. The Core API cannot charge DANA (Midtrans
// offers it through Snap or BI-SNAP only), so Build returns a Snap
// transaction with only DANA enabled; the
// customer pays on the Snap page. Midtrans knows the transaction only by
// its transaction id, which arrives with the first notification.
type Dana struct{ name string }

var _ payments.Method = (*Dana)(nil)

// NewDana returns the dana plugin.
func NewDana() *Dana { return &Dana{name: "dana"} }

// Name is "dana".
func (m *Dana) Name() string { return m.name }

// Capabilities: cancel and refunds, by transaction id only. Midtrans
// documents only status, refund and cancel for DANA: no expire, no direct
// refund.
func (m *Dana) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Refund: true, PartialRefund: true, TransactionIDOnly: true}
}

// NewOptions returns a new *DanaOptions.
func (m *Dana) NewOptions() any { return new(DanaOptions) }

// danaMinExpiry is DANA's documented minimum expiry.
const danaMinExpiry = 15 * time.Minute

// Validate checks the callback URL and that a custom expiry is at least
// DANA's 15 minutes.
func (m *Dana) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Expiry != 0 && req.Expiry < danaMinExpiry {
		v.Add("expiry", "must be at least 15 minutes for DANA")
	}
	if o, ok := payments.OptionsOf[DanaOptions](req, v); ok {
		checkCallbackURL(v, "options.callback_url", o.CallbackURL)
	}
}

// Build returns a Snap transaction with enabled_payments ["dana"].
func (m *Dana) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[DanaOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	s := payments.SnapRequest(req, "dana")
	if o.CallbackURL != "" {
		s.Dana = &midtrans.SnapDana{CallbackURL: o.CallbackURL}
	}
	return payments.Request{Snap: s}, nil
}
