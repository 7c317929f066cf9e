package payments

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RetentionConfig tells the Service to delete old rows it no longer needs.
// Zero ages keep rows forever, the default: nothing is pruned unless the
// host sets an age. Audit rows (a payment's History) are never pruned: they
// are append-only, enforced by a database trigger; payments and refunds are
// kept too.
type RetentionConfig struct {
	// DeliveredEvents: hook events delivered longer ago than this are
	// deleted (0 keeps them). Pending and dead events are always kept.
	DeliveredEvents time.Duration
	// ProcessedNotifications: notifications that finished (processed,
	// ignored or rejected) longer ago than this are deleted (0 keeps
	// them). Received and failed ones are always kept. A copy of a deleted
	// notification that arrives later is processed again, which is
	// harmless (a Duplicate), so keep them longer than Midtrans retries.
	ProcessedNotifications time.Duration
	// Interval between passes of Run (default 10 minutes).
	Interval time.Duration
	// Batch is how many rows one delete statement removes at most
	// (default 500, at most 10000): each batch is a short transaction of
	// its own, so pruning never holds locks for long.
	Batch int
}

// MaxRetentionBatch is the largest RetentionConfig.Batch.
const MaxRetentionBatch = 10000

func (c *RetentionConfig) validate() error {
	var ve ValidationError
	if c.DeliveredEvents < 0 {
		ve.Add("DeliveredEvents", "must not be negative (0 keeps delivered events forever)")
	}
	if c.ProcessedNotifications < 0 {
		ve.Add("ProcessedNotifications", "must not be negative (0 keeps finished notifications forever)")
	}
	if c.Interval < 0 {
		ve.Add("Interval", "must not be negative (0 is the default, 10 minutes)")
	}
	if c.Batch < 0 || c.Batch > MaxRetentionBatch {
		ve.Add("Batch", "must be 1 to 10000 (0 is the default, 500)")
	}
	return ve.Err()
}

func (c *RetentionConfig) setDefaults() {
	if c.Interval == 0 {
		c.Interval = 10 * time.Minute
	}
	if c.Batch == 0 {
		c.Batch = 500
	}
}

// enabled reports whether any age is set.
func (c *RetentionConfig) enabled() bool {
	return c.DeliveredEvents > 0 || c.ProcessedNotifications > 0
}

// WithRetention turns pruning on: Run deletes delivered hook events and
// finished notifications older than the ages set, every Interval. A bad
// field is a *ValidationError naming it.
func WithRetention(c RetentionConfig) Option {
	return optionFunc(func(s *Service) error {
		if err := c.validate(); err != nil {
			return err
		}
		c.setDefaults()
		s.retention = c
		return nil
	})
}

// PruneResult is what one pruning pass deleted.
type PruneResult struct {
	Events        int
	Notifications int
}

// PruneOnce runs one pruning pass (Run does so every Interval): it deletes
// the account's hook events delivered before now minus DeliveredEvents and
// notifications finished before now minus ProcessedNotifications, in
// batches, and returns how many of each it deleted (also counted in the
// metric payments.pruned, by kind). With no age set it deletes nothing.
func (s *Service) PruneOnce(ctx context.Context) (PruneResult, error) {
	var res PruneResult
	now := s.now()
	cfg := s.retention
	var errs []error
	if cfg.DeliveredEvents > 0 {
		n, err := s.store.PruneEvents(ctx, now.Add(-cfg.DeliveredEvents), cfg.Batch)
		res.Events = n
		s.countPruned(ctx, "events", n)
		errs = append(errs, err)
	}
	if cfg.ProcessedNotifications > 0 && ctx.Err() == nil {
		n, err := s.store.PruneNotifications(ctx, now.Add(-cfg.ProcessedNotifications), cfg.Batch)
		res.Notifications = n
		s.countPruned(ctx, "notifications", n)
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

func (s *Service) pruneLoop(ctx context.Context) {
	t := time.NewTicker(s.retention.Interval)
	defer t.Stop()
	for {
		res, err := s.PruneOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.LogAttrs(ctx, slog.LevelError, "payments: prune", slog.String("error", err.Error()))
		}
		if res.Events > 0 || res.Notifications > 0 {
			s.log.LogAttrs(ctx, slog.LevelInfo, "payments: pruned", slog.Int("events", res.Events),
				slog.Int("notifications", res.Notifications))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
