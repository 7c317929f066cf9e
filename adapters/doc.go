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
//	POST  {prefix}/subscriptions                 create a subscription; GET and PATCH
//	      {prefix}/subscriptions/{id}            read and update one; POST .../{id}/{enable|
//	                                             disable|sync} (only with an Authorizer)
//	GET  {prefix}/console                        the ops console's list, and
//	GET  {prefix}/console/payments/{order_id}    a payment's page (HTML, only with WithConsole)
//	POST {prefix}/console/payments/{order_id}/{op}  a console action, as a same-origin form
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
// Authorizer the operation routes and the console are not.
//
// Every error of the JSON routes is the shape below; the console's pages
// answer errors as HTML pages with the same status codes.
//
// # Errors
//
// Every error any path under the prefix answers, on both adapters, is one
// JSON shape (ErrorBody): a stable code to match on, a message for people,
// the offending fields, and the payment concerned when there is one (its
// public view, as the status route shows it):
//
//	{"error":{"code":"unknown_field","message":"...","fields":[{"field":"options.foo","message":"..."}]}}
//	{"error":{"code":"order_not_payable","message":"a payment for this order is already in progress"},"payment":{...}}
//
// The codes:
//
//	status  code                    when
//	400     bad_request             the body is not one JSON object of the right types
//	                                (syntax, trailing data, a string for a number)
//	400     unknown_field           a member the route does not take, at any level: "foo" in
//	                                the body, "options.foo" in a charge's options; members are
//	                                known only when spelled exactly ("Amount" is unknown)
//	400     option_not_allowed      an option of the method that the host sets, not the
//	                                customer ("options.authentication")
//	400     invalid_order_id        an {order_id} outside Midtrans' alphabet (payments.ValidOrderID),
//	                                refused before the Authorizer or a database sees it
//	400     malformed_notification  a webhook body that is not a Midtrans notification
//	400     status_contradicts_code a notification whose status contradicts its status code
//	401     unauthenticated         the Authorizer wrapped ErrUnauthenticated
//	401     invalid_signature       a notification whose signature does not verify
//	403     forbidden               the Authorizer refused
//	403     cross_origin            a cross-origin browser request to a state-changing route
//	404     not_found               no such payment, or no route at this path under the prefix
//	404     order_not_found         the OrderSource does not know the order
//	404     unknown_operation       an {op} not in payments.Operations
//	405     method_not_allowed      a route's path with another method; Allow lists its methods
//	409     order_not_payable       the OrderSource refused with payments.ErrNotAllowed; with
//	                                NotPayable, its reason is the message and the live payment
//	                                is in "payment"
//	409     duplicate_order         the order id already has a payment (in "payment")
//	409     not_allowed             the operation is not allowed in the payment's status
//	409     conflict                conflicts with an earlier request
//	413     body_too_large          the body is over the route's limit (or the server's, see below)
//	415     unsupported_media_type  a body that is not application/json
//	422     validation_failed       invalid values, each named in fields
//	422     unsupported             the method cannot do this (capture a VA payment)
//	422     payment_refused         Midtrans refused the charge (the failed payment in "payment")
//	202     outcome_unknown         Midtrans did not answer in time; the payment (in "payment")
//	                                resolves shortly
//	502     midtrans_unavailable    Midtrans is down or rate-limits; try again
//	503     unavailable             a notification could not be processed now; Midtrans retries
//	500     internal                logged, never detailed
//
// Paths outside the prefix are the host router's. Both adapters answer
// the prefix's unmatched paths through API.Unmatched.
//
// Request bodies are size-limited per route (413 body_too_large), and so is
// a body the host's own limit cuts off first: http.MaxBytesHandler on
// net/http, Fiber's Config.BodyLimit with fiberadapter.ErrorHandler (Fiber
// refuses it before any route runs). Time limits are the server's
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
