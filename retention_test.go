package payments_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// TestRetention: with a clock, PruneOnce deletes the hook events delivered
// and the notifications finished longer ago than the ages set, keeps
// recent, pending, received and failed ones and every audit row; a
// Service without WithRetention prunes nothing; Run prunes every Interval.
func TestRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		env := testenv.New(t, db, testenv.Config{Sim: midtranstest.Config{Now: clock}})
		st, err := store.New(db, store.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		newService := func(opts ...payments.Option) *payments.Service {
			t.Helper()
			svc, err := payments.New(env.Client, st, append([]payments.Option{payments.WithMethods(methods.Default()...),
				payments.WithClock(clock)}, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}
		const month = 720 * time.Hour
		svc := newService(payments.WithRetention(payments.RetentionConfig{DeliveredEvents: month, ProcessedNotifications: month, Batch: 2}))
		ctx := testenv.Ctx(t)
		charge := func(id string) {
			t.Helper()
			if _, err := svc.CreateCharge(ctx, chargeReq(id, "bni_va", nil)); err != nil {
				t.Fatal(err)
			}
		}
		notification := func(key string, state payments.NotificationState) *payments.Notification {
			t.Helper()
			n := &payments.Notification{DedupKey: key, OrderID: "ret-old-1", SignatureValid: true, Body: []byte(`{}`)}
			if _, err := svc.Store().InsertNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			if err := svc.Store().FinishNotification(ctx, n.ID, state, "test"); err != nil {
				t.Fatal(err)
			}
			return n
		}
		events := func(orderID string) int {
			t.Helper()
			tl, err := svc.Timeline(ctx, orderID)
			if err != nil {
				t.Fatal(err)
			}
			if len(tl.Audit) == 0 {
				t.Errorf("%s has no audit rows", orderID)
			}
			return len(tl.Events)
		}

		for _, id := range []string{"ret-old-1", "ret-old-2", "ret-old-3"} {
			charge(id)
		}
		drainDelivery(t, svc)
		old := events("ret-old-1") + events("ret-old-2") + events("ret-old-3")
		if old < 3 {
			t.Fatalf("%d events for three charges", old)
		}
		charge("ret-late") // created old, delivered only after the clock moves
		oldProcessed := notification("old-processed", payments.NotificationProcessed)
		oldFailed := notification("old-failed", payments.NotificationFailed)
		advance(month + time.Hour)
		charge("ret-new")
		drainDelivery(t, svc) // ret-late's events are delivered now: recent
		newProcessed := notification("new-processed", payments.NotificationProcessed)
		lateEvents, newEvents := events("ret-late"), events("ret-new")

		// Without WithRetention nothing is ever pruned.
		if res, err := newService().PruneOnce(ctx); err != nil || res != (payments.PruneResult{}) {
			t.Fatalf("PruneOnce without retention = %+v, %v", res, err)
		}
		res, err := svc.PruneOnce(ctx)
		if err != nil || res != (payments.PruneResult{Events: old, Notifications: 1}) {
			t.Fatalf("PruneOnce = %+v, %v; want %d events, 1 notification", res, err, old)
		}
		for _, id := range []string{"ret-old-1", "ret-old-2", "ret-old-3"} {
			if n := events(id); n != 0 {
				t.Errorf("%s keeps %d events", id, n)
			}
		}
		if n := events("ret-late"); n != lateEvents {
			t.Errorf("ret-late: %d events, want %d", n, lateEvents)
		}
		if n := events("ret-new"); n != newEvents {
			t.Errorf("ret-new: %d events, want %d", n, newEvents)
		}
		if _, err := svc.Store().NotificationByID(ctx, oldProcessed.ID); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("old processed notification: %v", err)
		}
		for _, n := range []*payments.Notification{oldFailed, newProcessed} {
			if _, err := svc.Store().NotificationByID(ctx, n.ID); err != nil {
				t.Errorf("%s pruned: %v", n.DedupKey, err)
			}
		}
		if res, err := svc.PruneOnce(ctx); err != nil || res != (payments.PruneResult{}) {
			t.Errorf("second PruneOnce = %+v, %v", res, err)
		}

		// Run prunes every Interval.
		advance(month + time.Hour)
		runner := newService(payments.WithRetention(payments.RetentionConfig{DeliveredEvents: month, Interval: 10 * time.Millisecond}),
			payments.WithReconciler(payments.ReconcileConfig{Disabled: true}))
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- runner.Run(runCtx) }()
		deadline := time.Now().Add(10 * time.Second)
		for events("ret-new") != 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
		if n := events("ret-new"); n != 0 {
			t.Errorf("Run did not prune: ret-new keeps %d events", n)
		}
		if _, err := svc.Store().NotificationByID(ctx, newProcessed.ID); err != nil {
			t.Errorf("Run pruned notifications without ProcessedNotifications: %v", err)
		}
	})
}

func TestRetentionValidation(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	for _, tc := range []struct {
		cfg   payments.RetentionConfig
		field string
	}{
		{payments.RetentionConfig{DeliveredEvents: -time.Hour}, "DeliveredEvents"},
		{payments.RetentionConfig{ProcessedNotifications: -1}, "ProcessedNotifications"},
		{payments.RetentionConfig{DeliveredEvents: time.Hour, Interval: -time.Second}, "Interval"},
		{payments.RetentionConfig{DeliveredEvents: time.Hour, Batch: -1}, "Batch"},
		{payments.RetentionConfig{DeliveredEvents: time.Hour, Batch: payments.MaxRetentionBatch + 1}, "Batch"},
	} {
		_, err := payments.New(env.Client, env.Store, payments.WithRetention(tc.cfg))
		var ve *payments.ValidationError
		if !errors.As(err, &ve) || !ve.Has(tc.field) || !errors.Is(err, payments.ErrValidation) {
			t.Errorf("WithRetention(%+v) = %v, want a ValidationError naming %s", tc.cfg, err, tc.field)
		}
	}
	for _, cfg := range []payments.RetentionConfig{{}, {DeliveredEvents: time.Hour, Batch: payments.MaxRetentionBatch}} {
		if _, err := payments.New(env.Client, env.Store, payments.WithRetention(cfg)); err != nil {
			t.Errorf("WithRetention(%+v) = %v", cfg, err)
		}
	}
}
