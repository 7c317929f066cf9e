package payments_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// The host's defaults for every charge: an hour to pay, and where the
// e-wallet apps send the customer back. A charge's own values win, and
// the browser can set none of them.
func ExampleWithChargeDefaults() {
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

	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...),
		payments.WithChargeDefaults(payments.ChargeDefaults{
			Expiry:           time.Hour,
			GoPayCallbackURL: "https://shop.example/orders/return",
		}))
	if err != nil {
		log.Fatal(err)
	}
	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: "order-2001", Method: "gopay", Amount: 50000})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status, p.ExpiresAt.Sub(p.CreatedAt).Round(time.Minute))

	// What Midtrans received:
	tx, _ := sim.Transaction("order-2001")
	var sent struct {
		GoPay struct {
			CallbackURL string `json:"callback_url"`
		} `json:"gopay"`
	}
	_ = json.Unmarshal(tx.Request, &sent)
	fmt.Println(sent.GoPay.CallbackURL)
	// Output:
	// pending 1h0m0s
	// https://shop.example/orders/return
}
