package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// statements records the statements a store sends.
type statements struct {
	mu   sync.Mutex
	list []string
}

func (r *statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (r *statements) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, e.Query)
}

func (r *statements) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.list
	r.list = nil
	return out
}

// TestApplyNotificationStatements: on every database, an applied
// notification is one transaction of five statements — the payment locked,
// the inbox row, the compare-and-set, the audit row, the outbox rows; four
// on PostgreSQL, where the audit and outbox inserts are one statement's
// WITH parts — and
// the compare-and-set writes only the columns that change (a settlement
// never rewrites the charge response or the instructions).
func TestApplyNotificationStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		rec := &statements{}
		s, err := store.New(db.WithQueryHook(rec))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		p := &payments.Payment{OrderID: "order-statements", Method: "bca_va", Amount: 50000,
			ChargeResponse: json.RawMessage(`{"status_code":"201"}`)}
		if err := s.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, &payments.Change{OrderID: p.OrderID, To: payments.State{Status: payments.StatusPending},
			Source: payments.SourceCharge, Instructions: &payments.Instructions{VANumber: "12345", Bank: "bca"}}); err != nil {
			t.Fatal(err)
		}
		rec.take()
		n := &payments.Notification{DedupKey: "key-statements", OrderID: p.OrderID, Status: "settlement", Body: json.RawMessage(`{}`)}
		_, recorded, err := s.ApplyNotification(ctx, n, func(prev *payments.Payment) *payments.Change {
			return &payments.Change{OrderID: prev.OrderID, To: payments.State{Status: payments.StatusSettlement},
				Source: payments.SourceNotification, TransactionID: "tx-statements", Instructions: &prev.Instructions}
		})
		if err != nil || !recorded {
			t.Fatalf("ApplyNotification: %v, recorded %v", err, recorded)
		}
		var work []string
		begins, commits := 0, 0
		for _, q := range rec.take() {
			switch strings.ToUpper(strings.Fields(q)[0]) {
			case "BEGIN", "START":
				begins++
			case "COMMIT":
				commits++
			default:
				work = append(work, q)
			}
		}
		want := 5
		if db.Dialect().Name() == dialect.PG {
			want = 4
		}
		if commits != 1 || len(work) != want {
			t.Fatalf("%d begins, %d commits, %d statements, want one transaction of %d:\n%s", begins, commits, len(work), want, strings.Join(work, "\n"))
		}
		var update string
		for _, q := range work {
			if strings.HasPrefix(q, "UPDATE") {
				update = q
			}
		}
		for _, col := range []string{"charge_response", "instructions", "custom_field1", "amount", "expires_at"} {
			if strings.Contains(update, col) {
				t.Errorf("the compare-and-set writes %s, which did not change: %s", col, update)
			}
		}
		for _, col := range []string{"status", "transaction_id", "paid_at", "version"} {
			if !strings.Contains(update, col) {
				t.Errorf("the compare-and-set does not write %s: %s", col, update)
			}
		}
		got, err := s.Payment(ctx, p.OrderID)
		if err != nil || !got.Paid() || string(got.ChargeResponse) != `{"status_code":"201"}` || got.Instructions.VANumber != "12345" {
			t.Fatalf("after the settlement: %+v %v", got, err)
		}
	})
}
