package methods

import (
	"fmt"
	"strings"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// VAOptions are the options of a bank-transfer virtual account. All are
// optional, and the host's: none a customer may set from a browser.
type VAOptions struct {
	// VANumber asks for a custom VA number (digits only). The docs disagree
	// on the lengths; Midtrans trims a long number, pads a short one and
	// picks another when it is taken, so only the longest documented length
	// per bank is enforced (BCA and BRI 18, BNI, Permata and CIMB 12).
	VANumber string `json:"va_number,omitempty"`
	// SubCompanyCode is BCA's sub company code (BCA only); leave it empty
	// unless BCA gave you one.
	SubCompanyCode string `json:"sub_company_code,omitempty"`
	// FreeText is the text BCA shows on inquiry and payment (BCA only): at
	// most 10 lines per list, each id and en at most 50 characters.
	FreeText *midtrans.FreeText `json:"free_text,omitempty"`
	// RecipientName is shown on Permata's prompt (Permata only), at most 20
	// characters.
	RecipientName string `json:"recipient_name,omitempty"`
}

// VirtualAccount is a bank-transfer virtual account plugin for one bank.
// It always charges with payment_type "bank_transfer" and
// bank_transfer.bank, Permata included: the legacy payment_type "permata"
// still works but the bank_transfer form is the one Midtrans documents for
// new code.
type VirtualAccount struct {
	name string
	bank string
}

var _ payments.Method = (*VirtualAccount)(nil)

func newVirtualAccount(bank string) *VirtualAccount {
	return &VirtualAccount{name: bank + "_va", bank: bank}
}

// NewBCAVA returns the bca_va plugin.
func NewBCAVA() *VirtualAccount { return newVirtualAccount("bca") }

// NewBNIVA returns the bni_va plugin.
func NewBNIVA() *VirtualAccount { return newVirtualAccount("bni") }

// NewBRIVA returns the bri_va plugin.
func NewBRIVA() *VirtualAccount { return newVirtualAccount("bri") }

// NewPermataVA returns the permata_va plugin.
func NewPermataVA() *VirtualAccount { return newVirtualAccount("permata") }

// NewCIMBVA returns the cimb_va plugin.
func NewCIMBVA() *VirtualAccount { return newVirtualAccount("cimb") }

// Name is the bank followed by "_va", as Snap names the channel: "bca_va".
func (m *VirtualAccount) Name() string { return m.name }

// Bank is Midtrans' bank_transfer.bank: "bca", "bni", "bri", "permata" or "cimb".
func (m *VirtualAccount) Bank() string { return m.bank }

// Capabilities: cancel and expire. Virtual accounts cannot be refunded
// through Midtrans' API.
func (m *VirtualAccount) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true}
}

// NewOptions returns a new *VAOptions.
func (m *VirtualAccount) NewOptions() any { return new(VAOptions) }

// maxVALength is the longest custom VA number any docs page allows for the
// bank.
func (m *VirtualAccount) maxVALength() int {
	switch m.bank {
	case "bca", "bri":
		return 18
	}
	return 12
}

// Validate checks the options, and the customer rules the banks enforce:
// BCA takes at most 30 characters of first plus last name, BNI a phone
// starting with +62 or 0 of at most 30 characters.
func (m *VirtualAccount) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if c := req.Customer; c != nil {
		switch m.bank {
		case "bca":
			if n := runes(c.FirstName) + runes(c.LastName); n > 30 {
				v.Add("customer_details.first_name", fmt.Sprintf("first_name and last_name together must be at most 30 characters for BCA VA, got %d", n))
			}
		case "bni":
			if p := c.Phone; p != "" {
				if !strings.HasPrefix(p, "+62") && !strings.HasPrefix(p, "0") {
					v.Add("customer_details.phone", "must start with +62 or 0 for BNI VA")
				}
				checkMaxLen(v, "customer_details.phone", p, 30)
			}
		}
	}
	o, ok := payments.OptionsOf[VAOptions](req, v)
	if !ok {
		return
	}
	if o.VANumber != "" {
		switch {
		case !isDigits(o.VANumber):
			v.Add("options.va_number", "must contain digits only")
		case len(o.VANumber) > m.maxVALength():
			v.Add("options.va_number", fmt.Sprintf("must be at most %d digits for %s, got %d", m.maxVALength(), m.name, len(o.VANumber)))
		}
	}
	if o.SubCompanyCode != "" {
		switch {
		case m.bank != "bca":
			v.Add("options.sub_company_code", "is for bca_va only")
		case !isDigits(o.SubCompanyCode):
			v.Add("options.sub_company_code", "must contain digits only")
		}
	}
	if o.FreeText != nil {
		if m.bank != "bca" {
			v.Add("options.free_text", "is for bca_va only")
		} else {
			checkFreeText(v, "options.free_text.inquiry", o.FreeText.Inquiry)
			checkFreeText(v, "options.free_text.payment", o.FreeText.Payment)
		}
	}
	if o.RecipientName != "" {
		if m.bank != "permata" {
			v.Add("options.recipient_name", "is for permata_va only")
		} else {
			checkMaxLen(v, "options.recipient_name", o.RecipientName, 20)
		}
	}
}

func checkFreeText(v *payments.ValidationError, field string, lines []midtrans.FreeTextItem) {
	if len(lines) > 10 {
		v.Add(field, fmt.Sprintf("must have at most 10 lines, got %d", len(lines)))
	}
	for i, l := range lines {
		checkMaxLen(v, fmt.Sprintf("%s[%d].id", field, i), l.ID, 50)
		checkMaxLen(v, fmt.Sprintf("%s[%d].en", field, i), l.EN, 50)
	}
}

// Build returns the bank_transfer charge.
func (m *VirtualAccount) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[VAOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "bank_transfer")
	bt := &midtrans.BankTransfer{Bank: m.bank, VANumber: o.VANumber}
	switch m.bank {
	case "bca":
		if ft := o.FreeText; ft != nil {
			bt.FreeText = &midtrans.FreeText{
				Inquiry: append([]midtrans.FreeTextItem(nil), ft.Inquiry...),
				Payment: append([]midtrans.FreeTextItem(nil), ft.Payment...),
			}
		}
		if o.SubCompanyCode != "" {
			bt.BCA = &midtrans.BCAOptions{SubCompanyCode: o.SubCompanyCode}
		}
	case "permata":
		if o.RecipientName != "" {
			bt.Permata = &midtrans.PermataOptions{RecipientName: o.RecipientName}
		}
	}
	c.BankTransfer = bt
	return payments.Request{Core: c}, nil
}
