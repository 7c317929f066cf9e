// Package midtrans is an HTTP client for the Midtrans Core API (v2) and
// Snap, the Indonesian payment gateway.
//
// It owns the wire: hosts and authentication, request and response types
// with Midtrans' own JSON names, the error rules, retries, idempotency
// keys and secret redaction. It holds no state about payments; deciding
// what a status means for an order belongs to the payments package.
//
// # Client
//
// New validates a Config and returns a Client that is safe for concurrent
// use. Every call takes a context first, builds its own request, and
// takes per-call settings as CallOptions (idempotency key, notification
// URLs, extra headers), so concurrent calls never see each other's
// settings. The server key is kept in a type that redacts itself: it never
// appears in errors, logs, fmt output or JSON of a Client or a Config.
//
// # Results and errors
//
// Midtrans reports errors in two places: the HTTP status and the body's
// status_code, and real sandbox recordings show errors (404, 401) under
// HTTP 200 while Snap and some Core API errors use real HTTP codes. So:
//
//   - If the body has a status_code, it decides. 200, 201, 202 and 407 are
//     business results, returned as values: a 202 charge is a denied
//     transaction, a 201 is pending, and 407 is the successful answer to
//     Expire (and Status of an expired transaction). Callers switch on
//     TransactionStatus.
//   - Every other body code is an *APIError, including 400 under HTTP 200.
//     midtrans-go lets that one through as a result; here it is an error
//     because Midtrans uses 400 for rejected input, so nothing was created,
//     and a result with an empty status would only hide it.
//   - Without a body code, an HTTP status outside 2xx is an *APIError with
//     Code set to the HTTP status, even when the body is not JSON.
//
// Compare errors with errors.Is against the kinds (ErrNotFound,
// ErrDuplicateOrder, ErrValidation …) and use errors.As for the details.
//
// # Unknown outcomes
//
// A call that changes state (every POST) can fail after Midtrans has acted:
// the connection breaks after the request was written, the attempt times
// out, a gateway answers 502 or 504, Midtrans keeps answering 202 for an
// idempotency key whose first request is still running, or a retried POST
// is answered 406 (an earlier attempt most likely went through); any later
// failure of that call counts too. Such a failure matches
// ErrOutcomeUnknown, keeps its cause (errors.Is(err,
// context.DeadlineExceeded) still works) and must be resolved with Status,
// never treated as a failed payment. The same holds when the caller's
// context is cancelled or times out while the request is in flight: the
// cancellation stops the wait, not Midtrans. A context that is already
// done before the request is written returns the context's error without
// an unknown outcome, because nothing was sent.
//
// # Retries
//
// Only calls that are safe to repeat are retried: GETs, and POSTs that
// carry WithIdempotencyKey (Midtrans answers a repeat with the stored
// response). They are retried on transport errors, on HTTP or body codes
// 429, 500, 502, 503 and 504, and on an HTTP 202 with neither status_code
// nor transaction_status (the keyed request still in flight), up to
// Config.MaxRetries times. The wait is exponential with full jitter
// between RetryWaitMin and RetryWaitMax, or the Retry-After header capped
// by RetryWaitMax. Each attempt has its own Timeout; no attempt starts and
// no wait continues once the context is done.
//
// # Idempotency keys
//
// Use a fresh key per distinct operation (the charge, each refund, a
// cancel), store it with the operation before calling, and reuse it only to
// repeat that same operation. Midtrans keeps keys for 5 minutes and they
// are global across endpoints: a refund sent with the charge's key would
// get the charge's stored response. Keys are 1 to 36 printable ASCII
// characters; a UUID fits. Midtrans does not honour keys for Permata VA,
// CIMB Clicks, KlikBCA and Indomaret: a retried charge for those meets the
// duplicate order rule instead, and comes back as an unknown outcome that
// also matches ErrDuplicateOrder.
//
// # Client-wide defaults
//
// Config.Headers are sent on every call, and Config.OverrideNotificationURLs
// and AppendNotificationURLs on the calls that create a transaction. They
// are checked by the same rules as WithHeader and the notification options,
// once, in New; a call's own option of the same kind wins. Authorization,
// Content-Type and Accept stay the client's.
//
// # Card utilities
//
// CardToken (GET /v2/token) and RegisterCard (GET /v2/card/register) send
// raw card data with the client key, as Midtrans' JavaScript does in the
// browser; they exist for PCI-DSS certified servers, tools and tests. The
// card data travels in the query, which this package never logs nor puts in
// an error; a Card prints masked. PointInquiry (GET
// /v2/point_inquiry/{token_id}, server key) logs its path with the token
// redacted. BIN (GET /v1/bins/{bin}) authenticates with the client key, as
// midtrans-go does. All are GETs, retried like Status.
//
// # Subscriptions
//
// Subscriptions (the recurring API, /v1/subscriptions) use the same
// machinery: CreateSubscription honours WithIdempotencyKey (Midtrans keeps
// it for 3 minutes), reads are retried, and the API's own error shape
// (status_message with validation_message, singular, and no status_code)
// comes back as an *APIError kinded by its HTTP status, with
// ValidationMessages filled. A subscription's token, like a card token, is
// a secret: MaskPayload hides it.
package midtrans
