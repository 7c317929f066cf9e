package store

import (
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// TestIsUniqueViolationMySQL: MySQL 8.0.19+ qualifies the key with its
// table; MariaDB and older MySQL do not.
func TestIsUniqueViolationMySQL(t *testing.T) {
	const key = "nusapay_payments_transaction_id_key"
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'default-tx' for key '" + key + "'"}, true},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'default-tx' for key 'nusapay_payments." + key + "'"}, true},
		{fmt.Errorf("apply: %w", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'nusapay_payments." + key + "'"}), true},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'default-o' for key 'nusapay_payments_order_id_key'"}, false},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'other_" + key + "'"}, false},
		{&mysql.MySQLError{Number: 1452, Message: "Cannot add or update a child row: " + key + "'"}, false},
	} {
		if got := isUniqueViolation(tc.err, key, "transaction_id"); got != tc.want {
			t.Errorf("isUniqueViolation(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
