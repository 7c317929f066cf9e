package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/uid"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/store"
)

// drainReport is how fast hook delivery drained a backlog on one database.
type drainReport struct {
	DB string `json:"db"`
	// Events is the backlog: two events (paid, status changed) for each of
	// Events/2 payments, as a settlement notification writes them.
	Events int         `json:"events"`
	Runs   []*drainRun `json:"runs"`
}

// drainRun is one drain of the whole backlog, or of as much of it as
// -duration allowed.
type drainRun struct {
	Path    string `json:"path"`
	Workers int    `json:"workers"`
	Batch   int    `json:"batch"`
	// Delivered is how many events were acknowledged (marked delivered)
	// when the run ended; Calls how many times the receiver was called.
	Delivered int     `json:"delivered"`
	Calls     int64   `json:"calls"`
	Seconds   float64 `json:"seconds"`
	PerS      float64 `json:"events_per_s"`
}

const (
	// pathService is Service.Run's delivery, as an application runs it.
	pathService = "Service.Run"
	// pathPerEvent is the store traffic of delivery before batched
	// acknowledgements: claim a batch, then one committed UPDATE per
	// delivered event (store calls only, no Service).
	pathPerEvent = "per-event ack"
)

// perEventBatch is the per-event-ack path's claim size: DeliveryConfig's
// default Batch.
const perEventBatch = 20

func drainNotes() []string {
	return []string{
		"backlog: N hook events for N/2 payments (paid and status changed, as a settlement notification writes them), seeded in SQL, then ANALYZE; reset to undelivered before each run (then VACUUM ANALYZE on PostgreSQL)",
		pathService + ": the Service's delivery workers (DeliveryConfig Workers and Batch) with a trivial receiver on both signals, until no event is pending (or -duration); each batch is acknowledged with one UPDATE",
		pathPerEvent + ": the store traffic of the delivery path before batched acknowledgements, claim " + strconv.Itoa(perEventBatch) + " then one committed UPDATE per event, with the same trivial receiver, no Service",
		"runs alternate between the paths for each worker count, to spread the noise of a shared machine",
		"events/s: events acknowledged (marked delivered) per second of the run",
	}
}

// drainBacklog seeds a backlog of cfg.drain hook events and measures, for
// each worker count, how fast the per-event-ack path and Service.Run (with
// each of cfg.drainBatches) deliver it.
func drainBacklog(ctx context.Context, cfg *config, d *database) (*drainReport, error) {
	rep := &drainReport{DB: d.kind, Events: cfg.drain / 2 * 2}
	if err := seedBacklog(ctx, d, rep.Events/2); err != nil {
		return rep, fmt.Errorf("seed backlog: %w", err)
	}
	for _, w := range cfg.drainWorkers {
		type path struct {
			name  string
			batch int
		}
		paths := []path{{pathPerEvent, perEventBatch}}
		for _, b := range cfg.drainBatches {
			paths = append(paths, path{pathService, b})
		}
		for _, p := range paths {
			run, err := drainOnce(ctx, cfg, d, p.name, w, p.batch, rep.Events)
			if err != nil {
				return rep, fmt.Errorf("%s, %d workers, batch %d: %w", p.name, w, p.batch, err)
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	return rep, nil
}

// seedBacklog writes payments settled payments, each with its paid and
// status-changed events undelivered, in one transaction, with the
// baseline's plain SQL.
func seedBacklog(ctx context.Context, d *database, payments_ int) error {
	pg := d.db.Dialect().Name() == dialect.PG
	b := newBaseline(d.db.DB, pg, "", nil)
	tx, err := d.db.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	insPay, err := tx.PrepareContext(ctx, b.insCharge)
	if err != nil {
		return err
	}
	insEvent, err := tx.PrepareContext(ctx, b.insOutbox)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range payments_ {
		id, orderID := uid.New(), fmt.Sprintf("drain-%06d", i)
		if _, err := insPay.ExecContext(ctx, id, b.account, orderID, benchAmount, b.ts(now), b.ts(now)); err != nil {
			return fmt.Errorf("payment %s: %w", orderID, err)
		}
		p := &payments.Payment{ID: id, OrderID: orderID, TransactionID: "tx-" + orderID, Method: "bca_va",
			PaymentType: "bank_transfer", Amount: benchAmount, Currency: "IDR", Status: payments.StatusSettlement,
			PaidAt: now, Version: 3, CreatedAt: now, UpdatedAt: now}
		for _, sig := range []payments.Signal{payments.SignalPaid, payments.SignalStatusChanged} {
			ev := payments.Event{ID: uid.New(), Signal: sig, Source: payments.SourceNotification, Payment: p,
				Previous: payments.State{Status: payments.StatusPending}, Current: payments.State{Status: payments.StatusSettlement},
				OccurredAt: now}
			payload, err := json.Marshal(&ev)
			if err != nil {
				return err
			}
			if _, err := insEvent.ExecContext(ctx, ev.ID, b.account, id, orderID, string(sig), string(payload), b.ts(now), b.ts(now)); err != nil {
				return fmt.Errorf("event of %s: %w", orderID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, "ANALYZE")
	return err
}

// resetBacklog makes every event of the backlog undelivered and due again,
// and on PostgreSQL vacuums the dead rows the previous run and the reset
// left, so that no run pays for another's.
func resetBacklog(ctx context.Context, d *database) error {
	if _, err := d.db.NewUpdate().Table(store.TableOutbox).
		Set("delivered_at = NULL").Set("lease_owner = NULL").Set("lease_expires_at = NULL").
		Set("attempts = 0").Set("dead = ?", false).Set("last_error = ''").
		Where("delivered_at IS NOT NULL OR lease_owner IS NOT NULL OR attempts > 0").Exec(ctx); err != nil {
		return err
	}
	if d.db.Dialect().Name() != dialect.PG {
		return nil
	}
	_, err := d.db.ExecContext(ctx, "VACUUM ANALYZE "+store.TableOutbox)
	return err
}

// drainOnce resets the backlog and delivers it along path with workers
// workers claiming batch events at a time, until none is pending or
// cfg.duration has passed.
func drainOnce(ctx context.Context, cfg *config, d *database, path string, workers, batch, events int) (*drainRun, error) {
	if err := resetBacklog(ctx, d); err != nil {
		return nil, fmt.Errorf("reset backlog: %w", err)
	}
	st, err := store.New(d.db)
	if err != nil {
		return nil, err
	}
	run := &drainRun{Path: path, Workers: workers, Batch: batch}
	var calls atomic.Int64
	receive := func(context.Context, *payments.Event) error { calls.Add(1); return nil }

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	start := time.Now()
	switch path {
	case pathService:
		// The client is never called: the reconciler is off.
		client, err := midtrans.New(midtrans.Config{ServerKey: "SB-Mid-server-drain", BaseURL: "http://127.0.0.1:9"})
		if err != nil {
			return nil, err
		}
		svc, err := payments.New(client, st,
			payments.WithDelivery(payments.DeliveryConfig{Workers: workers, Batch: batch, Poll: 10 * time.Millisecond}),
			payments.WithReconciler(payments.ReconcileConfig{Disabled: true}))
		if err != nil {
			return nil, err
		}
		svc.Connect(payments.SignalPaid, receive)
		svc.Connect(payments.SignalStatusChanged, receive)
		start = time.Now()
		wg.Add(1)
		go func() { defer wg.Done(); _ = svc.Run(runCtx) }()
	case pathPerEvent:
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				perEventAck(runCtx, st, fmt.Sprintf("drain/%d", w), batch, receive)
			}()
		}
	}
	deadline := start.Add(cfg.duration)
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for pending := true; pending && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			return nil, ctx.Err()
		case <-poll.C:
		}
		// Ask the database only once every event reached the receiver:
		// the query is not free, and would slow what it measures.
		if calls.Load() < int64(events) {
			continue
		}
		_, pending, err = st.OldestPendingEvent(ctx)
		if err != nil {
			stop()
			wg.Wait()
			return nil, err
		}
	}
	elapsed := time.Since(start)
	stop()
	wg.Wait()
	n, err := d.db.NewSelect().Table(store.TableOutbox).Where("delivered_at IS NOT NULL").Count(ctx)
	if err != nil {
		return nil, err
	}
	run.Delivered, run.Calls, run.Seconds = int(n), calls.Load(), elapsed.Seconds()
	run.PerS = float64(n) / elapsed.Seconds()
	return run, nil
}

// perEventAck is the old delivery path's store traffic: claim a batch,
// hand each event to the receiver, acknowledge each with its own UPDATE.
func perEventAck(ctx context.Context, st *store.Store, owner string, batch int, receive payments.Receiver) {
	for ctx.Err() == nil {
		evs, err := st.ClaimEvents(ctx, owner, batch, 2*time.Minute)
		if err != nil || len(evs) == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		for _, ob := range evs {
			var ev payments.Event
			if err := json.Unmarshal(ob.Payload, &ev); err != nil {
				continue
			}
			if receive(ctx, &ev) == nil {
				_ = st.MarkDelivered(ctx, ob.Seq, owner)
			}
		}
	}
}

// parseCounts reads a flag's comma-separated list of positive counts.
func parseCounts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-%s: %q is not a positive count", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func printDrain(w io.Writer, r *drainReport) {
	fmt.Fprintf(w, "hook delivery on %s: backlog of %d events\n", r.DB, r.Events)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tworkers\tbatch\tdelivered\tcalls\tseconds\tevents/s\t")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.2f\t%.0f\t\n", run.Path, run.Workers, run.Batch, run.Delivered, run.Calls, run.Seconds, run.PerS)
	}
	_ = tw.Flush()
}
