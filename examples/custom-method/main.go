// Command custom-method shows an integrator's own payment-method plugin
// (OVO, in ovo.go) registered next to the built-in ones and charged through
// the Service against the Midtrans simulator:
//
//	go run ./examples/custom-method
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out *os.File) error {
	dir, err := os.MkdirTemp("", "custom-method")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.OpenSQLite(filepath.Join(dir, "payments.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		return err
	}
	st, err := store.New(db)
	if err != nil {
		return err
	}
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		return err
	}

	// The integrator's plugin sits next to the built-ins; a name used twice
	// would be an error here.
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...), payments.WithMethods(NewOVO()))
	if err != nil {
		return err
	}
	svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
		fmt.Fprintf(out, "hook: order %s paid with %s\n", e.Payment.OrderID, e.Payment.Method)
		return nil
	})

	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{
		OrderID: "ovo-order-1",
		Method:  "ovo",
		Amount:  15000,
		Items:   []payments.Item{{ID: "boba", Name: "Brown sugar boba milk tea", Price: 15000, Quantity: 1}},
		Options: OVOOptions{PayerPhone: "081111111111"},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "charged %s: %s, expires %s\n", p.OrderID, p.Status, p.ExpiresAt.Format("15:04:05"))

	if err := sim.Pay(p.OrderID); err != nil { // the customer approves in the OVO app
		return err
	}
	if p, err = svc.Sync(ctx, p.OrderID); err != nil {
		return err
	}
	fmt.Fprintf(out, "after the customer approved: %s (%s)\n", p.Status, p.Outcome())
	if _, err := svc.DeliverDue(ctx); err != nil {
		return err
	}
	_, _, err = svc.Refund(ctx, p.OrderID, payments.RefundRequest{Amount: 1000})
	fmt.Fprintf(out, "partial refund refused locally: %v\n", err)
	return nil
}
