package store

import "github.com/nusapay/payments"

// ListSQL is the SQL ListPayments runs for q (q must be valid).
func ListSQL(s *Store, q payments.PaymentQuery) string {
	var rows []paymentRow
	return s.listQuery(s.db.NewSelect().Model(&rows), &q).Limit(int64(q.PageSize() + 1)).String()
}
