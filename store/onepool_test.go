package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestSQLiteOneConnection: a SQLite pool of one connection (a common
// setting) runs the prepared hot path: a statement first met inside a
// transaction, which holds the only connection, is not prepared by
// waiting for another.
func TestSQLiteOneConnection(t *testing.T) {
	db := dbtest.SQLite(t)
	db.SetMaxOpenConns(1)
	s, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, id := range []string{"order-one-1", "order-one-2"} {
		if err := s.CreatePayment(ctx, &payments.Payment{OrderID: id, Method: "bca_va", Amount: 50000}); err != nil {
			t.Fatalf("payment %d: CreatePayment: %v", i, err)
		}
		if _, err := s.Apply(ctx, &payments.Change{OrderID: id, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge}); err != nil {
			t.Fatalf("payment %d: Apply: %v", i, err)
		}
		n := &payments.Notification{DedupKey: "key-" + id, OrderID: id, Status: "settlement", Body: json.RawMessage(`{}`)}
		_, recorded, err := s.ApplyNotification(ctx, n, func(p *payments.Payment) *payments.Change {
			return &payments.Change{OrderID: p.OrderID, To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification}
		})
		if err != nil || !recorded {
			t.Fatalf("payment %d: ApplyNotification: %v, recorded %v", i, err, recorded)
		}
		if got, err := s.NotificationByDedupKey(ctx, n.DedupKey); err != nil || got.State != payments.NotificationProcessed {
			t.Fatalf("payment %d: notification %+v, %v", i, got, err)
		}
	}
}
