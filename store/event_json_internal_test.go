package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// TestMarshalEventSharesPayment: an event marshalled with its payment's
// JSON cached is the same JSON object as the event marshalled whole, and
// the events of one change marshal their payment once.
func TestMarshalEventSharesPayment(t *testing.T) {
	p := &payments.Payment{ID: "p-1", OrderID: "o-1", Amount: 150000, Status: payments.StatusSettlement,
		Customer: &payments.Customer{Email: "budi@example.com"}, Items: []payments.Item{{ID: "sku", Price: 150000, Quantity: 1}},
		Instructions: payments.Instructions{VANumber: "123", Bank: "bca"}, ChargeResponse: json.RawMessage(`{"status_code": "201"}`),
		Metadata: json.RawMessage(`{"cart":"c-1"}`)}
	at := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	events := []payments.Event{
		{ID: "e-1", Signal: payments.SignalPaid, Source: payments.SourceNotification, Payment: p,
			Current: payments.State{Status: payments.StatusSettlement}, Payload: json.RawMessage(`{"a":1}`), OccurredAt: at},
		{ID: "e-2", Signal: payments.SignalStatusChanged, Source: payments.SourceNotification, Payment: p, OccurredAt: at},
		{ID: "e-3", Signal: payments.SignalSubscriptionCreated, Subscription: &payments.Subscription{ID: "s-1"}, OccurredAt: at},
	}
	var last paymentJSON
	marshalled := 0
	for i := range events {
		before := last.of
		got, err := marshalEvent(&events[i], &last)
		if last.of != before {
			marshalled++
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&events[i])
		if err != nil {
			t.Fatal(err)
		}
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if marshalled != 1 {
		t.Errorf("the payment marshalled %d times, want 1", marshalled)
	}
}
