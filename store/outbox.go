package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// claimDue selects the due events that head their payment's queue. The
// NOT EXISTS keeps per-payment order: an event waits while an older one of
// the same payment is neither delivered nor dead. Its arguments: account,
// now, now, limit.
const claimDue = `
    SELECT c.seq FROM nusapay_outbox AS c
    WHERE c.account = ? AND c.delivered_at IS NULL AND NOT c.dead
      AND c.next_attempt_at <= ?
      AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= ?)
      AND NOT EXISTS (
          SELECT 1 FROM nusapay_outbox AS b
          WHERE b.account = c.account AND b.payment_id = c.payment_id AND b.seq < c.seq
            AND b.delivered_at IS NULL AND NOT b.dead)
    ORDER BY c.next_attempt_at, c.seq
    LIMIT ?`

// claimLease leases the claimed events. Its arguments: owner, lease expiry.
const claimLease = `
UPDATE nusapay_outbox
SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1`

// claimInOne is the claim as one statement, for databases with CTEs and
// UPDATE ... RETURNING; skipLocked adds the row-lock clause.
func claimInOne(skipLocked bool) string {
	return "WITH due AS (" + claimDue + "\n    " + claimLock(skipLocked) + "\n)" + claimLease + "\nWHERE seq IN (SELECT seq FROM due)\nRETURNING *"
}

func claimLock(skipLocked bool) string {
	if skipLocked {
		return "FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ClaimEvents implements payments.Outbox. On PostgreSQL and MySQL the
// candidates are locked FOR UPDATE SKIP LOCKED, so concurrent claimers take
// disjoint sets without waiting for each other; on SQLite the write
// transaction is exclusive.
func (s *Store) ClaimEvents(ctx context.Context, owner string, limit int, lease time.Duration) ([]*payments.OutboxEvent, error) {
	if owner == "" {
		return nil, errors.New("claim events: empty owner")
	}
	if limit <= 0 || lease <= 0 {
		return nil, errors.New("claim events: limit and lease must be positive")
	}
	now := s.clock()
	var rows []outboxRow
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if s.sql.claimQuery != "" {
			return tx.NewRaw(s.sql.claimQuery, s.account, now, now, limit, owner, now.Add(lease)).Scan(ctx, &rows)
		}
		// Without UPDATE ... RETURNING (MySQL): lock the candidates, lease
		// them, read them back, all in this transaction.
		var seqs []int64
		if err := tx.NewRaw(claimDue+"\n    "+claimLock(s.sql.skipLocked), s.account, now, now, limit).Scan(ctx, &seqs); err != nil {
			return err
		}
		if len(seqs) == 0 {
			return nil
		}
		if _, err := tx.NewRaw(claimLease+"\nWHERE seq IN (?)", owner, now.Add(lease), bun.List(seqs)).Exec(ctx); err != nil {
			return err
		}
		return tx.NewSelect().Model(&rows).Where("seq IN (?)", bun.List(seqs)).Scan(ctx)
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("claim events for %s: %w", owner, err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Seq < rows[j].Seq })
	out := make([]*payments.OutboxEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// held limits q to the account's events of seqs that owner holds: leased
// to it, neither delivered nor dead. Every lease-checked write goes
// through it, so "the lease is held" is decided in one place.
func (s *Store) held(seqs []int64, owner string) func(q bun.QueryBuilder) bun.QueryBuilder {
	return func(q bun.QueryBuilder) bun.QueryBuilder {
		return q.Where("account = ?", s.account).
			Where("seq IN (?)", bun.List(seqs)).
			Where("lease_owner = ?", owner).
			Where("delivered_at IS NULL").
			Where("NOT dead")
	}
}

// leased runs one update of the events of seqs that owner still holds,
// releasing their lease, and returns the seqs it did not change, in
// ascending order. With UPDATE ... RETURNING (PostgreSQL, SQLite) it is one
// statement; without (MySQL), a transaction locks the held rows, then
// updates them, unless seqs is a single event, whose row count tells.
func (s *Store) leased(ctx context.Context, seqs []int64, owner string, set func(q *bun.UpdateQuery) *bun.UpdateQuery) (lost []int64, err error) {
	seqs = slices.Clone(seqs)
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	if len(seqs) == 0 {
		return nil, nil
	}
	update := func(db bun.IDB, seqs []int64) *bun.UpdateQuery {
		return set(db.NewUpdate().Table(TableOutbox).
			Set("lease_owner = NULL").
			Set("lease_expires_at = NULL").
			ApplyQueryBuilder(s.held(seqs, owner)))
	}
	var done []int64
	if s.sql.updateReturning || len(seqs) == 1 {
		err = s.write(ctx, func(ctx context.Context) error {
			if s.sql.updateReturning {
				return update(s.db, seqs).Returning("seq").Scan(ctx, &done)
			}
			res, err := update(s.db, seqs).Exec(ctx)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			done = seqs
			return nil
		})
	} else {
		// MySQL: lock, update and read back in one transaction, which
		// concurrent workers' batches (disjoint, yet on neighbouring index
		// entries) can make a deadlock's victim: inTx runs it again.
		err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			done = done[:0]
			if err := tx.NewSelect().Table(TableOutbox).Column("seq").ApplyQueryBuilder(s.held(seqs, owner)).
				For("UPDATE").Scan(ctx, &done); err != nil || len(done) == 0 {
				return err
			}
			_, err := update(tx, done).Exec(ctx)
			return err
		})
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	slices.Sort(done)
	for _, seq := range seqs {
		if _, found := slices.BinarySearch(done, seq); !found {
			lost = append(lost, seq)
		}
	}
	return lost, nil
}

// leasedOne runs leased for one event: ErrLeaseLost when owner no longer
// holds it.
func (s *Store) leasedOne(ctx context.Context, op string, seq int64, owner string, set func(q *bun.UpdateQuery) *bun.UpdateQuery) error {
	lost, err := s.leased(ctx, []int64{seq}, owner, set)
	if err != nil {
		return fmt.Errorf("%s event %d: %w", op, seq, err)
	}
	if len(lost) > 0 {
		return fmt.Errorf("%s event %d by %s: %w", op, seq, owner, payments.ErrLeaseLost)
	}
	return nil
}

// delivered is the update that finishes an event.
func (s *Store) delivered() func(q *bun.UpdateQuery) *bun.UpdateQuery {
	now := s.clock()
	return func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("delivered_at = ?", now).Set("last_error = ''")
	}
}

// MarkDelivered implements payments.Outbox.
func (s *Store) MarkDelivered(ctx context.Context, seq int64, owner string) error {
	return s.leasedOne(ctx, "deliver", seq, owner, s.delivered())
}

// MarkDeliveredBatch implements payments.Outbox.
func (s *Store) MarkDeliveredBatch(ctx context.Context, seqs []int64, owner string) ([]int64, error) {
	lost, err := s.leased(ctx, seqs, owner, s.delivered())
	if err != nil {
		return nil, fmt.Errorf("deliver %d events by %s: %w", len(seqs), owner, err)
	}
	return lost, nil
}

// RetryEvent implements payments.Outbox.
func (s *Store) RetryEvent(ctx context.Context, seq int64, owner string, at time.Time, lastErr string) error {
	return s.leasedOne(ctx, "retry", seq, owner, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("next_attempt_at = ?", dbTime(at)).Set("last_error = ?", truncate(lastErr, 2000))
	})
}

// MarkDead implements payments.Outbox.
func (s *Store) MarkDead(ctx context.Context, seq int64, owner string, lastErr string) error {
	return s.leasedOne(ctx, "bury", seq, owner, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("dead = ?", true).Set("last_error = ?", truncate(lastErr, 2000))
	})
}

// Event implements payments.Outbox.
func (s *Store) Event(ctx context.Context, eventID string) (*payments.OutboxEvent, error) {
	row := new(outboxRow)
	if err := s.db.NewSelect().Model(row).Where("account = ?", s.account).Where("event_id = ?", eventID).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("event %s: %w", eventID, payments.ErrNotFound)
		}
		return nil, fmt.Errorf("event %s: %w", eventID, err)
	}
	return row.event(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so PostgreSQL accepts the text.
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// oldestPending reads the created_at of the account's oldest pending
// event: the first row of the pending events in created_at order, which an
// index serves (migration 20261202000008). Its argument: account.
const oldestPending = `
    SELECT created_at FROM nusapay_outbox
    WHERE account = ? AND delivered_at IS NULL AND NOT dead
    ORDER BY created_at
    LIMIT 1`

// OldestPendingEvent implements payments.Outbox.
func (s *Store) OldestPendingEvent(ctx context.Context) (time.Time, bool, error) {
	var at []time.Time
	if err := s.db.NewRaw(oldestPending, s.account).Scan(ctx, &at); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, fmt.Errorf("oldest pending event: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, false, nil
	}
	return at[0].UTC(), true, nil
}
