package main

import (
	"encoding/json"
	"regexp"

	"github.com/nusapay/payments"
)

// OVO is an integrator's own plugin for OVO, which the module does not build
// in: Midtrans pushes the payment to the customer's OVO app by phone, to be
// approved within 55 seconds. payments.OptionsOf and BuildOptions read the
// options; with no Instructions method, payments.ParseInstructions applies.
type OVO struct{}

var _ payments.Method = OVO{}

// OVOOptions are the options of an OVO charge. The phone is the customer's
// to type in, so the charges route takes it from the browser.
type OVOOptions struct {
	// PayerPhone is the phone number of the customer's OVO account, e.g.
	// "081111111111". Required.
	PayerPhone string `json:"payer_phone_number" payments:"customer"`
}

// NewOVO returns the ovo plugin.
func NewOVO() OVO { return OVO{} }

func (OVO) Name() string    { return "ovo" }
func (OVO) NewOptions() any { return new(OVOOptions) }

// Capabilities: full refunds only; a pending OVO charge expires by itself.
func (OVO) Capabilities() payments.Capabilities { return payments.Capabilities{Refund: true} }

var phone = regexp.MustCompile(`^\+?[0-9]{8,15}$`)

// Validate requires the payer's phone and refuses a custom expiry.
func (OVO) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Expiry != 0 {
		v.Add("expiry", "custom expiry is not supported for OVO (fixed at 65 seconds)")
	}
	if o, ok := payments.OptionsOf[OVOOptions](req, v); ok && !phone.MatchString(o.PayerPhone) {
		v.Add("options.payer_phone_number", "required: the OVO account's phone, 8 to 15 digits, such as 081111111111")
	}
}

// Build returns the ovo charge; the client has no ovo object, so it goes in Extra.
func (OVO) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[OVOOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	obj, err := json.Marshal(o)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "ovo")
	c.Extra = map[string]json.RawMessage{"ovo": obj}
	return payments.Request{Core: c}, nil
}
