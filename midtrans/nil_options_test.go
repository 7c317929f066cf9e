package midtrans_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// TestNilOptions: Config's nil HTTPClient and Logger take their defaults
// and a nil CallOption is skipped; the client then charges and asks for
// the status.
func TestNilOptions(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	c, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL(), HTTPClient: nil, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := &midtrans.ChargeRequest{PaymentType: "bank_transfer", TransactionDetails: midtrans.TransactionDetails{OrderID: "nil-opt", GrossAmount: 10000},
		BankTransfer: &midtrans.BankTransfer{Bank: "bca"}}
	// In order: a status before the charge is a 404.
	for _, call := range []struct {
		name string
		fn   func(opts ...midtrans.CallOption) error
	}{
		{"Charge", func(opts ...midtrans.CallOption) error { _, err := c.Charge(ctx, req, opts...); return err }},
		{"Status", func(opts ...midtrans.CallOption) error { _, err := c.Status(ctx, "nil-opt", opts...); return err }},
	} {
		if err := call.fn(nil, midtrans.WithIdempotencyKey("nil-opt-"+call.name), nil); err != nil && !errors.Is(err, midtrans.ErrDuplicateOrder) {
			t.Errorf("%s with nil CallOptions: %v", call.name, err)
		}
	}
	if _, err := c.Status(ctx, "nil-opt", nil); err != nil {
		t.Fatalf("status after the charge: %v", err)
	}
}
