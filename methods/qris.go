package methods

import (
	"fmt"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// QRISOptions are the options of a QRIS charge: the host's, none a
// customer may set from a browser.
type QRISOptions struct {
	// Acquirer is "gopay" (the default) or "airpay shopee" (ShopeePay).
	Acquirer string `json:"acquirer,omitempty"`
}

// QRIS acquirers.
const (
	AcquirerGoPay        = "gopay"
	AcquirerAirpayShopee = "airpay shopee"
)

// QRIS is the qris plugin: one QR code any QRIS app can pay.
type QRIS struct{ name string }

var _ payments.Method = (*QRIS)(nil)

// NewQRIS returns the qris plugin.
func NewQRIS() *QRIS { return &QRIS{name: "qris"} }

// Name is "qris".
func (m *QRIS) Name() string { return m.name }

// Capabilities: cancel, expire and refunds, partial ones included.
func (m *QRIS) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true, Refund: true, PartialRefund: true, DirectRefund: true}
}

// NewOptions returns a new *QRISOptions.
func (m *QRIS) NewOptions() any { return new(QRISOptions) }

// Validate checks the acquirer.
func (m *QRIS) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	o, ok := payments.OptionsOf[QRISOptions](req, v)
	if !ok {
		return
	}
	switch o.Acquirer {
	case "", AcquirerGoPay, AcquirerAirpayShopee:
	default:
		v.Add("options.acquirer", fmt.Sprintf("must be %q or %q, got %q", AcquirerGoPay, AcquirerAirpayShopee, o.Acquirer))
	}
}

// Build returns the qris charge. The acquirer is always sent, the default
// spelled out, so the stored request says which one was used.
func (m *QRIS) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[QRISOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "qris")
	c.QRIS = &midtrans.QRIS{Acquirer: o.Acquirer}
	if c.QRIS.Acquirer == "" {
		c.QRIS.Acquirer = AcquirerGoPay
	}
	return payments.Request{Core: c}, nil
}
