package payments

import (
	"context"
	"errors"
	"time"
)

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
	_ = pollStore(ctx, chargeWait, func() (bool, error) {
		got, err := s.store.Payment(ctx, p.OrderID)
		if err != nil {
			return true, err
		}
		p = got
		return p.Status != StatusInitiated, nil
	})
	return p
}

// errPollTimeout: pollStore's wait ended before its condition held.
var errPollTimeout = errors.New("payments: still waiting")

// pollStore calls done, pausing between calls (10 ms at first, doubling to
// at most 250 ms), until it reports true or an error, ctx ends, or wait
// has passed (errPollTimeout). It is how a caller waits for work another
// replica is doing, which it can only see in the store.
func pollStore(ctx context.Context, wait time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(wait)
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		if ok, err := done(); ok || err != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return errPollTimeout
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
