package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/store"
)

// TestInsertCollidesOnAnotherKey: "insert unless the key exists" skips a
// duplicate of that key only. A row that collides on another unique key
// (a reused id) fails on every database, MySQL's ON DUPLICATE KEY included,
// and is never reported as a duplicate order or notification.
func TestInsertCollidesOnAnotherKey(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := store.New(db)
		p := create(t, s, "order-key-1")
		err := s.CreatePayment(ctx(t), &payments.Payment{ID: p.ID, OrderID: "order-key-2", Method: "gopay", Amount: 1000})
		if err == nil || errors.Is(err, payments.ErrDuplicateOrder) {
			t.Fatalf("a new order with a used payment id: %v", err)
		}
		n := &payments.Notification{DedupKey: "dk-1", Body: []byte(`{}`)}
		if ok, err := s.InsertNotification(ctx(t), n); err != nil || !ok {
			t.Fatalf("first notification: %v %v", ok, err)
		}
		if ok, err := s.InsertNotification(ctx(t), &payments.Notification{ID: n.ID, DedupKey: "dk-2", Body: []byte(`{}`)}); err == nil {
			t.Fatalf("a new notification with a used id: inserted=%v, no error", ok)
		}
		if ok, err := s.InsertNotification(ctx(t), &payments.Notification{DedupKey: "dk-1", Body: []byte(`{}`)}); err != nil || ok {
			t.Fatalf("a duplicate notification: inserted=%v, %v", ok, err)
		}
	})
}

// TestUpdateToSameValues: an update that finds its row but changes nothing
// (MySQL then counts 0 rows) is not a missing row.
func TestUpdateToSameValues(t *testing.T) {
	eachDB(t, func(t *testing.T, db *bun.DB) {
		at := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
		s, _ := store.New(db, store.WithClock(func() time.Time { return at }))
		p := create(t, s, "order-same")
		for range 2 {
			if err := s.MarkSynced(ctx(t), p.ID, at); err != nil {
				t.Fatalf("MarkSynced: %v", err)
			}
		}
		if err := s.MarkSynced(ctx(t), "no-such-payment", at); !errors.Is(err, payments.ErrNotFound) {
			t.Fatalf("MarkSynced of a missing payment: %v", err)
		}
		if err := s.ForAccount("other").(*store.Store).MarkSynced(ctx(t), p.ID, at); !errors.Is(err, payments.ErrNotFound) {
			t.Fatalf("MarkSynced in another account: %v", err)
		}
		n := &payments.Notification{DedupKey: "dk-same", Body: []byte(`{}`)}
		if _, err := s.InsertNotification(ctx(t), n); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.FinishNotification(ctx(t), n.ID, payments.NotificationProcessed, "ok"); err != nil {
				t.Fatalf("FinishNotification: %v", err)
			}
		}
		if err := s.FinishNotification(ctx(t), "no-such-notification", payments.NotificationProcessed, ""); !errors.Is(err, payments.ErrNotFound) {
			t.Fatalf("FinishNotification of a missing notification: %v", err)
		}
	})
}
