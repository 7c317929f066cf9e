package payments_test

import (
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// TestChargeStatements: on PostgreSQL a charge is two statements, the
// payment's creation and the answer's write, with no read of the payment
// between them: the answer is planned against the payment CreatePayment
// returned (store.Store.ApplyFrom), its version checked by the write.
func TestChargeStatements(t *testing.T) {
	log := &dbtest.Statements{}
	db := dbtest.Postgres(t).WithQueryHook(log)
	env := testenv.New(t, db, testenv.Config{})
	ctx := testenv.Ctx(t)
	log.Take()
	p, err := env.Service.CreateCharge(ctx, chargeReq("order-statements", "bca_va", nil))
	if err != nil || p.VANumber == "" || p.Version != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	got := log.Take()
	if len(got) != 2 || !strings.Contains(got[0], "nusapay_create_payment(") || !strings.Contains(got[1], "nusapay_write_change(") {
		t.Fatalf("%d statements, want the create and the write:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestConfirmedNotificationStatements: on PostgreSQL a confirmed
// notification reads the inbox and the payment once each, asks Midtrans,
// and writes in one statement: the change is planned against the payment
// read before asking (store.Store.ApplyNotificationFrom), not read again.
func TestConfirmedNotificationStatements(t *testing.T) {
	log := &dbtest.Statements{}
	db := dbtest.Postgres(t).WithQueryHook(log)
	env := testenv.New(t, db, testenv.Config{})
	ctx := testenv.Ctx(t)
	h, err := notify.New(env.Service)
	if err != nil {
		t.Fatal(err)
	}
	const order = "order-confirmed"
	if _, err := env.Service.CreateCharge(ctx, chargeReq(order, "bca_va", nil)); err != nil {
		t.Fatal(err)
	}
	if err := env.Sim.Pay(order); err != nil {
		t.Fatal(err)
	}
	tx, _ := env.Sim.Transaction(order)
	body, err := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": order, "transaction_id": tx.TransactionID,
		"status_code": "200", "gross_amount": "145000.00", "transaction_status": "settlement", "fraud_status": "accept",
		"payment_type": tx.PaymentType})
	if err != nil {
		t.Fatal(err)
	}
	log.Take()
	if r := h.Handle(ctx, body); r.Kind != notify.Processed || r.Decision != "applied" {
		t.Fatalf("%+v", r)
	}
	got := log.Take()
	if len(got) != 3 || !strings.Contains(got[0], "nusapay_inbox_by_key(") || !strings.Contains(got[1], "nusapay_payment_by_order(") ||
		!strings.Contains(got[2], "nusapay_write_change(") {
		t.Fatalf("%d statements, want the inbox read, the payment read and the write:\n%s", len(got), strings.Join(got, "\n"))
	}
	if p, err := env.Service.Payment(ctx, order); err != nil || !p.Paid() {
		t.Fatalf("%+v %v", p, err)
	}
}

// TestChargeOwnsItsPayment: the payment CreateCharge returns shares no
// memory with the request (customer, items, metadata): a host reusing or
// changing its request afterwards does not change the payment it got.
func TestChargeOwnsItsPayment(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			db := dbtest.SQLite(t)
			if kind == "postgres" {
				db = dbtest.Postgres(t)
			}
			env := testenv.New(t, db, testenv.Config{})
			req := chargeReq("order-owns-"+kind, "bca_va", nil)
			req.Metadata = []byte(`{"cart":"c-1"}`)
			req.Customer.ShippingAddress = &payments.Address{Address: "Jl. Sudirman 1", City: "Jakarta", PostalCode: "10220", CountryCode: "IDN"}
			p, err := env.Service.CreateCharge(testenv.Ctx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			req.Customer.FirstName = "changed"
			req.Customer.ShippingAddress.City = "changed"
			req.Items[0].Name = "changed"
			req.Metadata[2] = 'X'
			if p.Customer.FirstName == "changed" || p.Customer.ShippingAddress.City == "changed" || p.Items[0].Name == "changed" ||
				string(p.Metadata) != `{"cart":"c-1"}` && string(p.Metadata) != `{"cart": "c-1"}` {
				t.Fatalf("the payment changed with the request: %+v %+v %+v %s", p.Customer, p.Customer.ShippingAddress, p.Items[0], p.Metadata)
			}
		})
	}
}
