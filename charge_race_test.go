package payments_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
)

// TestChargeDoubleClick: many concurrent CreateCharge calls for one order
// (a double-click, a retrying browser) make one Midtrans transaction, and
// every caller learns the payment's state: the winner a nil error, the
// others the same payment with ErrDuplicateOrder. None is told the outcome
// is unknown while the payment is known and pending.
func TestChargeDoubleClick(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		// With latency, later callers reach Midtrans while the first call
		// is in flight there (answered 202 "being processed").
		for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
			t.Run(fmt.Sprint("latency ", latency), func(t *testing.T) {
				env.Sim.SetLatency(latency)
				defer env.Sim.SetLatency(0)
				doubleClick(t, env, fmt.Sprintf("double-click-%d", latency.Milliseconds()))
			})
		}
	})
}

func doubleClick(t *testing.T, env *testenv.Env, orderID string) {
	{
		ctx := testenv.Ctx(t)
		before := chargeCalls(env.Sim)
		const n = 50
		ps := make([]*payments.Payment, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				ps[i], errs[i] = env.Service.CreateCharge(ctx, chargeReq(orderID, "bca_va", nil))
			})
		}
		close(start)
		wg.Wait()
		if c := chargeCalls(env.Sim) - before; c != 1 {
			t.Errorf("%d charges reached Midtrans, want 1", c)
		}
		var winners, unknown int
		for i := range n {
			switch {
			case errs[i] == nil:
				winners++
			case errors.Is(errs[i], payments.ErrOutcomeUnknown):
				unknown++
				continue
			case !errors.Is(errs[i], payments.ErrDuplicateOrder):
				t.Errorf("caller %d: %v, want nil or ErrDuplicateOrder", i, errs[i])
			}
			if ps[i] == nil || ps[i].ID != ps[0].ID || ps[i].Status != payments.StatusPending {
				t.Errorf("caller %d got %s, want pending payment %s", i, show(ps[i]), show(ps[0]))
			}
		}
		if unknown != 0 || winners != 1 {
			t.Fatalf("%d callers got ErrOutcomeUnknown, %d a nil error; want 0 and 1", unknown, winners)
		}
	}
}
