package methods

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// SnapOptions are the options of a Snap payment, all the host's: the
// customer's only choice, the channel, is made on Midtrans' Snap page, so
// none may come from a browser. A custom expiry is ChargeRequest.Expiry.
type SnapOptions struct {
	// EnabledPayments are the channels the Snap page offers, by Snap's
	// names ("credit_card", "bca_va", "gopay", "other_qris", "indomaret",
	// ..., or the aliases "bank_transfer" and "cstore"); none means every
	// channel active on the merchant account.
	EnabledPayments []string `json:"enabled_payments,omitempty"`
	// CreditCard are the card settings of the Snap page.
	CreditCard *SnapCardOptions `json:"credit_card,omitempty"`
	// FinishURL is where Snap sends the customer after paying, with
	// ?order_id=&status_code=&transaction_status= (a hint to display, never
	// proof of payment); ErrorURL after a failure. Both default to the
	// dashboard's Snap preferences.
	FinishURL string `json:"finish_url,omitempty"`
	ErrorURL  string `json:"error_url,omitempty"`
	// PageExpiry is how long the Snap page itself lives (Midtrans' default
	// is a day), rounded up to whole minutes. No notification comes when
	// a page expires unused, so with PageExpiry set and EnabledPayments
	// listed without DANA (whose transaction a status lookup by order id
	// cannot find) the Service expires such a payment itself once the page
	// has ended and Midtrans still knows no transaction for it.
	PageExpiry time.Duration `json:"page_expiry,omitempty"`
}

// SnapCardOptions are the credit card settings of a Snap page.
type SnapCardOptions struct {
	// Secure turns 3-D Secure on or off; nil means on, so that paying
	// without it is a deliberate choice of the host's.
	Secure *bool `json:"secure,omitempty"`
	// Bank is the acquiring bank: mandiri, bni, cimb, bca, maybank, bri,
	// danamon or mega.
	Bank string `json:"bank,omitempty"`
	// Authorize makes a pre-authorisation, captured later with
	// Service.Capture.
	Authorize bool `json:"authorize,omitempty"`
	// SaveCard offers the customer to save the card on the Snap page.
	SaveCard bool `json:"save_card,omitempty"`
	// Channel routes the charge to an acquiring channel (Snap documents
	// migs).
	Channel string `json:"channel,omitempty"`
	// WhitelistBins accepts only cards with these BIN prefixes (up to 8
	// digits) or from these issuing banks (bni, bca, mandiri, cimb, bri,
	// maybank), for a promotion.
	WhitelistBins []string `json:"whitelist_bins,omitempty"`
	// InstallmentTerms offers installments: months per bank, or under
	// "offline" for any card.
	InstallmentTerms map[string][]int `json:"installment_terms,omitempty"`
	// InstallmentRequired makes the customer pay in installments.
	InstallmentRequired bool `json:"installment_required,omitempty"`
}

// snapPayments returns the enabled_payments values Snap documents,
// aliases included (a new slice each call).
func snapPayments() []string {
	return []string{"credit_card", "echannel", "permata_va", "bca_va", "bni_va", "bri_va", "cimb_va",
		"danamon_va", "bsi_va", "seabank_va", "saqu_va", "other_va", "gopay", "ovo", "dana", "shopeepay", "other_qris",
		"alfamart", "indomaret", "akulaku", "kredivo", "uob_ezpay", "bank_transfer", "cstore"}
}

// snapMaxExpiry is the longest expiry Snap keeps; it cuts a longer one.
const snapMaxExpiry = 7 * 24 * time.Hour

// Snap is the snap plugin: Midtrans' hosted checkout, where the customer
// chooses the channel. The charge creates a Snap transaction, stored as a
// pending payment with its token and page URL (Instructions.SnapToken and
// RedirectURL) for snap.js or a redirect. Midtrans knows no transaction
// until the channel is chosen, so a status sync before that finds none and
// the payment stays pending; the first notification brings the channel
// (payment_type) and the transaction id, and from then on the payment can
// do what that channel can (see ChannelCapabilities).
type Snap struct{ name string }

var (
	_ payments.Method         = (*Snap)(nil)
	_ payments.ChannelChooser = (*Snap)(nil)
)

// NewSnap returns the snap plugin.
func NewSnap() *Snap { return &Snap{name: "snap"} }

// Name is "snap".
func (m *Snap) Name() string { return m.name }

// Capabilities before a channel is chosen: cancel and expire, which
// Midtrans accepts for a pending transaction (before the customer has
// chosen it has none, answers not found, and the payment stays pending).
// Nothing can be refunded or captured yet.
func (m *Snap) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true}
}

// ChannelCapabilities are those of the built-in plugin for the channel
// the customer chose, so each channel's rule stays in its plugin: a card
// can be refunded and captured, a virtual account, Mandiri bill or store
// payment cannot be refunded, DANA is addressed by transaction id. A
// channel no built-in plugin charges (OVO, Kredivo, ...) allows no
// operation but sync.
func (m *Snap) ChannelCapabilities(paymentType string) payments.Capabilities {
	var p payments.Method
	switch paymentType {
	case "credit_card":
		p = NewCard()
	case "bank_transfer", "permata":
		p = NewBCAVA()
	case "echannel":
		p = NewEChannel()
	case "gopay":
		p = NewGoPay()
	case "shopeepay":
		p = NewShopeePay()
	case "qris":
		p = NewQRIS()
	case "cstore":
		p = NewIndomaret()
	case "akulaku":
		p = NewAkulaku()
	case "dana":
		p = NewDana()
	default:
		return payments.Capabilities{}
	}
	return p.Capabilities()
}

// NewOptions returns a new *SnapOptions.
func (m *Snap) NewOptions() any { return new(SnapOptions) }

// Validate checks the enabled channels, the card settings, the callback
// URLs and the expiries.
func (m *Snap) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Expiry > snapMaxExpiry {
		v.Add("expiry", "must be at most 7 days for Snap")
	}
	o, ok := payments.OptionsOf[SnapOptions](req, v)
	if !ok {
		return
	}
	known, seen := snapPayments(), map[string]bool{}
	for i, p := range o.EnabledPayments {
		field := fmt.Sprintf("options.enabled_payments[%d]", i)
		switch {
		case !slices.Contains(known, p):
			v.Add(field, fmt.Sprintf("%q is not a Snap payment channel; use one of %v", p, known))
		case seen[p]:
			v.Add(field, fmt.Sprintf("%q is listed twice", p))
		}
		seen[p] = true
	}
	checkCallbackURL(v, "options.finish_url", o.FinishURL)
	checkCallbackURL(v, "options.error_url", o.ErrorURL)
	if o.PageExpiry < 0 {
		v.Add("options.page_expiry", "must not be negative")
	}
	if cc := o.CreditCard; cc != nil {
		if len(o.EnabledPayments) > 0 && !seen["credit_card"] {
			v.Add("options.credit_card", "card settings need credit_card among enabled_payments")
		}
		checkSnapCard(v, cc)
	}
}

func checkSnapCard(v *payments.ValidationError, cc *SnapCardOptions) {
	if cc.Bank != "" && !cardBank(cc.Bank) {
		v.Add("options.credit_card.bank", fmt.Sprintf("must be one of mandiri, bni, cimb, bca, maybank, bri, danamon, mega; got %q", cc.Bank))
	}
	if cc.Channel != "" && !cardChannel(cc.Channel) {
		v.Add("options.credit_card.channel", fmt.Sprintf("must be one of dragon, mti, migs, cybersource, braintree, mpgs; got %q", cc.Channel))
	}
	for i, b := range cc.WhitelistBins {
		switch b {
		case "bni", "bca", "mandiri", "cimb", "bri", "maybank":
			continue
		}
		if !isDigits(b) || len(b) > 8 {
			v.Add(fmt.Sprintf("options.credit_card.whitelist_bins[%d]", i), "must be a BIN prefix of up to 8 digits or a bank: bni, bca, mandiri, cimb, bri, maybank")
		}
	}
	for _, bank := range slices.Sorted(maps.Keys(cc.InstallmentTerms)) {
		field := "options.credit_card.installment_terms." + bank
		if bank != "offline" && !cardBank(bank) {
			v.Add(field, "must be keyed by an acquiring bank (mandiri, bni, cimb, bca, maybank, bri, danamon, mega) or offline")
		}
		terms := cc.InstallmentTerms[bank]
		if len(terms) == 0 {
			v.Add(field, "must offer at least one term")
		}
		for _, n := range terms {
			if n <= 0 {
				v.Add(field, "terms must be positive numbers of months")
				break
			}
		}
	}
	if cc.InstallmentRequired && len(cc.InstallmentTerms) == 0 {
		v.Add("options.credit_card.installment_required", "needs installment_terms")
	}
}

// Build returns the Snap transaction.
func (m *Snap) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[SnapOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	s := payments.SnapRequest(req, slices.Clone(o.EnabledPayments)...)
	if cc := o.CreditCard; cc != nil {
		c := &midtrans.SnapCreditCard{
			Secure:        cc.Secure == nil || *cc.Secure,
			Bank:          cc.Bank,
			SaveCard:      cc.SaveCard,
			Channel:       cc.Channel,
			WhitelistBins: slices.Clone(cc.WhitelistBins),
		}
		if cc.Authorize {
			c.Type = "authorize"
		}
		if len(cc.InstallmentTerms) > 0 {
			terms := make(map[string][]int, len(cc.InstallmentTerms))
			for bank, t := range cc.InstallmentTerms {
				terms[bank] = slices.Clone(t)
			}
			c.Installment = &midtrans.SnapInstallment{Required: cc.InstallmentRequired, Terms: terms}
		}
		s.CreditCard = c
	} else if len(o.EnabledPayments) == 0 || slices.Contains(o.EnabledPayments, "credit_card") {
		// 3-D Secure on unless the host turns it off.
		s.CreditCard = &midtrans.SnapCreditCard{Secure: true}
	}
	if o.FinishURL != "" || o.ErrorURL != "" {
		s.Callbacks = &midtrans.SnapCallbacks{Finish: o.FinishURL, Error: o.ErrorURL}
	}
	if o.PageExpiry > 0 {
		mins := int((o.PageExpiry + time.Minute - 1) / time.Minute)
		s.PageExpiry = &midtrans.SnapPageExpiry{Duration: mins, Unit: "minute"}
	}
	return payments.Request{Snap: s}, nil
}
