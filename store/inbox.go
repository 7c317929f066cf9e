package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/uid"
)

// InsertNotification implements payments.Inbox.
func (s *Store) InsertNotification(ctx context.Context, n *payments.Notification) (bool, error) {
	if n.DedupKey == "" {
		return false, errors.New("insert notification: empty dedup key")
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := s.clock()
	if n.ID == "" {
		n.ID = uid.NewAt(now)
	}
	if n.ReceivedAt.IsZero() {
		n.ReceivedAt = now
	}
	if n.State == "" {
		n.State = payments.NotificationReceived
	}
	n.Account = s.account
	row := &inboxRow{
		ID:             n.ID,
		Account:        n.Account,
		DedupKey:       n.DedupKey,
		OrderID:        n.OrderID,
		TransactionID:  n.TransactionID,
		Status:         n.Status,
		SignatureValid: n.SignatureValid,
		State:          string(n.State),
		Detail:         n.Detail,
		Body:           string(n.Body),
		ReceivedAt:     dbTime(n.ReceivedAt),
	}
	var inserted bool
	err := s.write(ctx, func(ctx context.Context) error {
		res, err := s.insertNew(s.db.NewInsert().Model(row), "account, dedup_key").Exec(ctx)
		if err != nil {
			return err
		}
		inserted, err = s.insertedNew(ctx, s.db, res, TableInbox, "account = ? AND dedup_key = ?", row.Account, row.DedupKey)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("insert notification %s: %w", n.DedupKey, err)
	}
	return inserted, nil
}

// FinishNotification implements payments.Inbox.
func (s *Store) FinishNotification(ctx context.Context, id string, state payments.NotificationState, detail string) error {
	var res sql.Result
	err := s.write(ctx, func(ctx context.Context) (err error) {
		res, err = s.db.NewUpdate().Table(TableInbox).
			Set("state = ?", string(state)).
			Set("detail = ?", detail).
			Set("processed_at = ?", s.clock()).
			Where("account = ?", s.account).
			Where("id = ?", id).
			Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish notification %s: %w", id, err)
	}
	if err := s.matched(ctx, res, TableInbox, id); err != nil {
		return fmt.Errorf("finish notification %s: %w", id, err)
	}
	return nil
}

// NotificationByDedupKey implements payments.Inbox.
func (s *Store) NotificationByDedupKey(ctx context.Context, key string) (*payments.Notification, error) {
	row := new(inboxRow)
	if err := s.db.NewSelect().Model(row).Where("account = ?", s.account).Where("dedup_key = ?", key).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("notification %s: %w", key, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("notification %s: %w", key, err)
	}
	return row.notification(), nil
}
