package payments_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
)

// badOrderIDs are ids no payment can have: Midtrans' alphabet is
// A-Z a-z 0-9 - _ . ~, at most 50 characters.
var badOrderIDs = []string{
	"", "a\x00b", "\x00", "bad\xff", "with space", "semi;colon", "slash/ed", "quote'd", "ünïcode",
	strings.Repeat("a", 51),
}

// TestOrderIDRefused: every Service method that takes an order id refuses
// one outside Midtrans' alphabet with a ValidationError naming order_id,
// before the database or Midtrans sees it (PostgreSQL rejects NUL in text,
// SQLite's driver chokes on it: both were internal errors).
func TestOrderIDRefused(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc := env.Service
		calls := map[string]func(id string) error{
			"Payment":      func(id string) error { _, err := svc.Payment(ctx, id); return err },
			"Sync":         func(id string) error { _, err := svc.Sync(ctx, id); return err },
			"Cancel":       func(id string) error { _, err := svc.Cancel(ctx, id); return err },
			"Expire":       func(id string) error { _, err := svc.Expire(ctx, id); return err },
			"Approve":      func(id string) error { _, err := svc.Approve(ctx, id); return err },
			"Deny":         func(id string) error { _, err := svc.Deny(ctx, id); return err },
			"Capture":      func(id string) error { _, err := svc.Capture(ctx, id, 0); return err },
			"Refund":       func(id string) error { _, _, err := svc.Refund(ctx, id, payments.RefundRequest{}); return err },
			"DirectRefund": func(id string) error { _, _, err := svc.DirectRefund(ctx, id, payments.RefundRequest{}); return err },
		}
		for name, call := range calls {
			for _, id := range badOrderIDs {
				err := call(id)
				var ve *payments.ValidationError
				if !errors.As(err, &ve) || !ve.Has("order_id") {
					t.Errorf("%s(%q): %v, want a ValidationError naming order_id", name, id, err)
				}
			}
		}
		if n := len(env.Sim.Calls()); n != 0 {
			t.Errorf("refused ids made %d Midtrans calls", n)
		}
	})
}

func TestValidOrderID(t *testing.T) {
	for _, id := range []string{"a", "INV-1042-2", "Ord-1.2_x~Y", strings.Repeat("Z", payments.MaxOrderIDLen)} {
		if !payments.ValidOrderID(id) {
			t.Errorf("ValidOrderID(%q) = false", id)
		}
	}
	for _, id := range badOrderIDs {
		if payments.ValidOrderID(id) {
			t.Errorf("ValidOrderID(%q) = true", id)
		}
	}
}
