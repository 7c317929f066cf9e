package midtrans_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// A PCI-DSS certified back office (or a test) registers a card once and
// charges its saved token later; the BIN API tells what card it is.
func ExampleClient_RegisterCard() {
	sim := midtranstest.NewServer(midtranstest.Config{}) // leave BaseURL empty for the sandbox
	defer sim.Close()
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), ClientKey: sim.ClientKey(), BaseURL: sim.URL()})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	card := midtrans.Card{Number: "4811 1111 1111 1114", ExpMonth: 12, ExpYear: 2031, CVV: "123"}
	fmt.Println("registering", card) // a Card prints masked
	reg, err := client.RegisterCard(ctx, card)
	if err != nil {
		log.Fatal(err)
	}
	bin, err := client.BIN(ctx, reg.MaskedCard[:8])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reg.MaskedCard, bin.Data.Brand, bin.Data.BinType)

	res, err := client.Charge(ctx, &midtrans.ChargeRequest{
		PaymentType:        "credit_card",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "order-oneclick-1", GrossAmount: 25000},
		CreditCard:         &midtrans.CreditCard{TokenID: reg.SavedTokenID},
	}, midtrans.WithIdempotencyKey("order-oneclick-1-charge"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.TransactionStatus, res.FraudStatus)
	// Output:
	// registering midtrans.Card{48111111-1114}
	// 48111111-1114 visa credit
	// capture accept
}

// Client-wide defaults: a header on every call and where notifications of
// every new transaction go; a call's own option wins.
func ExampleConfig_defaults() {
	cfg := midtrans.Config{
		ServerKey:                "SB-Mid-server-example",
		Headers:                  http.Header{"X-Payment-Locale": {"en-EN"}},
		AppendNotificationURLs:   []string{"https://shop.example/payments/notifications"},
		OverrideNotificationURLs: nil,
	}
	if _, err := midtrans.New(cfg); err != nil {
		log.Fatal(err)
	}
	cfg.Headers = http.Header{"Authorization": {"Basic eA=="}}
	_, err := midtrans.New(cfg)
	fmt.Println(err)
	// Output:
	// midtrans: invalid config: Config.Headers: header Authorization cannot be set through Headers
}
