package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestCopiesQueuedOnTheRowLock: two replicas apply one notification whose
// plan leaves the payment as it is (a stale pending for a pending payment),
// both having read the payment and found no finished copy, then queued on
// the payment's row lock (held here by a transaction of the test). The
// first to get the lock records the notification with its audit row; the
// second finds the finished copy and writes nothing: one inbox row, one
// audit row, one recorded copy.
func TestCopiesQueuedOnTheRowLock(t *testing.T) {
	db := dbtest.Postgres(t)
	s, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := &payments.Payment{OrderID: "order-queued-copies", Method: "gopay", Amount: 50000}
	if err := s.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, &payments.Change{OrderID: p.OrderID, To: payments.State{Status: payments.StatusPending},
		Source: payments.SourceCharge}); err != nil {
		t.Fatal(err)
	}
	audits := count(t, db, store.TableEvents, "payment_id = ?", p.ID)

	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	if _, err := holder.ExecContext(ctx, "SELECT 1 FROM nusapay_payments WHERE id = ? FOR UPDATE", p.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	recorded := make(chan bool, 2)
	for range 2 {
		wg.Go(func() {
			n := &payments.Notification{DedupKey: "key-queued-copies", OrderID: p.OrderID, Status: "pending", Body: []byte(`{}`)}
			_, ok, err := s.ApplyNotification(ctx, n, func(prev *payments.Payment) *payments.Change {
				return &payments.Change{OrderID: prev.OrderID, To: payments.State{Status: payments.StatusPending},
					Source: payments.SourceNotification}
			})
			if err != nil {
				t.Error(err)
			}
			recorded <- ok
		})
	}
	// Both copies wait on the lock, past their check for a finished copy.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := db.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ?",
			"%nusapay_write_change(%order-queued-copies%").Scan(ctx, &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d copies waiting on the row lock, want 2", waiting)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(recorded)
	var n int
	for ok := range recorded {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d copies recorded, want 1", n)
	}
	if k := count(t, db, store.TableInbox, "dedup_key = ?", "key-queued-copies"); k != 1 {
		t.Errorf("%d inbox rows, want 1", k)
	}
	if k := count(t, db, store.TableEvents, "payment_id = ?", p.ID) - audits; k != 1 {
		t.Errorf("%d audit rows for the notification, want 1", k)
	}
}

// TestNamedArgsLeaveValuesAlone: a host's *bun.DB with named arguments
// (bun.WithNamedArg) makes Bun parse query text for ?name; the values the
// store writes into its statements' text (a notification's body, which a
// sender chooses, the events) are stored as they came, on every database,
// whatever quoting they hold.
func TestNamedArgsLeaveValuesAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		s, err := store.New(db.WithNamedArg("x", "INJECTED"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		p := &payments.Payment{OrderID: "order-named-args", Method: "gopay", Amount: 50000, CustomField1: `?x \? ?0`}
		if err := s.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		// A notification's body is the sender's: quotes, backslashes,
		// dollar quoting and SQL in it are data.
		body := `{"note":"?x \\? ?0 ? ' '' \\' $$ $x$ '); DROP TABLE nusapay_inbox; -- \u0000 é"}`
		n := &payments.Notification{DedupKey: "key-named-args", OrderID: p.OrderID, Status: "pending", Body: []byte(body)}
		if _, _, err := s.ApplyNotification(ctx, n, func(prev *payments.Payment) *payments.Change {
			return &payments.Change{OrderID: prev.OrderID, To: payments.State{Status: payments.StatusPending},
				Source: payments.SourceNotification, Payload: []byte(body)}
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.NotificationByDedupKey(ctx, n.DedupKey)
		if err != nil || string(got.Body) != body {
			t.Fatalf("stored body %q, sent %q (%v)", got.Body, body, err)
		}
		pay, err := s.Payment(ctx, p.OrderID)
		if err != nil || pay.CustomField1 != p.CustomField1 {
			t.Fatalf("stored custom field %q, sent %q (%v)", pay.CustomField1, p.CustomField1, err)
		}
	})
}
