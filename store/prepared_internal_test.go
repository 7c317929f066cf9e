package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// TestPreparedOnSQLite: on SQLite without query hooks, the notification
// path runs its statements prepared (the cache fills); on a DB with a
// query hook it does not, so the hook sees every statement.
func TestPreparedOnSQLite(t *testing.T) {
	db, err := OpenSQLite(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s, err := New(db)
	if err != nil {
		t.Fatal(err)
	}
	settle := func(s *Store, orderID string) {
		t.Helper()
		if err := s.CreatePayment(ctx, &payments.Payment{OrderID: orderID, Method: "bca_va", Amount: 50000}); err != nil {
			t.Fatal(err)
		}
		n := &payments.Notification{DedupKey: "key-" + orderID, OrderID: orderID, Status: "settlement", Body: json.RawMessage(`{}`)}
		if _, ok, err := s.ApplyNotification(ctx, n, func(p *payments.Payment) *payments.Change {
			return &payments.Change{OrderID: p.OrderID, To: payments.State{Status: payments.StatusSettlement}, Source: payments.SourceNotification}
		}); err != nil || !ok {
			t.Fatalf("ApplyNotification: %v %v", ok, err)
		}
		if _, err := s.NotificationByDedupKey(ctx, n.DedupKey); err != nil {
			t.Fatal(err)
		}
	}
	settle(s, "order-prep-1")
	s.prep.mu.Lock()
	cached := make([]string, 0, len(s.prep.stmts))
	for q := range s.prep.stmts {
		cached = append(cached, q)
	}
	s.prep.mu.Unlock()
	for _, want := range []string{s.sql.insertPayment, s.sql.recordNotification, s.sql.inboxByKey, s.sql.insertAudit,
		s.sql.paymentSelects[paymentSelectKey("p.order_id = ?", true)]} {
		found := false
		for _, q := range cached {
			found = found || q == want
		}
		if !found {
			t.Errorf("not prepared: %s", want)
		}
	}
	if s.prep.hooked() {
		t.Fatal("a DB without hooks reads as hooked")
	}
	hooked, err := New(db.WithQueryHook(nopHook{}))
	if err != nil {
		t.Fatal(err)
	}
	if hooked.prep == nil || !hooked.prep.hooked() {
		t.Fatal("a DB with a query hook is not seen as hooked")
	}
	settle(hooked, "order-prep-2")
	hooked.prep.mu.Lock()
	defer hooked.prep.mu.Unlock()
	if len(hooked.prep.stmts) != 0 {
		t.Errorf("%d statements prepared on a hooked DB", len(hooked.prep.stmts))
	}
}

type nopHook struct{}

func (nopHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (nopHook) AfterQuery(context.Context, *bun.QueryEvent)                        {}
