package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/uid"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// The growth mode's fixed workload: whatever the number of payments, the
// same few are due for the reconciler and the same events wait in the
// outbox, so a cost that grows with the tables is the tables' doing.
const (
	// growthDue payments are due for the reconciler at every size: 10
	// initiated and 10 unknown for a minute, 10 pending past their expiry
	// (the sweep's first pass), 35 pending for hours and never synced and
	// 35 synced hours ago (its second pass).
	growthDue = 100
	// growthPendingEvents hook events wait in the outbox, one per payment,
	// of which a claim takes growthClaimBatch.
	growthPendingEvents = 200
	growthClaimBatch    = 100
	// growthReconcileBatch is a reconcile claim's limit (the default
	// ReconcileConfig.Batch).
	growthReconcileBatch = 100
)

// Growth operations, in the order they are measured.
const (
	opLookupStore  = "lookup_store"
	opLookupRoute  = "lookup_route"
	opReconcile    = "reconcile_sweep"
	opClaim        = "outbox_claim"
	opNotification = "notification"
)

func growthOps() []string {
	return []string{opLookupStore, opLookupRoute, opReconcile, opClaim, opNotification}
}

// growthReport is the growth mode's result on one database.
type growthReport struct {
	DB   string        `json:"db"`
	Reps int           `json:"reps"`
	Runs []*growthSize `json:"sizes"`
	// Ratios are, per operation, the largest size's p50 and p99 over the
	// smallest's.
	Ratios map[string]map[string]float64 `json:"ratios"`
	// Plans are the plans of every statement each operation ran, at the
	// largest size.
	Plans []*growthPlan `json:"plans"`
}

// growthSize is one size: how long growing to it took and what each
// operation cost there.
type growthSize struct {
	Payments int `json:"payments"`
	// Rows counts every seeded table's rows (the fixed payments and the
	// notifications' targets included).
	Rows        map[string]int64   `json:"rows"`
	SeedSeconds float64            `json:"seed_seconds"`
	Ops         map[string]*opCost `json:"ops"`
}

// opCost is one operation's cost at one size, one operation at a time.
type opCost struct {
	Reps  int     `json:"reps"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	// CPUPerOpUs is this process's CPU per operation (SQLite included);
	// DBCPUPerOpUs the PostgreSQL backends', 0 when not measured.
	CPUPerOpUs   float64 `json:"cpu_per_op_us"`
	DBCPUPerOpUs float64 `json:"db_cpu_per_op_us,omitempty"`
}

// growthPlan is one statement an operation ran, with its plan.
type growthPlan struct {
	Op   string `json:"op"`
	SQL  string `json:"sql"`
	Plan string `json:"plan"`
	// Analyzed: the plan is EXPLAIN ANALYZE's (PostgreSQL, run in a
	// transaction rolled back), with the buffers it read.
	Analyzed bool `json:"analyzed"`
	// Scans are the plan's lines that read a whole table or index.
	Scans []string `json:"scans,omitempty"`
}

func growthNotes() []string {
	return []string{
		"each size is grown in place from the one before with bulk SQL on the module's tables: 90% settled (2 audit rows, 2 delivered hook events, 1 processed notification each), 8% pending (synced 5 minutes ago, not due), 1% expired, 1% cancelled",
		fmt.Sprintf("fixed at every size: %d payments due for the reconciler, %d pending hook events; and, per size, the pending payments the notifications settle", growthDue, growthPendingEvents),
		"then ANALYZE (VACUUM ANALYZE on PostgreSQL, as autovacuum would have) and a checkpoint, so the seed's writes are on disk before the measurements; grown in s includes them",
		"operations one at a time, after a warm-up: " + opLookupStore + " Store.Payment by order id (random over all sizes' payments); " +
			opLookupRoute + " GET {prefix}/payments/{order_id} over loopback HTTP; " +
			opReconcile + fmt.Sprintf(" both reconcile passes' Store.ClaimReconcile (limit %d, %d due, reset after); ", growthReconcileBatch, growthDue) +
			opClaim + fmt.Sprintf(" Store.ClaimEvents of %d (%d pending, leases reset after); ", growthClaimBatch, growthPendingEvents) +
			opNotification + " Service.ApplyNotification of a settlement, unconfirmed (inbox insert, payment read, apply, inbox finish)",
		"ratio: largest size / smallest size",
		"plans at the largest size, of every statement an operation ran: on PostgreSQL EXPLAIN (ANALYZE, BUFFERS) in a transaction rolled back (plain EXPLAIN where the statement cannot run again), on SQLite EXPLAIN QUERY PLAN",
	}
}

// grower seeds one database and measures it as it grows.
type grower struct {
	d *database
	// seed runs the bulk statements and maintenance.
	seed *bun.DB
	mod  *moduleStack
	st   *store.Store
	rec  *queryRecorder
	hc   *http.Client
	// t0 anchors every seeded time; maxN, the largest size, lays the bulk
	// payments out one second apart, the newest two hours before t0.
	t0        time.Time
	maxN      int
	serverKey string
	rng       *rand.Rand
	// dueNever and dueLongAgo are the due payments by their synced_at as
	// seeded (NULL, or t0-2h), to reset them after a sweep.
	dueNever, dueLongAgo []string
	// size is how many bulk payments exist.
	size int
}

// growth seeds d to each size of cfg.growth in turn and measures the
// operations at each.
func growth(ctx context.Context, cfg *config, d *database, progress io.Writer) (*growthReport, error) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	client, err := newClient(sim)
	if err != nil {
		return nil, err
	}
	// The module runs on a copy of the pool that records its SQL, for the
	// plans; seeding and resets go through d.db, unrecorded.
	rec := &queryRecorder{}
	mod, err := newModuleStack(d.db.WithQueryHook(rec), client, nil, []notify.Option{notify.WithoutConfirmation()})
	if err != nil {
		return nil, err
	}
	defer mod.srv.close()
	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	seed := d.db
	if d.kind == "postgres" {
		// Seeding and VACUUM at a million rows take longer than the
		// driver's 10-second read timeout: their own connection waits.
		u, err := url.Parse(d.dsn)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("read_timeout", "30m")
		u.RawQuery = q.Encode()
		if seed, err = store.OpenPostgres(u.String()); err != nil {
			return nil, err
		}
		defer seed.Close()
	}
	g := &grower{d: d, seed: seed, mod: mod, st: mod.st, rec: rec, hc: hc, t0: time.Now().UTC().Truncate(time.Second),
		maxN: cfg.growth[len(cfg.growth)-1], serverKey: sim.ServerKey(), rng: rand.New(rand.NewPCG(1, 2))}
	if err := g.seedFixed(ctx); err != nil {
		return nil, fmt.Errorf("seed the fixed payments: %w", err)
	}
	rep := &growthReport{DB: d.kind, Reps: cfg.reps}
	warm := max(cfg.reps/10, 3)
	for k, n := range cfg.growth {
		start := time.Now()
		if err := g.grow(ctx, n, progress); err != nil {
			return rep, fmt.Errorf("grow to %d: %w", n, err)
		}
		bodies, err := g.seedTargets(ctx, warm+cfg.reps+1)
		if err != nil {
			return rep, fmt.Errorf("targets at %d: %w", n, err)
		}
		if err := g.analyze(ctx); err != nil {
			return rep, err
		}
		size := &growthSize{Payments: n, SeedSeconds: time.Since(start).Seconds(), Ops: map[string]*opCost{}}
		fmt.Fprintf(progress, "paybench: %s: %d payments, grown in %.1f s\n", d.kind, n, size.SeedSeconds)
		last := k == len(cfg.growth)-1
		for _, name := range growthOps() {
			op, reset, err := g.operation(ctx, name, bodies)
			if err != nil {
				return rep, err
			}
			c, err := g.measure(ctx, warm, cfg.reps, op, reset)
			if err != nil {
				return rep, fmt.Errorf("%s at %d: %w", name, n, err)
			}
			size.Ops[name] = c
			if last {
				plans, err := g.plans(ctx, name, op, reset, warm+cfg.reps)
				if err != nil {
					return rep, fmt.Errorf("plans of %s: %w", name, err)
				}
				rep.Plans = append(rep.Plans, plans...)
			}
		}
		if err := g.settleEvents(ctx); err != nil {
			return rep, err
		}
		if size.Rows, err = g.count(ctx); err != nil {
			return rep, err
		}
		rep.Runs = append(rep.Runs, size)
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	rep.Ratios = map[string]map[string]float64{}
	first, lastSize := rep.Runs[0], rep.Runs[len(rep.Runs)-1]
	for _, name := range growthOps() {
		a, b := first.Ops[name], lastSize.Ops[name]
		r := map[string]float64{}
		if a.P50Ms > 0 {
			r["p50"] = b.P50Ms / a.P50Ms
		}
		if a.P99Ms > 0 {
			r["p99"] = b.P99Ms / a.P99Ms
		}
		rep.Ratios[name] = r
	}
	return rep, nil
}

// operation returns the operation name, as a function of its repetition,
// and what restores the state it changed (nil when nothing does).
func (g *grower) operation(ctx context.Context, name string, bodies [][]byte) (op func(context.Context, int) error, reset func(context.Context) error, err error) {
	switch name {
	case opLookupStore:
		return func(ctx context.Context, _ int) error {
			_, err := g.st.Payment(ctx, bulkOrderID(g.rng.IntN(g.size)))
			return err
		}, nil, nil
	case opLookupRoute:
		return func(ctx context.Context, _ int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.mod.srv.url+"/payments/payments/"+bulkOrderID(g.rng.IntN(g.size)), nil)
			if err != nil {
				return err
			}
			resp, err := g.hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET payment: %s", resp.Status)
			}
			return nil
		}, nil, nil
	case opReconcile:
		return g.sweep, g.resetDue, nil
	case opClaim:
		var claimed []int64
		return func(ctx context.Context, _ int) error {
				evs, err := g.st.ClaimEvents(ctx, "paybench-growth", growthClaimBatch, time.Minute)
				if err != nil {
					return err
				}
				claimed = claimed[:0]
				for _, e := range evs {
					claimed = append(claimed, e.Seq)
				}
				if len(evs) != growthClaimBatch {
					return fmt.Errorf("claimed %d events, want %d", len(evs), growthClaimBatch)
				}
				return nil
			}, func(ctx context.Context) error {
				_, err := g.d.db.NewUpdate().Table(store.TableOutbox).Set("lease_owner = NULL").Set("lease_expires_at = NULL").
					Set("attempts = 0").Where("seq IN (?)", bun.List(claimed)).Exec(ctx)
				return err
			}, nil
	case opNotification:
		parsed := make([]*midtrans.TransactionResponse, len(bodies))
		for i, b := range bodies {
			if parsed[i], err = notify.Parse(b); err != nil {
				return nil, nil, err
			}
		}
		return func(ctx context.Context, i int) error {
			res, err := g.mod.svc.ApplyNotification(ctx, parsed[i], bodies[i], payments.NotificationOptions{Unconfirmed: true})
			if err != nil {
				return err
			}
			if res.State != payments.NotificationProcessed || res.Duplicate || res.Verdict.Decision != payments.Applied {
				return fmt.Errorf("notification %s: %+v, want processed and applied", parsed[i].OrderID, res)
			}
			return nil
		}, nil, nil
	}
	return nil, nil, fmt.Errorf("unknown operation %q", name)
}

// measure runs op warm times, then reps times measured, reset after each.
func (g *grower) measure(ctx context.Context, warm, reps int, op func(context.Context, int) error, reset func(context.Context) error) (*opCost, error) {
	var pids []int
	pidsOK := false
	lat := make([]time.Duration, 0, reps)
	var cpu, dbCPU time.Duration
	for i := range warm + reps {
		if i == warm {
			// The pool's connections exist by now.
			pids, pidsOK = g.d.backendPIDs(ctx)
		}
		measured := i >= warm
		var db0 map[int]time.Duration
		dbOK := false
		if measured && pidsOK {
			db0, dbOK = pidsCPU(pids)
		}
		c0 := processCPU()
		t := time.Now()
		err := op(ctx, i)
		el := time.Since(t)
		c1 := processCPU()
		if err != nil {
			return nil, err
		}
		if measured {
			lat = append(lat, el)
			cpu += c1 - c0
			if dbOK {
				db1, ok := pidsCPU(pids)
				pidsOK = ok
				dbCPU += cpuDelta(db0, db1)
			}
		}
		if reset != nil {
			if err := reset(ctx); err != nil {
				return nil, fmt.Errorf("reset: %w", err)
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	c := &opCost{Reps: reps, P50Ms: pct(0.50), P99Ms: pct(0.99), CPUPerOpUs: float64(cpu.Microseconds()) / float64(reps)}
	if pidsOK {
		c.DBCPUPerOpUs = float64(dbCPU.Microseconds()) / float64(reps)
	}
	return c, nil
}

// reconcileQueries are the two passes of Service.ReconcileOnce with the
// default ReconcileConfig, at t0.
func (g *grower) reconcileQueries() [2]payments.ReconcileQuery {
	return [2]payments.ReconcileQuery{
		{UnknownBefore: g.t0.Add(-time.Minute), ExpiredBefore: g.t0.Add(-2 * time.Minute), SyncedBefore: g.t0.Add(-time.Minute), Limit: growthReconcileBatch},
		{PendingBefore: g.t0.Add(-time.Hour), SyncedBefore: g.t0.Add(-30 * time.Minute), Limit: growthReconcileBatch},
	}
}

// sweep claims both passes' due payments: 30, then 70.
func (g *grower) sweep(ctx context.Context, _ int) error {
	at := time.Now()
	var got [2]int
	for i, q := range g.reconcileQueries() {
		ps, err := g.st.ClaimReconcile(ctx, q, at)
		if err != nil {
			return err
		}
		got[i] = len(ps)
	}
	if got != [2]int{30, 70} {
		return fmt.Errorf("reconcile claimed %v, want [30 70]", got)
	}
	return nil
}

// resetDue makes the due payments due again.
func (g *grower) resetDue(ctx context.Context) error {
	if _, err := g.d.db.NewUpdate().Table(store.TablePayments).Set("synced_at = NULL").Where("id IN (?)", bun.List(g.dueNever)).Exec(ctx); err != nil {
		return err
	}
	_, err := g.d.db.NewUpdate().Table(store.TablePayments).Set("synced_at = ?", g.t0.Add(-2*time.Hour)).Where("id IN (?)", bun.List(g.dueLongAgo)).Exec(ctx)
	return err
}

// bulkOrderID is the order id of bulk payment i.
func bulkOrderID(i int) string { return fmt.Sprintf("ord-%08d", i) }

// nullTime is t for a query argument, NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// seedFixed writes what every size shares: the payments due for the
// reconciler, and settled payments with one pending hook event each.
func (g *grower) seedFixed(ctx context.Context) error {
	t0 := g.t0
	type due struct {
		status                   string
		n                        int
		created, expires, synced time.Time
	}
	var values []string
	var args []any
	add := func(orderID, status string, created, expires, synced, updated time.Time) string {
		id := uid.NewAt(created)
		values = append(values, "(?, 'default', ?, 'bca_va', 'bank_transfer', 50000, ?, ?, ?, ?, ?)")
		args = append(args, id, orderID, status, nullTime(expires), nullTime(synced), created, updated)
		return id
	}
	k := 0
	for _, d := range []due{
		{"initiated", 10, t0.Add(-10 * time.Minute), time.Time{}, time.Time{}},
		{"unknown", 10, t0.Add(-10 * time.Minute), time.Time{}, time.Time{}},
		{"pending", 10, t0.Add(-40 * time.Minute), t0.Add(-10 * time.Minute), time.Time{}},
		{"pending", 35, t0.Add(-3 * time.Hour), t0.Add(24 * time.Hour), time.Time{}},
		{"pending", 35, t0.Add(-3 * time.Hour), t0.Add(24 * time.Hour), t0.Add(-2 * time.Hour)},
	} {
		for range d.n {
			id := add(fmt.Sprintf("due-%03d", k), d.status, d.created, d.expires, d.synced, d.created)
			if d.synced.IsZero() {
				g.dueNever = append(g.dueNever, id)
			} else {
				g.dueLongAgo = append(g.dueLongAgo, id)
			}
			k++
		}
	}
	if k != growthDue {
		return fmt.Errorf("%d due payments, want %d", k, growthDue)
	}
	var evValues []string
	var evArgs []any
	for i := range growthPendingEvents {
		created := t0.Add(-2 * time.Hour)
		orderID := fmt.Sprintf("evt-%03d", i)
		id := add(orderID, "settlement", created, time.Time{}, time.Time{}, created.Add(5*time.Minute))
		evValues = append(evValues, "(?, 'default', ?, ?, 'status_changed', ?, ?, ?)")
		evArgs = append(evArgs, uid.NewAt(created), id, orderID, `{"signal":"status_changed","order_id":"`+orderID+`","status":"settlement"}`,
			t0.Add(-time.Minute), t0.Add(-time.Minute))
	}
	return g.d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("INSERT INTO nusapay_payments (id, account, order_id, method, payment_type, amount, status, expires_at, synced_at, created_at, updated_at) VALUES "+
			strings.Join(values, ", "), args...).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewRaw("INSERT INTO nusapay_outbox (event_id, account, payment_id, order_id, topic, payload, next_attempt_at, created_at) VALUES "+
			strings.Join(evValues, ", "), evArgs...).Exec(ctx)
		return err
	})
}

// seedTargets writes n pending payments through the store for the
// notifications to settle, marks the hook events that made delivered, and
// returns the notifications.
func (g *grower) seedTargets(ctx context.Context, n int) ([][]byte, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("tgt-%d-%04d", g.size, i)
	}
	var before int64
	if err := g.d.db.NewSelect().TableExpr(store.TableOutbox).ColumnExpr("coalesce(max(seq), 0)").Scan(ctx, &before); err != nil {
		return nil, err
	}
	bodies, err := seedPending(ctx, g.d.db, g.serverKey, ids)
	if err != nil {
		return nil, err
	}
	_, err = g.d.db.NewUpdate().Table(store.TableOutbox).Set("delivered_at = ?", time.Now()).
		Where("seq > ?", before).Where("delivered_at IS NULL").Exec(ctx)
	return bodies, err
}

// settleEvents marks the hook events the notifications made delivered, so
// the next size starts with the same pending events.
func (g *grower) settleEvents(ctx context.Context) error {
	_, err := g.d.db.NewUpdate().Table(store.TableOutbox).Set("delivered_at = ?", time.Now()).
		Where("delivered_at IS NULL").Where("NOT dead").Where("order_id NOT LIKE 'evt-%'").Exec(ctx)
	return err
}

// analyze refreshes the planner's statistics, then checkpoints: the
// seed's writes are flushed before the measurements, not during them
// (a checkpoint spread over the next minutes slows every commit).
func (g *grower) analyze(ctx context.Context) error {
	if g.d.kind == "postgres" {
		for _, t := range []string{store.TablePayments, store.TableEvents, store.TableOutbox, store.TableInbox} {
			if _, err := g.seed.ExecContext(ctx, "VACUUM ANALYZE "+t); err != nil {
				return fmt.Errorf("vacuum analyze %s: %w", t, err)
			}
		}
		if _, err := g.seed.ExecContext(ctx, "CHECKPOINT"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	}
	if _, err := g.seed.ExecContext(ctx, "ANALYZE"); err != nil {
		return err
	}
	_, err := g.seed.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// count counts the rows of the seeded tables.
func (g *grower) count(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{store.TablePayments, store.TableEvents, store.TableOutbox, store.TableInbox} {
		var n int64
		if err := g.seed.NewSelect().TableExpr(t).ColumnExpr("count(*)").Scan(ctx, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, nil
}

// seedDialect is what bulk seeding SQL needs that PostgreSQL and SQLite
// spell differently.
type seedDialect struct {
	// series makes the CTE g(i) over [lo, hi).
	series func(lo, hi int) string
	// ts turns seconds since the epoch into the column's time.
	ts func(epoch string) string
	// pad and hex write an integer zero-padded to width.
	pad, hex func(expr string, width int) string
	// scatter is 8 hex digits from an integer, in no order, for keys
	// that arrive in random order (notification dedup keys).
	scatter func(expr string) string
	// json casts text to a JSON column.
	json string
}

func seedSQLFor(kind string) seedDialect {
	if kind == "postgres" {
		return seedDialect{
			series: func(lo, hi int) string {
				return fmt.Sprintf("WITH g(i) AS (SELECT generate_series(%d::bigint, %d::bigint))", lo, hi-1)
			},
			ts:      func(e string) string { return "to_timestamp(" + e + ")" },
			pad:     func(e string, w int) string { return fmt.Sprintf("lpad((%s)::text, %d, '0')", e, w) },
			hex:     func(e string, w int) string { return fmt.Sprintf("lpad(to_hex(%s), %d, '0')", e, w) },
			scatter: func(e string) string { return fmt.Sprintf("substr(md5((%s)::text), 1, 8)", e) },
			json:    "::jsonb",
		}
	}
	return seedDialect{
		series: func(lo, hi int) string {
			return fmt.Sprintf("WITH RECURSIVE g(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM g WHERE i + 1 < %d)", lo, hi)
		},
		ts:      func(e string) string { return "(strftime('%Y-%m-%d %H:%M:%S', " + e + ", 'unixepoch') || '+00:00')" },
		pad:     func(e string, w int) string { return fmt.Sprintf("printf('%%0%dd', %s)", w, e) },
		hex:     func(e string, w int) string { return fmt.Sprintf("printf('%%0%dx', %s)", w, e) },
		scatter: func(e string) string { return fmt.Sprintf("printf('%%08x', ((%s) * 2654435761) %% 4294967296)", e) },
	}
}

// bulkStatements are the INSERTs that add bulk payments [lo, hi) and
// their audit rows, hook events and notifications. Payment i is created
// at t0 - 2h - (maxN - i) s; k = i % 100 picks its fate.
func (g *grower) bulkStatements(lo, hi int) []string {
	q := seedSQLFor(g.d.kind)
	cte := q.series(lo, hi) + fmt.Sprintf(", s AS (SELECT i, i %% 100 AS k, %d - 7200 - (%d - i) AS c FROM g)\n", g.t0.Unix(), g.maxN)
	ts := func(offset string) string { return q.ts("c + " + offset) }
	pad := q.pad("i", 8)
	// Ids shaped like the module's (UUIDv7: time first), unique by i.
	idOf := func(variant string) string {
		h := q.hex("c * 1000", 12)
		return fmt.Sprintf("substr(%s, 1, 8) || '-' || substr(%s, 9, 4) || '-7000-%s-' || %s", h, h, variant, q.hex("i", 12))
	}
	payID, orderID := idOf("8000"), "'ord-' || "+pad
	status := "CASE WHEN k < 90 THEN 'settlement' WHEN k < 98 THEN 'pending' WHEN k = 98 THEN 'expire' ELSE 'cancel' END"
	t0 := fmt.Sprint(g.t0.Unix())
	payments := cte + `INSERT INTO nusapay_payments (id, account, order_id, transaction_id, method, payment_type, amount, currency,
    status, fraud_status, instructions, expires_at, paid_at, customer, customer_email, charge_response, version, synced_at,
    created_at, updated_at)
SELECT ` + payID + `, 'default', ` + orderID + `, 'tx-' || ` + pad + `, 'bca_va', 'bank_transfer', 10000 + (i % 50) * 1000, 'IDR',
    ` + status + `, CASE WHEN k < 90 THEN 'accept' ELSE '' END,
    ('{"va_number":"12345' || ` + pad + ` || '","bank":"bca"}')` + q.json + `,
    CASE WHEN k >= 90 AND k < 98 THEN ` + q.ts(t0+" + 86400") + ` ELSE ` + ts("86400") + ` END,
    CASE WHEN k < 90 THEN ` + ts("300") + ` END,
    ('{"first_name":"Customer","email":"c' || (i % 50000) || '@example.com","phone":"+6281' || ` + pad + ` || '"}')` + q.json + `,
    'c' || (i % 50000) || '@example.com',
    '{"status_code":"201","status_message":"Success, Bank Transfer transaction is created","transaction_id":"tx-' || ` + pad +
		` || '","order_id":"ord-' || ` + pad + ` || '","merchant_id":"G123456789","gross_amount":"10000.00","currency":"IDR","payment_type":"bank_transfer","transaction_time":"2026-11-20 10:00:00","transaction_status":"pending","fraud_status":"accept","va_numbers":[{"bank":"bca","va_number":"12345' || ` + pad + ` || '"}],"expiry_time":"2026-11-21 10:00:00"}',
    CASE WHEN k < 90 OR k >= 98 THEN 3 ELSE 2 END,
    CASE WHEN k >= 90 AND k < 98 THEN ` + q.ts(t0+" - 300") + ` END,
    ` + ts("0") + `,
    CASE WHEN k < 90 THEN ` + ts("300") + ` WHEN k < 98 THEN ` + ts("0") + ` ELSE ` + ts("86400") + ` END
FROM s`
	audit := cte + `INSERT INTO nusapay_payment_events (payment_id, account, order_id, source, from_status, to_status, decision, reason, payload, created_at)
SELECT ` + payID + `, 'default', ` + orderID + `, 'charge', 'initiated', 'pending', 'applied', 'transition', NULL, ` + ts("0") + ` FROM s
UNION ALL
SELECT ` + payID + `, 'default', ` + orderID + `, 'notification', 'pending', ` + status + `, 'applied', 'transition',
    '{"order_id":"ord-' || ` + pad + ` || '","transaction_status":"settlement","status_code":"200","gross_amount":"10000.00"}', ` + ts("300") + `
FROM s WHERE k < 90 OR k >= 98`
	outbox := cte + `INSERT INTO nusapay_outbox (event_id, account, payment_id, order_id, topic, payload, attempts, next_attempt_at,
    delivered_at, created_at)
SELECT ` + idOf("900' || t.n || '") + `, 'default', ` + payID + `, ` + orderID + `, t.topic,
    '{"signal":"' || t.topic || '","order_id":"ord-' || ` + pad + ` || '","status":"settlement","amount":10000}', 1, ` + ts("300") + `,
    ` + ts("301") + `, ` + ts("300") + `
FROM s CROSS JOIN (SELECT 'paid' AS topic, 1 AS n UNION ALL SELECT 'status_changed', 2) AS t
WHERE k < 90 OR t.n = 2`
	inbox := cte + `INSERT INTO nusapay_inbox (id, account, dedup_key, order_id, transaction_id, status, signature_valid, state, detail,
    body, received_at, processed_at)
SELECT ` + idOf("a000") + `, 'default', ` + q.scatter("i") + ` || ` + q.pad("i", 56) + `, ` + orderID + `, 'tx-' || ` + pad + `,
    ` + status + `, true, 'processed', 'applied: transition',
    '{"transaction_time":"2026-11-20 10:00:00","transaction_status":"settlement","transaction_id":"tx-' || ` + pad +
		` || '","status_message":"midtrans payment notification","status_code":"200","signature_key":"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","settlement_time":"2026-11-20 10:05:00","payment_type":"bank_transfer","order_id":"ord-' || ` + pad + ` || '","merchant_id":"G123456789","gross_amount":"10000.00","fraud_status":"accept","currency":"IDR"}',
    ` + ts("300") + `, ` + ts("300") + `
FROM s WHERE k < 90 OR k >= 98`
	return []string{payments, audit, outbox, inbox}
}

// grow adds bulk payments up to n, in one transaction.
func (g *grower) grow(ctx context.Context, n int, progress io.Writer) error {
	if n <= g.size {
		return nil
	}
	err := g.seed.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The statements hold no arguments: through the driver, not Bun's
		// formatter, which would read their '?'-free text anyway.
		if g.d.kind == "sqlite" {
			// A page cache that holds the indexes being filled (256 MB,
			// not the default 2 MB), on this connection for the seed only.
			if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
				return err
			}
			defer func() { _, _ = tx.ExecContext(ctx, "PRAGMA cache_size = -2000") }()
		}
		var took []string
		for i, q := range g.bulkStatements(g.size, n) {
			t := time.Now()
			if _, err := tx.Tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%w\n%s", err, q)
			}
			took = append(took, fmt.Sprintf("%s %.1f s", []string{"payments", "audit", "outbox", "inbox"}[i], time.Since(t).Seconds()))
		}
		fmt.Fprintf(progress, "paybench: %s: payments %d to %d: %s\n", g.d.kind, g.size, n, strings.Join(took, ", "))
		return nil
	})
	if err != nil {
		return err
	}
	g.size = n
	return nil
}

// queryRecorder keeps the SQL of the queries run through a *bun.DB while
// it is on.
type queryRecorder struct {
	on      atomic.Bool
	mu      sync.Mutex
	queries []string
}

func (r *queryRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *queryRecorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !r.on.Load() {
		return
	}
	r.mu.Lock()
	r.queries = append(r.queries, e.Query)
	r.mu.Unlock()
}

// record runs fn and returns the statements it ran, transaction control
// left out.
func (r *queryRecorder) record(fn func() error) ([]string, error) {
	r.mu.Lock()
	r.queries = nil
	r.mu.Unlock()
	r.on.Store(true)
	err := fn()
	r.on.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.queries {
		switch w, _, _ := strings.Cut(strings.TrimSpace(q), " "); strings.ToUpper(w) {
		case "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE":
			continue
		}
		out = append(out, q)
	}
	return out, err
}

// plans runs op once more (repetition i), records its statements, resets,
// and explains each.
func (g *grower) plans(ctx context.Context, name string, op func(context.Context, int) error, reset func(context.Context) error, i int) ([]*growthPlan, error) {
	queries, err := g.rec.record(func() error { return op(ctx, i) })
	if err != nil {
		return nil, err
	}
	if reset != nil {
		if err := reset(ctx); err != nil {
			return nil, err
		}
	}
	var out []*growthPlan
	for _, q := range queries {
		p, err := explainSQL(ctx, g.d, q)
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", q, err)
		}
		p.Op = name
		out = append(out, p)
	}
	return out, nil
}

// explainSQL explains q: on PostgreSQL with ANALYZE and BUFFERS in a
// transaction rolled back (plain EXPLAIN when q fails to run again, as an
// insert of a key now taken does), on SQLite EXPLAIN QUERY PLAN.
func explainSQL(ctx context.Context, d *database, q string) (*growthPlan, error) {
	p := &growthPlan{SQL: q}
	db := d.db.DB // no Bun formatting of the recorded text, and no hooks
	var lines []string
	if d.kind == "postgres" {
		analyzed, err := pgExplain(ctx, db, "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY OFF) "+q)
		if err == nil {
			lines, p.Analyzed = analyzed, true
		} else if lines, err = pgExplain(ctx, db, "EXPLAIN "+q); err != nil {
			return nil, err
		}
		for _, l := range lines {
			if strings.Contains(l, "Seq Scan on nusapay_") {
				p.Scans = append(p.Scans, strings.TrimSpace(l))
			}
		}
	} else {
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return nil, err
			}
			lines = append(lines, detail)
			// SCAN is a whole table, or a whole index with USING; a
			// VALUES list or a constant row is no table.
			if strings.HasPrefix(detail, "SCAN ") && !strings.Contains(detail, "VALUES CLAUSE") && !strings.Contains(detail, "CONSTANT ROW") {
				p.Scans = append(p.Scans, detail)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	p.Plan = strings.Join(lines, "\n")
	return p, nil
}

func pgExplain(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, rows.Err()
}

// humanSize writes 1000 as 1k and 1000000 as 1M.
func humanSize(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// longColumns matches a long column list, shortened when printed.
var longColumns = regexp.MustCompile(`^((?:WITH .*?\) )?(?:SELECT|INSERT INTO "?\w+"?(?: AS "?\w+"?)?|UPDATE "?\w+"?(?: AS "?\w+"?)? SET)) .{120,}? (FROM|VALUES|WHERE|RETURNING) `)

func printGrowth(w io.Writer, g *growthReport) {
	fmt.Fprintf(w, "growth on %s, %d repetitions per operation and size\n", g.DB, g.Reps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "db\tpayments\tpayments rows\taudit rows\toutbox rows\tinbox rows\tgrown in s\t")
	for _, s := range g.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.1f\t\n", g.DB, humanSize(s.Payments), s.Rows[store.TablePayments],
			s.Rows[store.TableEvents], s.Rows[store.TableOutbox], s.Rows[store.TableInbox], s.SeedSeconds)
	}
	_ = tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "db\toperation\tpayments\tp50 ms\tp99 ms\tcpu/op µs\tdb cpu/op µs\t")
	for _, name := range growthOps() {
		for _, s := range g.Runs {
			c := s.Ops[name]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.3f\t%.0f\t%s\t\n", g.DB, name, humanSize(s.Payments), c.P50Ms, c.P99Ms, c.CPUPerOpUs, dbCPU(c.DBCPUPerOpUs))
		}
		if len(g.Runs) > 1 {
			r := g.Ratios[name]
			fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%.2f×\t%.2f×\t\t\t\n", g.DB, name, humanSize(g.Runs[len(g.Runs)-1].Payments), humanSize(g.Runs[0].Payments), r["p50"], r["p99"])
		}
	}
	_ = tw.Flush()
	if len(g.Plans) == 0 {
		return
	}
	fmt.Fprintf(w, "plans at %s payments (%s):\n", humanSize(g.Runs[len(g.Runs)-1].Payments), g.DB)
	for _, p := range g.Plans {
		q := longColumns.ReplaceAllString(strings.Join(strings.Fields(p.SQL), " "), "$1 … $2 ")
		if len(q) > 400 {
			q = q[:400] + " …"
		}
		scans := "no whole-table scan"
		if len(p.Scans) > 0 {
			scans = "SCANS: " + strings.Join(p.Scans, "; ")
		}
		fmt.Fprintf(w, "- %s: %s\n  [%s]\n", p.Op, q, scans)
		for _, l := range strings.Split(p.Plan, "\n") {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}

// parseSizes reads a comma-separated list of positive, increasing counts.
func parseSizes(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
			return nil, fmt.Errorf("%s: %q is not a positive count", flagName, f)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, errors.New(flagName + ": counts must increase")
		}
		out = append(out, n)
	}
	return out, nil
}
