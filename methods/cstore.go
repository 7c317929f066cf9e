package methods

import (
	"fmt"
	"strings"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// CStoreOptions are the options of an Indomaret or Alfamart payment.
// All are optional, and the host's: none a customer may set from a
// browser.
type CStoreOptions struct {
	// Message is shown on the cashier's screen, at most 20 characters.
	Message string `json:"message,omitempty"`
	// AlfamartFreeText1..3 are printed on the Alfamart receipt (Alfamart
	// only), at most 40 characters each.
	AlfamartFreeText1 string `json:"alfamart_free_text_1,omitempty"`
	AlfamartFreeText2 string `json:"alfamart_free_text_2,omitempty"`
	AlfamartFreeText3 string `json:"alfamart_free_text_3,omitempty"`
}

// CStore is a convenience-store plugin (payment_type "cstore") for one
// store: the customer pays a payment code at the counter. No amount
// limits are enforced: the docs' limits table is indicative and depends
// on the merchant's contract.
type CStore struct {
	name  string
	store string
}

var _ payments.Method = (*CStore)(nil)

// NewIndomaret returns the indomaret plugin.
func NewIndomaret() *CStore { return &CStore{name: "indomaret", store: "indomaret"} }

// NewAlfamart returns the alfamart plugin.
func NewAlfamart() *CStore { return &CStore{name: "alfamart", store: "alfamart"} }

// Name is the store: "indomaret" or "alfamart".
func (m *CStore) Name() string { return m.name }

// Store is Midtrans' cstore.store.
func (m *CStore) Store() string { return m.store }

// Capabilities: cancel and expire; Midtrans offers no API refunds for
// store payments.
func (m *CStore) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true}
}

// NewOptions returns a new *CStoreOptions.
func (m *CStore) NewOptions() any { return new(CStoreOptions) }

// Validate checks the options and, for Alfamart, that no item name holds
// a "|", which Alfamart's systems use as a separator.
func (m *CStore) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if m.store == "alfamart" {
		for i, it := range req.Items {
			if strings.Contains(it.Name, "|") {
				v.Add(fmt.Sprintf("item_details[%d].name", i), `must not contain "|" for Alfamart`)
			}
		}
	}
	o, ok := payments.OptionsOf[CStoreOptions](req, v)
	if !ok {
		return
	}
	checkMaxLen(v, "options.message", o.Message, 20)
	for i, text := range []string{o.AlfamartFreeText1, o.AlfamartFreeText2, o.AlfamartFreeText3} {
		if text == "" {
			continue
		}
		field := fmt.Sprintf("options.alfamart_free_text_%d", i+1)
		if m.store != "alfamart" {
			v.Add(field, "is for alfamart only")
			continue
		}
		checkMaxLen(v, field, text, 40)
	}
}

// Build returns the cstore charge.
func (m *CStore) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[CStoreOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "cstore")
	cs := &midtrans.CStore{Store: m.store, Message: o.Message}
	if m.store == "alfamart" {
		cs.AlfamartFreeText1, cs.AlfamartFreeText2, cs.AlfamartFreeText3 = o.AlfamartFreeText1, o.AlfamartFreeText2, o.AlfamartFreeText3
	}
	c.CStore = cs
	return payments.Request{Core: c}, nil
}
