package store_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// writeChangeColumns finds the columns a nusapay_write_change call sets
// (its fifth argument).
var writeChangeColumns = regexp.MustCompile(`nusapay_write_change\(ARRAY\[[^\]]*\]::text\[\], '[^']*', '[^']*', \d+, ARRAY\[([^\]]*)\]`)

// TestApplyNotificationStatements: an applied notification is, on SQLite
// and MySQL, one transaction of five statements — the payment locked, the
// inbox row, the compare-and-set, the audit row, the outbox rows — and on
// PostgreSQL two statements and no transaction: the payment read, then one
// statement whose WITH parts are the compare-and-set and, from its
// RETURNING, the inbox, audit and outbox rows. The compare-and-set writes
// only the columns that change (a settlement never rewrites the charge
// response or the instructions).
func TestApplyNotificationStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		rec := &dbtest.Statements{}
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
		rec.Take()
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
		for _, q := range rec.Take() {
			switch strings.ToUpper(strings.Fields(q)[0]) {
			case "BEGIN", "START":
				begins++
			case "COMMIT":
				commits++
			default:
				work = append(work, q)
			}
		}
		wantStatements, wantCommits := 5, 1
		if db.Dialect().Name() == dialect.PG {
			wantStatements, wantCommits = 2, 0
		}
		if commits != wantCommits || begins != wantCommits || len(work) != wantStatements {
			t.Fatalf("%d begins, %d commits, %d statements, want %d transactions and %d statements:\n%s", begins, commits, len(work),
				wantCommits, wantStatements, strings.Join(work, "\n"))
		}
		var update string
		for _, q := range work {
			if strings.HasPrefix(q, "UPDATE") {
				update = q
			}
			if m := writeChangeColumns.FindStringSubmatch(q); m != nil {
				// PostgreSQL: the columns nusapay_write_change sets, and
				// no value it does not set (the charge response).
				update = m[1]
				if payment, _, _ := strings.Cut(q, "'key-statements'"); strings.Contains(payment, `status_code`) {
					t.Errorf("the charge response, unchanged, is sent: %s", q)
				}
			}
		}
		if update == "" {
			t.Fatalf("no compare-and-set among:\n%s", strings.Join(work, "\n"))
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
