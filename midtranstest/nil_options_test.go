package midtranstest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// TestNilConfig: Config's nil Now, HTTPClient and Logger take their
// defaults; the simulator then takes a charge, is paid and notifies.
func TestNilConfig(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{Now: nil, HTTPClient: nil, Logger: nil,
		PaymentTypes: map[string]midtranstest.PaymentTypeFunc{"bank_transfer": nil, "acme_wallet": nil}})
	t.Cleanup(sim.Close)
	c, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "bank_transfer",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "nil-cfg", GrossAmount: 10000},
		BankTransfer:       &midtrans.BankTransfer{Bank: "bca"}}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay("nil-cfg"); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Status(ctx, "nil-cfg"); err != nil || r.TransactionStatus != "settlement" {
		t.Fatalf("status: %+v %v", r, err)
	}
	// A nil PaymentTypes entry teaches nothing: the type stays unknown.
	_, err = c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "acme_wallet",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "nil-type", GrossAmount: 10000}})
	if !errors.Is(err, midtrans.ErrValidation) {
		t.Fatalf("charge of a type with a nil PaymentTypes entry: %v", err)
	}
}
