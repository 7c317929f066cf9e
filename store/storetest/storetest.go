// Package storetest is the conformance suite for payments.Store. Every store
// runs it before it is called ready: this module's Bun store runs it against
// PostgreSQL, SQLite and MySQL (MariaDB), and an integrator with a store of their own runs it
// the same way:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) payments.Store { return newEmptyMigratedStore(t) })
//	}
//
// The factory must return a fresh, empty store for each call; the suite
// calls it once per subtest and runs subtests in parallel.
package storetest

import (
	"testing"

	"github.com/nusapay/payments"
)

// Factory returns a fresh, empty, migrated store for one test.
type Factory func(t *testing.T) payments.Store

// Run runs every contract test against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s payments.Store)
	}{
		{"CreateAndRead", testCreateAndRead},
		{"CreateDuplicateOrder", testCreateDuplicateOrder},
		{"CreateValidation", testCreateValidation},
		{"NotFound", testNotFound},
		{"ApplyThroughStatusMachine", testApplyThroughStatusMachine},
		{"ApplyMergesFacts", testApplyMergesFacts},
		{"ApplyLearnsFacts", testApplyLearnsFacts},
		{"ApplyFollowsPlan", testApplyFollowsPlan},
		{"ApplyFrom", testApplyFrom},
		{"ApplyNotificationFrom", testApplyNotificationFrom},
		{"ApplyPaidOnce", testApplyPaidOnce},
		{"ApplyReversal", testApplyReversal},
		{"ApplyPartialRefunds", testApplyPartialRefunds},
		{"ApplyNewAmount", testApplyNewAmount},
		{"DuplicateFillsTransactionID", testDuplicateFillsTransactionID},
		{"LateChargeAnswerKeepsInstructions", testLateChargeAnswer},
		{"ApplyAmountMismatch", testApplyAmountMismatch},
		{"ApplyUnrecognisedStatus", testApplyUnrecognisedStatus},
		{"ApplyValidation", testApplyValidation},
		{"ApplyTransactionIDConflict", testApplyTransactionIDConflict},
		{"ApplyCancelledContext", testApplyCancelledContext},
		{"ConcurrentConflictingApply", testConcurrentConflictingApply},
		{"ConcurrentDuplicateApply", testConcurrentDuplicateApply},
		{"Refunds", testRefunds},
		{"ConcurrentRefundKey", testConcurrentRefundKey},
		{"RefundMovesForward", testRefundMovesForward},
		{"RefundReservation", testRefundReservation},
		{"ReportedRefunds", testReportedRefunds},
		{"Inbox", testInbox},
		{"ConcurrentInbox", testConcurrentInbox},
		{"ApplyNotification", testApplyNotification},
		{"ApplyNotificationNothingWritten", testApplyNotificationNothingWritten},
		{"ApplyNotificationFinishesEarlierCopy", testApplyNotificationFinishesEarlierCopy},
		{"ApplyNotificationRejected", testApplyNotificationRejected},
		{"ConcurrentApplyNotification", testConcurrentApplyNotification},
		{"ApplyNotificationAccounts", testApplyNotificationAccounts},
		{"OutboxOrderPerPayment", testOutboxOrderPerPayment},
		{"OutboxLease", testOutboxLease},
		{"OutboxRetryAndDead", testOutboxRetryAndDead},
		{"OutboxEventPayload", testOutboxEventPayload},
		{"ConcurrentOutboxWorkers", testConcurrentOutboxWorkers},
		{"MarkDeliveredBatch", testMarkDeliveredBatch},
		{"MarkDeliveredBatchLeaseLost", testMarkDeliveredBatchLeaseLost},
		{"ConcurrentOutboxBatchWorkers", testConcurrentOutboxBatchWorkers},
		{"Reconcile", testReconcile},
		{"ConcurrentReconcileClaims", testConcurrentReconcileClaims},
		{"ReconcilePassesAcrossReplicas", testReconcilePassesAcrossReplicas},
		{"MarkSynced", testMarkSynced},
		{"Accounts", testAccounts},
		{"ListPaymentsFilters", testListPaymentsFilters},
		{"ListPaymentsValidation", testListPaymentsValidation},
		{"ListPaymentsPagination", testListPaymentsPagination},
		{"ListPaymentsAccounts", testListPaymentsAccounts},
		{"Timeline", testTimeline},
		{"RequeueEvent", testRequeueEvent},
		{"StaffActions", testStaffActions},
		{"NotificationByID", testNotificationByID},
		{"PruneEvents", testPruneEvents},
		{"PruneNotifications", testPruneNotifications},
		{"PayAccounts", testPayAccounts},
		{"PayAccountPlan", testPayAccountPlan},
		{"ConcurrentPayAccountUpdates", testConcurrentPayAccountUpdates},
		{"Subscriptions", testSubscriptions},
		{"SubscriptionAccounts", testSubscriptionAccounts},
		{"OldestPendingEvent", testOldestPendingEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}
