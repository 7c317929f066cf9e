package notify_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// TestEditedStatusRefused (defect 6): without confirmation the body's
// transaction_status is applied, yet it is not signed. A genuine pending
// notification with its status edited to settlement contradicts its signed
// status_code: refused with 400, nothing applied, nothing stored.
func TestEditedStatusRefused(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env, notify.WithoutConfirmation())
		p := charge(t, s, "replay-1", "gopay", nil)
		s.settle(t)
		env.Sim.SetNotificationURL("")
		before := get(t, s, "replay-1")
		genuine, err := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": "replay-1", "transaction_id": p.TransactionID,
			"status_code": "201", "gross_amount": "50000.00", "transaction_status": "pending", "payment_type": "gopay"})
		if err != nil {
			t.Fatal(err)
		}
		rows := inboxRows(t, env)
		for _, edit := range []string{"settlement", "capture", "refund", "expire"} {
			edited := bytes.Replace(genuine, []byte(`"transaction_status":"pending"`), []byte(`"transaction_status":"`+edit+`"`), 1)
			if code := post(t, s, edited); code != http.StatusBadRequest {
				t.Errorf("pending edited to %s: answered %d, want 400", edit, code)
			}
			if _, err := env.Store.NotificationByDedupKey(testenv.Ctx(t), notifyKey(t, edited)); !errors.Is(err, payments.ErrNotFound) {
				t.Errorf("pending edited to %s was stored: %v", edit, err)
			}
		}
		if after := get(t, s, "replay-1"); after.Status != payments.StatusPending || after.Version != before.Version {
			t.Fatalf("an edited status moved the payment to %s v%d", after.Status, after.Version)
		}
		if got := inboxRows(t, env); got != rows {
			t.Fatalf("edited notifications added %d inbox rows", got-rows)
		}
		// The genuine body itself is fine.
		if code := post(t, s, genuine); code != http.StatusOK {
			t.Fatalf("the genuine notification answered %d", code)
		}
	})
}

// TestSignedInvalidOrderID: a signed notification whose order id no payment
// can have (a NUL byte, too long) is answered 200 ignored, never 5xx (which
// would make Midtrans retry it for hours), and stores nothing.
func TestSignedInvalidOrderID(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		rows := inboxRows(t, env)
		for _, id := range []string{"bad\x00id", strings.Repeat("x", 300), "spaces are not allowed"} {
			body, err := notify.Signed(env.Sim.ServerKey(), map[string]any{"order_id": id, "status_code": "200",
				"gross_amount": "50000.00", "transaction_status": "settlement"})
			if err != nil {
				t.Fatal(err)
			}
			if code := post(t, s, body); code != http.StatusOK {
				t.Errorf("order id %q: answered %d, want 200", id, code)
			}
		}
		if got := inboxRows(t, env); got != rows {
			t.Fatalf("invalid order ids added %d inbox rows", got-rows)
		}
	})
}
