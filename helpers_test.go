package payments_test

import (
	"fmt"

	"github.com/nusapay/payments"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments/internal/dbtest"
)

func dbtestSQLite(t *testing.T) *bun.DB { return dbtest.SQLite(t) }

// show summarises a payment for a failure message.
func show(p *payments.Payment) string {
	if p == nil {
		return "<nil payment>"
	}
	return fmt.Sprintf("{%s %s %s/%s v%d amount=%s refunded=%s tx=%s msg=%q}", p.OrderID, p.Method, p.Status, p.FraudStatus,
		p.Version, p.Amount, p.RefundedAmount, p.TransactionID, p.StatusMessage)
}
