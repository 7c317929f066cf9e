package methods

import (
	"fmt"

	"github.com/nusapay/payments"
)

// Akulaku is the akulaku plugin (pay later): the customer is redirected
// to Akulaku, which returns to the Finish URL with an HTTP POST. It takes
// no options.
type Akulaku struct{ name string }

var _ payments.Method = (*Akulaku)(nil)

// NewAkulaku returns the akulaku plugin.
func NewAkulaku() *Akulaku { return &Akulaku{name: "akulaku"} }

// Name is "akulaku".
func (m *Akulaku) Name() string { return m.name }

// Capabilities: cancel, expire and refunds, partial ones included.
func (m *Akulaku) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true, Refund: true, PartialRefund: true, DirectRefund: true}
}

// NewOptions returns nil: Akulaku takes no options.
func (m *Akulaku) NewOptions() any { return nil }

// Validate requires items with unique ids and a customer, which Akulaku
// needs although Midtrans' request sample omits them.
func (m *Akulaku) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Options != nil {
		v.Add("options", fmt.Sprintf("akulaku takes no options, got %T", req.Options))
	}
	if len(req.Items) == 0 {
		v.Add("item_details", "required for Akulaku")
	}
	if req.Customer == nil {
		v.Add("customer_details", "required for Akulaku")
	}
	seen := make(map[string]int, len(req.Items))
	for i, it := range req.Items {
		if first, dup := seen[it.ID]; dup {
			v.Add(fmt.Sprintf("item_details[%d].id", i), fmt.Sprintf("duplicates item_details[%d].id %q; Akulaku needs unique item ids", first, it.ID))
			continue
		}
		seen[it.ID] = i
	}
}

// Build returns the akulaku charge: the common fields only.
func (m *Akulaku) Build(req *payments.ChargeRequest) (payments.Request, error) {
	return payments.Request{Core: payments.CoreRequest(req, "akulaku")}, nil
}
