package midtrans_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/nusapay/payments/midtrans"
)

// fakeMidtrans answers like the sandbox: a pending BCA VA for any charge,
// and "not found" under HTTP 200 for any status.
func fakeMidtrans() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/charge" {
			fmt.Fprint(w, `{"status_code":"201","transaction_id":"be03df7d","order_id":"order-101","gross_amount":"44000.00",
				"payment_type":"bank_transfer","transaction_time":"2019-10-23 16:33:49","transaction_status":"pending",
				"va_numbers":[{"bank":"bca","va_number":"812785002530231"}],"expiry_time":"2019-10-24 16:33:49"}`)
			return
		}
		fmt.Fprint(w, `{"status_code":"404","status_message":"The requested resource is not found"}`)
	}))
}

func ExampleClient_Charge() {
	srv := fakeMidtrans()
	defer srv.Close()

	client, err := midtrans.New(midtrans.Config{
		ServerKey: "SB-Mid-server-example",
		BaseURL:   srv.URL, // leave empty to use the sandbox
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Charge(context.Background(), &midtrans.ChargeRequest{
		PaymentType:        "bank_transfer",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "order-101", GrossAmount: 44000},
		BankTransfer:       &midtrans.BankTransfer{Bank: "bca"},
	}, midtrans.WithIdempotencyKey("order-101-charge"))
	switch {
	case errors.Is(err, midtrans.ErrOutcomeUnknown):
		// Keep the payment pending and ask Status later; never mark it failed.
		log.Print(err)
		return
	case err != nil:
		log.Fatal(err)
	}
	expires, _ := midtrans.ParseTime(res.ExpiryTime)
	fmt.Println(res.TransactionStatus, res.VANumbers[0].Bank, res.VANumbers[0].VANumber)
	fmt.Println("expires", expires.Format(time.RFC3339))
	// Output:
	// pending bca 812785002530231
	// expires 2019-10-24T09:33:49Z
}

func ExampleClient_Status() {
	srv := fakeMidtrans()
	defer srv.Close()

	client, err := midtrans.New(midtrans.Config{ServerKey: "SB-Mid-server-example", BaseURL: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Status(context.Background(), "order-unknown")
	var apiErr *midtrans.APIError
	if errors.Is(err, midtrans.ErrNotFound) && errors.As(err, &apiErr) {
		fmt.Println("not found, body code", apiErr.Code, "under http", apiErr.HTTPStatus)
	}
	// Output:
	// not found, body code 404 under http 200
}

func ExampleConfig_String() {
	cfg := midtrans.Config{ServerKey: "SB-Mid-server-secret", Environment: midtrans.Production}
	fmt.Printf("%v\n", cfg)
	// Output:
	// midtrans.Config{Environment: "production", ServerKey: [REDACTED], ClientKey: "", BaseURL: "", SnapBaseURL: "", Timeout: 0s, MaxRetries: 0}
}

func ExampleParseTime() {
	t, err := midtrans.ParseTime("2019-10-23 16:33:49") // WIB, as Midtrans sends it
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t)
	fmt.Println(midtrans.FormatTime(t))
	// Output:
	// 2019-10-23 09:33:49 +0000 UTC
	// 2019-10-23 16:33:49
}
