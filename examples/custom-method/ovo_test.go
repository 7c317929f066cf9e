package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods/methodtest"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// Midtrans' OVO request and response samples from its Core API docs.
const (
	ovoRequestSample = `{"payment_type":"ovo","transaction_details":{"order_id":"test-order-ovo-001","gross_amount":15000},
	 "item_details":[{"id":"id1","price":15000,"quantity":1,"name":"Brown sugar boba milk tea"}],
	 "customer_details":{"first_name":"John","last_name":"Brandon","email":"john.brandon@go-jek.com","phone":"081111111111"},
	 "ovo":{"payer_phone_number":"081111111111"}}`
	ovoResponseSample = `{"status_code":"201","status_message":"Ovo transaction is created","transaction_id":"{{midtrans_transaction_id}}",
	 "order_id":"{{merchant_order_id}}","merchant_id":"{{midtrans_merchant_id}}","gross_amount":"30000.00","currency":"IDR",
	 "payment_type":"ovo","transaction_time":"2025-11-12 14:26:53","transaction_status":"pending","fraud_status":"accept",
	 "expiry_time":"2025-11-12 14:27:58","payer_phone_number":"08111111111"}`
)

func TestOVOConformance(t *testing.T) {
	customer := &payments.Customer{FirstName: "John", LastName: "Brandon", Email: "john.brandon@go-jek.com", Phone: "081111111111"}
	items := []payments.Item{{ID: "id1", Name: "Brown sugar boba milk tea", Price: 15000, Quantity: 1}}
	methodtest.Run(t, methodtest.Spec{
		Method: NewOVO(),
		Valid: payments.ChargeRequest{OrderID: "test-order-ovo-001", Amount: 15000, Items: items, Customer: customer,
			Options: OVOOptions{PayerPhone: "081111111111"}},
		RequestSample:  []byte(ovoRequestSample),
		ObjectSample:   []byte(`{"ovo":{"payer_phone_number":"081111111111"}}`),
		ResponseSample: []byte(ovoResponseSample),
		Instructions:   payments.Instructions{MerchantID: "{{midtrans_merchant_id}}"},
		// The browser types the phone in; there is no host-only option.
		CustomerOptions: []string{"payer_phone_number"},
		Invalid: []methodtest.Invalid{
			{Name: "no phone", Request: payments.ChargeRequest{OrderID: "o-1", Amount: 15000},
				Fields: []string{"options.payer_phone_number"}},
			{Name: "custom expiry and a bad phone",
				Request: payments.ChargeRequest{OrderID: "o-1", Amount: 15000, Expiry: time.Hour,
					Options: &OVOOptions{PayerPhone: "0811-1111"}},
				Fields: []string{"expiry", "options.payer_phone_number"}},
		},
	})
}

// The simulator, which validates like Midtrans, accepts the request.
func TestOVOChargeOnSimulator(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL(),
		HTTPClient: &http.Client{Transport: &http.Transport{}}})
	if err != nil {
		t.Fatal(err)
	}
	m := NewOVO()
	req := payments.ChargeRequest{OrderID: "ovo-1", Method: m.Name(), Amount: 15000, Options: OVOOptions{PayerPhone: "081111111111"}}
	var v payments.ValidationError
	if m.Validate(&req, &v); v.Err() != nil {
		t.Fatal(v.Err())
	}
	out, err := m.Build(&req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Charge(context.Background(), out.Core)
	if err != nil {
		t.Fatalf("the simulator refused the request: %v", err)
	}
	if resp.PaymentType != "ovo" || resp.TransactionStatus != "pending" {
		t.Fatalf("answer %s %s", resp.PaymentType, resp.TransactionStatus)
	}
	if err := sim.Pay("ovo-1"); err != nil {
		t.Fatal(err)
	}
}

// A plugin is only what differs from the built-in ones: the shared
// plumbing lives in package payments, so the whole plugin stays short.
func TestOVOFitsInOneShortFile(t *testing.T) {
	b, err := os.ReadFile("ovo.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n > 60 {
		t.Errorf("ovo.go has %d lines; a custom method should fit in 60", n)
	}
}
