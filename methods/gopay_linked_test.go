package methods_test

import (
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
)

// TestGoPayLinkedAccountOptions: the linked account fields are checked for
// shape here; the account itself is the Service's to check (Store).
func TestGoPayLinkedAccountOptions(t *testing.T) {
	acct := "00000269-7836-49e5-bc65-e592afafec14"
	runValidation(t, methods.NewGoPay(), []validationCase{
		{name: "linked", req: charge("gopay", 50000, methods.GoPayOptions{AccountID: acct, CustomerID: "cust-1"})},
		{name: "linked pay later", req: charge("gopay", 50000, &methods.GoPayOptions{AccountID: acct, CustomerID: "cust-1", PaymentOption: "PAY_LATER"})},
		{name: "no customer", req: charge("gopay", 50000, methods.GoPayOptions{AccountID: acct}), want: []string{"options.customer_id"}},
		{name: "customer without account", req: charge("gopay", 50000, methods.GoPayOptions{CustomerID: "cust-1"}), want: []string{"options.account_id"}},
		{name: "option without account", req: charge("gopay", 50000, methods.GoPayOptions{PaymentOption: "PAY_LATER"}), want: []string{"options.account_id"}},
		{name: "bad option", req: charge("gopay", 50000, methods.GoPayOptions{AccountID: acct, CustomerID: "c", PaymentOption: "pay later"}), want: []string{"options.payment_option"}},
		{name: "spaces in account", req: charge("gopay", 50000, methods.GoPayOptions{AccountID: "a b", CustomerID: "c"}), want: []string{"options.account_id"}},
		{name: "long account", req: charge("gopay", 50000, methods.GoPayOptions{AccountID: strings.Repeat("a", 65), CustomerID: "c"}), want: []string{"options.account_id"}},
	})
	var lo payments.LinkedAccountOptions = methods.GoPayOptions{AccountID: acct, CustomerID: "cust-1", PaymentOption: "PAY_LATER"}
	if c, a, o := lo.LinkedAccount(); c != "cust-1" || a != acct || o != "PAY_LATER" {
		t.Errorf("LinkedAccount() = %q, %q, %q", c, a, o)
	}
	// The plugin never sends a token: the Service adds it from the Store.
	req := charge("gopay", 50000, methods.GoPayOptions{AccountID: acct, CustomerID: "cust-1"})
	built, err := methods.NewGoPay().Build(&req)
	if err != nil {
		t.Fatal(err)
	}
	if built.Core.GoPay != nil && built.Core.GoPay.PaymentOptionToken != "" {
		t.Errorf("Build sent a token: %+v", built.Core.GoPay)
	}
}
