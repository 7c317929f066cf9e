package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// ListPayments implements payments.PaymentStore.
func (s *Store) ListPayments(ctx context.Context, q payments.PaymentQuery) (*payments.PaymentPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var rows []paymentRow
	size := q.PageSize()
	// One row more than the page tells whether another page follows.
	if err := s.listQuery(s.db.NewSelect().Model(&rows), &q).Limit(int64(size + 1)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	page := &payments.PaymentPage{Payments: make([]*payments.Payment, 0, min(len(rows), size))}
	for i := range rows[:min(len(rows), size)] {
		p, err := rows[i].payment()
		if err != nil {
			return nil, fmt.Errorf("list payments: %w", err)
		}
		page.Payments = append(page.Payments, p)
	}
	if len(rows) > size {
		page.Next = payments.CursorAfter(page.Payments[size-1])
	}
	return page, nil
}

// listQuery adds q's filters and order to sel, a select of paymentRows; q
// is valid. Each filter is a plain comparison on an indexed column, so the
// database can serve the common ones from an index: the order id prefix as
// a range, the email on customer_email, a status with a creation range on
// (status, created_at), and the bare list on (created_at, id).
func (s *Store) listQuery(sel *bun.SelectQuery, q *payments.PaymentQuery) *bun.SelectQuery {
	if q.OrderIDPrefix != "" {
		sel = sel.Where("p.account = ?", s.account)
	} else {
		sel = sel.Where(s.sql.listAccount, s.account)
	}
	if len(q.Statuses) > 0 {
		sel = sel.Where("p.status IN (?)", bun.List(q.Statuses))
	}
	if len(q.Outcomes) > 0 {
		sel = sel.WhereGroup(" AND ", func(w *bun.SelectQuery) *bun.SelectQuery {
			for _, o := range q.Outcomes {
				for _, m := range payments.StatesOf(o) {
					w = w.WhereOr("("+stateMatchSQL(m)+")", stateMatchArgs(m)...)
				}
			}
			return w
		})
	}
	if len(q.Methods) > 0 {
		sel = sel.Where("p.method IN (?)", bun.List(q.Methods))
	}
	if !q.CreatedFrom.IsZero() {
		sel = sel.Where("p.created_at >= ?", dbTime(q.CreatedFrom))
	}
	if !q.CreatedTo.IsZero() {
		sel = sel.Where("p.created_at < ?", dbTime(q.CreatedTo))
	}
	if !q.UpdatedFrom.IsZero() {
		sel = sel.Where("p.updated_at >= ?", dbTime(q.UpdatedFrom))
	}
	if !q.UpdatedTo.IsZero() {
		sel = sel.Where("p.updated_at < ?", dbTime(q.UpdatedTo))
	}
	if q.OrderIDPrefix != "" {
		// Order ids are ASCII (payments.ValidOrderID), so the ids starting
		// with the prefix are those from it up to, not including, the
		// prefix with its last byte incremented.
		upper := q.OrderIDPrefix[:len(q.OrderIDPrefix)-1] + string(q.OrderIDPrefix[len(q.OrderIDPrefix)-1]+1)
		sel = sel.Where(s.sql.orderIDBytes+" >= ?", q.OrderIDPrefix).Where(s.sql.orderIDBytes+" < ?", upper)
	}
	if q.CustomerEmail != "" {
		sel = sel.Where("p.customer_email = ?", payments.EmailKey(q.CustomerEmail))
	}
	if q.After != "" {
		c, _ := payments.ParsePageCursor(q.After) // checked by Validate
		at := dbTime(c.CreatedAt)
		// (created_at, id) < (at, id), spelled so that created_at <= at
		// bounds an index range on every database.
		sel = sel.Where("p.created_at <= ?", at).Where("(p.created_at < ? OR p.id < ?)", at, c.ID)
	}
	return sel.OrderExpr("p.created_at DESC, p.id DESC")
}

// stateMatchSQL is m as a condition on p.status and p.fraud_status; its
// arguments are stateMatchArgs(m).
func stateMatchSQL(m payments.StateMatch) string {
	cond := "p.status = ?"
	if m.OtherStatuses {
		cond = "p.status NOT IN (?)"
	}
	if len(m.FraudIn) > 0 {
		cond += " AND p.fraud_status IN (?)"
	}
	if len(m.FraudNotIn) > 0 {
		cond += " AND p.fraud_status NOT IN (?)"
	}
	return cond
}

func stateMatchArgs(m payments.StateMatch) []any {
	args := []any{string(m.Status)}
	if m.OtherStatuses {
		args = []any{bun.List(payments.Statuses())}
	}
	if len(m.FraudIn) > 0 {
		args = append(args, bun.List(m.FraudIn))
	}
	if len(m.FraudNotIn) > 0 {
		args = append(args, bun.List(m.FraudNotIn))
	}
	return args
}

// Timeline implements payments.PaymentStore.
func (s *Store) Timeline(ctx context.Context, orderID string) (*payments.Timeline, error) {
	p, err := s.Payment(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	t := &payments.Timeline{Payment: p}
	if t.Audit, err = s.History(ctx, p.ID); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", orderID, err)
	}
	if t.Refunds, err = s.Refunds(ctx, p.ID); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", orderID, err)
	}
	var inbox []inboxRow
	if err := s.db.NewSelect().Model(&inbox).Where("account = ?", s.account).Where("order_id = ?", orderID).
		OrderExpr("received_at ASC, id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("timeline of %s: notifications: %w", orderID, err)
	}
	t.Notifications = make([]*payments.Notification, len(inbox))
	for i := range inbox {
		t.Notifications[i] = inbox[i].notification()
	}
	var events []outboxRow
	if err := s.db.NewSelect().Model(&events).Where("account = ?", s.account).Where("payment_id = ?", p.ID).
		OrderExpr("seq ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("timeline of %s: events: %w", orderID, err)
	}
	t.Events = make([]*payments.OutboxEvent, len(events))
	for i := range events {
		t.Events[i] = events[i].event()
	}
	if t.Actions, err = s.actions(ctx, orderID); err != nil {
		return nil, fmt.Errorf("timeline of %s: staff actions: %w", orderID, err)
	}
	return t, nil
}

// NotificationByID implements payments.Inbox.
func (s *Store) NotificationByID(ctx context.Context, id string) (*payments.Notification, error) {
	row := new(inboxRow)
	if err := s.db.NewSelect().Model(row).Where("account = ?", s.account).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("notification %s: %w", id, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("notification %s: %w", id, err)
	}
	return row.notification(), nil
}

// RequeueEvent implements payments.Outbox.
func (s *Store) RequeueEvent(ctx context.Context, eventID string) error {
	now := s.clock()
	var res sql.Result
	err := s.write(ctx, func(ctx context.Context) (err error) {
		res, err = s.db.NewUpdate().Table(TableOutbox).
			Set("dead = ?", false).
			Set("attempts = 0").
			Set("next_attempt_at = ?", now).
			Set("lease_owner = NULL").
			Set("lease_expires_at = NULL").
			Where("account = ?", s.account).
			Where("event_id = ?", eventID).
			Where("dead").
			Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("requeue event %s: %w", eventID, err)
	}
	// dead changes from true to false, so even MySQL counts the row.
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("requeue event %s: %w", eventID, err)
	} else if n > 0 {
		return nil
	}
	if _, err := s.Event(ctx, eventID); err != nil {
		return fmt.Errorf("requeue: %w", err)
	}
	return fmt.Errorf("requeue event %s: it is not dead: %w", eventID, payments.ErrNotAllowed)
}
