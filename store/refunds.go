package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/uid"
)

// refundKeyPattern is Midtrans' refund_key alphabet (REFERENCE.md §6.6).
var refundKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CreateRefund implements payments.RefundStore.
func (s *Store) CreateRefund(ctx context.Context, r *payments.Refund) (*payments.Refund, bool, error) {
	var v payments.ValidationError
	if r.PaymentID == "" {
		v.Add("payment_id", "is required")
	}
	if !refundKeyPattern.MatchString(r.Key) {
		v.Add("refund_key", "must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	if r.Amount <= 0 {
		v.Add("amount", "must be positive")
	}
	if len(r.Reason) > 255 {
		v.Add("reason", "must be at most 255 characters")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	now := s.clock()
	row := &refundRow{
		ID:        uid.NewAt(now),
		Account:   s.account,
		PaymentID: r.PaymentID,
		OrderID:   r.OrderID,
		RefundKey: r.Key,
		Amount:    int64(r.Amount),
		Reason:    r.Reason,
		Direct:    r.Direct,
		Status:    string(payments.RefundRequested),
		Response:  string(r.Response),
		CreatedAt: now,
		UpdatedAt: now,
	}
	if r.Status != "" {
		row.Status = string(r.Status)
	}
	var created bool
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(row).On("CONFLICT (refund_key) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		if !created {
			err := tx.NewSelect().Model(row).Where("account = ?", s.account).Where("refund_key = ?", r.Key).Scan(ctx)
			if errors.Is(err, sql.ErrNoRows) {
				// The refund-key constraint is not per account: a key
				// another account holds is a conflict, never its refund.
				return fmt.Errorf("key belongs to another account: %w", payments.ErrConflict)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create refund %s: %w", r.Key, err)
	}
	stored := row.refund()
	if !created && stored.PaymentID != r.PaymentID {
		return nil, false, fmt.Errorf("create refund %s: key belongs to payment %s: %w", r.Key, stored.PaymentID, payments.ErrConflict)
	}
	return stored, created, nil
}

// UpdateRefund implements payments.RefundStore.
func (s *Store) UpdateRefund(ctx context.Context, r *payments.Refund) error {
	if r.ID == "" {
		return errors.New("update refund: empty id")
	}
	r.UpdatedAt = s.clock()
	row := &refundRow{
		ID:         r.ID,
		Status:     string(r.Status),
		StatusCode: r.StatusCode,
		Message:    r.Message,
		Response:   string(r.Response),
		UpdatedAt:  r.UpdatedAt,
	}
	var res sql.Result
	err := s.write(ctx, func(ctx context.Context) (err error) {
		res, err = s.db.NewUpdate().Model(row).Column("status", "status_code", "message", "response", "updated_at").
			WherePK().Where("account = ?", s.account).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("update refund %s: %w", r.Key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update refund %s: %w", r.Key, payments.ErrNotFound)
	}
	return nil
}

// Refunds implements payments.RefundStore.
func (s *Store) Refunds(ctx context.Context, paymentID string) ([]*payments.Refund, error) {
	var rows []refundRow
	if err := s.db.NewSelect().Model(&rows).Where("account = ?", s.account).Where("payment_id = ?", paymentID).OrderExpr("created_at ASC, id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", paymentID, err)
	}
	out := make([]*payments.Refund, len(rows))
	for i := range rows {
		out[i] = rows[i].refund()
	}
	return out, nil
}
