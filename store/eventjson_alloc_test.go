//go:build !race

// Allocation counts mean nothing under the race detector, whose sync.Pool
// drops items at random (so encoding/json's pool allocates): this file is
// not built with -race, and .ci/run runs it without.

package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// TestMarshalEventAllocations: an event is two allocations (its bytes
// and, once per change, the payment's), where encoding/json made ~15.
func TestMarshalEventAllocations(t *testing.T) {
	at := time.Date(2026, 12, 3, 16, 4, 5, 123456789, time.FixedZone("WIB", 7*3600))
	p := &payments.Payment{ID: "p1", Account: "default", OrderID: "o-1", Method: "bca_va", Amount: 145000, Currency: "IDR",
		Status: payments.StatusPending, Instructions: payments.Instructions{VANumber: "12345", Bank: "bca"}, ExpiresAt: at,
		TransactionTime: at, Customer: &payments.Customer{FirstName: "Budi", Email: "budi@example.com"},
		Items: []payments.Item{{Name: "Kopi", Price: 145000, Quantity: 1}}, Version: 2, CreatedAt: at, UpdatedAt: at,
		ChargeResponse: json.RawMessage(`{"status_code":"201","va_numbers":[{"bank":"bca","va_number":"12345"}]}`)}
	ev := &payments.Event{ID: "e1", Signal: "status_changed", Source: "charge", Payment: p, OccurredAt: at,
		Previous: payments.State{Status: payments.StatusPending}, Current: payments.State{Status: payments.StatusPending}}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := marshalEvent(ev, &paymentJSON{}); err != nil {
			t.Fatal(err)
		}
	}); n > 2 {
		t.Fatalf("%v allocations per event", n)
	}
}
