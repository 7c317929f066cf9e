package payments

import (
	"context"
	"sync"
	"time"
)

// chargeTurns lets one CreateCharge at a time per order id run in this
// process: a double-click's second call waits for the first's answer and
// then finds the payment, instead of resending the charge while the first
// is still in flight at Midtrans. The zero value is ready to use.
type chargeTurns struct {
	mu   sync.Mutex
	busy map[string]chan struct{}
}

// take waits, bounded by ctx, until no other call in this process is
// charging orderID, and returns the func that ends this call's turn.
func (c *chargeTurns) take(ctx context.Context, orderID string) (release func(), err error) {
	for {
		c.mu.Lock()
		wait, busy := c.busy[orderID]
		if !busy {
			if c.busy == nil {
				c.busy = map[string]chan struct{}{}
			}
			done := make(chan struct{})
			c.busy[orderID] = done
			c.mu.Unlock()
			return func() {
				c.mu.Lock()
				delete(c.busy, orderID)
				c.mu.Unlock()
				close(done)
			}, nil
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// Another replica charging the same order: how long a payment still
// initiated counts as in flight, and how long a second call waits for it.
const (
	chargeInFlight = time.Minute
	chargeWait     = 2 * time.Second
)

// awaitAnswer polls the store, briefly and bounded by ctx, while p is
// initiated and recent: another replica may be charging it now, and its
// answer beats sending the charge again. It returns the last payment read.
func (s *Service) awaitAnswer(ctx context.Context, p *Payment) *Payment {
	if p.Status != StatusInitiated || s.now().Sub(p.UpdatedAt) > chargeInFlight {
		return p
	}
	deadline := time.NewTimer(chargeWait)
	defer deadline.Stop()
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		tick := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			tick.Stop()
			return p
		case <-deadline.C:
			tick.Stop()
			return p
		case <-tick.C:
		}
		got, err := s.store.Payment(ctx, p.OrderID)
		if err != nil {
			return p
		}
		if p = got; p.Status != StatusInitiated {
			return p
		}
	}
}
