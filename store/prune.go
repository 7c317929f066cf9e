package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// pruneEventsWhere selects the account's delivered events delivered before
// a time (never pending or dead ones). Its arguments: account, before.
const pruneEventsWhere = "account = ? AND dead = FALSE AND delivered_at < ?"

// pruneNotificationsWhere selects the account's finished notifications
// (processed, ignored or rejected; never received or failed ones) finished
// before a time. Its arguments: account, states, before.
const pruneNotificationsWhere = "account = ? AND state IN (?) AND processed_at < ?"

// finishedStates are payments.FinishedNotificationStates as strings.
func finishedStates() []string {
	var out []string
	for _, st := range payments.FinishedNotificationStates() {
		out = append(out, string(st))
	}
	return out
}

// pruneQuery is one batch of a prune: a DELETE of at most limit rows,
// the last argument. MySQL cannot select from the table it deletes from,
// so it deletes in index order with ORDER BY … LIMIT (order: all the
// index's columns, ending with the primary key, so the statement is
// deterministic; MariaDB sorts a DELETE unless the order names the
// columns its WHERE holds constant too);
// PostgreSQL and SQLite delete where the primary key is in a limited
// sub-select. On PostgreSQL (skipLocked) the sub-select skips rows another
// pruner holds and is an array, computed once, that the primary key index
// looks up: with IN the planner may join the whole table to it instead.
func pruneQuery(deleteLimit, skipLocked bool, table, key, where, order string) string {
	if deleteLimit {
		return "DELETE FROM " + table + " WHERE " + where + " ORDER BY " + order + " LIMIT ?"
	}
	sub := "SELECT " + key + " FROM " + table + " WHERE " + where + " LIMIT ?"
	if skipLocked {
		return "DELETE FROM " + table + " WHERE " + key + " = ANY (ARRAY(" + sub + " FOR UPDATE SKIP LOCKED))"
	}
	return "DELETE FROM " + table + " WHERE " + key + " IN (" + sub + ")"
}

// PruneEvents implements payments.Outbox.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := s.prune(ctx, s.sql.pruneEvents, limit, s.account, dbTime(before))
	if err != nil {
		return n, fmt.Errorf("prune events delivered before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, nil
}

// PruneNotifications implements payments.Inbox.
func (s *Store) PruneNotifications(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := s.prune(ctx, s.sql.pruneNotifications, limit, s.account, bun.List(finishedStates()), dbTime(before))
	if err != nil {
		return n, fmt.Errorf("prune notifications finished before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, nil
}

// prune runs query once per batch of at most limit rows, each a single
// statement and so its own short transaction (part of the host's when the
// store is bound to one), until a batch deletes fewer or ctx ends. It
// returns how many rows it deleted.
func (s *Store) prune(ctx context.Context, query string, limit int, args ...any) (int, error) {
	if limit <= 0 {
		return 0, errors.New("limit must be positive")
	}
	args = append(args, limit)
	total := 0
	for {
		var n int64
		err := s.write(ctx, func(ctx context.Context) error {
			res, err := s.db.NewRaw(query, args...).Exec(ctx)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil {
			return total, err
		}
		if n < int64(limit) {
			return total, nil
		}
	}
}
