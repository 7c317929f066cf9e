package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// DeliveryConfig tunes hook delivery. Zero fields take the defaults;
// negative ones are refused.
//
// A worker claims a batch of due events (at most one per payment: a
// payment's next event is claimable only once the previous one is
// finished), hands them to their receivers concurrently, then
// acknowledges the delivered ones with one statement. So up to
// Workers × Batch receivers run at once, and a batch takes as long as its
// slowest event, at most Timeout for receivers that heed their context:
// its acknowledgement lands within the lease.
type DeliveryConfig struct {
	// Workers claim and deliver batches concurrently (default 2). Events
	// of one payment are always delivered one after another, in order.
	Workers int
	// Batch is how many events a worker claims, delivers concurrently and
	// acknowledges at once (default 20, at most 1000). A larger batch
	// costs fewer database round trips per event.
	Batch int
	// Lease is how long a claimed event is reserved for this process
	// (default 2 minutes). If the process dies, another takes the event
	// after the lease; a receiver slower than the lease may see it twice.
	Lease time.Duration
	// Timeout bounds one delivery to all of an event's receivers
	// (default 30 seconds, or half the Lease if that is less); a Timeout
	// at or above the Lease is refused.
	Timeout time.Duration
	// MaxAttempts before an event is marked dead and SignalDead fires
	// (default 10).
	MaxAttempts int
	// RetryMin and RetryMax bound the exponential backoff between attempts
	// (defaults 1 second and 10 minutes).
	RetryMin, RetryMax time.Duration
	// Poll is how often idle workers look for events written by other
	// processes (default 1 second); this process's own changes wake them
	// at once.
	Poll time.Duration
}

// defaultLease is DeliveryConfig.Lease's default.
const defaultLease = 2 * time.Minute

// maxDeliveryBatch bounds Batch: the batch's acknowledgement is one
// statement listing its events.
const maxDeliveryBatch = 1000

// validate refuses what setDefaults would not make sensible: negative
// values, a batch too large for one statement, a Timeout that outlasts the
// Lease (the batch would be acknowledged after its lease).
func (c *DeliveryConfig) validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"Workers", int64(c.Workers)}, {"Batch", int64(c.Batch)}, {"MaxAttempts", int64(c.MaxAttempts)},
		{"Lease", int64(c.Lease)}, {"Timeout", int64(c.Timeout)}, {"RetryMin", int64(c.RetryMin)},
		{"RetryMax", int64(c.RetryMax)}, {"Poll", int64(c.Poll)}} {
		if f.v < 0 {
			return fmt.Errorf("payments: delivery: negative %s", f.name)
		}
	}
	if c.Batch > maxDeliveryBatch {
		return fmt.Errorf("payments: delivery: Batch %d above %d", c.Batch, maxDeliveryBatch)
	}
	lease := c.Lease
	if lease == 0 {
		lease = defaultLease
	}
	if c.Timeout > 0 && c.Timeout >= lease {
		return fmt.Errorf("payments: delivery: Timeout %s not below Lease %s", c.Timeout, lease)
	}
	return nil
}

func (c *DeliveryConfig) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Batch <= 0 {
		c.Batch = 20
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	def(&c.Lease, defaultLease)
	def(&c.Timeout, 30*time.Second)
	if c.Timeout >= c.Lease {
		c.Timeout = c.Lease / 2
	}
	def(&c.RetryMin, time.Second)
	def(&c.RetryMax, 10*time.Minute)
	def(&c.Poll, time.Second)
}

// ReconcileConfig tunes the reconciler, which syncs payments a missed
// notification or a lost answer left behind. Zero fields take the defaults.
type ReconcileConfig struct {
	// Disabled turns the reconciler off (another process runs it).
	Disabled bool
	// Interval between passes (default 1 minute).
	Interval time.Duration
	// Batch is how many payments a pass claims at a time (default 100).
	// A claimed payment counts as synced: other replicas leave it alone
	// until it is due again.
	Batch int
	// UnknownAfter: a charge with an unknown outcome (or a crash before
	// Midtrans was called) is synced once this old (default 1 minute).
	UnknownAfter time.Duration
	// ExpiredAfter: a pending payment is synced this long after its expiry
	// (default 2 minutes: expiry notifications may take 90 seconds).
	ExpiredAfter time.Duration
	// PendingAfter: any pending payment is synced once this old
	// (default 1 hour) ...
	PendingAfter time.Duration
	// ... and then at most once per PendingEvery (default 30 minutes).
	// Unknown and expired payments are synced at most once per minute.
	PendingEvery time.Duration
}

func (c *ReconcileConfig) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, time.Minute)
	if c.Batch <= 0 {
		c.Batch = 100
	}
	def(&c.UnknownAfter, time.Minute)
	def(&c.ExpiredAfter, 2*time.Minute)
	def(&c.PendingAfter, time.Hour)
	def(&c.PendingEvery, 30*time.Minute)
}

// WithDelivery tunes hook delivery.
func WithDelivery(c DeliveryConfig) Option {
	return optionFunc(func(s *Service) error {
		if err := c.validate(); err != nil {
			return err
		}
		c.setDefaults()
		s.delivery = c
		return nil
	})
}

// WithReconciler tunes the reconciler.
func WithReconciler(c ReconcileConfig) Option {
	return optionFunc(func(s *Service) error { c.setDefaults(); s.reconcile = c; return nil })
}

// WithInstanceName names this process in outbox leases (default host name,
// process id and a random suffix).
func WithInstanceName(name string) Option {
	return optionFunc(func(s *Service) error {
		if name == "" {
			return errors.New("payments: empty instance name")
		}
		s.instance = name
		return nil
	})
}

func defaultInstance() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// wake tells idle delivery workers that this process just wrote events.
func (s *Service) wake() {
	select {
	case s.wakeup <- struct{}{}:
	default:
	}
}

// Run delivers hook events, runs the reconciler and, when WithRetention
// set an age, prunes old rows, until ctx ends, then returns ctx's error. Run it in every replica: the replicas share the work
// through the database alone (outbox leases, reconcile claims), with no other coordinator.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range s.delivery.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliveryLoop(ctx, fmt.Sprintf("%s/%d", s.instance, i))
		}()
	}
	if !s.reconcile.Disabled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.reconcileLoop(ctx)
		}()
	}
	if s.retention.enabled() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.pruneLoop(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (s *Service) deliveryLoop(ctx context.Context, owner string) {
	poll := time.NewTicker(s.delivery.Poll)
	defer poll.Stop()
	for {
		n, err := s.deliverBatch(ctx, owner)
		if err != nil && ctx.Err() == nil {
			s.log.LogAttrs(ctx, slog.LevelError, "payments: hook delivery", slog.String("error", err.Error()))
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wakeup:
		case <-poll.C:
		}
	}
}

// DeliverDue delivers hook events that are due now, batch after batch,
// until none is left, and returns how many it handled. A payment's next
// event becomes due once the previous one is delivered, so one call
// delivers whole sequences. Run does this continuously; DeliverDue is for
// tests and for hosts that schedule delivery themselves.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.deliverBatch(ctx, s.instance+"/due")
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// ackTimeout bounds a batch's acknowledgement once ctx has ended: the
// receivers have run, and recording it saves their redelivery.
const ackTimeout = 5 * time.Second

// deliverBatch claims a batch, delivers its events concurrently and
// acknowledges the delivered ones in one statement. The batch holds at
// most one event per payment, so delivering it concurrently keeps each
// payment's order; its next event is claimable only after the ack.
func (s *Service) deliverBatch(ctx context.Context, owner string) (int, error) {
	events, err := s.store.ClaimEvents(ctx, owner, s.delivery.Batch, s.delivery.Lease)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	delivered := make([]bool, len(events))
	errs := make([]error, len(events), len(events)+1)
	var wg sync.WaitGroup
	for i, ob := range events {
		wg.Go(func() { delivered[i], errs[i] = s.deliver(ctx, owner, ob) })
	}
	wg.Wait()
	var seqs []int64
	for i, ob := range events {
		if delivered[i] {
			seqs = append(seqs, ob.Seq)
		}
	}
	if len(seqs) > 0 {
		// Not lost to a shutdown: the receivers have run.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
		lost, err := s.store.MarkDeliveredBatch(actx, seqs, owner)
		cancel()
		switch {
		case err != nil:
			// The events stay leased and are delivered again after the lease.
			errs = append(errs, fmt.Errorf("acknowledge %d delivered hook events: %w", len(seqs), err))
		case len(lost) > 0:
			// Another owner took them after the lease ran out: it delivers
			// them again, and acknowledges them.
			s.log.LogAttrs(ctx, slog.LevelWarn, "payments: hook events delivered after their lease was lost",
				slog.String("owner", owner), slog.Any("seqs", lost))
		}
	}
	return len(events), errors.Join(errs...)
}

// deliver hands one event to its receivers. It reports delivered when all
// of them succeeded, for the caller to acknowledge; otherwise it records
// the retry, or the dead letter, itself.
// Every delivery gets a span of its own; receivers' spans are its children.
func (s *Service) deliver(ctx context.Context, owner string, ob *OutboxEvent) (delivered bool, err error) {
	ctx, span := s.tracer.Start(ctx, "payments.deliver", trace.WithAttributes(
		attribute.String(attrSignal, string(ob.Signal)), attribute.String("payments.event_id", ob.ID),
		attribute.String("payments.order_id", ob.OrderID), attribute.Int("payments.attempt", ob.Attempts)))
	defer func() { end(span, err) }()
	var ev Event
	if err := json.Unmarshal(ob.Payload, &ev); err != nil {
		// Cannot happen for events this module wrote; never retry garbage.
		s.countDelivery(ctx, ob, ob.Signal, "dead")
		return false, s.store.MarkDead(ctx, ob.Seq, owner, "undecodable event: "+err.Error())
	}
	ev.Attempt = ob.Attempts
	var failures []error
	for _, r := range s.hooks.snapshot(ev.Signal) {
		if s.hooks.handled(ev.ID, r.id) {
			continue
		}
		if err := s.call(ctx, r.fn, &ev); err != nil {
			failures = append(failures, err)
			continue
		}
		s.hooks.markHandled(ev.ID, r.id)
	}
	if len(failures) == 0 {
		s.countDelivery(ctx, ob, ev.Signal, "delivered")
		s.hooks.forget(ev.ID)
		return true, nil
	}
	lastErr := errors.Join(failures...).Error()
	span.SetStatus(codes.Error, "receiver failed")
	s.log.LogAttrs(ctx, slog.LevelWarn, "payments: hook receiver failed", slog.String("event_id", ev.ID),
		slog.String("signal", string(ev.Signal)), slog.String("order_id", ob.OrderID),
		slog.Int("attempt", ob.Attempts), slog.String("error", lastErr))
	if ob.Attempts >= s.delivery.MaxAttempts {
		s.countDelivery(ctx, ob, ev.Signal, "dead")
		span.AddEvent("payments.dead_letter")
		s.hooks.forget(ev.ID)
		if err := s.store.MarkDead(ctx, ob.Seq, owner, lastErr); err != nil && !errors.Is(err, ErrLeaseLost) {
			return false, err
		}
		s.log.LogAttrs(ctx, slog.LevelError, "payments: hook event dead", slog.String("event_id", ev.ID),
			slog.String("signal", string(ev.Signal)), slog.String("order_id", ob.OrderID), slog.String("error", lastErr))
		ev.LastError = lastErr
		for _, r := range s.hooks.snapshot(SignalDead) {
			_ = s.call(ctx, r.fn, &ev)
		}
		return false, nil
	}
	s.countDelivery(ctx, ob, ev.Signal, "failed")
	next := s.now().Add(s.backoff(ob.Attempts))
	if err := s.store.RetryEvent(ctx, ob.Seq, owner, next, lastErr); err != nil && !errors.Is(err, ErrLeaseLost) {
		return false, err
	}
	return false, nil
}

// call runs one receiver with the delivery timeout, turning a panic into
// an error so one bad receiver cannot take the others or the process down.
func (s *Service) call(ctx context.Context, r Receiver, ev *Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.delivery.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "payments: hook receiver panicked", slog.String("event_id", ev.ID),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("receiver panicked: %v", p)
		}
	}()
	return r(ctx, ev)
}

// backoff returns the wait before attempt n+1: exponential from RetryMin,
// capped at RetryMax, with up to 20% jitter so retries spread out.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.delivery.RetryMin
	for i := 1; i < attempt && d < s.delivery.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.delivery.RetryMax)
	var b [2]byte
	_, _ = rand.Read(b[:])
	jitter := time.Duration(uint16(b[0])<<8|uint16(b[1])) * d / (5 * 65536)
	return d + jitter
}

func (s *Service) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(s.reconcile.Interval)
	defer t.Stop()
	for {
		if _, err := s.ReconcileOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.LogAttrs(ctx, slog.LevelError, "payments: reconcile", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReconcileOnce runs one reconciler pass: every payment whose outcome is
// unknown, that expired locally without a notification, or that has been
// pending for long is synced with Midtrans (GET status), in batches. It
// returns how many payments it synced.
//
// Replicas share the work through the database: each batch is claimed
// (Store.ClaimReconcile), so of replicas reconciling at the same time each
// due payment is synced by one, and N replicas make the status calls of
// one. A claimed payment counts as synced at the claim: one whose sync
// fails, or whose replica dies, is tried again when it is next due (a
// minute later for unknown and expired payments, PendingEvery for pending
// ones). Claims are stamped with each replica's clock (WithClock): replica
// clocks must agree to well within a minute.
func (s *Service) ReconcileOnce(ctx context.Context) (int, error) {
	now := s.now()
	cfg := s.reconcile
	passes := []ReconcileQuery{
		// Unknown outcomes and local expiries: soon, and every minute after.
		{UnknownBefore: now.Add(-cfg.UnknownAfter), ExpiredBefore: now.Add(-cfg.ExpiredAfter), SyncedBefore: now.Add(-time.Minute)},
		// Long-pending payments: a safety net for missed notifications.
		// Stores keep microseconds: a shorter PendingEvery would let a
		// claim see its own payments again.
		{PendingBefore: now.Add(-cfg.PendingAfter), SyncedBefore: now.Add(-max(cfg.PendingEvery, time.Microsecond))},
	}
	synced := 0
	var errs []error
	for _, q := range passes {
		q.Limit = cfg.Batch
		for {
			// A claim marks its payments synced now: the next claim, here
			// or in another replica, does not see them again this pass.
			batch, err := s.store.ClaimReconcile(ctx, q, now)
			if err != nil {
				return synced, errors.Join(append(errs, err)...)
			}
			s.inst.reconcileBatches.Add(ctx, 1)
			for _, p := range batch {
				if _, err := s.sync(ctx, p, SourceReconciler); err != nil {
					s.inst.reconcileSynced.Add(ctx, 1, metric.WithAttributes(attribute.String(attrResult, resultError)))
					errs = append(errs, err)
					continue
				}
				s.inst.reconcileSynced.Add(ctx, 1, metric.WithAttributes(attribute.String(attrResult, resultOK)))
				synced++
			}
			if len(batch) < q.Limit || ctx.Err() != nil {
				break
			}
		}
	}
	return synced, errors.Join(errs...)
}
