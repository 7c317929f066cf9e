package main

import (
	"fmt"

	"github.com/nusapay/payments"
)

// prune runs one pruning pass (Service.PruneOnce) with the ages given:
// for a host that does not set WithRetention, or to catch up at once.
func (c *cli) prune(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("prune"), &cfg, true, false)
	events := fs.Duration("events-older-than", 0, "delete hook events delivered longer ago than this, e.g. 720h (0 keeps them; pending and dead events are always kept)")
	notes := fs.Duration("notifications-older-than", 0, "delete notifications processed, ignored or rejected longer ago than this, e.g. 720h (0 keeps them; received and failed ones are always kept)")
	batch := fs.Int("batch", 0, fmt.Sprintf("rows per delete statement, 1 to %d (default 500)", payments.MaxRetentionBatch))
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	switch {
	case *events < 0:
		return usagef("-events-older-than must not be negative")
	case *notes < 0:
		return usagef("-notifications-older-than must not be negative")
	case *batch < 0 || *batch > payments.MaxRetentionBatch:
		return usagef("-batch must be 1 to %d", payments.MaxRetentionBatch)
	case *events == 0 && *notes == 0:
		return usagef("nothing to prune: set -events-older-than and/or -notifications-older-than")
	}
	svc, db, err := c.service(&cfg, false, payments.WithRetention(payments.RetentionConfig{
		DeliveredEvents: *events, ProcessedNotifications: *notes, Batch: *batch}))
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := svc.PruneOnce(c.ctx)
	fmt.Fprintf(c.stdout, "pruned %d delivered hook events and %d finished notifications (audit rows are kept)\n",
		res.Events, res.Notifications)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}
