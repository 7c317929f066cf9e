package methods

import (
	"fmt"
	"slices"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// CardOptions are the options of a card charge. The card itself never reaches the server: the browser tokenizes it with the
// client key and sends the token.
//
// Only TokenID, Bank and InstallmentTerm are the customer's to choose (the
// charges route takes them from the browser); every other field is the
// host's, set in its OrderSource: a browser must not turn off 3-D Secure
// or pay with someone's saved card.
type CardOptions struct {
	// TokenID is the one-time token from MidtransNew3ds.getCardToken.
	// Exactly one of TokenID and SavedTokenID is required.
	TokenID string `json:"token_id,omitempty" payments:"customer"`
	// Bank is the acquiring bank: mandiri, bni, cimb, bca, maybank, bri,
	// danamon or mega.
	Bank string `json:"bank,omitempty" payments:"customer"`
	// InstallmentTerm is the number of months, 0 for none, and one of
	// InstallmentTerms. Online installments need Bank (the issuer);
	// offline ones Bins.
	InstallmentTerm int `json:"installment_term,omitempty" payments:"customer"`

	// InstallmentTerms are the terms, in months, the host offers; a
	// customer's InstallmentTerm must be one of them, so with none there
	// are no installments. It is not sent to Midtrans.
	InstallmentTerms []int `json:"installment_terms,omitempty"`
	// Authentication turns 3-D Secure on or off; nil means on, so that
	// charging without it is a deliberate choice of the host's (one-click
	// charges with a saved token usually turn it off).
	Authentication *bool `json:"authentication,omitempty"`
	// CallbackType is how the 3DS result returns to the page: "js_event"
	// (Midtrans' default) or "form".
	CallbackType string `json:"callback_type,omitempty"`
	// Authorize makes a pre-authorisation (credit_card.type "authorize"),
	// captured later with Service.Capture.
	Authorize bool `json:"authorize,omitempty"`
	// SaveToken asks for a saved_token_id for one-click payments later.
	SaveToken bool `json:"save_token_id,omitempty"`
	// SavedTokenID pays with a card saved earlier (one-click), by the
	// customer the host has authenticated; Midtrans takes it as token_id.
	SavedTokenID string `json:"saved_token_id,omitempty"`
	// Bins restricts the card to these BIN prefixes (e.g. "48111111"),
	// for a promotion.
	Bins []string `json:"bins,omitempty"`
	// Channel routes the charge to an acquiring channel: dragon, mti, migs,
	// cybersource, braintree or mpgs.
	Channel string `json:"channel,omitempty"`
}

// cardBank reports whether b is an acquiring bank the docs list (the Core
// API list plus the Snap additions).
func cardBank(b string) bool {
	switch b {
	case "mandiri", "bni", "cimb", "bca", "maybank", "bri", "danamon", "mega":
		return true
	}
	return false
}

// cardChannel reports whether c is an acquiring channel the docs list.
func cardChannel(c string) bool {
	switch c {
	case "dragon", "mti", "migs", "cybersource", "braintree", "mpgs":
		return true
	}
	return false
}

// Card is the credit_card plugin: credit and debit cards through a
// browser-side token, with 3DS, pre-authorisation, installments and
// one-click saved cards.
type Card struct{ name string }

var _ payments.Method = (*Card)(nil)

// NewCard returns the credit_card plugin.
func NewCard() *Card { return &Card{name: "credit_card"} }

// Name is "credit_card".
func (m *Card) Name() string { return m.name }

// Capabilities: every operation. Capture finishes a pre-authorisation,
// Review answers a fraud challenge; refunds may be partial.
func (m *Card) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true, Refund: true, PartialRefund: true,
		DirectRefund: true, Capture: true, Review: true}
}

// NewOptions returns a new *CardOptions.
func (m *Card) NewOptions() any { return new(CardOptions) }

// Validate checks the card options, and that an installment term is one
// the host offers. Custom expiry is refused: Midtrans
// does not support it for cards.
func (m *Card) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Expiry != 0 {
		v.Add("expiry", "custom expiry is not supported for cards")
	}
	o, ok := payments.OptionsOf[CardOptions](req, v)
	if !ok {
		return
	}
	switch {
	case o.TokenID == "" && o.SavedTokenID == "":
		v.Add("options.token_id", "required: the card token from the browser, or saved_token_id for a saved card")
	case o.TokenID != "" && o.SavedTokenID != "":
		v.Add("options.token_id", "give token_id or saved_token_id, not both")
	}
	switch o.CallbackType {
	case "", "js_event", "form":
	default:
		v.Add("options.callback_type", fmt.Sprintf("must be js_event or form, got %q", o.CallbackType))
	}
	if o.Bank != "" && !cardBank(o.Bank) {
		v.Add("options.bank", fmt.Sprintf("must be one of mandiri, bni, cimb, bca, maybank, bri, danamon, mega; got %q", o.Bank))
	}
	if o.Channel != "" && !cardChannel(o.Channel) {
		v.Add("options.channel", fmt.Sprintf("must be one of dragon, mti, migs, cybersource, braintree, mpgs; got %q", o.Channel))
	}
	switch {
	case o.InstallmentTerm < 0:
		v.Add("options.installment_term", "must not be negative")
	case o.InstallmentTerm > 0 && len(o.InstallmentTerms) == 0:
		v.Add("options.installment_term", "no installments are offered for this order")
	case o.InstallmentTerm > 0 && !slices.Contains(o.InstallmentTerms, o.InstallmentTerm):
		v.Add("options.installment_term", fmt.Sprintf("must be one of the terms offered, %v; got %d", o.InstallmentTerms, o.InstallmentTerm))
	case o.InstallmentTerm > 0 && o.Bank == "" && len(o.Bins) == 0:
		v.Add("options.installment_term", "needs options.bank (online installment) or options.bins (offline)")
	}
	for i, n := range o.InstallmentTerms {
		if n <= 0 {
			v.Add(fmt.Sprintf("options.installment_terms[%d]", i), "must be a positive number of months")
		}
	}
	for i, b := range o.Bins {
		if b == "" || hasSpaceOrControl(b) {
			v.Add(fmt.Sprintf("options.bins[%d]", i), "must be a BIN prefix such as 48111111")
		}
	}
}

// Build returns the credit_card charge.
func (m *Card) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[CardOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "credit_card")
	cc := &midtrans.CreditCard{
		TokenID:         o.TokenID,
		Authentication:  o.Authentication == nil || *o.Authentication,
		CallbackType:    o.CallbackType,
		SaveTokenID:     o.SaveToken,
		Bank:            o.Bank,
		InstallmentTerm: o.InstallmentTerm,
		Bins:            slices.Clone(o.Bins),
		Channel:         o.Channel,
	}
	if o.SavedTokenID != "" {
		cc.TokenID = o.SavedTokenID // Midtrans has no separate request field for it
	}
	if o.Authorize {
		cc.Type = "authorize"
	}
	c.CreditCard = cc
	return payments.Request{Core: c}, nil
}
