// Package payments takes money through the Midtrans payment gateway
// (Indonesia) for Go web applications: cards, bank-transfer virtual accounts
// (BCA, BNI, BRI, Permata, CIMB), Mandiri bill, GoPay, ShopeePay, DANA, QRIS,
// Indomaret/Alfamart and Akulaku, and Snap, Midtrans' hosted checkout.
//
// # The pieces
//
//   - Service (New): charges through a *midtrans.Client, keeps every payment
//     and every change in a Store (package store: PostgreSQL or SQLite via
//     Bun), and runs every operation: CreateCharge, Sync, Cancel, Expire,
//     Refund, DirectRefund, Capture, Approve, Deny.
//   - Method plugins (Method; built-ins in package methods): one per
//     channel, pure functions from a ChargeRequest to a Midtrans request
//     (and, optionally, InstructionsParser, from a Midtrans answer to
//     Instructions). Options fields tagged payments:"customer" are all a
//     browser may set (CustomerOptions); the rest are the host's. What a
//     payment can do afterwards is its method's Capabilities, or, for a
//     ChannelChooser such as Snap, those of the channel the customer chose
//     (PaymentCapabilities, the one rule every operation asks).
//   - Payment, Amount, Status, Outcome: the model. Amount is whole rupiah in
//     an int64, parsed strictly from Midtrans' "145000.00" strings.
//   - The status machine: one transition table (Transitions) and Decide,
//     which says whether a change is applied, stale or a duplicate, and
//     Plan, which turns a change into the next payment, its audit row and
//     its hook events (which facts merge, when PaidAt is set, the refunded
//     total, which signals fire). A Store only carries a plan out. Every
//     change goes through it whatever its source — charge answer,
//     notification (package notify), status sync, operation, reconciler —
//     so out-of-order and repeated reports never move a payment backwards or
//     fire a hook twice.
//   - Hooks: signals (SignalPaid, SignalExpired, ...) that receivers Connect
//     to, delivered durably by Service.Run.
//   - GoPay tokenization: LinkGoPayAccount stores a customer's GoPay account
//     (PaymentAccount, tied to the host's customer id), a pay account
//     notification or RefreshPaymentAccount records it enabled with its
//     balances, CreateCharge with methods.GoPayOptions{AccountID,
//     CustomerID} pays from it (the Service adds the payment option token
//     from the Store: it never reaches the host or a browser), and
//     UnlinkGoPayAccount ends it. PlanPaymentAccount is its one rule.
//
// # Money is never lost or doubled
//
// The payment row is written before Midtrans is called (StatusInitiated),
// so a fast notification always finds it and a crash mid-charge leaves a row
// the reconciler resolves. A timeout or broken connection leaves the outcome
// StatusUnknown, never failed; charging the same order again resends the
// same idempotency key. Refunds are stored with their refund key before the
// call and reuse it on retry. Every change is one database transaction:
// compare-and-set on status and version, an audit row, and the hook events.
//
// # Hooks and exactly-once effects
//
// A change's events are written to the outbox in the transaction that
// applies it, then delivered after commit by Run's workers: at least once,
// in order per payment, retried with exponential backoff, with panics
// recovered, and marked dead after DeliveryConfig.MaxAttempts (SignalDead
// fires). Replicas share delivery through the database alone. SignalPaid
// fires at most once per payment, whatever Midtrans reports later.
// Receivers run concurrently: a worker hands a claimed batch (at most one
// event per payment) to its receivers at once and acknowledges the
// delivered events in one statement, so a receiver must be safe to call
// from several goroutines.
//
// Delivery is at least once, so a receiver makes its effect exactly once in
// one of two ways:
//
//   - dedupe on Event.ID: in one transaction of your own, insert a row keyed
//     by the event id (INSERT ... ON CONFLICT DO NOTHING) and do the effect
//     only if the row was inserted (see examples/fulfilment);
//   - or make the effect idempotent by itself (set order.status = 'paid').
//
// A receiver returning an error or panicking gets the event again later; the
// other receivers of the same event are not called again in that process.
//
// Guarantees: nothing here holds package-level mutable state; two Services
// (two merchants, sandbox and production) live side by side in one process,
// and with different accounts (WithAccount) in one database: each stores,
// reads, delivers hooks for and reconciles only its own account's rows.
package payments
