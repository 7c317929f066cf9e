// Package notify handles Midtrans HTTP notifications (the webhook),
// independently of any HTTP framework: Handler.Handle takes the raw body and
// returns the status code and JSON answer to send back. The adapters mount it.
//
// # Pipeline
//
//  1. Size cap (64 KiB by default): larger bodies are refused with 413.
//  2. Lenient parsing: unknown fields are fine, numbers or strings both
//     work. Malformed JSON, or no order_id, status_code or gross_amount:
//     400.
//  3. A body without signature_key is the dashboard's test ping: 200, no
//     side effect.
//  4. Signature: SHA-512 over the raw order_id, status_code and gross_amount
//     strings plus the server key, compared in constant time against every
//     accepted key (the client's, plus old ones during a key rotation). A
//     bad signature is recorded and answered 401.
//  5. Inbox: the notification is stored under a dedup key derived from the
//     fields that change between events (Midtrans sends no event id), with
//     ON CONFLICT DO NOTHING. A repeat of a processed notification is
//     answered 200 at once.
//  6. Confirmation (on by default): the payment's status is fetched with
//     GET status and that answer, not the body, is applied — so forged or
//     stale bodies cannot move money, and out-of-order deliveries resolve to
//     the truth. If the status call fails: 503, so Midtrans retries.
//  7. Amount check against the stored payment: a mismatch is never applied;
//     it is recorded and fires payments.SignalAmountMismatch.
//  8. The change goes through the status machine, with its hook events
//     written in the same transaction.
//
// # Status codes
//
// Midtrans retries by the answer's status code (REFERENCE.md §7.3), so they
// are chosen on purpose: 200 for processed, duplicate, stale, unknown order
// and test ping (nothing to retry); 400 for a malformed body and 413 for an
// oversized one (retrying cannot help); 401 for a bad signature (a real
// notification failing here means a key is misconfigured: Midtrans retries
// five times over hours, time to fix it); 503 for a transient failure — the
// database or the status call — which Midtrans retries four times. A
// notification is either committed or answered with a retryable code:
// nothing is lost.
package notify
