package methods

import (
	"fmt"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// EChannelOptions are the options of a Mandiri bill payment: the host's,
// none a customer may set from a browser.
type EChannelOptions struct {
	// BillInfo1 and BillInfo2 are the label and value the customer sees in
	// Mandiri's channels. One docs page marks them required, so empty ones
	// are sent as "Payment:" and "Online purchase". Mandiri keeps 10 and 30
	// characters and truncates the rest, so longer values are not refused.
	BillInfo1 string `json:"bill_info1,omitempty"`
	BillInfo2 string `json:"bill_info2,omitempty"`
	// BillKey asks for a custom bill key: 6 to 12 digits.
	BillKey string `json:"bill_key,omitempty"`
}

// Defaults for the bill info lines.
const (
	DefaultBillInfo1 = "Payment:"
	DefaultBillInfo2 = "Online purchase"
)

// EChannel is the echannel plugin: Mandiri bill payment, paid with a
// biller code and a bill key.
type EChannel struct{ name string }

var _ payments.Method = (*EChannel)(nil)

// NewEChannel returns the echannel plugin.
func NewEChannel() *EChannel { return &EChannel{name: "echannel"} }

// Name is "echannel".
func (m *EChannel) Name() string { return m.name }

// Capabilities: cancel and expire; Midtrans offers no API refunds for
// Mandiri bill payments.
func (m *EChannel) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true}
}

// NewOptions returns a new *EChannelOptions.
func (m *EChannel) NewOptions() any { return new(EChannelOptions) }

// Validate checks the custom bill key.
func (m *EChannel) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	o, ok := payments.OptionsOf[EChannelOptions](req, v)
	if !ok {
		return
	}
	if k := o.BillKey; k != "" && (!isDigits(k) || len(k) < 6 || len(k) > 12) {
		v.Add("options.bill_key", fmt.Sprintf("must be 6 to 12 digits, got %q", k))
	}
}

// Build returns the echannel charge.
func (m *EChannel) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[EChannelOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "echannel")
	c.EChannel = &midtrans.EChannel{BillInfo1: o.BillInfo1, BillInfo2: o.BillInfo2, BillKey: o.BillKey}
	if c.EChannel.BillInfo1 == "" {
		c.EChannel.BillInfo1 = DefaultBillInfo1
	}
	if c.EChannel.BillInfo2 == "" {
		c.EChannel.BillInfo2 = DefaultBillInfo2
	}
	return payments.Request{Core: c}, nil
}
