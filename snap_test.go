package payments_test

import (
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A Snap page no customer used never makes a Midtrans transaction, so no
// notification ever ends its payment: once the page_expiry the host set
// has passed (and a minute's grace), a sync that still finds nothing
// expires it. A page where a channel was chosen is Midtrans' to end.
func TestSnapPageExpiresUnused(t *testing.T) {
	clk := &clock{now: time.Now()}
	testenv.Each(t, testenv.Config{Options: []payments.Option{payments.WithClock(clk.Now)}}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		opts := methods.SnapOptions{EnabledPayments: []string{"gopay", "bca_va"}, PageExpiry: 30 * time.Minute}
		start := clk.Now()
		// Without page_expiry the dashboard decides; with DANA on the page
		// (named, or every channel) "not found" proves nothing.
		unknowable := map[string]methods.SnapOptions{
			"SNAP-NO-PAGE-EXPIRY": {EnabledPayments: []string{"gopay"}},
			"SNAP-DANA":           {EnabledPayments: []string{"gopay", "dana"}, PageExpiry: 30 * time.Minute},
			"SNAP-ALL":            {PageExpiry: 30 * time.Minute},
		}
		for _, id := range []string{"SNAP-UNUSED", "SNAP-CHOSEN", "SNAP-NO-PAGE-EXPIRY", "SNAP-DANA", "SNAP-ALL"} {
			req := chargeReq(id, "snap", opts)
			o, never := unknowable[id]
			if never {
				req.Options = o
			}
			p, err := env.Service.CreateCharge(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if never {
				if !p.ExpiresAt.IsZero() {
					t.Errorf("%s: expires at %v, want unknown", id, p.ExpiresAt)
				}
				continue
			}
			if d := p.ExpiresAt.Sub(start); d < 29*time.Minute || d > 31*time.Minute {
				t.Fatalf("%s: expires %v after the charge, want the page's 30 minutes", id, d)
			}
		}
		clk.add(29 * time.Minute)
		if err := env.Sim.SelectSnapPayment("SNAP-CHOSEN", "gopay"); err != nil {
			t.Fatal(err)
		}
		clk.add(30 * time.Second) // the page has ended, the grace has not
		if p, err := env.Service.Sync(ctx, "SNAP-UNUSED"); err != nil || p.Status != payments.StatusPending {
			t.Fatalf("within the grace: %s %v", show(p), err)
		}
		clk.add(2 * time.Minute)
		p, err := env.Service.Sync(ctx, "SNAP-UNUSED")
		if err != nil || p.Status != payments.StatusExpire || p.Outcome() != payments.OutcomeFailed {
			t.Fatalf("unused page after its end: %s %v", show(p), err)
		}
		for _, id := range []string{"SNAP-CHOSEN", "SNAP-NO-PAGE-EXPIRY", "SNAP-DANA", "SNAP-ALL"} {
			if p, err := env.Service.Sync(ctx, id); err != nil || p.Status != payments.StatusPending {
				t.Fatalf("%s: %s %v", id, show(p), err)
			}
		}
		if p, _ := env.Service.Payment(ctx, "SNAP-CHOSEN"); p.PaymentType != "gopay" || p.TransactionID == "" {
			t.Fatalf("chosen: %s %q", show(p), p.PaymentType)
		}
	})
}
