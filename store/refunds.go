package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// CreateRefund implements payments.RefundStore.
func (s *Store) CreateRefund(ctx context.Context, r *payments.Refund) (*payments.Refund, bool, error) {
	if r.PaymentID == "" {
		var v payments.ValidationError
		v.Add("payment_id", "is required")
		return nil, false, v.Err()
	}
	var (
		stored  *payments.Refund
		created bool
	)
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.paymentWhere(ctx, tx, "p.id = ?", r.PaymentID, true)
		if err != nil {
			return err
		}
		refunds, err := s.refundsOf(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		for _, old := range refunds {
			if old.Key == r.Key {
				stored = old
				return nil
			}
		}
		next, err := payments.PlanNewRefund(p, refunds, r, s.clock())
		if err != nil {
			return err
		}
		res, err := s.insertNew(tx.NewInsert().Model(rowFromRefund(next)), "payment_id, refund_key").Exec(ctx)
		if err != nil {
			return err
		}
		if ok, err := s.insertedNew(ctx, tx, res, TableRefunds, "payment_id = ? AND refund_key = ?", next.PaymentID, next.Key); err != nil {
			return err
		} else if !ok {
			// The key is unique per payment and the payment is locked:
			// only a concurrent writer outside this store gets here.
			return fmt.Errorf("key stored concurrently: %w", payments.ErrConflict)
		}
		stored, created = next, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create refund %s: %w", r.Key, err)
	}
	return stored, created, nil
}

// AnswerRefund implements payments.RefundStore.
func (s *Store) AnswerRefund(ctx context.Context, answer *payments.Refund, c *payments.Change) (*payments.Refund, *payments.ApplyResult, error) {
	if answer.ID == "" {
		return nil, nil, errors.New("answer refund: empty id")
	}
	if c != nil {
		if err := c.Validate(); err != nil {
			return nil, nil, err
		}
	}
	for range s.maxCAS {
		stored, res, err := s.answerRefundOnce(ctx, answer, c)
		if errors.Is(err, errLostRace) {
			continue
		}
		return stored, res, err
	}
	// The refund answer is recorded without the payment change, which a
	// notification or sync brings later.
	return s.answerRefundOnce(ctx, answer, nil)
}

func (s *Store) answerRefundOnce(ctx context.Context, answer *payments.Refund, c *payments.Change) (*payments.Refund, *payments.ApplyResult, error) {
	var (
		stored *payments.Refund
		res    *payments.ApplyResult
	)
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var paymentID string
		err := tx.NewSelect().Table(TableRefunds).Column("payment_id").
			Where("account = ?", s.account).Where("id = ?", answer.ID).Scan(ctx, &paymentID)
		if errors.Is(err, sql.ErrNoRows) {
			return payments.ErrNotFound
		} else if err != nil {
			return err
		}
		prev, err := s.paymentWhere(ctx, tx, "p.id = ?", paymentID, true)
		if err != nil {
			return err
		}
		refunds, err := s.refundsOf(ctx, tx, paymentID)
		if err != nil {
			return err
		}
		plan, err := payments.PlanRefundAnswer(prev, refunds, answer, c, s.clock())
		if err != nil {
			return err
		}
		if plan.Write {
			row := rowFromRefund(plan.Refund)
			if _, err := tx.NewUpdate().Model(row).Column("status", "status_code", "message", "response", "updated_at").
				WherePK().Where("status IN (?)", bun.List(refundStatuses(payments.RefundStatusesBecoming(plan.Refund.Status)))).
				Exec(ctx); err != nil {
				return err
			}
		}
		stored = plan.Refund
		if plan.Change != nil {
			res, err = s.carryOut(ctx, tx, prev, plan.Change)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, errLostRace) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("answer refund %s: %w", answer.Key, err)
	}
	return stored, res, nil
}

// recordRefunds inserts the refunds a plan reports done, or moves the
// stored ones with their keys forward to succeeded.
func (s *Store) recordRefunds(ctx context.Context, tx bun.Tx, refunds []payments.Refund) error {
	becoming := refundStatuses(payments.RefundStatusesBecoming(payments.RefundSucceeded))
	for i := range refunds {
		r := &refunds[i]
		if _, err := s.insertNew(tx.NewInsert().Model(rowFromRefund(r)), "payment_id, refund_key").Exec(ctx); err != nil {
			return fmt.Errorf("refund %s: %w", r.Key, err)
		}
		if _, err := tx.NewUpdate().Table(TableRefunds).
			Set("status = ?", string(payments.RefundSucceeded)).Set("updated_at = ?", dbTime(r.UpdatedAt)).
			Where("account = ? AND payment_id = ? AND refund_key = ?", r.Account, r.PaymentID, r.Key).
			Where("status IN (?)", bun.List(becoming)).Where("status <> ?", string(payments.RefundSucceeded)).
			Exec(ctx); err != nil {
			return fmt.Errorf("refund %s: %w", r.Key, err)
		}
	}
	return nil
}

func refundStatuses(ss []payments.RefundStatus) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func (s *Store) refundsOf(ctx context.Context, db bun.IDB, paymentID string) ([]*payments.Refund, error) {
	var rows []refundRow
	if err := db.NewSelect().Model(&rows).Where("account = ?", s.account).Where("payment_id = ?", paymentID).OrderExpr("created_at ASC, id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", paymentID, err)
	}
	out := make([]*payments.Refund, len(rows))
	for i := range rows {
		out[i] = rows[i].refund()
	}
	return out, nil
}

// Refunds implements payments.RefundStore.
func (s *Store) Refunds(ctx context.Context, paymentID string) ([]*payments.Refund, error) {
	return s.refundsOf(ctx, s.db, paymentID)
}
