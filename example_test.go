package payments_test

import (
	"context"
	"errors"
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

// The five-minute path: a database, a Midtrans client, a Service with the
// built-in methods, and a charge. Here Midtrans is the simulator; in
// production the client gets your server key and no BaseURL.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "payments-example")
	defer os.RemoveAll(dir)

	db, err := store.OpenSQLite(filepath.Join(dir, "shop.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	st, _ := store.New(db)

	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		log.Fatal(err)
	}

	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...))
	if err != nil {
		log.Fatal(err)
	}
	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{
		OrderID: "order-1001",
		Method:  "bca_va",
		Amount:  150000,
		Items:   []payments.Item{{ID: "kopi", Name: "Kopi Gayo 250g", Price: 75000, Quantity: 2}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status, p.Bank, p.VANumber != "", p.Outcome())

	sim.Pay("order-1001") // the customer pays at the bank
	p, _ = svc.Sync(ctx, "order-1001")
	fmt.Println(p.Status, p.Outcome())
	// Output:
	// pending bca true pending
	// settlement paid
}

// A card charge: the browser tokenises the card with Midtrans' JS library
// and sends only the token; 3-D Secure is on by default, so the payment is
// pending until the customer finishes the RedirectURL page.
func ExampleService_CreateCharge_card() {
	ctx := context.Background()
	svc, sim, cleanup := exampleService()
	defer cleanup()

	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{
		OrderID: "order-1002",
		Method:  "credit_card",
		Amount:  250000,
		Options: methods.CardOptions{TokenID: midtranstest.CardToken("4811111111111114")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status, p.RedirectURL != "")
	sim.Pay("order-1002") // the customer completes 3-D Secure
	p, _ = svc.Sync(ctx, "order-1002")
	fmt.Println(p.Status, p.Outcome(), p.Card.MaskedCard)
	// Output:
	// pending true
	// capture paid 48111111-1114
}

// Refunds are stored with their refund key before Midtrans is called; a
// retry of a refund whose outcome was unknown reuses the key.
func ExampleService_Refund() {
	ctx := context.Background()
	svc, sim, cleanup := exampleService()
	defer cleanup()

	if _, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: "order-1003", Method: "gopay", Amount: 50000}); err != nil {
		log.Fatal(err)
	}
	sim.Pay("order-1003")
	if _, err := svc.Sync(ctx, "order-1003"); err != nil {
		log.Fatal(err)
	}
	p, r, err := svc.Refund(ctx, "order-1003", payments.RefundRequest{Amount: 20000, Reason: "one item out of stock"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status, p.RefundedAmount, r.Status)
	// Output: partial_refund 20000.00 succeeded
}

func exampleService() (*payments.Service, *midtranstest.Server, func()) {
	dir, _ := os.MkdirTemp("", "payments-example")
	db, err := store.OpenSQLite(filepath.Join(dir, "shop.db"))
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(context.Background(), db); err != nil {
		log.Fatal(err)
	}
	st, _ := store.New(db)
	sim := midtranstest.NewServer(midtranstest.Config{})
	client, _ := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...))
	if err != nil {
		log.Fatal(err)
	}
	return svc, sim, func() { sim.Close(); db.Close(); os.RemoveAll(dir) }
}

// A browser chooses only the options a method tags payments:"customer";
// the host's options (here: 3-D Secure off for a trusted one-click flow,
// the installment terms on offer) come first, the customer's on top.
func ExampleCustomerOptions() {
	off := false
	host := methods.CardOptions{Authentication: &off, InstallmentTerms: []int{3, 6}}
	opts, err := payments.CustomerOptions(methods.NewCard(), host, []byte(`{"token_id":"tok-1","bank":"bni","installment_term":6}`))
	if err != nil {
		log.Fatal(err)
	}
	o := opts.(*methods.CardOptions)
	fmt.Println(o.TokenID, o.Bank, o.InstallmentTerm, *o.Authentication)

	_, err = payments.CustomerOptions(methods.NewCard(), nil, []byte(`{"token_id":"tok-2","authentication":false}`))
	fmt.Println(errors.Is(err, payments.ErrHostOption), err)
	// Output:
	// tok-1 bni 6 false
	// true payments: option is set by the host only: payments: invalid input: options.authentication: is for the host to set, not the customer
}

// Two merchants on one database: each Service has its own Midtrans account
// and its own account key, and sees only its own payments, even under the
// same order id.
func ExampleWithAccount() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "payments-example")
	defer os.RemoveAll(dir)
	db, err := store.OpenSQLite(filepath.Join(dir, "shops.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	st, _ := store.New(db) // one store for the database; each Service takes its view

	for _, shop := range []string{"kopi-shop", "teh-shop"} {
		sim := midtranstest.NewServer(midtranstest.Config{})
		defer sim.Close()
		client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
		if err != nil {
			log.Fatal(err)
		}
		svc, err := payments.New(client, st, payments.WithAccount(shop), payments.WithMethods(methods.Default()...))
		if err != nil {
			log.Fatal(err)
		}
		p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: "order-1", Method: "gopay", Amount: 25000})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.Account, p.OrderID, p.Status)
	}
	// Output:
	// kopi-shop order-1 pending
	// teh-shop order-1 pending
}

// The README's "call the Service directly": a charge, the customer pays,
// a partial refund.
func ExampleService_CreateCharge_direct() {
	ctx := context.Background()
	svc, sim, cleanup := exampleService()
	defer cleanup()
	if err := checkout(ctx, svc, os.Stdout, "INV-1042-1"); err != nil {
		log.Fatal(err)
	}
	if err := sim.Pay("INV-1042-1"); err != nil { // the customer approves in GoPay
		log.Fatal(err)
	}
	if _, err := svc.Sync(ctx, "INV-1042-1"); err != nil {
		log.Fatal(err)
	}
	if err := refundPart(ctx, svc, os.Stdout, "INV-1042-1"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// INV-1042-1: pending, open GoPay: true
	// INV-1042-1: refund succeeded, 50000.00 of 150000.00 refunded
}
