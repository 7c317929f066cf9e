package methods_test

import (
	"encoding/json"
	"fmt"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
)

func ExampleDefault() {
	for _, m := range methods.Default() {
		fmt.Print(m.Name(), " ")
	}
	fmt.Println()
	// Output: credit_card bca_va bni_va bri_va permata_va cimb_va echannel gopay shopeepay qris indomaret alfamart akulaku dana snap
}

// A BCA virtual account with a custom number: Validate names every bad
// field, Build returns the Core API charge.
func ExampleNewBCAVA() {
	m := methods.NewBCAVA()
	req := payments.ChargeRequest{OrderID: "order-101", Method: m.Name(), Amount: 44000,
		Options: methods.VAOptions{VANumber: "12345678", RecipientName: "BUDI"}}

	var v payments.ValidationError
	m.Validate(&req, &v)
	fmt.Println(v.Err())

	req.Options = methods.VAOptions{VANumber: "12345678"}
	out, _ := m.Build(&req)
	b, _ := json.Marshal(out.Core)
	fmt.Println(string(b))
	// Output:
	// payments: invalid input: options.recipient_name: is for permata_va only
	// {"payment_type":"bank_transfer","transaction_details":{"order_id":"order-101","gross_amount":44000},"bank_transfer":{"bank":"bca","va_number":"12345678"}}
}
