// Package adapters holds the HTTP routes of the payments module once,
// independent of any framework; adapters/nethttp and adapters/fiber only
// translate requests and responses (and both pass one shared test table).
//
// Routes, under a prefix the host chooses (default "/payments"):
//
//	POST {prefix}/notifications                  the Midtrans webhook (always)
//	POST {prefix}/charges                        start a payment (only with an OrderSource)
//	GET  {prefix}/payments/{order_id}            what a checkout page polls (no personal data)
//	POST {prefix}/payments/{order_id}/{op}       an op of payments.Operations: sync, cancel,
//	                                             expire, refund, capture, approve, deny
//	                                             (only with an Authorizer)
//
// The amount, items and customer of a charge come from the host's
// OrderSource, never from the browser: the browser names its order, picks a
// method and sends only the options a customer chooses (those the method's
// options type tags payments:"customer": for a card the token, the bank and
// an installment term the host offers). Any other option (3-D Secure,
// pre-authorisation, saved cards, BIN promotions, channels, callback URLs,
// VA numbers, ...) is refused with 400 option_not_allowed naming it; the
// host sets those in Order.Options, and the browser's choices go on top.
// Without an OrderSource the charges route is not mounted; without an
// Authorizer the operation routes are not.
//
// Errors are JSON with a stable code and the offending fields:
//
//	{"error":{"code":"validation_failed","message":"...","fields":[{"field":"method","message":"..."}]}}
//	{"error":{"code":"option_not_allowed","message":"...","fields":[{"field":"options.authentication","message":"..."}]}}
//
// An {order_id} outside Midtrans' alphabet (payments.ValidOrderID) is 400
// invalid_order_id, before the Authorizer or a database sees it.
//
// Request bodies are size-limited per route; time limits are the server's
// (ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout: see the
// README). The state-changing routes a browser can be tricked into calling
// (charges and operations) are guarded on both adapters alike: a cross-origin
// browser request is 403 cross_origin, decided by Go's
// http.CrossOriginProtection (Sec-Fetch-Site, else Origin against Host;
// WithTrustedOrigins for a front end on another origin), and a body must be
// application/json, 415 unsupported_media_type otherwise, which no HTML
// form can send. An operation without a body may send no Content-Type, or
// application/json; any other is refused even then.
//
// The webhook is exempt from both: Midtrans sends no browser headers and no
// CSRF token, and its signature authenticates it. With Fiber's CSRF
// middleware, exempt the webhook alone with fiberadapter.SkipWebhook.
package adapters
