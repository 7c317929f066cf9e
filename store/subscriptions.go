package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// TableSubscriptions holds payments.Subscription rows.
const TableSubscriptions = "nusapay_subscriptions"

// subscriptionRow maps nusapay_subscriptions.
type subscriptionRow struct {
	bun.BaseModel `bun:"table:nusapay_subscriptions,alias:sub"`

	ID              string    `bun:"id,pk"`
	Account         string    `bun:"account,notnull"`
	MidtransID      string    `bun:"midtrans_id,nullzero"`
	Name            string    `bun:"name,notnull"`
	Amount          int64     `bun:"amount,notnull"`
	Currency        string    `bun:"currency,notnull"`
	PaymentType     string    `bun:"payment_type,notnull"`
	Token           string    `bun:"token,notnull"`
	GoPayAccountID  string    `bun:"gopay_account_id,notnull"`
	Interval        int       `bun:"schedule_interval,notnull"`
	IntervalUnit    string    `bun:"interval_unit,notnull"`
	MaxInterval     int       `bun:"max_interval,notnull"`
	StartTime       time.Time `bun:"start_time,nullzero"`
	CurrentInterval int       `bun:"current_interval,notnull"`
	NextExecutionAt time.Time `bun:"next_execution_at,nullzero"`
	Status          string    `bun:"status,notnull"`
	Customer        string    `bun:"customer,nullzero"`
	Metadata        string    `bun:"metadata,nullzero"`
	Version         int64     `bun:"version,notnull"`
	CreatedAt       time.Time `bun:"created_at,notnull"`
	UpdatedAt       time.Time `bun:"updated_at,notnull"`
}

func rowFromSubscription(sub *payments.Subscription) (*subscriptionRow, error) {
	r := &subscriptionRow{
		ID: sub.ID, Account: sub.Account, MidtransID: sub.MidtransID, Name: sub.Name, Amount: int64(sub.Amount),
		Currency: sub.Currency, PaymentType: sub.PaymentType, Token: sub.Token, GoPayAccountID: sub.GoPayAccountID,
		Interval: sub.Schedule.Interval, IntervalUnit: sub.Schedule.IntervalUnit, MaxInterval: sub.Schedule.MaxInterval,
		StartTime: dbTime(sub.Schedule.StartTime), CurrentInterval: sub.Schedule.CurrentInterval,
		NextExecutionAt: dbTime(sub.Schedule.NextExecutionAt), Status: string(sub.Status),
		Metadata: string(sub.Metadata), Version: sub.Version,
		CreatedAt: dbTime(sub.CreatedAt), UpdatedAt: dbTime(sub.UpdatedAt),
	}
	if sub.Customer != nil {
		b, err := json.Marshal(sub.Customer)
		if err != nil {
			return nil, fmt.Errorf("customer_details: %w", err)
		}
		r.Customer = string(b)
	}
	return r, nil
}

func (r *subscriptionRow) subscription() (*payments.Subscription, error) {
	sub := &payments.Subscription{
		ID: r.ID, Account: r.Account, MidtransID: r.MidtransID, Name: r.Name, Amount: payments.Amount(r.Amount),
		Currency: r.Currency, PaymentType: r.PaymentType, Token: r.Token, GoPayAccountID: r.GoPayAccountID,
		Schedule: payments.Schedule{Interval: r.Interval, IntervalUnit: r.IntervalUnit, MaxInterval: r.MaxInterval,
			StartTime: utc(r.StartTime), CurrentInterval: r.CurrentInterval, NextExecutionAt: utc(r.NextExecutionAt)},
		Status: payments.SubscriptionStatus(r.Status), Version: r.Version,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
	if r.Customer != "" {
		sub.Customer = new(payments.Customer)
		if err := json.Unmarshal([]byte(r.Customer), sub.Customer); err != nil {
			return nil, fmt.Errorf("subscription %s: customer: %w", r.ID, err)
		}
	}
	if r.Metadata != "" {
		sub.Metadata = json.RawMessage(r.Metadata)
	}
	return sub, nil
}

// CreateSubscription implements payments.SubscriptionStore.
func (s *Store) CreateSubscription(ctx context.Context, sub *payments.Subscription) error {
	if sub == nil || sub.ID == "" || sub.Name == "" {
		return fmt.Errorf("create subscription: id and name are required: %w", payments.ErrValidation)
	}
	scoped := *sub
	scoped.Account = s.account
	row, err := rowFromSubscription(&scoped)
	if err != nil {
		return fmt.Errorf("create subscription %s: %w", sub.Name, err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := s.insertNew(tx.NewInsert().Model(row), "account, name").Exec(ctx)
		if err != nil {
			return err
		}
		ok, err := s.insertedNew(ctx, tx, res, TableSubscriptions, "account = ? AND name = ?", row.Account, row.Name)
		if err != nil {
			return err
		}
		if !ok {
			return payments.ErrDuplicateSubscription
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create subscription %s: %w", sub.Name, err)
	}
	*sub = scoped
	return nil
}

// SaveSubscription implements payments.SubscriptionStore.
func (s *Store) SaveSubscription(ctx context.Context, next *payments.Subscription, events []payments.Event) error {
	if next == nil || next.ID == "" || next.Version < 2 {
		return fmt.Errorf("save subscription: a planned change is required: %w", payments.ErrValidation)
	}
	scoped := *next
	scoped.Account = s.account
	row, err := rowFromSubscription(&scoped)
	if err != nil {
		return fmt.Errorf("save subscription %s: %w", next.ID, err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model(row).
			Column("midtrans_id", "name", "amount", "token", "gopay_account_id", "schedule_interval", "interval_unit",
				"max_interval", "start_time", "current_interval", "next_execution_at", "status", "customer", "metadata",
				"version", "updated_at").
			Where("account = ?", s.account).Where("id = ?", row.ID).Where("version = ?", row.Version-1).
			Exec(ctx)
		switch {
		case isUniqueViolation(err, "nusapay_subscriptions_name_key", "nusapay_subscriptions.name"),
			isUniqueViolation(err, "nusapay_subscriptions_midtrans_id_key", "nusapay_subscriptions.midtrans_id"):
			return payments.ErrDuplicateSubscription
		case err != nil:
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n != 1 {
			exists, err := tx.NewSelect().Table(TableSubscriptions).Where("account = ?", s.account).Where("id = ?", row.ID).Exists(ctx)
			if err != nil {
				return err
			}
			if !exists {
				return payments.ErrSubscriptionNotFound
			}
			return fmt.Errorf("version %d is no longer current: %w", row.Version-1, payments.ErrConflict)
		}
		_, err = s.insertEvents(ctx, tx, nil, events, row.UpdatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("save subscription %s: %w", next.ID, err)
	}
	*next = scoped
	return nil
}

// DiscardSubscription implements payments.SubscriptionStore.
func (s *Store) DiscardSubscription(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Table(TableSubscriptions).
			Where("account = ?", s.account).Where("id = ?", id).Where("status = ?", string(payments.SubscriptionInitiated)).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		exists, err := tx.NewSelect().Table(TableSubscriptions).Where("account = ?", s.account).Where("id = ?", id).Exists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return payments.ErrSubscriptionNotFound
		}
		return fmt.Errorf("no longer initiated: %w", payments.ErrNotAllowed)
	})
	if err != nil {
		return fmt.Errorf("discard subscription %s: %w", id, err)
	}
	return nil
}

// Subscription implements payments.SubscriptionStore.
func (s *Store) Subscription(ctx context.Context, id string) (*payments.Subscription, error) {
	return s.subscriptionWhere(ctx, "sub.id = ?", id)
}

// SubscriptionByName implements payments.SubscriptionStore.
func (s *Store) SubscriptionByName(ctx context.Context, name string) (*payments.Subscription, error) {
	return s.subscriptionWhere(ctx, "sub.name = ?", name)
}

// SubscriptionByMidtransID implements payments.SubscriptionStore.
func (s *Store) SubscriptionByMidtransID(ctx context.Context, midtransID string) (*payments.Subscription, error) {
	if midtransID == "" {
		return nil, fmt.Errorf("subscription by midtrans id: empty id: %w", payments.ErrSubscriptionNotFound)
	}
	return s.subscriptionWhere(ctx, "sub.midtrans_id = ?", midtransID)
}

func (s *Store) subscriptionWhere(ctx context.Context, where, arg string) (*payments.Subscription, error) {
	row := new(subscriptionRow)
	err := s.db.NewSelect().Model(row).Where("sub.account = ?", s.account).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("subscription %s: %w", arg, payments.ErrSubscriptionNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", arg, err)
	}
	return row.subscription()
}

// SubscriptionPayments implements payments.SubscriptionStore.
func (s *Store) SubscriptionPayments(ctx context.Context, subscriptionID string) ([]*payments.Payment, error) {
	var rows []paymentRow
	err := s.db.NewSelect().Model(&rows).Where("p.account = ?", s.account).Where("p.subscription_id = ?", subscriptionID).
		OrderExpr("p.created_at, p.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("payments of subscription %s: %w", subscriptionID, err)
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
