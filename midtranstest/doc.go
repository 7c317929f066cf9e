// Package midtranstest is an in-process, stateful Midtrans simulator for tests, examples
// and integrators' own test suites. It serves Core API v2 and Snap on one base URL
// (an httptest.Server from NewServer, or any server mounting Handler), keeps its state in
// memory, and behaves as Midtrans documents the real API (and as its recorded sandbox
// answers show where the docs are silent). It imports
// nothing but the standard library (and the module's standard-library-only QR encoder),
// so it is an independent check of any client.
//
// # Using it
//
//	sim := midtranstest.NewServer(midtranstest.Config{NotificationURL: webhookURL})
//	defer sim.Close()
//	// point your Midtrans client at sim.URL() with sim.ServerKey()
//	// … charge through your code …
//	sim.Pay(orderID)                 // the customer pays
//	sim.WaitIdle(ctx)                // every notification delivered (or given up)
//
// # Wiring it into an application
//
// An application's Midtrans client needs the simulator's URL, and the simulator needs the
// application's webhook URL, which exists only once the application's server listens.
// Start them in that order and give the simulator the webhook URL last, as you would
// paste it into Midtrans' dashboard:
//
//	sim := midtranstest.NewServer(midtranstest.Config{})
//	defer sim.Close()
//	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
//	// … build the Service and its routes, start the server …
//	sim.SetNotificationURL("http://" + ln.Addr().String() + "/payments/notifications")
//
// Changes made before SetNotificationURL notify no one (as with an empty dashboard
// field); every change after it does. Or listen first (net.Listen) and pass the URL in
// Config.NotificationURL. examples/quickstart does the former in one short program.
//
// Each Server is one merchant account; there is no package-level state, so tests can run
// many in parallel. Transactions are created only through the API (as your code would);
// the test controls (Pay, Settle, Expire, Deny, Cancel, Refund, Reverse, Challenge,
// Chargeback, SelectSnapPayment, Notify) then play the customer, the bank and Midtrans.
// Each control changes the state as the real system would, sends the signed
// notification, and returns ErrUnknownTransaction or ErrInvalidState (naming the from and
// to statuses); Refund and Chargeback also return ErrInvalidAmount. CardToken makes card
// tokens; Signature computes signature_key for building or checking payloads.
//
// # Driving each method to paid
//
//   - bank_transfer (bca, bni, bri, permata, cimb; also the legacy payment_type
//     "permata"), echannel, cstore (indomaret, alfamart), gopay, shopeepay, qris, akulaku,
//     kredivo, ovo, uob_ezpay: charge → pending (201) → Pay → settlement.
//   - credit_card without authentication: the charge answers the final result at once:
//     capture/accept (200) for 4811111111111114 or 5211111111111117, deny (202, channel
//     response 05) for 4911111111111113 or 5111111111111118, capture/challenge (201) for
//     4511111111111117 (then approve/deny via the API, or Deny), authorize (200) with
//     credit_card.type "authorize" (then POST /v2/capture). Other numbers from Midtrans'
//     sandbox list behave as listed there; any other Luhn-valid number is approved.
//     Captured cards settle only when Settle is called.
//   - credit_card with authentication true: pending (201) with redirect_url; Pay completes
//     3DS and applies the card's result (capture, authorize, deny or challenge); Deny
//     or Expire fail it.
//   - Snap: POST /snap/v1/transactions answers 201 {token, redirect_url}; GET status is 404
//     until a method is chosen: SelectSnapPayment(orderID, "bca_va") makes it pending, or
//     Pay(orderID) chooses the first enabled method and pays it. "dana" gets a DANA-style
//     transaction_id and, as with Midtrans, is reachable through the API only by it.
//
// # HTTP statuses
//
// As the sandbox recordings and docs show: business answers, including most
// errors, come under HTTP 200 with the code in the body: charges (200/201/202), 404
// unknown id, 406 duplicate order_id or refund key, 407 expire, 411 bad card token, 412
// wrong state, 414 refund amount. Validation failures are HTTP 400 with status_code "400"
// and every problem in validation_messages; malformed JSON is HTTP 400 with status_code
// "413" "Syntax error". Bad keys are HTTP 401. An Idempotency-Key repeat while the first
// request is in flight gets HTTP 202 with only status_message. Snap uses real HTTP codes:
// 201 created, 400/401 with {"error_messages": [...]}. Injected faults (FailNext) use
// their code as the HTTP status.
//
// # Notifications
//
// Every status change (creation as pending included, and the two refund notifications
// Midtrans sends, the second with refunds[].bank_confirmed_at) POSTs the status object
// with status_message "midtrans payment notification" and a correct signature_key to the
// creating request's X-Override-Notification URLs if present, else the dashboard
// NotificationURL plus X-Append-Notification URLs (at most 3 each). Deliveries run in
// their own goroutines, never delay the API answer, and retry as Midtrans does by the
// receiver's answer: 500 once, 503 four times, 400/404 twice, 301/302/303 never, 307/308
// followed with the same POST (5 redirects at most), anything else (connection errors
// and timeouts included) five times, spaced by Config.RetryDelays plus up to 10% jitter.
// First attempts for one transaction and URL go out in the order of the changes; retries
// may then overtake, so a receiver can see a stale notification, as in production.
// Deliveries lists every attempt; WaitIdle waits for all, retries included; Close
// abandons scheduled retries and waits for attempts in flight.
//
// # Idempotency
//
// POSTs with an Idempotency-Key of at most 46 characters are remembered for
// Config.IdempotencyWindow across all endpoints; a repeat gets the stored answer byte
// for byte, whatever its body. Only successful answers (status_code 200/201/202/407, Snap
// 201) are stored. Longer keys are ignored, and so are keys on Permata VA and Indomaret
// charges, which Midtrans does not support: a retried charge there meets the
// duplicate-order rule (406) and the client must ask GET status.
//
// # Faults
//
// FailNext(n, code) answers the next n API calls with a Midtrans-like error without
// processing them; SetLatency delays every API answer (processing happens first, so a
// client that times out leaves a real transaction behind); DropNextResponses(n) processes
// the next n calls and closes the connection without answering, the classic "unknown
// outcome". Calls lists every API call with its idempotency key, headers (all but
// Authorization), body and answered status.
//
// Documented refusals on demand: DisableChannel(paymentType) makes that channel answer
// 402 "Payment channel is not activated."; the sandbox's outdated 3DS 1 cards
// (4723249479082225, 5555666677771111) are refused with 402; OVO's "not registered"
// number +628249134000 gets 404 "User with requested phone number doesn't exist".
// Nothing is created for any of them.
//
// # Payment types it does not know
//
// Config.PaymentTypes teaches the simulator a Core API payment_type (an integrator's own
// plugin's): the function sees the validated charge and adds fields (actions, a
// redirect_url, references) to its answer, its status and its notifications, or refuses
// it with a validation error. Pay, Expire, Cancel and notifications then work as for any
// e-wallet.
//
// # Card utilities
//
// GET /v2/token and /v2/card/register (client key in the query) validate the card like
// Midtrans (Luhn, expiry, CVV) and return a token or a saved_token_id that charges the
// card with its sandbox outcome. GET /v2/point_inquiry/{token_id} answers a balance of
// 10,000 for the simulator's tokens and 411 for others. GET /v1/bins/{bin} (client key
// as Basic user) answers by card network for 4, 5, 34/37 and 35 prefixes, 404 otherwise.
//
// # Browser pages
//
// redirect_url and action URLs point at the simulator: a Snap page to choose and pay,
// 3DS, Akulaku, Kredivo and UOB pages, e-wallet deeplink pages (returning to the
// callback_url with ?order_id=&result=), QR code PNGs of the QRIS payload (a valid EMVCo
// string with CRC), and stand-ins for snap.js and the 3DS JS library. A demo shop can
// therefore run end to end in a browser without a Midtrans account.
//
// # Not simulated
//
// Expiry has no timer: a pending transaction past its expiry_time (on Config.Now) turns to
// expire, with its notification, the next time it is looked up; use Expire to force it.
// Card captures never settle by themselves (use Settle). Multi-use (B2B) VAs are
// simplified: /status/b2b lists the transaction itself as its only child (page 0; later
// pages are empty). GoPay account linking is simulated (see pay_account.go:
// LinkPaymentAccount's endpoints, ActivatePayAccount, DisablePayAccount,
// ExpirePayAccount, charges from a linked account) without its pre-authorisation,
// recurring and PIN-verification flows. Not present: subscriptions, BI-SNAP, OVO's
// other special phone numbers, a GoPay charge paid by QR reporting payment_type "qris",
// refunds declined by the issuer, direct refunds rejected by the bank, rate limits (use
// FailNext(n, 429)), one-time use and the 10-minute life of card tokens, and switching
// the method of a Snap order after one was chosen.
//
// Subscriptions (/v1/subscriptions) are kept with their schedule and state;
// ChargeSubscription makes a recurring charge on demand (its doc lists what
// is assumed where Midtrans' documents are silent).
package midtranstest
