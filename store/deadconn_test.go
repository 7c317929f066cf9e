package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestDeadPooledConnections: after a PostgreSQL restart (or an
// administrator's pg_terminate_backend) every idle connection in the pool is
// dead, and the driver learns it only on the next query, as a FATAL 57P01.
// The reads a notification starts with are sent again on a live connection
// (a read cannot have changed anything), and so drain the dead ones before
// the notification's write: neither fails. Here the pool's four
// connections are terminated before each call.
func TestDeadPooledConnections(t *testing.T) {
	db := dbtest.Postgres(t)
	const pool = 4
	db.SetMaxOpenConns(pool)
	db.SetMaxIdleConns(pool)
	s, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	killer, err := sql.Open("pg", dbtest.PostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close()
	kill := func() {
		t.Helper()
		conns := make([]bun.Conn, pool)
		for i := range conns {
			if conns[i], err = db.Conn(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range conns {
			var pid int
			if err := c.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			if _, err := killer.ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range conns {
			_ = c.Close() // back to the pool, dead
		}
	}

	p := &payments.Payment{OrderID: "order-dead-conns", Method: "gopay", Amount: 50000}
	if err := s.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	kill()
	if _, err := s.Payment(ctx, p.OrderID); err != nil {
		t.Fatalf("Payment on dead connections: %v", err)
	}
	kill()
	n := &payments.Notification{DedupKey: "key-dead-conns", OrderID: p.OrderID, Status: "pending", Body: []byte(`{}`)}
	_, recorded, err := s.ApplyNotification(ctx, n, func(prev *payments.Payment) *payments.Change {
		return &payments.Change{OrderID: prev.OrderID, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceNotification}
	})
	if err != nil || !recorded {
		t.Fatalf("ApplyNotification on dead connections: %v, recorded %v", err, recorded)
	}
	kill()
	if _, err := s.NotificationByDedupKey(ctx, n.DedupKey); err != nil {
		t.Fatalf("NotificationByDedupKey on dead connections: %v", err)
	}
	got, err := s.Payment(ctx, p.OrderID)
	if err != nil || got.Status != payments.StatusPending || got.Version != 2 {
		t.Fatalf("after: %+v %v", got, err)
	}

	// A charge's answer and a confirmed notification are written right
	// after a call to Midtrans, planned against the payment the store
	// returned before it (ApplyFrom, ApplyNotificationFrom): no read
	// drains the pool first. A write that meets a dead connection is
	// planned again from a read, whose compare-and-set tells whether the
	// first had committed.
	q := &payments.Payment{OrderID: "order-dead-conns-from", Method: "gopay", Amount: 50000}
	if err := s.CreatePayment(ctx, q); err != nil {
		t.Fatal(err)
	}
	kill()
	res, err := s.ApplyFrom(ctx, q, &payments.Change{OrderID: q.OrderID, To: payments.State{Status: payments.StatusPending},
		Source: payments.SourceCharge, TransactionID: "tx-dead-conns-from"})
	if err != nil || res.Payment.Status != payments.StatusPending {
		t.Fatalf("ApplyFrom on dead connections: %+v %v", res, err)
	}
	kill()
	n2 := &payments.Notification{DedupKey: "key-dead-conns-from", OrderID: q.OrderID, Status: "settlement", Body: []byte(`{}`)}
	_, recorded, err = s.ApplyNotificationFrom(ctx, res.Payment, n2, func(prev *payments.Payment) *payments.Change {
		return &payments.Change{OrderID: prev.OrderID, To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification}
	})
	if err != nil || !recorded {
		t.Fatalf("ApplyNotificationFrom on dead connections: %v, recorded %v", err, recorded)
	}
	if got, err := s.Payment(ctx, q.OrderID); err != nil || !got.Paid() || got.Version != 3 {
		t.Fatalf("after the From calls: %+v %v", got, err)
	}
	if h, err := s.History(ctx, q.ID); err != nil || len(h) != 3 {
		t.Fatalf("history: %d entries, want created, pending, settlement: %v", len(h), err)
	}
}
