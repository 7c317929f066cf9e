package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// OVO is an integrator's own payment-method plugin for OVO, a channel the
// module does not build in (REFERENCE §3.10). Midtrans pushes the payment
// to the customer's OVO app by phone number; the customer has 55 seconds
// to approve it, and the transaction expires after a fixed 65.
//
// It follows the same contract as the built-in plugins (package methods)
// and passes the same conformance suite (methods/methodtest).
type OVO struct{ name string }

var _ payments.Method = (*OVO)(nil)

// OVOOptions are the options of an OVO charge.
type OVOOptions struct {
	// PayerPhone is the phone number of the customer's OVO account, e.g.
	// "081111111111". Required.
	PayerPhone string `json:"payer_phone_number" payments:"customer"`
}

// NewOVO returns the ovo plugin.
func NewOVO() *OVO { return &OVO{name: "ovo"} }

// Name is "ovo".
func (m *OVO) Name() string { return m.name }

// Capabilities: full refunds only (REFERENCE §3.10, §6.6). Cancel, expire
// and direct refund are not documented for OVO, and a pending OVO charge
// expires by itself after 65 seconds.
func (m *OVO) Capabilities() payments.Capabilities {
	return payments.Capabilities{Refund: true}
}

// NewOptions returns a new *OVOOptions.
func (m *OVO) NewOptions() any { return new(OVOOptions) }

// options accepts the options as a value, a pointer or nil.
func (m *OVO) options(req *payments.ChargeRequest) (OVOOptions, error) {
	switch o := req.Options.(type) {
	case nil:
		return OVOOptions{}, nil
	case OVOOptions:
		return o, nil
	case *OVOOptions:
		if o == nil {
			return OVOOptions{}, nil
		}
		return *o, nil
	}
	return OVOOptions{}, fmt.Errorf("must be an OVOOptions or a *OVOOptions, got %T", req.Options)
}

// Validate requires the payer's phone and refuses a custom expiry, which
// OVO does not support (its expiry is fixed).
func (m *OVO) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Expiry != 0 {
		v.Add("expiry", "custom expiry is not supported for OVO (fixed at 65 seconds)")
	}
	o, err := m.options(req)
	if err != nil {
		v.Add("options", err.Error())
		return
	}
	switch p := o.PayerPhone; {
	case p == "":
		v.Add("options.payer_phone_number", "required: the phone number of the customer's OVO account")
	case !validPhone(p):
		v.Add("options.payer_phone_number", "must be a phone number of 8 to 15 digits, such as 081111111111")
	}
}

// validPhone accepts digits with an optional leading "+".
func validPhone(p string) bool {
	digits := strings.TrimPrefix(p, "+")
	if len(digits) < 8 || len(digits) > 15 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Build returns the ovo charge. The client does not model the ovo object,
// so it goes in Extra.
func (m *OVO) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := m.options(req)
	if err != nil {
		return payments.Request{}, fmt.Errorf("ovo: options %w", err)
	}
	obj, err := json.Marshal(o)
	if err != nil {
		return payments.Request{}, fmt.Errorf("ovo: %w", err)
	}
	c := payments.CoreRequest(req, "ovo")
	c.Extra = map[string]json.RawMessage{"ovo": obj}
	return payments.Request{Core: c}, nil
}

// Instructions: an OVO charge has nothing to show but "approve it in your
// OVO app"; the common fields are kept.
func (m *OVO) Instructions(resp *midtrans.TransactionResponse) payments.Instructions {
	return payments.ParseInstructions(resp)
}
