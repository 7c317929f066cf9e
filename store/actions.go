package store

import (
	"context"
	"fmt"
	"time"

	"github.com/nusapay/payments"
)

// maxActionMessage bounds the message a finished action keeps.
const maxActionMessage = 2000

// StartAction implements payments.ActionLog.
func (s *Store) StartAction(ctx context.Context, a *payments.StaffAction) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.clock()
	}
	row := &actionRow{
		Account: s.account, OrderID: a.OrderID, Actor: a.Actor, Action: a.Action, Detail: string(a.Detail),
		Result: string(payments.ActionStarted), CreatedAt: dbTime(a.CreatedAt),
	}
	err := s.write(ctx, func(ctx context.Context) error {
		_, err := s.db.NewInsert().Model(row).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("start action %s on %s: %w", a.Action, a.OrderID, err)
	}
	a.ID, a.Account, a.Result, a.CreatedAt = row.ID, s.account, payments.ActionStarted, utc(row.CreatedAt)
	return nil
}

// FinishAction implements payments.ActionLog. Only a started action is
// finished: finishing one twice changes nothing the second time.
func (s *Store) FinishAction(ctx context.Context, id int64, result payments.ActionResult, message string, at time.Time) error {
	if len(message) > maxActionMessage {
		message = message[:maxActionMessage]
	}
	var n int64
	err := s.write(ctx, func(ctx context.Context) error {
		res, err := s.db.NewUpdate().Table(TableActions).
			Set("result = ?", string(result)).
			Set("message = ?", message).
			Set("finished_at = ?", dbTime(at)).
			Where("account = ?", s.account).Where("id = ?", id).Where("result = ?", string(payments.ActionStarted)).
			Exec(ctx)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("finish action %d: %w", id, err)
	}
	if n == 0 {
		exists, err := s.db.NewSelect().Table(TableActions).Where("account = ?", s.account).Where("id = ?", id).Exists(ctx)
		if err != nil {
			return fmt.Errorf("finish action %d: %w", id, err)
		}
		if !exists {
			return fmt.Errorf("finish action %d: %w", id, payments.ErrNotFound)
		}
	}
	return nil
}

// actions lists the account's staff actions on an order, oldest first.
func (s *Store) actions(ctx context.Context, orderID string) ([]*payments.StaffAction, error) {
	var rows []actionRow
	if err := s.db.NewSelect().Model(&rows).Where("account = ?", s.account).Where("order_id = ?", orderID).
		OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]*payments.StaffAction, len(rows))
	for i := range rows {
		out[i] = rows[i].action()
	}
	return out, nil
}
