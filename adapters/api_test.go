package adapters_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

func TestWithPrefix(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	for prefix, ok := range map[string]bool{
		"/payments": true, "/pay/v1": true, "/a_b.c~d-e": true,
		"": false, "payments": false, "/payments/": false, "/": false, "/pay*": false, "/pay+": false,
		"/pay?x": false, "/:id": false, "/{id}": false, "/a b": false, "//x": false,
	} {
		_, err := adapters.New(env.Service, adapters.WithPrefix(prefix))
		if (err == nil) != ok {
			t.Errorf("WithPrefix(%q): err = %v, want ok = %v", prefix, err, ok)
		}
	}
	if _, err := adapters.New(nil); err == nil {
		t.Fatal("nil service accepted")
	}
}

// TestViewHidesPersonalData: the public view carries what a checkout page
// shows and nothing about the customer, and never a saved card token.
func TestViewHidesPersonalData(t *testing.T) {
	p := &payments.Payment{
		OrderID: "o-1", Method: "credit_card", Amount: 1000, Currency: "IDR", Status: payments.StatusCapture,
		Customer:     &payments.Customer{FirstName: "Budi", Email: "budi@example.com", Phone: "0812"},
		Items:        []payments.Item{{Name: "Secret item", Price: 1000, Quantity: 1}},
		Metadata:     json.RawMessage(`{"note":"private"}`),
		CustomField1: "internal-ref",
		ExpiresAt:    time.Now(),
		Instructions: payments.Instructions{Card: &payments.CardResult{MaskedCard: "48111111-1114", SavedTokenID: "481111xxxx1114"}},
	}
	b, err := json.Marshal(adapters.View(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Budi", "budi@example.com", "0812", "Secret item", "private", "internal-ref", "481111xxxx1114", "saved_token"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("view leaks %q: %s", secret, b)
		}
	}
	for _, want := range []string{`"outcome":"paid"`, `"masked_card":"48111111-1114"`, `"expiry_time"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("view lacks %s: %s", want, b)
		}
	}
}
