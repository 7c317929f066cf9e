package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/uid"
)

// CreatePayment implements payments.PaymentStore.
func (s *Store) CreatePayment(ctx context.Context, p *payments.Payment) error {
	if err := checkNewPayment(p); err != nil {
		return err
	}
	now := s.clock()
	next := *p
	if next.ID == "" {
		next.ID = uid.NewAt(now)
	}
	if next.Status == "" {
		next.Status = payments.StatusInitiated
	}
	if next.Currency == "" {
		next.Currency = "IDR"
	}
	next.Account = s.account
	next.Version = 1
	next.CreatedAt, next.UpdatedAt = now, now
	row, err := rowFromPayment(&next)
	if err != nil {
		return fmt.Errorf("create payment %s: %w", p.OrderID, err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(row).On("CONFLICT (account, order_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return payments.ErrDuplicateOrder
		}
		created := payments.State{Status: next.Status, Fraud: next.FraudStatus, Refunded: next.RefundedAmount}
		if err := insertAudit(ctx, tx, &next, payments.SourceCharge, payments.State{}, created,
			payments.Verdict{Decision: payments.Applied, Reason: "payment created"}, nil, now); err != nil {
			return err
		}
		ev := payments.Event{Signal: payments.SignalCreated, Source: payments.SourceCharge, Payment: &next,
			Current: created, Previous: created, OccurredAt: now}
		_, err = insertEvents(ctx, tx, &next, []payments.Event{ev}, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("create payment %s: %w", p.OrderID, err)
	}
	*p = next
	return nil
}

func checkNewPayment(p *payments.Payment) error {
	var v payments.ValidationError
	if p == nil {
		v.Add("payment", "is required")
		return v.Err()
	}
	if p.OrderID == "" {
		v.Add("order_id", "is required")
	} else if len(p.OrderID) > 255 {
		v.Add("order_id", "must be at most 255 characters")
	}
	if p.Method == "" {
		v.Add("method", "is required")
	}
	if p.Amount <= 0 {
		v.Add("gross_amount", "must be positive")
	}
	if p.RefundedAmount < 0 {
		v.Add("refunded_amount", "must not be negative")
	}
	if p.Status != "" && !p.Status.Known() {
		v.Add("transaction_status", fmt.Sprintf("unknown status %q", p.Status))
	}
	if len(p.Metadata) > 0 && !json.Valid(p.Metadata) {
		v.Add("metadata", "must be valid JSON")
	}
	if len(p.ChargeResponse) > 0 && !json.Valid(p.ChargeResponse) {
		v.Add("charge_response", "must be valid JSON")
	}
	return v.Err()
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
	q := db.NewSelect().Model(row).Where("p.account = ?", s.account).Where(where, arg)
	if lock && s.rowLocks {
		// NO KEY UPDATE: lock against concurrent changes of this payment
		// without blocking inserts of audit and outbox rows that reference it.
		q = q.For("NO KEY UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("payment %s: %w", arg, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("payment %s: %w", arg, err)
	}
	return row.payment()
}

// errLostRace rolls back an Apply attempt whose compare-and-set failed.
var errLostRace = errors.New("store: compare-and-set lost")

// Apply implements payments.PaymentStore.
func (s *Store) Apply(ctx context.Context, c *payments.Change) (*payments.ApplyResult, error) {
	if err := checkChange(c); err != nil {
		return nil, err
	}
	for range s.maxCAS {
		res, err := s.applyOnce(ctx, c, false)
		if errors.Is(err, errLostRace) {
			continue
		}
		return res, err
	}
	// Still losing: give up on this change as stale rather than risk
	// applying it on a state it was not decided against.
	return s.applyOnce(ctx, c, true)
}

func checkChange(c *payments.Change) error {
	var v payments.ValidationError
	if c == nil {
		v.Add("change", "is required")
		return v.Err()
	}
	if c.OrderID == "" {
		v.Add("order_id", "is required")
	}
	if c.To.Status == "" {
		v.Add("transaction_status", "is required")
	}
	if !c.Source.Valid() {
		v.Add("source", fmt.Sprintf("unknown source %q", c.Source))
	}
	if c.To.Refunded < 0 {
		v.Add("refund_amount", "must not be negative")
	}
	if c.Amount < 0 {
		v.Add("gross_amount", "must not be negative")
	}
	for name, raw := range map[string]json.RawMessage{"payload": c.Payload, "charge_response": c.ChargeResponse} {
		if len(raw) > 0 && !json.Valid(raw) {
			v.Add(name, "must be valid JSON")
		}
	}
	return v.Err()
}

func (s *Store) applyOnce(ctx context.Context, c *payments.Change, giveUp bool) (*payments.ApplyResult, error) {
	var res *payments.ApplyResult
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		prev, err := s.paymentWhere(ctx, tx, "p.order_id = ?", c.OrderID, true)
		if err != nil {
			return err
		}
		now := s.clock()
		at := now
		if !c.At.IsZero() {
			at = dbTime(c.At)
		}
		verdict := payments.Decide(prev.State(), c.To)
		switch {
		case giveUp:
			verdict = payments.Verdict{Decision: payments.Stale, Reason: payments.ReasonConcurrent}
		case c.Reject != "":
			verdict = payments.Verdict{Decision: payments.Stale, Reason: c.Reject}
		}
		res = &payments.ApplyResult{Verdict: verdict, Previous: prev.State(), Payment: prev}

		var events []payments.Event
		if verdict.Decision != payments.Applied && !giveUp && fillsFacts(prev, c) {
			// The state is not news, but who Midtrans says this is may be:
			// a DANA payment learns its transaction id from its first
			// notification, which repeats the pending state; and a charge
			// answer can arrive after the notification that already moved
			// the payment, carrying what only it has (3DS redirect, actions).
			next := *prev
			if next.TransactionID == "" {
				next.TransactionID = c.TransactionID
			}
			if next.PaymentType == "" {
				next.PaymentType = c.PaymentType
			}
			if next.ExpiresAt.IsZero() && !c.ExpiresAt.IsZero() {
				next.ExpiresAt = dbTime(c.ExpiresAt)
			}
			if c.Instructions != nil {
				next.Instructions = *c.Instructions
			}
			if len(next.ChargeResponse) == 0 {
				next.ChargeResponse = c.ChargeResponse
			}
			next.Version, next.UpdatedAt = prev.Version+1, now
			if err := s.compareAndSet(ctx, tx, prev, &next); err != nil {
				return err
			}
			res.Payment = &next
		}
		if verdict.Decision == payments.Applied {
			next := merge(prev, c, now, at)
			if err := s.compareAndSet(ctx, tx, prev, next); err != nil {
				return err
			}
			for _, sig := range payments.SignalsFor(prev, next) {
				events = append(events, payments.Event{Signal: sig, Source: c.Source, Payment: next,
					Previous: prev.State(), Current: next.State(), Payload: c.Payload, OccurredAt: at})
			}
			res.Payment = next
		} else if c.Reject == payments.ReasonAmountMismatch && !giveUp {
			events = append(events, payments.Event{Signal: payments.SignalAmountMismatch, Source: c.Source,
				Payment: prev, Previous: prev.State(), Current: prev.State(), Payload: c.Payload, OccurredAt: at})
		}
		if err := insertAudit(ctx, tx, prev, c.Source, prev.State(), c.To, verdict, c.Payload, now); err != nil {
			return err
		}
		res.Events, err = insertEvents(ctx, tx, res.Payment, events, now)
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

// fillsFacts reports whether a change that is not applied still brings
// facts the payment lacks: its transaction id, or the charge answer.
func fillsFacts(prev *payments.Payment, c *payments.Change) bool {
	if c.Reject != "" {
		return false
	}
	return (prev.TransactionID == "" && c.TransactionID != "") ||
		(len(prev.ChargeResponse) == 0 && len(c.ChargeResponse) > 0)
}

// merge returns prev with the change applied: the new state, the facts the
// change carries, the version bumped and PaidAt set the first time the
// payment is paid.
func merge(prev *payments.Payment, c *payments.Change, now, at time.Time) *payments.Payment {
	next := *prev
	next.Status, next.FraudStatus = c.To.Status, c.To.Fraud
	if c.To.Refunded > next.RefundedAmount {
		next.RefundedAmount = c.To.Refunded
	}
	if c.TransactionID != "" {
		next.TransactionID = c.TransactionID
	}
	if c.Amount > 0 {
		next.Amount = c.Amount
	}
	if c.PaymentType != "" {
		next.PaymentType = c.PaymentType
	}
	if c.StatusMessage != "" {
		next.StatusMessage = c.StatusMessage
	}
	if c.Instructions != nil {
		next.Instructions = *c.Instructions
	}
	if !c.ExpiresAt.IsZero() {
		next.ExpiresAt = dbTime(c.ExpiresAt)
	}
	if len(c.ChargeResponse) > 0 {
		next.ChargeResponse = c.ChargeResponse
	}
	if next.Outcome() == payments.OutcomePaid && next.PaidAt.IsZero() {
		next.PaidAt = at
	}
	next.Version = prev.Version + 1
	next.UpdatedAt = now
	return &next
}

func (s *Store) compareAndSet(ctx context.Context, tx bun.Tx, prev, next *payments.Payment) error {
	row, err := rowFromPayment(next)
	if err != nil {
		return err
	}
	res, err := tx.NewUpdate().Model(row).
		Column("transaction_id", "amount", "payment_type", "status", "fraud_status", "status_message", "instructions",
			"expires_at", "paid_at", "refunded_amount", "charge_response", "version", "updated_at").
		Where("account = ?", s.account).
		Where("id = ?", prev.ID).
		Where("version = ?", prev.Version).
		Where("status = ?", string(prev.Status)).
		Exec(ctx)
	if isUniqueViolation(err, "nusapay_payments_transaction_id_key", "transaction_id") {
		return fmt.Errorf("transaction id %s belongs to another payment: %w", next.TransactionID, payments.ErrConflict)
	}
	if err != nil {
		return err
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

func insertAudit(ctx context.Context, tx bun.Tx, p *payments.Payment, src payments.Source, from, to payments.State,
	v payments.Verdict, payload json.RawMessage, now time.Time) error {
	row := &eventRow{
		Account:      p.Account,
		PaymentID:    p.ID,
		OrderID:      p.OrderID,
		Source:       string(src),
		FromStatus:   string(from.Status),
		FromFraud:    string(from.Fraud),
		FromRefunded: int64(from.Refunded),
		ToStatus:     string(to.Status),
		ToFraud:      string(to.Fraud),
		ToRefunded:   int64(to.Refunded),
		Decision:     v.Decision.String(),
		Reason:       string(v.Reason),
		Payload:      string(payload),
		CreatedAt:    now,
	}
	_, err := tx.NewInsert().Model(row).Exec(ctx)
	return err
}

func insertEvents(ctx context.Context, tx bun.Tx, p *payments.Payment, events []payments.Event, now time.Time) ([]*payments.OutboxEvent, error) {
	if len(events) == 0 {
		return nil, nil
	}
	rows := make([]outboxRow, len(events))
	for i := range events {
		ev := &events[i]
		ev.ID = uid.NewAt(now)
		body, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", ev.Signal, err)
		}
		rows[i] = outboxRow{
			EventID:       ev.ID,
			Account:       p.Account,
			PaymentID:     p.ID,
			OrderID:       p.OrderID,
			Topic:         string(ev.Signal),
			Payload:       string(body),
			NextAttemptAt: now,
			CreatedAt:     now,
		}
	}
	// One statement for all of a change's events: a round trip each would
	// dominate the transaction on PostgreSQL.
	if _, err := tx.NewInsert().Model(&rows).Returning("seq").Exec(ctx); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	out := make([]*payments.OutboxEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
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

// PaymentsToReconcile implements payments.PaymentStore.
func (s *Store) PaymentsToReconcile(ctx context.Context, q payments.ReconcileQuery) ([]*payments.Payment, error) {
	if q.Limit <= 0 {
		return nil, errors.New("payments to reconcile: limit must be positive")
	}
	var rows []paymentRow
	sel := s.db.NewSelect().Model(&rows).
		Where("p.account = ?", s.account).
		WhereGroup(" AND ", func(w *bun.SelectQuery) *bun.SelectQuery {
			if !q.UnknownBefore.IsZero() {
				w = w.WhereOr("(p.status IN (?, ?) AND p.updated_at <= ?)",
					string(payments.StatusInitiated), string(payments.StatusUnknown), dbTime(q.UnknownBefore))
			}
			if !q.PendingBefore.IsZero() {
				w = w.WhereOr("(p.status = ? AND p.created_at <= ?)", string(payments.StatusPending), dbTime(q.PendingBefore))
			}
			if !q.ExpiredBefore.IsZero() {
				w = w.WhereOr("(p.status = ? AND p.expires_at <= ?)", string(payments.StatusPending), dbTime(q.ExpiredBefore))
			}
			if q.UnknownBefore.IsZero() && q.PendingBefore.IsZero() && q.ExpiredBefore.IsZero() {
				w = w.Where("1 = 0")
			}
			return w
		}).
		OrderExpr("p.id ASC").
		Limit(int64(q.Limit))
	if !q.SyncedBefore.IsZero() {
		sel = sel.Where("(p.synced_at IS NULL OR p.synced_at <= ?)", dbTime(q.SyncedBefore))
	}
	if q.After != "" {
		sel = sel.Where("p.id > ?", q.After)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("payments to reconcile: %w", err)
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
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("mark %s synced: %w", paymentID, payments.ErrNotFound)
	}
	return nil
}

// isUniqueViolation reports whether err is a unique-constraint violation of
// the named constraint (PostgreSQL) or column (SQLite).
func isUniqueViolation(err error, constraint, column string) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return (strings.Contains(msg, "duplicate key value violates unique constraint") && strings.Contains(msg, constraint)) ||
		(strings.Contains(msg, "UNIQUE constraint failed") && strings.Contains(msg, column))
}
