package methods_test

import (
	"encoding/json"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/fixture"
)

func ptr[T any](v T) *T { return &v }

// docs reads a docs sample.
func docs(t testing.TB, name string) []byte { return fixture.Bytes(t, "docs/"+name) }

// members returns a JSON object holding only the given members of a docs
// sample: the part of a request sample whose values a plugin must
// reproduce exactly.
func members(t testing.TB, name string, keys ...string) []byte {
	t.Helper()
	all := fixture.Object(t, "docs/"+name)
	out := map[string]any{}
	for _, k := range keys {
		v, ok := all[k]
		if !ok {
			t.Fatalf("fixture %s has no %q", name, k)
		}
		out[k] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The customer and items of the docs' GoPay and QRIS samples.
func budi() *payments.Customer {
	return &payments.Customer{FirstName: "Budi", LastName: "Utomo", Email: "budi.utomo@midtrans.com", Phone: "081223323423"}
}

func headphones(price payments.Amount) []payments.Item {
	return []payments.Item{{ID: "id1", Name: "Bluedio H+ Turbine Headphone", Price: price, Quantity: 1}}
}

func charge(method string, amount payments.Amount, opts any) payments.ChargeRequest {
	return payments.ChargeRequest{OrderID: "order-101", Method: method, Amount: amount, Options: opts}
}
