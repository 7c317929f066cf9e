package methods_test

import (
	"slices"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
)

func TestDefault(t *testing.T) {
	a, b := methods.Default(), methods.Default()
	var names []string
	for i, m := range a {
		names = append(names, m.Name())
		if m == b[i] {
			t.Errorf("%s: Default returned the same instance twice", m.Name())
		}
	}
	want := []string{"credit_card", "bca_va", "bni_va", "bri_va", "permata_va", "cimb_va", "echannel",
		"gopay", "shopeepay", "qris", "indomaret", "alfamart", "akulaku", "dana", "snap"}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	sorted := slices.Sorted(slices.Values(names))
	if len(slices.Compact(sorted)) != len(names) {
		t.Errorf("names are not unique: %q", names)
	}
}

// The capability table the Service enforces: what Midtrans' operations
// API allows per channel.
func TestCapabilities(t *testing.T) {
	pending := payments.Capabilities{Cancel: true, Expire: true}
	refundable := payments.Capabilities{Cancel: true, Expire: true, Refund: true, PartialRefund: true, DirectRefund: true}
	want := map[string]payments.Capabilities{
		"credit_card": {Cancel: true, Expire: true, Refund: true, PartialRefund: true, DirectRefund: true, Capture: true, Review: true},
		"bca_va":      pending, "bni_va": pending, "bri_va": pending, "permata_va": pending, "cimb_va": pending,
		"echannel": pending, "indomaret": pending, "alfamart": pending,
		"gopay": refundable, "qris": refundable, "akulaku": refundable,
		"shopeepay": {Cancel: true, Expire: true, Refund: true, DirectRefund: true},
		"dana":      {Cancel: true, Refund: true, PartialRefund: true, TransactionIDOnly: true},
		"snap":      pending, // until the customer chooses a channel; then that channel's
	}
	for _, m := range methods.Default() {
		if got := m.Capabilities(); got != want[m.Name()] {
			t.Errorf("%s: %+v, want %+v", m.Name(), got, want[m.Name()])
		}
	}
}
