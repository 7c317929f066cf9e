//go:build !race

// Allocation counts mean nothing under the race detector, whose sync.Pool
// drops items at random (so encoding/json's and regexp's pools allocate):
// this file is not built with -race, and .ci/run runs it without.

package payments

import (
	"testing"

	"github.com/go-playground/validator/v10"
)

// TestCheckRequestAllocations: a good request is checked without
// allocating, but for the email rule (the validator boxes the string).
func TestCheckRequestAllocations(t *testing.T) {
	s := &Service{validate: validator.New()}
	r := &ChargeRequest{OrderID: "o-1", Method: "bca_va", Amount: 3000, Metadata: []byte(`{"a":1}`),
		Items:    []Item{{Name: "Kopi", Price: 1000, Quantity: 3}},
		Customer: &Customer{FirstName: "Budi", Phone: "+62 812-3456-7890", BillingAddress: &Address{PostalCode: "12345", CountryCode: "IDN"}}}
	var ve ValidationError
	if n := testing.AllocsPerRun(100, func() { s.checkRequest(r, &ve) }); n != 0 || len(ve.Fields) != 0 {
		t.Fatalf("%v allocations, %v", n, ve.Fields)
	}
}
