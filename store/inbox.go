package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

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

// inboxColumns are the columns recordNotification writes, in order.
const inboxColumns = "id, account, dedup_key, order_id, transaction_id, status, signature_valid, state, detail, body, received_at, processed_at"

// recordNotificationSQL is the statement that records a finished
// notification in its apply transaction: an insert that, when the
// (account, dedup_key) key exists unfinished (an earlier attempt that
// failed, or one from before notifications were recorded in their apply
// transaction), finishes that row instead, and when it exists finished
// changes nothing. PostgreSQL and SQLite return the recorded row's id (no
// row: a duplicate); on MySQL RowsAffected tells (1 inserted, 2 updated, 0
// unchanged) and the expressions check the old state before state is set,
// as it assigns left to right.
func recordNotificationSQL(onDuplicateKey bool) string {
	insert := "INSERT INTO " + TableInbox + " (" + inboxColumns + ") VALUES (" + placeholders(inboxColumns) + ")"
	if onDuplicateKey {
		keep := func(col string) string {
			return col + " = IF(state IN (" + finishedList() + "), " + col + ", VALUES(" + col + "))"
		}
		return insert + " ON DUPLICATE KEY UPDATE " + keep("processed_at") + ", " + keep("detail") + ", " + keep("state")
	}
	// nusapay_write_change (PostgreSQL) records a notification so too.
	return insert + " ON CONFLICT (account, dedup_key) DO UPDATE SET state = excluded.state, detail = excluded.detail," +
		" processed_at = excluded.processed_at WHERE " + TableInbox + ".state NOT IN (" + finishedList() + ") RETURNING id"
}

// finishedList is the finished notification states as an SQL list.
func finishedList() string {
	return "'" + strings.Join(finishedStates(), "', '") + "'"
}

// ApplyNotification implements payments.Inbox.
func (s *Store) ApplyNotification(ctx context.Context, n *payments.Notification, change func(prev *payments.Payment) *payments.Change) (*payments.ApplyResult, bool, error) {
	return s.ApplyNotificationFrom(ctx, nil, n, change)
}

// ApplyNotificationFrom is ApplyNotification for a caller that holds
// prev, the payment as this store returned it, as ApplyFrom is Apply's:
// on PostgreSQL the first attempt builds and plans the change against
// prev instead of reading the row, and a lost compare-and-set reads and
// plans again. The Service passes the payment it read before confirming
// the notification with Midtrans.
func (s *Store) ApplyNotificationFrom(ctx context.Context, prev *payments.Payment, n *payments.Notification, change func(prev *payments.Payment) *payments.Change) (*payments.ApplyResult, bool, error) {
	if n.DedupKey == "" {
		return nil, false, errors.New("apply notification: empty dedup key")
	}
	now := s.clock()
	if n.ID == "" {
		n.ID = uid.NewAt(now)
	}
	if n.ReceivedAt.IsZero() {
		n.ReceivedAt = now
	}
	n.Account = s.account
	prev = s.knownPrev(prev, n.OrderID)
	if s.inOne() {
		for range s.maxCAS {
			held := prev != nil
			res, recorded, err := s.applyNotificationInOne(ctx, prev, n, change)
			prev = nil
			if errors.Is(err, errLostRace) || held && againFromRead(ctx, err) {
				continue
			}
			if errors.Is(err, errNeedTx) {
				break
			}
			if err != nil {
				return nil, false, fmt.Errorf("apply notification %s to %s: %w", n.DedupKey, n.OrderID, err)
			}
			return res, recorded, nil
		}
	}
	for attempt := 0; ; attempt++ {
		res, recorded, err := s.applyNotificationOnce(ctx, n, change, attempt >= s.maxCAS)
		if errors.Is(err, errLostRace) && attempt < s.maxCAS {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("apply notification %s to %s: %w", n.DedupKey, n.OrderID, err)
		}
		return res, recorded, nil
	}
}

// errDuplicateNotification rolls back an ApplyNotification whose
// notification was recorded finished by another copy.
var errDuplicateNotification = errors.New("store: notification already recorded")

func (s *Store) applyNotificationOnce(ctx context.Context, n *payments.Notification, change func(*payments.Payment) *payments.Change, giveUp bool) (*payments.ApplyResult, bool, error) {
	var res *payments.ApplyResult
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		prev, err := s.paymentWhere(ctx, tx, "p.order_id = ?", n.OrderID, true)
		if err != nil {
			return err
		}
		c := change(prev)
		if err := c.Validate(); err != nil {
			return err
		}
		if giveUp {
			c = c.GiveUp()
		}
		plan := payments.Plan(prev, c, s.clock())
		n.State, n.Detail = payments.NotificationOutcome(plan.Verdict)
		n.ProcessedAt = plan.Audit.CreatedAt
		if ok, err := s.recordNotification(ctx, tx, n); err != nil {
			return fmt.Errorf("record notification: %w", err)
		} else if !ok {
			return errDuplicateNotification
		}
		res, err = s.carryOut(ctx, tx, prev, &plan)
		return err
	})
	if errors.Is(err, errDuplicateNotification) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return res, true, nil
}

// recordNotification runs recordNotificationSQL for n, reporting whether
// it recorded n (false: a finished copy is stored). n.ID becomes the
// recorded row's id where the database returns it.
func (s *Store) recordNotification(ctx context.Context, tx bun.Tx, n *payments.Notification) (bool, error) {
	args := notificationArgs(n)
	if s.sql.onDuplicateKey {
		res, err := tx.ExecContext(ctx, s.sql.recordNotification, args...)
		if err != nil {
			return false, err
		}
		k, err := res.RowsAffected()
		if err != nil || k == 0 {
			return false, err
		}
		if k == 2 { // an earlier copy's row, finished: its id
			return true, tx.NewSelect().Table(TableInbox).Column("id").
				Where("account = ?", n.Account).Where("dedup_key = ?", n.DedupKey).Scan(ctx, &n.ID)
		}
		return true, nil
	}
	var id string
	err := s.hotScan(ctx, &tx, s.sql.recordNotification, args, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	n.ID = id
	return true, nil
}

// notificationArgs are n's values in inboxColumns' order.
func notificationArgs(n *payments.Notification) []any {
	return []any{n.ID, n.Account, n.DedupKey, n.OrderID, n.TransactionID, n.Status, n.SignatureValid,
		string(n.State), n.Detail, string(n.Body), dbTime(n.ReceivedAt), dbTime(n.ProcessedAt)}
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
	var err error
	if s.inOne() {
		err = s.againOnDeadConn(ctx, func() error { return s.scanInbox(ctx, row, key) })
	} else {
		err = s.hotScan(ctx, nil, s.sql.inboxByKey, []any{s.account, key}, row)
	}
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("notification %s: %w", key, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("notification %s: %w", key, err)
	}
	return row.notification(), nil
}

// scanInbox reads the notification with key into row (PostgreSQL, through
// nusapay_inbox_by_key), scanning the columns itself: the duplicate path
// is this read and nothing else, and Bun's model scan was a tenth of it.
func (s *Store) scanInbox(ctx context.Context, row *inboxRow, key string) error {
	rows, err := s.db.QueryContext(ctx, s.sql.inboxByKey, s.account, key)
	if err != nil {
		return err
	}
	return scanFirst(rows, func() error {
		var processed sql.NullTime
		err := rows.Scan(&row.ID, &row.Account, &row.DedupKey, &row.OrderID, &row.TransactionID, &row.Status, &row.SignatureValid,
			&row.State, &row.Detail, &row.Body, &row.ReceivedAt, &processed)
		row.ProcessedAt = processed.Time
		return err
	})
}
