package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// TestPrune: prune deletes the hook events delivered and notifications
// finished longer ago than its ages, and keeps recent ones and the audit
// trail, on every database; bad flags are usage errors.
func TestPrune(t *testing.T) {
	dbs := databases()
	dbs["mysql"] = func(t *testing.T) (string, *bun.DB) {
		dsn := dbtest.MySQLDatabase(t) // skips when no server runs
		db, err := store.OpenMySQL(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return "mysql://" + dsn, db
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) { testPrune(t, open) })
	}
}

func testPrune(t *testing.T, open database) {
	ctx := context.Background()
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	dsn, db := open(t)
	env := map[string]string{"NUSAPAY_DSN": dsn}
	mustRun(t, env, "migrate")
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	// The host's Service: one instance whose clock is 31 days behind, one
	// on time.
	host := func(lag time.Duration) *payments.Service {
		clock := func() time.Time { return time.Now().Add(-lag) }
		st, err := store.New(db, store.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...), payments.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	work := func(svc *payments.Service, orderID string) *payments.Notification {
		t.Helper()
		if _, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: orderID, Method: "bca_va", Amount: 20000}); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.DeliverDue(ctx); err != nil || n == 0 {
			t.Fatalf("deliver %s: %d, %v", orderID, n, err)
		}
		n := &payments.Notification{DedupKey: "key-" + orderID, OrderID: orderID, SignatureValid: true, Body: []byte(`{}`)}
		if _, err := svc.Store().InsertNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if err := svc.Store().FinishNotification(ctx, n.ID, payments.NotificationProcessed, "test"); err != nil {
			t.Fatal(err)
		}
		return n
	}
	old, recent := host(31*24*time.Hour), host(0)
	oldN := work(old, "INV-OLD")
	recentN := work(recent, "INV-NEW")
	oldTL, err := recent.Timeline(ctx, "INV-OLD")
	if err != nil {
		t.Fatal(err)
	}
	newTL, err := recent.Timeline(ctx, "INV-NEW")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{nil, "nothing to prune"},
		{[]string{"-events-older-than", "-1h"}, "-events-older-than must not be negative"},
		{[]string{"-notifications-older-than", "-1h"}, "-notifications-older-than must not be negative"},
		{[]string{"-events-older-than", "720h", "-batch", "10001"}, "-batch must be 1 to 10000"},
		{[]string{"-events-older-than", "a month"}, "-events-older-than"},
	} {
		if code, _, errOut := nusapay(t, env, append([]string{"prune"}, tc.args...)...); code != 2 || !strings.Contains(errOut, tc.err) {
			t.Errorf("prune %v: exit %d, %s", tc.args, code, errOut)
		}
	}

	out := mustRun(t, env, "prune", "-events-older-than", "720h", "-notifications-older-than", "720h", "-batch", "1")
	want := fmt.Sprintf("pruned %d delivered hook events and 1 finished notifications", len(oldTL.Events))
	if !strings.Contains(out, want) {
		t.Errorf("prune printed %q, want %q", out, want)
	}
	tl, err := recent.Timeline(ctx, "INV-OLD")
	if err != nil || len(tl.Events) != 0 || len(tl.Audit) != len(oldTL.Audit) {
		t.Errorf("INV-OLD after prune: %d events, %d audit rows (had %d), %v", len(tl.Events), len(tl.Audit), len(oldTL.Audit), err)
	}
	if _, err := recent.Store().NotificationByID(ctx, oldN.ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("old notification: %v", err)
	}
	tl, err = recent.Timeline(ctx, "INV-NEW")
	if err != nil || len(tl.Events) != len(newTL.Events) {
		t.Errorf("INV-NEW after prune: %d events (had %d), %v", len(tl.Events), len(newTL.Events), err)
	}
	if _, err := recent.Store().NotificationByID(ctx, recentN.ID); err != nil {
		t.Errorf("recent notification: %v", err)
	}
	if out := mustRun(t, env, "prune", "-events-older-than", "720h"); !strings.Contains(out, "pruned 0 delivered hook events and 0") {
		t.Errorf("second prune printed %q", out)
	}
}
