// Package notify handles Midtrans HTTP notifications (the webhook),
// independently of any HTTP framework: Handler.Handle takes the raw body,
// parses and verifies it, hands a genuine notification to the Service
// (payments.Service.ApplyNotification, its one entry) and returns a typed
// Result. It knows no payment type, no table and no HTTP status code: the
// adapters choose the code from the Result's Kind and Err, in one place.
//
// # Pipeline
//
//  1. Size cap (64 KiB by default, WithMaxBodySize; the adapters read the
//     route's body up to the handler's cap): larger bodies are Rejected
//     with ErrTooLarge.
//  2. Lenient parsing: unknown fields are fine, numbers or strings both
//     work. Malformed JSON, or no order_id, status_code or gross_amount:
//     Rejected with ErrMalformed.
//  3. A body without signature_key is the dashboard's test ping: Ignored,
//     no side effect.
//  4. Signature: SHA-512 over the raw order_id, status_code and gross_amount
//     strings plus the server key, compared in constant time against every
//     accepted key (the Service's, through Service.VerifySignature, plus old
//     ones during a key rotation, WithServerKeys). A bad signature is
//     Rejected with ErrInvalidSignature, logged without its body and counted
//     (Handler.Rejected), never stored: unauthenticated input costs no
//     storage.
//  5. Copies of one notification arriving at one handler while it is being
//     processed wait for their turn (at most 3 s, WithWait) instead of
//     asking the database.
//  6. The Service does the rest: a copy already on record in the inbox
//     (under a dedup key derived from the fields that change between
//     events, as Midtrans sends no event id) is a Duplicate, answered from
//     one read; otherwise the confirmation with GET status (on by default),
//     whose answer, not the body, is applied, addressed as the payment's
//     method requires; then one write transaction that locks the payment,
//     checks the amount (a mismatch is recorded, fires
//     payments.SignalAmountMismatch, and is never applied), records the
//     notification in the inbox already finished (where copies across
//     replicas meet: one records it, the others are duplicates), and
//     applies the change through the status machine with the hook events.
//
// # Results
//
// Midtrans retries by the answer's status code, so the Kind says what a
// delivery needs: Processed, Duplicate and Ignored are final (the adapters
// answer 200); Rejected cannot succeed on a retry (400 malformed or a
// status contradicting its signed status_code, 401 bad signature, 413 too
// large); Retry is a transient failure — the database, the status call, or
// a copy still in flight after the wait — answered 503 so Midtrans delivers
// it again. Nothing is lost: a notification is answered 2xx only once its
// effect is committed or it is a copy of one that was. When the change
// committed but recording the notification's outcome failed, the answer is
// 503 and the retry is found a duplicate.
//
// WithoutConfirmation trades the status call for trust in the body; its
// documentation says exactly what that gives up.
//
// A pay account notification (GoPay tokenization: account_id and
// account_status, no order_id) is recognised by its shape and takes its
// own path: its signature is SHA512(account_id + account_status +
// status_code + server key), and it enters the Service through
// ApplyPaymentAccountNotification, which confirms it with Midtrans before
// committing. Point the dashboard's Pay Account Notification URL at the
// same route.
package notify
