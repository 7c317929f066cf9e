package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestQueryHook: on every database, the query hook records a span per
// query of the store's work, a child of the caller's span, with the
// database system, the operation and the table, and no span records a
// value the queries carried: not an order id, an email or a signature,
// not even in a failed query's span (a unique violation's message quotes
// the duplicate key).
func TestQueryHook(t *testing.T) {
	const (
		orderID   = "ord-QH-7f3a9c"
		email     = "budi.qh-secret@example.org"
		signature = "sig-QH-0d2e51b8"
		txID      = "tx-QH-91c4e2"
	)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		db = db.WithQueryHook(store.QueryHook(tp))
		s, err := store.New(db)
		if err != nil {
			t.Fatal(err)
		}
		ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")

		p := &payments.Payment{OrderID: orderID, Method: "gopay", Amount: 145000, Currency: "IDR",
			Customer: &payments.Customer{FirstName: "Budi", Email: email}}
		if err := s.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		again := &payments.Payment{OrderID: orderID, Method: "gopay", Amount: 145000, Currency: "IDR"}
		if err := s.CreatePayment(ctx, again); !errors.Is(err, payments.ErrDuplicateOrder) {
			t.Fatalf("second CreatePayment: %v", err)
		}
		// Another payment taking the first one's transaction id fails in
		// the database, whose error quotes the id.
		if err := s.CreatePayment(ctx, &payments.Payment{OrderID: orderID + "-b", Method: "gopay", Amount: 145000, Currency: "IDR"}); err != nil {
			t.Fatal(err)
		}
		first := &payments.Change{OrderID: orderID, To: payments.State{Status: payments.StatusPending},
			Source: payments.SourceCharge, TransactionID: txID}
		if _, err := s.Apply(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := *first
		second.OrderID = orderID + "-b"
		if _, err := s.Apply(ctx, &second); !errors.Is(err, payments.ErrConflict) {
			t.Fatalf("another payment's transaction id: %v", err)
		}
		if _, err := s.Payment(ctx, orderID); err != nil {
			t.Fatal(err)
		}
		n := &payments.Notification{DedupKey: signature, OrderID: orderID, Status: "settlement", SignatureValid: true,
			Body: []byte(`{"order_id":"` + orderID + `","signature_key":"` + signature + `"}`)}
		if _, err := s.InsertNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, &payments.Change{OrderID: orderID, To: payments.State{Status: payments.StatusSettlement},
			Source: payments.SourceNotification, Payload: n.Body}); err != nil {
			t.Fatal(err)
		}
		if page, err := s.ListPayments(ctx, payments.PaymentQuery{CustomerEmail: email}); err != nil || len(page.Payments) != 1 {
			t.Fatalf("list by email: %+v, %v", page, err)
		}
		evs, err := s.ClaimEvents(ctx, "worker-QH", 10, time.Minute)
		if err != nil || len(evs) == 0 {
			t.Fatalf("claim: %d, %v", len(evs), err)
		}
		if err := s.MarkDelivered(ctx, evs[0].Seq, "worker-QH"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.OldestPendingEvent(ctx); err != nil {
			t.Fatal(err)
		}
		parent.End()

		system := map[dialect.Name]string{dialect.PG: "postgresql", dialect.SQLite: "sqlite", dialect.MySQL: "mysql"}[db.Dialect().Name()]
		seen := map[string]bool{}
		var failed int
		for _, sp := range spans.Ended() {
			if sp.Name() == "caller" {
				continue
			}
			attrs := attribute.NewSet(sp.Attributes()...)
			if v, _ := attrs.Value("db.system.name"); v.AsString() != system {
				t.Errorf("span %q: db.system.name %q, want %q", sp.Name(), v.AsString(), system)
			}
			if sp.Parent().SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("span %q is not the caller's child", sp.Name())
			}
			op, _ := attrs.Value("db.operation.name")
			table, _ := attrs.Value("db.collection.name")
			seen[op.AsString()+" "+table.AsString()] = true
			if sp.Status().Code == codes.Error {
				failed++
				if v, _ := attrs.Value("error.type"); v.AsString() == "" {
					t.Errorf("failed span %q has no error.type", sp.Name())
				}
			}
			recorded := []string{sp.Name(), sp.Status().Description}
			for _, kv := range sp.Attributes() {
				recorded = append(recorded, string(kv.Key)+"="+kv.Value.Emit())
			}
			for _, e := range sp.Events() {
				recorded = append(recorded, e.Name)
				for _, kv := range e.Attributes {
					recorded = append(recorded, string(kv.Key)+"="+kv.Value.Emit())
				}
			}
			for _, v := range recorded {
				for _, secret := range []string{orderID, email, signature, txID, "worker-QH", "145000"} {
					if strings.Contains(v, secret) {
						t.Errorf("span %q records %q: %q", sp.Name(), secret, v)
					}
				}
			}
		}
		want := []string{"INSERT nusapay_payments", "SELECT nusapay_payments", "INSERT nusapay_inbox",
			"INSERT nusapay_outbox", "SELECT nusapay_outbox"}
		if db.Dialect().Name() == dialect.PG {
			// A new payment, a change: one call of a function each, which
			// writes the payment, the audit and the outbox rows.
			want[0], want[3] = "SELECT nusapay_create_payment", "SELECT nusapay_write_change"
		}
		for _, want := range want {
			if !seen[want] {
				t.Errorf("no span for %s; have %v", want, seen)
			}
		}
		if failed == 0 {
			t.Error("the transaction id conflict has no failed span")
		}
	})
}

// TestQueryHookNilProvider: QueryHook(nil) uses the global tracer
// provider, and queries run through it.
func TestQueryHookNilProvider(t *testing.T) {
	db := dbtest.SQLite(t).WithQueryHook(store.QueryHook(nil))
	s, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OldestPendingEvent(context.Background()); err != nil {
		t.Fatal(err)
	}
}
