package payments_test

import (
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/fixture"
	"github.com/nusapay/payments/notify"
)

// TestStatusCodeAllowsFixtures: every sample notification, from the docs
// and recorded, passes the status/status_code rule.
func TestStatusCodeAllowsFixtures(t *testing.T) {
	var names []string
	for _, pattern := range []string{"docs/notification-*.json", "recorded/notification-*.json", "recorded/synthetic/*notification*.json"} {
		names = append(names, fixture.Glob(t, pattern)...)
	}
	for _, name := range names {
		n, err := notify.Parse(fixture.Bytes(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !payments.StatusCodeAllows(n.StatusCode, payments.ParseStatus(n.TransactionStatus), payments.ParseFraudStatus(n.FraudStatus)) {
			t.Errorf("%s: status_code %q refused for %s/%s", name, n.StatusCode, n.TransactionStatus, n.FraudStatus)
		}
	}
}

func TestStatusCodeAllows(t *testing.T) {
	for _, tc := range []struct {
		code  string
		s     payments.Status
		f     payments.FraudStatus
		allow bool
	}{
		{"200", payments.StatusSettlement, payments.FraudAccept, true},
		{"200", payments.StatusCapture, payments.FraudNone, true},
		{"200", payments.StatusCapture, payments.FraudChallenge, false},
		{"201", payments.StatusCapture, payments.FraudChallenge, true},
		{"201", payments.StatusCapture, payments.FraudAccept, false},
		{"200", payments.StatusAuthorize, payments.FraudAccept, true},
		{"200", payments.StatusRefund, payments.FraudNone, true},
		{"200", payments.StatusPartialRefund, payments.FraudAccept, true},
		{"200", payments.StatusChargeback, payments.FraudNone, true},
		{"200", payments.StatusPending, payments.FraudNone, false},
		{"201", payments.StatusPending, payments.FraudAccept, true},
		{"201", payments.StatusSettlement, payments.FraudAccept, false},
		{"202", payments.StatusExpire, payments.FraudNone, true},
		{"202", payments.StatusDeny, payments.FraudDeny, true},
		{"202", payments.StatusCancel, payments.FraudAccept, true},
		{"202", payments.StatusFailure, payments.FraudNone, true},
		{"202", payments.StatusSettlement, payments.FraudAccept, false},
		{"407", payments.StatusExpire, payments.FraudNone, true},
		{"200", payments.Status("partial_settlement"), payments.FraudNone, false},
		{"", payments.StatusSettlement, payments.FraudNone, false},
	} {
		if got := payments.StatusCodeAllows(tc.code, tc.s, tc.f); got != tc.allow {
			t.Errorf("StatusCodeAllows(%q, %s, %q) = %v", tc.code, tc.s, tc.f, got)
		}
	}
}
