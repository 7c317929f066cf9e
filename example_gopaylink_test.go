package payments_test

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

// GoPay tokenization: link the signed-in customer's GoPay account, send
// them to ActivationURL, and once Midtrans reports it enabled (a pay
// account notification to the webhook route, or RefreshPaymentAccount)
// charge it by its id: the Service adds the payment option token itself.
func ExampleService_LinkGoPayAccount() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "payments-gopaylink")
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
	client, _ := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...))
	if err != nil {
		log.Fatal(err)
	}

	a, err := svc.LinkGoPayAccount(ctx, &payments.LinkGoPayAccountRequest{
		CustomerID:  "user-42", // your id of the signed-in customer
		PhoneNumber: "81212345678",
		CountryCode: "62",
		RedirectURL: "https://shop.example/account/gopay",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Status, a.ActivationURL != "")

	sim.ActivatePayAccount(a.AccountID) // the customer confirms in GoPay
	a, _ = svc.RefreshPaymentAccount(ctx, a.AccountID)
	wallet, _ := a.Option(payments.DefaultPaymentOption)
	fmt.Println(a.Status, wallet.Balance, wallet.Token)

	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: "order-2001", Method: "gopay", Amount: 75000,
		Options: methods.GoPayOptions{AccountID: a.AccountID, CustomerID: "user-42"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status, p.Outcome())

	a, _ = svc.UnlinkGoPayAccount(ctx, "user-42", a.AccountID)
	fmt.Println(a.Status)
	// Output:
	// PENDING true
	// ENABLED 1000000.00 [REDACTED]
	// settlement paid
	// DISABLED
}
