package store

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// ListSQL is the SQL ListPayments runs for q (q must be valid).
func ListSQL(s *Store, q payments.PaymentQuery) string {
	var rows []paymentRow
	return s.listQuery(s.db.NewSelect().Model(&rows), &q).Limit(int64(q.PageSize() + 1)).String()
}

// PruneEventsSQL and PruneNotificationsSQL are the SQL of one prune batch.
func PruneEventsSQL(s *Store, before time.Time, limit int) string {
	return s.db.NewRaw(s.sql.pruneEvents, s.account, dbTime(before), limit).String()
}

func PruneNotificationsSQL(s *Store, before time.Time, limit int) string {
	return s.db.NewRaw(s.sql.pruneNotifications, s.account, bun.List(finishedStates()), dbTime(before), limit).String()
}

// OldestPendingSQL is the SQL of OldestPendingEvent.
func OldestPendingSQL(s *Store) string {
	return s.db.NewRaw(oldestPending, s.account).String()
}

// ReconcileClaimSQL are the SELECTs of the candidates a reconcile claim for
// q locks and marks, one per criterion.
func ReconcileClaimSQL(s *Store, q payments.ReconcileQuery) []string {
	var out []string
	for _, b := range s.reconcileBranches(q, q.Limit) {
		out = append(out, s.db.NewRaw(b.sql, b.args...).String())
	}
	return out
}

// MigrateLockPG takes the lock Migrate holds on PostgreSQL; the func
// releases it.
var MigrateLockPG = pgAdvisoryLock
