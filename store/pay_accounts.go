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

// TablePayAccounts holds linked pay accounts (GoPay tokenization).
const TablePayAccounts = "nusapay_pay_accounts"

// payAccountRow maps nusapay_pay_accounts.
type payAccountRow struct {
	bun.BaseModel `bun:"table:nusapay_pay_accounts,alias:pa"`

	ID               string    `bun:"id,pk"`
	Account          string    `bun:"account,notnull"`
	AccountID        string    `bun:"account_id,notnull"`
	CustomerID       string    `bun:"customer_id,notnull"`
	PaymentType      string    `bun:"payment_type,notnull"`
	Status           string    `bun:"status,notnull"`
	ActivationURL    string    `bun:"activation_url,notnull"`
	ActivationAppURL string    `bun:"activation_app_url,notnull"`
	Options          string    `bun:"options,nullzero"`
	Version          int64     `bun:"version,notnull"`
	CreatedAt        time.Time `bun:"created_at,notnull"`
	UpdatedAt        time.Time `bun:"updated_at,notnull"`
}

// payOptionRow is one element of the options column. It holds the token
// itself: payments.SecretToken encodes redacted, by design.
type payOptionRow struct {
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Balance  int64  `json:"balance"`
	Currency string `json:"currency,omitempty"`
	Token    string `json:"token,omitempty"`
}

func rowFromPayAccount(a *payments.PaymentAccount) (*payAccountRow, error) {
	r := &payAccountRow{ID: a.ID, Account: a.Account, AccountID: a.AccountID, CustomerID: a.CustomerID,
		PaymentType: a.PaymentType, Status: string(a.Status), ActivationURL: a.ActivationURL,
		ActivationAppURL: a.ActivationAppURL, Version: a.Version,
		CreatedAt: dbTime(a.CreatedAt), UpdatedAt: dbTime(a.UpdatedAt)}
	if len(a.Options) > 0 {
		opts := make([]payOptionRow, len(a.Options))
		for i, o := range a.Options {
			opts[i] = payOptionRow{Name: o.Name, Active: o.Active, Balance: int64(o.Balance), Currency: o.Currency, Token: o.Token.Reveal()}
		}
		b, err := json.Marshal(opts)
		if err != nil {
			return nil, err
		}
		r.Options = string(b)
	}
	return r, nil
}

func (r *payAccountRow) payAccount() (*payments.PaymentAccount, error) {
	a := &payments.PaymentAccount{ID: r.ID, Account: r.Account, AccountID: r.AccountID, CustomerID: r.CustomerID,
		PaymentType: r.PaymentType, Status: payments.PayAccountStatus(r.Status), ActivationURL: r.ActivationURL,
		ActivationAppURL: r.ActivationAppURL, Version: r.Version, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
	if r.Options != "" {
		var opts []payOptionRow
		if err := json.Unmarshal([]byte(r.Options), &opts); err != nil {
			return nil, fmt.Errorf("pay account %s: options: %w", r.AccountID, err)
		}
		for _, o := range opts {
			a.Options = append(a.Options, payments.PayAccountOption{Name: o.Name, Active: o.Active,
				Balance: payments.Amount(o.Balance), Currency: o.Currency, Token: payments.SecretToken(o.Token)})
		}
	}
	return a, nil
}

// CreatePaymentAccount implements payments.PayAccountStore.
func (s *Store) CreatePaymentAccount(ctx context.Context, a *payments.PaymentAccount) error {
	var v payments.ValidationError
	if a == nil {
		v.Add("account_id", "is required")
		return v.Err()
	}
	if a.ID == "" {
		v.Add("id", "is required")
	}
	if a.AccountID == "" {
		v.Add("account_id", "is required")
	}
	if a.CustomerID == "" {
		v.Add("customer_id", "is required")
	}
	if !a.Status.Known() {
		v.Add("status", fmt.Sprintf("unknown status %q", a.Status))
	}
	if err := v.Err(); err != nil {
		return err
	}
	next := *a
	next.Account = s.account
	if next.CreatedAt.IsZero() {
		next.CreatedAt = s.clock()
	}
	if next.UpdatedAt.IsZero() {
		next.UpdatedAt = next.CreatedAt
	}
	if next.Version == 0 {
		next.Version = 1
	}
	row, err := rowFromPayAccount(&next)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := s.insertNew(tx.NewInsert().Model(row), "account, account_id").Exec(ctx)
		if err != nil {
			return err
		}
		ok, err := s.insertedNew(ctx, tx, res, TablePayAccounts, "account = ? AND account_id = ?", s.account, row.AccountID)
		if err != nil {
			return err
		}
		if !ok {
			return payments.ErrDuplicatePayAccount
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create pay account %s: %w", a.AccountID, err)
	}
	stored, err := row.payAccount()
	if err != nil {
		return err
	}
	*a = *stored
	return nil
}

// PaymentAccount implements payments.PayAccountStore.
func (s *Store) PaymentAccount(ctx context.Context, accountID string) (*payments.PaymentAccount, error) {
	return s.payAccountWhere(ctx, s.db, accountID, false)
}

func (s *Store) payAccountWhere(ctx context.Context, db bun.IDB, accountID string, lock bool) (*payments.PaymentAccount, error) {
	row := new(payAccountRow)
	q := db.NewSelect().Model(row).Where("pa.account = ?", s.account).Where("pa.account_id = ?", accountID)
	if lock && s.sql.paymentLock != "" {
		q = q.For(s.sql.paymentLock)
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("pay account %s: %w", accountID, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("pay account %s: %w", accountID, err)
	}
	return row.payAccount()
}

// CustomerPaymentAccounts implements payments.PayAccountStore.
func (s *Store) CustomerPaymentAccounts(ctx context.Context, customerID string) ([]*payments.PaymentAccount, error) {
	var rows []payAccountRow
	if err := s.db.NewSelect().Model(&rows).Where("pa.account = ?", s.account).Where("pa.customer_id = ?", customerID).
		OrderExpr("pa.created_at DESC, pa.id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("pay accounts of %s: %w", customerID, err)
	}
	out := make([]*payments.PaymentAccount, 0, len(rows))
	for i := range rows {
		a, err := rows[i].payAccount()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// UpdatePaymentAccount implements payments.PayAccountStore.
func (s *Store) UpdatePaymentAccount(ctx context.Context, c *payments.PaymentAccountChange) (*payments.PaymentAccount, bool, error) {
	if c == nil || c.AccountID == "" {
		var v payments.ValidationError
		v.Add("account_id", "is required")
		return nil, false, v.Err()
	}
	for range s.maxCAS {
		a, changed, err := s.updatePayAccountOnce(ctx, c)
		if errors.Is(err, errLostRace) {
			continue
		}
		return a, changed, err
	}
	return nil, false, fmt.Errorf("update pay account %s: %w", c.AccountID, payments.ErrConflict)
}

func (s *Store) updatePayAccountOnce(ctx context.Context, c *payments.PaymentAccountChange) (*payments.PaymentAccount, bool, error) {
	var (
		out     *payments.PaymentAccount
		changed bool
	)
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		stored, err := s.payAccountWhere(ctx, tx, c.AccountID, true)
		if err != nil {
			return err
		}
		next, ch, err := payments.PlanPaymentAccount(stored, c, s.clock())
		if err != nil {
			return err
		}
		out, changed = next, ch
		if !ch {
			return nil
		}
		row, err := rowFromPayAccount(next)
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model(row).
			Column("status", "activation_url", "activation_app_url", "options", "version", "updated_at").
			Where("id = ?", stored.ID).Where("version = ?", stored.Version).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errLostRace
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("update pay account %s: %w", c.AccountID, err)
	}
	return out, changed, nil
}
