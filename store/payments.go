package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// CreatePayment implements payments.PaymentStore.
func (s *Store) CreatePayment(ctx context.Context, p *payments.Payment) error {
	if p == nil {
		_, err := payments.PlanCreate(p, s.clock())
		return err
	}
	scoped := *p
	scoped.Account = s.account
	plan, err := payments.PlanCreate(&scoped, s.clock())
	if err != nil {
		return err
	}
	next := plan.Next
	row, err := rowFromPayment(next)
	if err != nil {
		return fmt.Errorf("create payment %s: %w", p.OrderID, err)
	}
	if s.inOne() {
		err = s.createInOne(ctx, row, &plan)
		if errors.Is(err, errNeedTx) {
			err = s.createInTx(ctx, row, &plan)
		}
	} else {
		err = s.createInTx(ctx, row, &plan)
	}
	if err != nil {
		return fmt.Errorf("create payment %s: %w", p.OrderID, err)
	}
	*p = *next
	return nil
}

// createInTx writes a new payment, its audit row and its events in one
// transaction.
func (s *Store) createInTx(ctx context.Context, row *paymentRow, plan *payments.ChangePlan) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := s.hotExec(ctx, &tx, s.sql.insertPayment, paymentArgs(row)...)
		if err != nil {
			return err
		}
		if ok, err := s.insertedNew(ctx, tx, res, TablePayments, "account = ? AND order_id = ?", row.Account, row.OrderID); err != nil {
			return err
		} else if !ok {
			return payments.ErrDuplicateOrder
		}
		_, err = s.insertEvents(ctx, tx, &plan.Audit, plan.Events, plan.Audit.CreatedAt)
		return err
	})
}

// createInOne writes a new payment, its audit row and its events in one
// statement, on PostgreSQL, outside any transaction (a statement is
// atomic): nusapay_create_payment, which writes nothing and returns no row
// for a duplicate order. One round trip where a transaction takes four.
func (s *Store) createInOne(ctx context.Context, row *paymentRow, plan *payments.ChangePlan) error {
	rows, err := outboxRows(plan.Events, plan.Audit.CreatedAt)
	if err != nil {
		return err
	}
	c := newCall(s.db.Dialect(), "nusapay_create_payment", 52)
	for rest := paymentColumns; rest != ""; {
		var col string
		col, rest, _ = strings.Cut(rest, ", ")
		row.put(col, c)
	}
	if err := appendChange(c, &plan.Audit, rows); err != nil {
		return err
	}
	query, err := c.text()
	if err != nil {
		return err
	}
	out, err := s.call(ctx, query)
	if err != nil {
		return err
	}
	if !out.written {
		return payments.ErrDuplicateOrder
	}
	return setSeqs(rows, out.seqs)
}

// Payment implements payments.PaymentStore.
func (s *Store) Payment(ctx context.Context, orderID string) (*payments.Payment, error) {
	return s.paymentWhere(ctx, s.db, "p.order_id = ?", orderID, false)
}

// PaymentByTransactionID implements payments.PaymentStore.
func (s *Store) PaymentByTransactionID(ctx context.Context, transactionID string) (*payments.Payment, error) {
	if transactionID == "" {
		return nil, fmt.Errorf("payment by transaction id: empty id: %w", payments.ErrNotFound)
	}
	return s.paymentWhere(ctx, s.db, "p.transaction_id = ?", transactionID, false)
}

func (s *Store) paymentWhere(ctx context.Context, db bun.IDB, where, arg string, lock bool) (*payments.Payment, error) {
	row := new(paymentRow)
	var err error
	if query, ok := s.sql.paymentSelects[paymentSelectKey(where, lock)]; ok {
		var tx *bun.Tx
		if t, ok := db.(bun.Tx); ok {
			tx = &t
		}
		if tx == nil {
			err = s.againOnDeadConn(ctx, func() error { return s.hotScan(ctx, nil, query, []any{s.account, arg}, row) })
		} else {
			err = s.hotScan(ctx, tx, query, []any{s.account, arg}, row)
		}
	} else {
		q := db.NewSelect().Model(row).Where("p.account = ?", s.account).Where(where, arg)
		if lock && s.sql.paymentLock != "" {
			q = q.For(s.sql.paymentLock)
		}
		err = q.Scan(ctx)
	}
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("payment %s: %w", arg, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("payment %s: %w", arg, err)
	}
	return row.payment()
}

// knownPrev is prev, a payment a caller holds (see ApplyFrom), when a
// change of orderID may be planned against it: nil when it is nil, of
// another order or account, or was never stored.
func (s *Store) knownPrev(prev *payments.Payment, orderID string) *payments.Payment {
	if prev == nil || prev.OrderID != orderID || prev.Account != s.account || prev.Version < 1 {
		return nil
	}
	return prev
}

// againFromRead reports whether a write planned against a payment the
// caller held, with no read before it, is to be planned again from a read:
// it met a dead pooled connection (see againOnDeadConn), which a read
// would have met and drained first. The error does not prove the write did
// not commit, but planning again is safe where sending it again would not
// be: the read sees the version the write left, and the plan made against
// it changes nothing twice (a notification already recorded is a
// duplicate).
func againFromRead(ctx context.Context, err error) bool {
	return isDeadConn(err) && ctx.Err() == nil
}

// errLostRace rolls back an Apply attempt whose compare-and-set failed.
var errLostRace = errors.New("store: compare-and-set lost")

// Apply implements payments.PaymentStore.
func (s *Store) Apply(ctx context.Context, c *payments.Change) (*payments.ApplyResult, error) {
	return s.ApplyFrom(ctx, nil, c)
}

// ApplyFrom is Apply for a caller that holds prev, the payment as this
// store last returned it (CreatePayment's, a read's): where a change is
// written by one function call (PostgreSQL), the first attempt plans c
// against prev instead of reading the row, and writes only if the row's
// version is still prev's; a lost compare-and-set reads the row and plans
// again, as Apply does, and so does a write that met a dead pooled
// connection (see againFromRead). prev is ignored when it is nil, of
// another order or of another account, and on the other databases, whose
// Apply locks and reads the row in its transaction anyway. A prev changed
// in memory since the store returned it (or with another payment's ID) is
// a caller's bug: it is planned against as if it were the row. The
// Service passes the payment CreatePayment returned when it records a
// charge's answer, saving a read.
func (s *Store) ApplyFrom(ctx context.Context, prev *payments.Payment, c *payments.Change) (*payments.ApplyResult, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	prev = s.knownPrev(prev, c.OrderID)
	if s.inOne() {
		for range s.maxCAS {
			held := prev != nil
			res, err := s.applyInOne(ctx, prev, c)
			prev = nil
			if errors.Is(err, errLostRace) || held && againFromRead(ctx, err) {
				continue
			}
			if errors.Is(err, errNeedTx) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("apply %s to %s: %w", c.To.Status, c.OrderID, err)
			}
			return res, nil
		}
	}
	for range s.maxCAS {
		res, err := s.applyOnce(ctx, c)
		if errors.Is(err, errLostRace) {
			continue
		}
		return res, err
	}
	return s.applyOnce(ctx, c.GiveUp())
}

// applyOnce carries out c's plan in one transaction. Everything the plan
// says comes from payments.Plan: this only locks, compares and writes.
func (s *Store) applyOnce(ctx context.Context, c *payments.Change) (*payments.ApplyResult, error) {
	var res *payments.ApplyResult
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		prev, err := s.paymentWhere(ctx, tx, "p.order_id = ?", c.OrderID, true)
		if err != nil {
			return err
		}
		plan := payments.Plan(prev, c, s.clock())
		res, err = s.carryOut(ctx, tx, prev, &plan)
		return err
	})
	if err != nil {
		if errors.Is(err, errLostRace) {
			return nil, err
		}
		return nil, fmt.Errorf("apply %s to %s: %w", c.To.Status, c.OrderID, err)
	}
	return res, nil
}

// carryOut writes a plan made against prev: the next payment
// (compare-and-set), the audit row, the outbox events and the refunds it
// reports.
func (s *Store) carryOut(ctx context.Context, tx bun.Tx, prev *payments.Payment, plan *payments.ChangePlan) (*payments.ApplyResult, error) {
	if plan.Next != nil {
		if err := s.compareAndSet(ctx, tx, prev, plan.Next); err != nil {
			return nil, err
		}
	}
	if err := s.recordRefunds(ctx, tx, plan.Refunds); err != nil {
		return nil, err
	}
	events, err := s.insertEvents(ctx, tx, &plan.Audit, plan.Events, plan.Audit.CreatedAt)
	if err != nil {
		return nil, err
	}
	return plan.Result(prev, events), nil
}

func (s *Store) compareAndSet(ctx context.Context, tx bun.Tx, prev, next *payments.Payment) error {
	cols := changedColumns(prev, next)
	row, err := rowForUpdate(next, slices.Contains(cols, "instructions"))
	if err != nil {
		return err
	}
	res, err := tx.NewUpdate().Model(row).
		Column(cols...).
		// The primary key and the version only: every write of a payment
		// bumps its version, and prev was read in this account under the
		// row lock. Another equality (account, status) lets the planner
		// prefer a status index over the primary key, and on a fresh table
		// it does: it scanned every pending payment per update.
		Where("id = ?", prev.ID).
		Where("version = ?", prev.Version).
		Exec(ctx)
	if err != nil {
		return transactionIDConflict(err, next)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return errLostRace
	}
	return nil
}

// transactionIDConflict is err, or ErrConflict when writing next
// violated the transaction id's uniqueness.
func transactionIDConflict(err error, next *payments.Payment) error {
	if isUniqueViolation(err, "nusapay_payments_transaction_id_key", "transaction_id") {
		return fmt.Errorf("transaction id %s belongs to another payment: %w", next.TransactionID, payments.ErrConflict)
	}
	return err
}

// changedColumns are the columns a compare-and-set from prev to next
// writes: those whose value changes, and always version and updated_at.
// A settlement rewrites three or four columns, not the charge response and
// instructions JSON that came with the charge.
func changedColumns(prev, next *payments.Payment) []string {
	changed := [...]struct {
		differ bool
		col    string
	}{
		{prev.TransactionID != next.TransactionID, "transaction_id"},
		{prev.Amount != next.Amount, "amount"},
		{prev.PaymentType != next.PaymentType, "payment_type"},
		{prev.Status != next.Status, "status"},
		{prev.FraudStatus != next.FraudStatus, "fraud_status"},
		{prev.StatusMessage != next.StatusMessage, "status_message"},
		{!reflect.DeepEqual(&prev.Instructions, &next.Instructions), "instructions"}, // pointers: not boxed
		{!dbTime(prev.ExpiresAt).Equal(dbTime(next.ExpiresAt)), "expires_at"},
		{!dbTime(prev.PaidAt).Equal(dbTime(next.PaidAt)), "paid_at"},
		{prev.RefundedAmount != next.RefundedAmount, "refunded_amount"},
		{!bytes.Equal(prev.ChargeResponse, next.ChargeResponse), "charge_response"},
		{!dbTime(prev.TransactionTime).Equal(dbTime(next.TransactionTime)), "transaction_time"},
		{!dbTime(prev.SettlementTime).Equal(dbTime(next.SettlementTime)), "settlement_time"},
		{prev.CustomField1 != next.CustomField1, "custom_field1"},
		{prev.CustomField2 != next.CustomField2, "custom_field2"},
		{prev.CustomField3 != next.CustomField3, "custom_field3"},
	}
	cols := make([]string, 0, len(changed)+2)
	for _, c := range changed {
		if c.differ {
			cols = append(cols, c.col)
		}
	}
	return append(cols, "version", "updated_at")
}

// auditColumns are the columns insertAudit writes, in order.
const auditColumns = "account, payment_id, order_id, source, actor, from_status, from_fraud, from_refunded, " +
	"to_status, to_fraud, to_refunded, decision, reason, payload, created_at"

// auditArgs are an audit row's values, in auditColumns' order.
func auditArgs(a *payments.AuditEntry) []any {
	args := make(argList, 0, 15)
	putAudit(&args, a)
	return args
}

// putAudit gives w an audit row's values, in auditColumns' order: the
// payload NULL when there is none.
func putAudit(w valueSink, a *payments.AuditEntry) {
	w.str(a.Account)
	w.str(a.PaymentID)
	w.str(a.OrderID)
	w.str(string(a.Source))
	w.str(a.Actor)
	w.str(string(a.From.Status))
	w.str(string(a.From.Fraud))
	w.int(int64(a.From.Refunded))
	w.str(string(a.To.Status))
	w.str(string(a.To.Fraud))
	w.int(int64(a.To.Refunded))
	w.str(a.Decision.String())
	w.str(string(a.Reason))
	nullString(w, string(a.Payload))
	w.at(a.CreatedAt)
}

// insertEvents writes a change's audit row (unless nil) and adds its
// events to the outbox, due at now. On PostgreSQL, with events, the two are
// one statement (the audit insert in a WITH); elsewhere two.
func (s *Store) insertEvents(ctx context.Context, tx bun.Tx, audit *payments.AuditEntry, events []payments.Event, now time.Time) ([]*payments.OutboxEvent, error) {
	if audit != nil && (len(events) == 0 || !s.sql.writableCTE) {
		if _, err := s.hotExec(ctx, &tx, s.sql.insertAudit, auditArgs(audit)...); err != nil {
			return nil, err
		}
		audit = nil
	}
	if len(events) == 0 {
		return nil, nil
	}
	rows, err := outboxRows(events, now)
	if err != nil {
		return nil, err
	}
	// One statement for all of a change's events: a round trip each would
	// dominate the transaction on PostgreSQL.
	if s.sql.insertReturning {
		if err := s.insertReturningSeqs(ctx, tx, audit, rows); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
	} else if err := insertReadingSeqs(ctx, tx, rows); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	out := make([]*payments.OutboxEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// outboxRows are events' outbox rows, due at now.
func outboxRows(events []payments.Event, now time.Time) ([]outboxRow, error) {
	rows := make([]outboxRow, len(events))
	var shared paymentJSON // a change's events share its payment
	for i := range events {
		ev := &events[i]
		body, err := marshalEvent(ev, &shared)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", ev.Signal, err)
		}
		rows[i] = outboxRow{
			EventID:       ev.ID,
			Topic:         string(ev.Signal),
			Payload:       string(body),
			NextAttemptAt: now,
			CreatedAt:     now,
		}
		if ev.Payment != nil {
			rows[i].Account, rows[i].PaymentID, rows[i].OrderID = ev.Payment.Account, ev.Payment.ID, ev.Payment.OrderID
		} else if ev.Subscription != nil {
			// A subscription's own events queue under its id.
			rows[i].Account, rows[i].PaymentID = ev.Subscription.Account, ev.Subscription.ID
		}
	}
	return rows, nil
}

// paymentJSON is the JSON of the payment events last carried.
type paymentJSON struct {
	of   *payments.Payment
	json json.RawMessage
}

// marshalEvent is ev's JSON, with its payment marshalled once per
// change: the events of one change (paid and status changed) carry the
// same payment, the largest part of each, and last is the one marshalled
// last. It is kept by pointer: a change's events share their *Payment,
// which nothing changes while they are marshalled.
func marshalEvent(ev *payments.Event, last *paymentJSON) ([]byte, error) {
	if ev.Payment == nil || ev.Subscription != nil {
		return marshalEventStd(ev, last)
	}
	if last.of != ev.Payment {
		p := ev.Payment
		pj, ok := appendPaymentJSON(make([]byte, 0, 1024+len(p.ChargeResponse)+len(p.Metadata)+128*len(p.Items)), p)
		if !ok {
			return marshalEventStd(ev, last)
		}
		*last = paymentJSON{p, pj}
	}
	b, ok := appendEventJSON(make([]byte, 0, 256+len(last.json)+len(ev.Payload)), ev, last.json)
	if !ok {
		return marshalEventStd(ev, last)
	}
	return b, nil
}

// marshalEventStd is marshalEvent by encoding/json: the form
// appendEventJSON writes, for what it cannot write.
func marshalEventStd(ev *payments.Event, last *paymentJSON) ([]byte, error) {
	if ev.Payment == nil {
		return json.Marshal(ev)
	}
	if last.of != ev.Payment {
		pj, err := json.Marshal(ev.Payment)
		if err != nil {
			return nil, err
		}
		*last = paymentJSON{ev.Payment, pj}
	}
	// The outer Payment, shallower, stands for the Event's own.
	return json.Marshal(struct {
		*payments.Event
		Payment json.RawMessage `json:"payment"`
	}{ev, last.json})
}

// outboxArgs are an outbox row's values, in outboxColumns' order.
func outboxArgs(r *outboxRow) []any {
	return []any{r.EventID, r.Account, r.PaymentID, r.OrderID, r.Topic, r.Payload, r.Attempts,
		dbTime(r.NextAttemptAt), r.Dead, r.LastError, dbTime(r.CreatedAt)}
}

// outboxColumns are the columns insertReturningSeqs writes, in order.
const outboxColumns = "event_id, account, payment_id, order_id, topic, payload, attempts, next_attempt_at, dead, last_error, created_at"

// insertReturningSeqs inserts rows in one statement and sets their seqs
// from its RETURNING, matched by event id: the order of RETURNING rows is
// not promised.
func (s *Store) insertReturningSeqs(ctx context.Context, tx bun.Tx, audit *payments.AuditEntry, rows []outboxRow) error {
	values := "(" + placeholders(outboxColumns) + ")"
	query := "INSERT INTO " + TableOutbox + " (" + outboxColumns + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(values+", ", len(rows)), ", ") + " RETURNING seq, event_id"
	args := make([]any, 0, 15+11*len(rows))
	for i := range rows {
		args = append(args, outboxArgs(&rows[i])...)
	}
	if audit != nil { // PostgreSQL: the audit row in the same statement
		query = "WITH o AS (" + query + "), audit AS (" + s.sql.insertAudit + ") SELECT seq, event_id FROM o"
		args = append(args, auditArgs(audit)...)
	}
	res, err := s.hotQuery(ctx, &tx, query, args...)
	if err != nil {
		return err
	}
	defer res.Close()
	seqs := make(map[string]int64, len(rows))
	for res.Next() {
		var seq int64
		var id string
		if err := res.Scan(&seq, &id); err != nil {
			return err
		}
		seqs[id] = seq
	}
	if err := res.Err(); err != nil {
		return err
	}
	return setSeqs(rows, seqs)
}

// setSeqs sets each row's seq from seqs, by event id.
func setSeqs(rows []outboxRow, seqs map[string]int64) error {
	for i := range rows {
		seq, ok := seqs[rows[i].EventID]
		if !ok {
			return fmt.Errorf("event %s not found after its insert", rows[i].EventID)
		}
		rows[i].Seq = seq
	}
	return nil
}

// insertReadingSeqs inserts rows and reads their seqs back by event id,
// for MySQL, which has no INSERT ... RETURNING. LAST_INSERT_ID() and its
// successors are the seqs only while auto-increment locking keeps one
// statement's values consecutive (innodb_autoinc_lock_mode 0 or 1), and
// MySQL 8 defaults to 2, where concurrent inserts interleave.
func insertReadingSeqs(ctx context.Context, tx bun.Tx, rows []outboxRow) error {
	if _, err := tx.NewInsert().Model(&rows).Returning("").Exec(ctx); err != nil {
		return err
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].EventID
	}
	var got []struct {
		EventID string `bun:"event_id"`
		Seq     int64  `bun:"seq"`
	}
	if err := tx.NewSelect().Table(TableOutbox).Column("event_id", "seq").Where("event_id IN (?)", bun.List(ids)).Scan(ctx, &got); err != nil {
		return err
	}
	seqs := make(map[string]int64, len(got))
	for _, g := range got {
		seqs[g.EventID] = g.Seq
	}
	return setSeqs(rows, seqs)
}

// History implements payments.PaymentStore.
func (s *Store) History(ctx context.Context, paymentID string) ([]payments.AuditEntry, error) {
	var rows []eventRow
	if err := s.db.NewSelect().Model(&rows).Where("account = ?", s.account).Where("payment_id = ?", paymentID).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("history of %s: %w", paymentID, err)
	}
	out := make([]payments.AuditEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	return out, nil
}

// reconcileBranches are the SELECTs of the candidates a reconcile claim
// for q takes, one per criterion, each with its arguments: the account's
// due payments not synced since q.SyncedBefore, at most limit, with the
// claim's row lock. Each is a plain conjunction an index bounds, ordered
// by that index where the range holds more than the due payments, so
// every database reads the index in order and stops at the limit, never
// reading what is not due (the EXPLAIN test holds each to it). One OR of
// them all, or a branch without its order, lets planners misled by their
// estimates read every pending payment:
//   - unknown outcomes, per status, through (status, updated_at), oldest
//     first; local expiries through (status, expires_at): payments in
//     these states are few, and a sync moves them out;
//   - long-pending payments, which may stay pending for days and be many,
//     through (status, synced_at, created_at) (migration 20261202000011):
//     those never synced and old enough, an exact range of the index that
//     needs no order (with one, PostgreSQL, which does not take IS NULL
//     for an equality of the order, and MariaDB sort the range), and those
//     synced long enough ago, least recently synced first. With the
//     synced_at filter after the index (status, created_at), as before,
//     every sweep read every long-pending payment.
func (s *Store) reconcileBranches(q payments.ReconcileQuery, limit int) []rawQuery {
	synced := dbTime(q.SyncedBefore)
	notSynced := " AND (synced_at IS NULL OR synced_at <= ?)"
	var out []rawQuery
	add := func(index, where, order string, args ...any) {
		out = append(out, rawQuery{
			sql: "SELECT id FROM " + TablePayments + index + " WHERE " + s.sql.reconcileAccount + " AND " + where +
				order + " LIMIT ? " + s.sql.reconcileLock,
			args: append(append([]any{s.account}, args...), limit),
		})
	}
	pending := string(payments.StatusPending)
	if !q.UnknownBefore.IsZero() {
		for _, st := range []payments.Status{payments.StatusInitiated, payments.StatusUnknown} {
			add("", "status = ? AND updated_at <= ?"+notSynced, " ORDER BY updated_at", string(st), dbTime(q.UnknownBefore), synced)
		}
	}
	if !q.ExpiredBefore.IsZero() {
		add("", "status = ? AND expires_at <= ?"+notSynced, " ORDER BY expires_at", pending, dbTime(q.ExpiredBefore), synced)
	}
	if !q.PendingBefore.IsZero() {
		add(s.sql.reconcileIndex, "status = ? AND synced_at IS NULL AND created_at <= ?", s.sql.neverSyncedOrder,
			pending, dbTime(q.PendingBefore))
		add(s.sql.reconcileIndex, "status = ? AND synced_at <= ? AND created_at <= ?", " ORDER BY synced_at", pending, synced, dbTime(q.PendingBefore))
	}
	return out
}

// rawQuery is SQL with its arguments.
type rawQuery struct {
	sql  string
	args []any
}

// ClaimReconcile implements payments.PaymentStore. In one transaction it
// claims from each criterion's candidates in turn (reconcileBranches)
// until it has q.Limit payments; a payment one branch marked is no longer
// a candidate of the next. On PostgreSQL and SQLite one statement selects
// and marks a branch's payments (WITH ... UPDATE ... RETURNING); on
// PostgreSQL the candidates are locked FOR UPDATE SKIP LOCKED, so
// concurrent claimers take disjoint sets without waiting, and a candidate
// another claim marked meanwhile is checked again after the lock and
// dropped; SQLite's write transactions are serialised. MySQL, lacking
// UPDATE ... RETURNING, locks a branch's candidates FOR UPDATE, marks them
// and reads them back. It waits for a candidate another transaction holds
// rather than skipping it: InnoDB's SKIP LOCKED also skips rows another
// statement locked only while reading through or past them, so two
// replicas' claims each left a due payment to the other and neither took
// it (testReconcilePassesAcrossReplicas); PostgreSQL locks only the rows
// it returns. A claim's transaction is short. A deadlock is retried when
// the store runs its own transactions (see inTx); a MySQL lock wait that
// times out (error 1205) is not: the claim returns the error, and the
// reconciler's next pass claims again.
func (s *Store) ClaimReconcile(ctx context.Context, q payments.ReconcileQuery, at time.Time) ([]*payments.Payment, error) {
	if err := q.Validate(at); err != nil {
		return nil, err
	}
	at = dbTime(at)
	if !dbTime(q.SyncedBefore).Before(at) {
		return nil, errors.New("payments: reconcile claim: SyncedBefore must be before the claim time, at microsecond precision")
	}
	var rows []paymentRow
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows = rows[:0]
		for _, sel := range s.reconcileBranches(q, q.Limit) {
			if len(rows) >= q.Limit {
				break
			}
			sel.args[len(sel.args)-1] = q.Limit - len(rows)
			var got []paymentRow
			if s.sql.claimQuery != "" {
				if err := tx.NewRaw("WITH due AS ("+sel.sql+")\nUPDATE "+TablePayments+" SET synced_at = ? WHERE id IN (SELECT id FROM due)\nRETURNING *",
					append(sel.args, at)...).Scan(ctx, &got); err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				rows = append(rows, got...)
				continue
			}
			var ids []string
			if err := tx.NewRaw(sel.sql, sel.args...).Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if len(ids) == 0 {
				continue
			}
			if _, err := tx.NewUpdate().Table(TablePayments).Set("synced_at = ?", at).Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
				return err
			}
			if err := tx.NewSelect().Model(&got).Where("p.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
				return err
			}
			rows = append(rows, got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim payments to reconcile: %w", err)
	}
	out := make([]*payments.Payment, 0, len(rows))
	for i := range rows {
		p, err := rows[i].payment()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// MarkSynced implements payments.PaymentStore.
func (s *Store) MarkSynced(ctx context.Context, paymentID string, t time.Time) error {
	var res sql.Result
	err := s.write(ctx, func(ctx context.Context) (err error) {
		res, err = s.db.NewUpdate().Table(TablePayments).Set("synced_at = ?", dbTime(t)).Where("account = ?", s.account).Where("id = ?", paymentID).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark %s synced: %w", paymentID, err)
	}
	if err := s.matched(ctx, res, TablePayments, paymentID); err != nil {
		return fmt.Errorf("mark %s synced: %w", paymentID, err)
	}
	return nil
}

// matched returns payments.ErrNotFound when res, an update of the
// account's row id in table, found no such row. No row changed means the
// row is missing on PostgreSQL and SQLite; on MySQL, which counts changed
// rows rather than matched ones, the row may also have held the new values
// already, so a count of 0 is checked.
func (s *Store) matched(ctx context.Context, res sql.Result, table, id string) error {
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return nil
	}
	ok, err := s.db.NewSelect().Table(table).Where("account = ?", s.account).Where("id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return payments.ErrNotFound
	}
	return nil
}

// isUniqueViolation reports whether err is a unique-constraint violation of
// the named constraint (PostgreSQL, MySQL) or column (SQLite).
func isUniqueViolation(err error, constraint, column string) bool {
	if err == nil {
		return false
	}
	// MySQL 1062 ER_DUP_ENTRY: "Duplicate entry '…' for key '<key>'", the
	// key qualified by its table ("'t.<key>'") since MySQL 8.0.19.
	if my := (*mysql.MySQLError)(nil); errors.As(err, &my) {
		return my.Number == 1062 && (strings.HasSuffix(my.Message, "'"+constraint+"'") || strings.HasSuffix(my.Message, "."+constraint+"'"))
	}
	msg := err.Error()
	return (strings.Contains(msg, "duplicate key value violates unique constraint") && strings.Contains(msg, constraint)) ||
		(strings.Contains(msg, "UNIQUE constraint failed") && strings.Contains(msg, column))
}
