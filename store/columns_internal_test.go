package store

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/nusapay/payments"
)

// TestHandWrittenColumns: the column lists of the hand-written statements
// name every column of their row type (but the database's own: an
// autoincrement id or seq, and the outbox's delivery state, which a new
// event does not have), so a column added to a row type cannot be
// forgotten by them.
func TestHandWrittenColumns(t *testing.T) {
	db := bun.NewDB(nil, sqlitedialect.New()) // only its schema: no connection
	for _, tc := range []struct {
		name    string
		columns string
		row     any
		skip    []string
	}{
		{"payments", paymentColumns, paymentRow{}, nil},
		{"audit", auditColumns, eventRow{}, []string{"id"}},
		{"inbox", inboxColumns, inboxRow{}, nil},
		{"outbox", outboxColumns, outboxRow{}, []string{"seq", "lease_owner", "lease_expires_at", "delivered_at"}},
	} {
		var want []string
		for _, f := range db.Table(reflect.TypeOf(tc.row)).Fields {
			if !slices.Contains(tc.skip, f.Name) {
				want = append(want, f.Name)
			}
		}
		got := strings.Split(strings.ReplaceAll(tc.columns, " ", ""), ",")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the statement's columns %v, the row's %v", tc.name, got, want)
		}
	}
	if n := len(paymentArgs(&paymentRow{})); n != len(strings.Split(paymentColumns, ",")) {
		t.Errorf("paymentArgs has %d values for %d columns", n, len(strings.Split(paymentColumns, ",")))
	}
}

// TestWriteChangeTakesEveryChangedColumn: every column a compare-and-set
// may change is one nusapay_write_change sets, so no plan goes to the
// transaction path for want of one (writesColumn would send it there
// rather than drop the column).
func TestWriteChangeTakesEveryChangedColumn(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	prev := &payments.Payment{}
	next := &payments.Payment{TransactionID: "tx", Amount: 1, PaymentType: "gopay", Status: payments.StatusSettlement,
		FraudStatus: payments.FraudAccept, StatusMessage: "m", Instructions: payments.Instructions{VANumber: "1"},
		ExpiresAt: at, PaidAt: at, RefundedAmount: 1, ChargeResponse: []byte(`{}`), TransactionTime: at, SettlementTime: at,
		CustomField1: "1", CustomField2: "2", CustomField3: "3"}
	cols := changedColumns(prev, next)
	if len(cols) != len(strings.Split(writeChangeColumns, ", ")) {
		t.Errorf("a payment that differs in everything changes %v; nusapay_write_change takes %s", cols, writeChangeColumns)
	}
	for _, col := range cols {
		if !writesColumn(col) {
			t.Errorf("changedColumns may change %s, which nusapay_write_change does not set", col)
		}
	}
}
