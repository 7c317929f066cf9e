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

// A Snap checkout offering cards (with installments at BNI) and GoPay;
// the customer chooses on Snap's page. Once Midtrans reports the channel
// chosen, the payment can do what that channel can.
func ExampleNewSnap() {
	m := methods.NewSnap()
	req := payments.ChargeRequest{OrderID: "order-102", Method: m.Name(), Amount: 300000,
		Options: methods.SnapOptions{EnabledPayments: []string{"credit_card", "gopay"},
			CreditCard: &methods.SnapCardOptions{InstallmentTerms: map[string][]int{"bni": {3, 6}}},
			FinishURL:  "https://shop.example/orders/102"}}
	var v payments.ValidationError
	m.Validate(&req, &v)
	out, _ := m.Build(&req)
	b, _ := json.Marshal(out.Snap)
	fmt.Println(v.Err(), string(b))

	p := &payments.Payment{Method: "snap"}
	fmt.Printf("before the choice: %+v\n", payments.PaymentCapabilities(m, p))
	p.PaymentType = "gopay"
	fmt.Printf("paid with GoPay: %+v\n", payments.PaymentCapabilities(m, p))
	// Output:
	// <nil> {"transaction_details":{"order_id":"order-102","gross_amount":300000},"enabled_payments":["credit_card","gopay"],"credit_card":{"secure":true,"installment":{"required":false,"terms":{"bni":[3,6]}}},"callbacks":{"finish":"https://shop.example/orders/102"}}
	// before the choice: {Cancel:true Expire:true Refund:false PartialRefund:false DirectRefund:false Capture:false Review:false TransactionIDOnly:false}
	// paid with GoPay: {Cancel:true Expire:true Refund:true PartialRefund:true DirectRefund:true Capture:false Review:false TransactionIDOnly:false}
}
