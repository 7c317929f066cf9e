package midtranstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/nusapay/payments/midtranstest"
)

// A test drives a bank transfer to paid and reads what the webhook received.
func Example() {
	var mu sync.Mutex
	var got []string
	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct {
			TransactionStatus string `json:"transaction_status"`
			StatusCode        string `json:"status_code"`
		}
		_ = json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		got = append(got, n.StatusCode+" "+n.TransactionStatus)
		mu.Unlock()
	}))
	defer webhook.Close()

	sim := midtranstest.NewServer(midtranstest.Config{NotificationURL: webhook.URL})
	defer sim.Close()

	// Your client would do this with its BaseURL set to sim.URL().
	body := `{"payment_type":"bank_transfer","transaction_details":{"order_id":"order-1","gross_amount":44000},
	          "bank_transfer":{"bank":"bca"}}`
	req, _ := http.NewRequest("POST", sim.URL()+"/v2/charge", strings.NewReader(body))
	req.SetBasicAuth(sim.ServerKey(), "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var charge struct {
		StatusCode string `json:"status_code"`
		VANumbers  []struct {
			Bank string `json:"bank"`
		} `json:"va_numbers"`
	}
	_ = json.Unmarshal(answer, &charge)
	fmt.Println("charge:", charge.StatusCode, charge.VANumbers[0].Bank)

	// The customer pays at the bank.
	if err := sim.Pay("order-1"); err != nil {
		panic(err)
	}
	_ = sim.WaitIdle(context.Background())
	tr, _ := sim.Transaction("order-1")
	fmt.Println("status:", tr.Status)
	mu.Lock()
	fmt.Println("notifications:", strings.Join(got, ", "))
	mu.Unlock()
	// Output:
	// charge: 201 bca
	// status: settlement
	// notifications: 201 pending, 200 settlement
}

// Faults: the next charge is processed but its answer is lost, as on a network failure.
func ExampleServer_DropNextResponses() {
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	sim.DropNextResponses(1)

	body := `{"payment_type":"gopay","transaction_details":{"order_id":"order-2","gross_amount":10000}}`
	req, _ := http.NewRequest("POST", sim.URL()+"/v2/charge", strings.NewReader(body))
	req.SetBasicAuth(sim.ServerKey(), "")
	_, err := http.DefaultClient.Do(req)
	fmt.Println("client error:", err != nil)
	tr, ok := sim.Transaction("order-2")
	fmt.Println("exists:", ok, tr.Status)
	// Output:
	// client error: true
	// exists: true pending
}

// An application starts in this order: the simulator (its client needs the
// simulator's URL), then its own server, then the webhook URL, as it would be
// entered in Midtrans' dashboard.
func ExampleServer_SetNotificationURL() {
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()

	got := make(chan string, 2)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct {
			TransactionStatus string `json:"transaction_status"`
		}
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- r.URL.Path + " " + n.TransactionStatus
	}))
	defer app.Close()
	sim.SetNotificationURL(app.URL + "/payments/notifications")

	body := `{"payment_type":"gopay","transaction_details":{"order_id":"order-3","gross_amount":10000}}`
	req, _ := http.NewRequest("POST", sim.URL()+"/v2/charge", strings.NewReader(body))
	req.SetBasicAuth(sim.ServerKey(), "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	if err := sim.Pay("order-3"); err != nil {
		panic(err)
	}
	fmt.Println(<-got)
	fmt.Println(<-got)
	// Output:
	// /payments/notifications pending
	// /payments/notifications settlement
}
