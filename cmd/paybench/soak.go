package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
)

// soakReport is what a soak run did and what it found at the end.
type soakReport struct {
	DB      string         `json:"db"`
	Seconds float64        `json:"seconds"`
	Actions map[string]int `json:"actions"`
	// Server says which PostgreSQL server the soak ran on.
	Server string `json:"server,omitempty"`
	// Restarts lists each time the soak stopped its PostgreSQL server at
	// once and started it again.
	Restarts []restart `json:"restarts,omitempty"`
	// Payments counts the payments by final status.
	Payments map[string]int `json:"payments"`
	// Notifications is how many notification deliveries the simulator
	// attempted, and NotificationsRetried how many of them it repeated
	// after a non-2xx answer or an error.
	Notifications        int `json:"notifications"`
	NotificationsRetried int `json:"notifications_retried"`
	// Events delivered to the paid receiver, receiver failures injected
	// (errors and panics), dead events at the end.
	PaidDeliveries   int `json:"paid_deliveries"`
	ReceiverFailures int `json:"receiver_failures"`
	DeadEvents       int `json:"dead_events"`
	// Backlog is how many hook events were undelivered when the traffic
	// stopped, and DrainSeconds how long resolving the unknown payments
	// and delivering every event took after that.
	Backlog      int     `json:"backlog"`
	DrainSeconds float64 `json:"drain_seconds"`
	// Diverged counts the payments whose stored status is not the one the
	// simulator reports at the end (a notification Midtrans gave up on,
	// which only the reconciler's hourly sync of pending payments would
	// catch up with), with a few of them as examples.
	Diverged         int      `json:"diverged"`
	DivergedExamples []string `json:"diverged_examples,omitempty"`
	// Invariants checked, and every violation found (none when all hold).
	Invariants []string `json:"invariants"`
	Violations []string `json:"violations"`
}

// restart is one stop and start of the soak's server: when it stopped, in
// seconds since the soak started, and for how many seconds it refused
// connections (until pg_ctl start saw it accept them).
type restart struct {
	At   float64 `json:"at"`
	Down float64 `json:"down"`
}

// soakState is shared by the soak's workers.
type soakState struct {
	mu     sync.Mutex
	orders []string
	// fulfilled counts, per order, the distinct paid events its receiver
	// handled (it dedupes redeliveries by event ID, as receivers must).
	fulfilled map[string]map[string]bool
	actions   map[string]int
	// failing makes receivers fail at random while set.
	failing          atomic.Bool
	paidDeliveries   atomic.Int64
	receiverFailures atomic.Int64
}

func (s *soakState) count(action string) {
	s.mu.Lock()
	s.actions[action]++
	s.mu.Unlock()
}

func (s *soakState) randomOrder(r *rand.Rand) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.orders) == 0 {
		return ""
	}
	return s.orders[r.IntN(len(s.orders))]
}

func soakNotes() []string {
	return []string{
		"mixed traffic through the module's routes and Service: charges (bca_va, gopay, qris), customers paying, duplicate notifications, refunds (through the module and from the Midtrans side), cancels, syncs",
		"faults: simulator errors (500, 503) and dropped answers on any call, paid and status-changed receivers failing or panicking; on PostgreSQL this run's backends terminated (pg_terminate_backend), and its throwaway server stopped at once (pg_ctl -m immediate) and started again about every 30 s",
		"notifications confirmed with GET status (the default), retried by the simulator on Midtrans' schedule divided by 600 (0.2, 1, 3, 9, 21 s) so that a retry outlasts a restart; hooks delivered by Service.Run; the reconciler resolves charges left unknown",
		"at the end: faults off, notifications and hooks drained, then the invariants are checked in SQL",
	}
}

// soak runs cfg.soak of mixed traffic with faults on d, drains, and checks
// the invariants.
func soak(ctx context.Context, cfg *config, d *database) (*soakReport, error) {
	start := time.Now()
	// Midtrans' schedule (2, 10, 30, 90, 210 minutes) divided by 600: a
	// notification answered 503 throughout a server restart (about 4 s)
	// and then on a pooled connection the restart broke is still retried
	// after both, as Midtrans would retry one over a longer outage. At a
	// 1,200th, its last retry (7.5 s after the first attempt) failed so in
	// 9 of 6,047 payments.
	sim := midtranstest.NewServer(midtranstest.Config{RetryDelays: []time.Duration{200 * time.Millisecond, time.Second,
		3 * time.Second, 9 * time.Second, 21 * time.Second}})
	defer sim.Close()
	client, err := newClient(sim)
	if err != nil {
		return nil, err
	}
	failures := &failureLog{byOrder: map[string][]string{}, start: start}
	mod, err := newModuleStack(d.db, client, []payments.Option{
		// A short lease: an event whose delivery was cut by a killed
		// database connection is claimed again after it.
		payments.WithDelivery(payments.DeliveryConfig{Workers: 2, MaxAttempts: 50, RetryMin: 10 * time.Millisecond,
			RetryMax: 200 * time.Millisecond, Poll: 100 * time.Millisecond, Lease: 3 * time.Second, Timeout: time.Second}),
		payments.WithReconciler(payments.ReconcileConfig{Interval: time.Second, UnknownAfter: time.Second}),
		// A charge Midtrans never received (an injected error before it
		// was processed) is written off once Midtrans answers "not found"
		// this long after: the simulator has nothing in flight once the
		// faults stop, where real Midtrans needs the default 10 minutes.
		payments.WithUnknownGrace(2 * time.Second),
	}, []notify.Option{notify.WithLogger(slog.New(failures))})
	if err != nil {
		return nil, err
	}
	defer mod.srv.close()
	sim.SetNotificationURL(mod.srv.url + "/payments/notifications")
	svc := mod.svc

	st := &soakState{fulfilled: map[string]map[string]bool{}, actions: map[string]int{}}
	st.failing.Store(true)
	maybeFail := func(r *rand.Rand) error {
		if !st.failing.Load() {
			return nil
		}
		switch n := r.IntN(10); {
		case n == 0:
			st.receiverFailures.Add(1)
			panic("paybench: injected receiver panic")
		case n < 3:
			st.receiverFailures.Add(1)
			return errors.New("paybench: injected receiver failure")
		}
		return nil
	}
	var rmu sync.Mutex
	rr := rand.New(rand.NewPCG(1, 2))
	randFail := func() error {
		rmu.Lock()
		defer rmu.Unlock()
		return maybeFail(rr)
	}
	defer svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
		if err := randFail(); err != nil {
			return err
		}
		st.paidDeliveries.Add(1)
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.fulfilled[e.Payment.OrderID] == nil {
			st.fulfilled[e.Payment.OrderID] = map[string]bool{}
		}
		st.fulfilled[e.Payment.OrderID][e.ID] = true
		return nil
	})()
	defer svc.Connect(payments.SignalStatusChanged, func(context.Context, *payments.Event) error { return randFail() })()

	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- svc.Run(runCtx) }()
	defer func() { stopRun(); <-runDone }()

	hc := &http.Client{Timeout: 15 * time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(cfg.soak)
	var wg sync.WaitGroup
	var seq atomic.Int64
	workers := max(cfg.senders/4, 2)
	for w := range workers {
		r := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				soakAction(ctx, r, st, sim, svc, hc, mod.srv.url, d, &seq)
			}
		})
	}
	var restarts []restart
	var restartErr error
	if d.server != nil {
		wg.Go(func() { restarts, restartErr = restartServer(ctx, d, st, start, cfg.soak) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Drain: faults off, the simulator's deliveries finished, unknown
	// charges reconciled, every hook event delivered.
	sim.FailNext(0, 0)
	sim.DropNextResponses(0)
	st.failing.Store(false)
	dctx, cancel := context.WithTimeout(ctx, max(time.Minute, cfg.soak))
	defer cancel()
	rep := &soakReport{DB: d.kind, Actions: st.actions, Server: d.where, Restarts: restarts}
	if restartErr != nil {
		rep.Violations = append(rep.Violations, "restart: "+restartErr.Error())
	}
	if err := d.db.NewSelect().TableExpr("nusapay_outbox").ColumnExpr("count(*)").
		Where("delivered_at IS NULL AND NOT dead").Scan(dctx, &rep.Backlog); err != nil {
		return nil, fmt.Errorf("soak: count undelivered events: %w", err)
	}
	drained := time.Now()
	var drainErr error
	if drainErr = sim.WaitIdle(dctx); drainErr == nil {
		drainErr = drain(dctx, d, svc, sim)
	}
	rep.DrainSeconds = time.Since(drained).Seconds()
	if drainErr != nil {
		// Not drained in time: the invariants say what is left.
		rep.Violations = append(rep.Violations, "drain: "+drainErr.Error())
		dctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	rep.PaidDeliveries, rep.ReceiverFailures = int(st.paidDeliveries.Load()), int(st.receiverFailures.Load())
	for _, del := range sim.Deliveries() {
		rep.Notifications++
		if del.Attempt > 1 {
			rep.NotificationsRetried++
		}
	}
	if err := checkInvariants(dctx, d, st, rep); err != nil {
		return nil, err
	}
	if err := compareWithMidtrans(dctx, d, client, sim.Deliveries(), start, failures, rep); err != nil {
		return nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// soakAction does one random thing.
func soakAction(ctx context.Context, r *rand.Rand, st *soakState, sim *midtranstest.Server, svc *payments.Service,
	hc *http.Client, url string, d *database, seq *atomic.Int64) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	n := r.IntN(100)
	switch {
	case n < 35:
		method := []string{"bca_va", "gopay", "qris"}[r.IntN(3)]
		id := fmt.Sprintf("soak-%06d", seq.Add(1))
		body := fmt.Appendf(nil, `{"order_ref":%q,"method":%q}`, id, method)
		ok := post(ctx, hc, url+"/payments/charges", body, http.StatusCreated)
		st.mu.Lock()
		st.orders = append(st.orders, id) // answered or not: the payment may exist
		st.mu.Unlock()
		st.count(outcome(ok, "charge", "charge_failed"))
	case n < 60:
		if id := st.randomOrder(r); id != "" && sim.Pay(id) == nil {
			st.count("pay")
		}
	case n < 65:
		if id := st.randomOrder(r); id != "" && sim.Notify(id) == nil {
			st.count("notification_resent")
		}
	case n < 75:
		if id := st.randomOrder(r); id != "" {
			_, _, err := svc.Refund(ctx, id, payments.RefundRequest{Amount: payments.Amount(1000 * (1 + r.IntN(30)))})
			st.count(outcome(err == nil, "refund", "refund_refused_or_failed"))
		}
	case n < 78:
		if id := st.randomOrder(r); id != "" && sim.Refund(id, int64(1000*(1+r.IntN(30)))) == nil {
			st.count("refund_midtrans_side")
		}
	case n < 83:
		if id := st.randomOrder(r); id != "" {
			_, err := svc.Cancel(ctx, id)
			st.count(outcome(err == nil, "cancel", "cancel_refused_or_failed"))
		}
	case n < 88:
		if id := st.randomOrder(r); id != "" {
			_, err := svc.Sync(ctx, id)
			st.count(outcome(err == nil, "sync", "sync_failed"))
		}
	case n < 93:
		// Up to 4 in a row: more than the client's 2 retries, so some
		// calls fail for good (a charge left unknown, a notification
		// answered 503 and delivered again).
		sim.FailNext(1+r.IntN(4), []int{500, 503}[r.IntN(2)])
		st.count("fault_simulator_error")
	case n < 98:
		sim.DropNextResponses(1 + r.IntN(4))
		st.count("fault_dropped_answer")
	default:
		if d.db.Dialect().Name() == dialect.PG && r.IntN(4) == 0 {
			// Break this run's open connections, as a server restart
			// would; the pool reconnects.
			_, _ = d.db.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()", d.appName)
			st.count("fault_postgres_backends_killed")
		}
	}
	time.Sleep(time.Duration(r.IntN(5)) * time.Millisecond)
}

// restartServer stops d's server at once and starts it again about every
// 30 seconds of the soak (at least once), spread evenly, each time keeping
// it down for 0.5 to 2 seconds more, as a crashed server restarted by its
// supervisor would be. It returns how long each outage lasted, from the
// stop until the server accepted connections again.
func restartServer(ctx context.Context, d *database, st *soakState, start time.Time, soak time.Duration) ([]restart, error) {
	n := min(max(int(soak/(30*time.Second)), 1), 20)
	every := soak / time.Duration(n+1)
	r := rand.New(rand.NewPCG(uint64(start.UnixNano()), 3))
	var outages []restart
	for i := 1; i <= n; i++ {
		select {
		case <-ctx.Done():
			return outages, nil
		case <-time.After(time.Until(start.Add(time.Duration(i) * every))):
		}
		began := time.Now()
		if err := d.server.Stop(ctx); err != nil {
			return outages, err
		}
		time.Sleep(500*time.Millisecond + time.Duration(r.Int64N(int64(1500*time.Millisecond))))
		// Started with a context of its own: a soak interrupted while the
		// server is down still leaves it running, for the schema's drop.
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := d.server.Start(sctx)
		cancel()
		if err != nil {
			return outages, err
		}
		outages = append(outages, restart{At: began.Sub(start).Seconds(), Down: time.Since(began).Seconds()})
		st.count("fault_postgres_restarted")
	}
	return outages, nil
}

// compareWithMidtrans asks the simulator for every payment's status and
// counts those stored otherwise. A charge the simulator never received
// agrees when it is stored as failed. Each example lists the attempts to
// deliver the payment's notifications.
func compareWithMidtrans(ctx context.Context, d *database, client *midtrans.Client, deliveries []midtranstest.Delivery, start time.Time,
	failures *failureLog, rep *soakReport) error {
	var pays []struct {
		OrderID string `bun:"order_id"`
		Status  string `bun:"status"`
	}
	if err := d.db.NewSelect().TableExpr("nusapay_payments").Column("order_id", "status").Order("order_id").
		Scan(ctx, &pays); err != nil {
		return fmt.Errorf("soak: read payments: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	var firstErr error
	for range 4 {
		wg.Go(func() {
			for i := range next {
				p := pays[i]
				got := "(not found)"
				resp, err := client.Status(ctx, p.OrderID)
				switch {
				case err == nil:
					got = strings.ToLower(resp.TransactionStatus)
				case !errors.Is(err, midtrans.ErrNotFound):
					mu.Lock()
					firstErr = cmp.Or(firstErr, fmt.Errorf("soak: status of %s: %w", p.OrderID, err))
					mu.Unlock()
					continue
				}
				if got == p.Status || got == "(not found)" && p.Status == string(payments.StatusFailure) {
					continue
				}
				mu.Lock()
				rep.Diverged++
				if len(rep.DivergedExamples) < 5 {
					rep.DivergedExamples = append(rep.DivergedExamples, fmt.Sprintf("%s: stored %s, Midtrans %s", p.OrderID, p.Status, got))
				}
				mu.Unlock()
			}
		})
	}
	for i := range pays {
		next <- i
	}
	close(next)
	wg.Wait()
	sort.Strings(rep.DivergedExamples)
	for i, ex := range rep.DivergedExamples {
		id, _, _ := strings.Cut(ex, ":")
		rep.DivergedExamples[i] += " (notifications: " + deliveryHistory(deliveries, id, start) + "; transient failures: " + failures.of(id) + ")"
	}
	return firstErr
}

// failureLog is the notify handler's logger: it keeps, per order, the
// errors behind the notifications it answered with a retryable failure.
type failureLog struct {
	start   time.Time
	mu      sync.Mutex
	byOrder map[string][]string
}

func (l *failureLog) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelError
}

func (l *failureLog) Handle(_ context.Context, r slog.Record) error {
	var order, msg string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "order_id":
			order = a.Value.String()
		case "error":
			msg = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if order != "" && len(l.byOrder[order]) < 10 {
		l.byOrder[order] = append(l.byOrder[order], fmt.Sprintf("at %.1f s: %s", r.Time.Sub(l.start).Seconds(), msg))
	}
	return nil
}

func (l *failureLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *failureLog) WithGroup(string) slog.Handler      { return l }

func (l *failureLog) of(orderID string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.byOrder[orderID], "; ")
}

// deliveryHistory lists the attempts to deliver orderID's notifications,
// in the order made, e.g. "settlement#1 503 at 12.3 s, settlement#2 200 at
// 12.4 s" (the notification's status, the attempt's number, the answer,
// when since start).
func deliveryHistory(deliveries []midtranstest.Delivery, orderID string, start time.Time) string {
	var parts []string
	for _, del := range deliveries {
		var n struct {
			OrderID string `json:"order_id"`
			Status  string `json:"transaction_status"`
		}
		if json.Unmarshal(del.Body, &n) != nil || n.OrderID != orderID {
			continue
		}
		answer := strconv.Itoa(del.StatusCode)
		if del.StatusCode == 0 {
			answer = "error"
		}
		parts = append(parts, fmt.Sprintf("%s#%d %s at %.1f s", n.Status, del.Attempt, answer, del.At.Sub(start).Seconds()))
	}
	return strings.Join(parts, ", ")
}

// outcome names an action by whether it succeeded.
func outcome(ok bool, done, failed string) string {
	if ok {
		return done
	}
	return failed
}

// drain syncs the payments left unknown or initiated until Midtrans'
// answer resolves them, and waits until the outbox has nothing left to
// deliver.
func drain(ctx context.Context, d *database, svc *payments.Service, sim *midtranstest.Server) error {
	for {
		var unresolved []string
		if err := d.db.NewSelect().TableExpr("nusapay_payments").Column("order_id").
			Where("status IN ('initiated', 'unknown')").Scan(ctx, &unresolved); err != nil {
			return fmt.Errorf("soak: read unresolved payments: %w", err)
		}
		for _, id := range unresolved {
			_, _ = svc.Sync(ctx, id) // an error leaves it for the next pass
		}
		if len(unresolved) > 0 {
			_ = sim.WaitIdle(ctx)
		}
		var undelivered int
		if err := d.db.NewSelect().TableExpr("nusapay_outbox").ColumnExpr("count(*)").
			Where("delivered_at IS NULL AND NOT dead").Scan(ctx, &undelivered); err != nil {
			return fmt.Errorf("soak: count undelivered events: %w", err)
		}
		if len(unresolved) == 0 && undelivered == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("soak: not drained (%d payments unresolved, %d events undelivered): %w", len(unresolved), undelivered, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// checkInvariants reads the database and st and records every violation.
func checkInvariants(ctx context.Context, d *database, st *soakState, rep *soakReport) error {
	rep.Payments = map[string]int{}
	var pays []struct {
		OrderID        string     `bun:"order_id"`
		Status         string     `bun:"status"`
		Amount         int64      `bun:"amount"`
		RefundedAmount int64      `bun:"refunded_amount"`
		PaidAt         *time.Time `bun:"paid_at"`
		Refunds        int64      `bun:"refunds"`
		PaidEvents     int        `bun:"paid_events"`
	}
	if err := d.db.NewSelect().TableExpr("nusapay_payments AS p").
		ColumnExpr("p.order_id, p.status, p.amount, p.refunded_amount, p.paid_at").
		ColumnExpr("(SELECT coalesce(sum(r.amount), 0) FROM nusapay_refunds AS r WHERE r.payment_id = p.id AND r.status = 'succeeded') AS refunds").
		ColumnExpr("(SELECT count(*) FROM nusapay_outbox AS o WHERE o.payment_id = p.id AND o.topic = 'paid') AS paid_events").
		Scan(ctx, &pays); err != nil {
		return fmt.Errorf("soak: read payments: %w", err)
	}
	violate := func(format string, args ...any) {
		rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
	}
	st.mu.Lock()
	fulfilled := st.fulfilled
	st.mu.Unlock()
	for _, p := range pays {
		rep.Payments[p.Status]++
		if !payments.ParseStatus(p.Status).Known() {
			violate("%s: unknown status %q", p.OrderID, p.Status)
		}
		got := len(fulfilled[p.OrderID])
		if p.PaidAt != nil && (got != 1 || p.PaidEvents != 1) {
			violate("%s: paid, fulfilled %d times, %d paid events", p.OrderID, got, p.PaidEvents)
		}
		if p.PaidAt == nil && (got != 0 || p.PaidEvents != 0) {
			violate("%s: never paid, fulfilled %d times, %d paid events", p.OrderID, got, p.PaidEvents)
		}
		if p.RefundedAmount > p.Amount || p.Refunds > p.Amount {
			violate("%s: refunded %d (refund rows %d) of %d", p.OrderID, p.RefundedAmount, p.Refunds, p.Amount)
		}
	}
	// Every applied change of status is one the transition table allows.
	var moves []struct {
		OrderID string `bun:"order_id"`
		From    string `bun:"from_status"`
		To      string `bun:"to_status"`
	}
	if err := d.db.NewSelect().TableExpr("nusapay_payment_events").ColumnExpr("order_id, from_status, to_status").
		Where("decision = 'applied' AND from_status <> to_status AND from_status <> ''").Scan(ctx, &moves); err != nil {
		return fmt.Errorf("soak: read audit: %w", err)
	}
	table := payments.Transitions()
	for _, m := range moves {
		allowed := false
		for _, to := range table[payments.Status(m.From)] {
			allowed = allowed || to == payments.Status(m.To)
		}
		if !allowed {
			violate("%s: applied %s → %s, which the status machine forbids", m.OrderID, m.From, m.To)
		}
	}
	var undelivered int
	if err := d.db.NewSelect().TableExpr("nusapay_outbox").ColumnExpr("count(*)").Where("delivered_at IS NULL AND NOT dead").
		Scan(ctx, &undelivered); err != nil {
		return err
	}
	if err := d.db.NewSelect().TableExpr("nusapay_outbox").ColumnExpr("count(*)").Where("dead").Scan(ctx, &rep.DeadEvents); err != nil {
		return err
	}
	if undelivered > 0 || rep.DeadEvents > 0 {
		violate("outbox not drained: %d undelivered, %d dead", undelivered, rep.DeadEvents)
	}
	rep.Invariants = []string{
		fmt.Sprintf("every paid payment fulfilled exactly once (one paid event, one distinct event handled): %d payments", len(pays)),
		fmt.Sprintf("every applied status change allowed by the transition table: %d changes", len(moves)),
		"no payment refunded above its amount (refunded_amount, succeeded refund rows)",
		"outbox drained: no event undelivered or dead",
		"every status known",
	}
	return nil
}

func printSoak(w io.Writer, s *soakReport) {
	fmt.Fprintf(w, "soak on %s: %.0f s\n", s.DB, s.Seconds)
	if s.Server != "" {
		fmt.Fprintf(w, "  server: %s\n", s.Server)
	}
	if len(s.Restarts) > 0 {
		outages := make([]string, len(s.Restarts))
		for i, o := range s.Restarts {
			outages[i] = fmt.Sprintf("%.1f s at %.1f s", o.Down, o.At)
		}
		fmt.Fprintf(w, "  server restarts (stopped at once, started again): %d, down %s\n", len(s.Restarts), strings.Join(outages, ", "))
	}
	fmt.Fprintf(w, "  actions: %s\n", sortedCounts(s.Actions))
	fmt.Fprintf(w, "  payments by status: %s\n", sortedCounts(s.Payments))
	fmt.Fprintf(w, "  notifications delivered by the simulator: %d attempts, %d of them retries\n", s.Notifications, s.NotificationsRetried)
	fmt.Fprintf(w, "  hook events undelivered when the traffic stopped: %d; unknown payments resolved and every event delivered %.1f s later\n",
		s.Backlog, s.DrainSeconds)
	fmt.Fprintf(w, "  paid receiver: %d deliveries handled (redeliveries included); %d receiver failures injected; %d dead events\n",
		s.PaidDeliveries, s.ReceiverFailures, s.DeadEvents)
	fmt.Fprintf(w, "  payments stored with another status than the simulator's at the end: %d %s\n", s.Diverged, strings.Join(s.DivergedExamples, "; "))
	for _, inv := range s.Invariants {
		fmt.Fprintln(w, "  checked:", inv)
	}
	if len(s.Violations) == 0 {
		fmt.Fprintln(w, "  all invariants hold")
	}
	for _, v := range s.Violations {
		fmt.Fprintln(w, "  VIOLATION:", v)
	}
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
