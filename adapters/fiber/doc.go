// Package fiberadapter mounts the payments routes (package adapters) on
// Fiber v3. It only translates requests and responses; the logic, the status
// codes and the JSON error shape are in package adapters, and this adapter
// passes the same shared test table as adapters/nethttp.
//
//	api, err := adapters.New(svc, adapters.WithOrderSource(orders))
//	app := fiber.New()
//	fiberadapter.Mount(app, api)
//
// Mount also answers every other path under the prefix, 404 not_found or
// 405 method_not_allowed in the routes' JSON error shape, with a middleware
// on the prefix that lets the host's own routes there through.
//
// # Buffers
//
// Fiber (fasthttp) reuses a request's buffers for the next request once a
// handler returns, so the strings and byte slices it hands out are valid
// only during the handler. The adapter copies the body, every path
// parameter and every header before building the adapters.Request: an
// OrderSource, an Authorizer or a log handler may keep them, or use them
// from another goroutine, safely. Only Request.Raw, the fiber.Ctx itself,
// must not outlive the call.
//
// # Bodies
//
// Each route caps its body itself (adapters.MaxChargeBody and so on); Fiber's
// own Config.BodyLimit (4 MiB by default) is an outer bound and must not be
// set below the largest route limit: the webhook's is the notify handler's
// (notify.WithMaxBodySize; adapters.MaxNotificationBody by default). Fiber
// refuses a body over BodyLimit before any route runs, through the app's
// ErrorHandler; set fiber.Config.ErrorHandler to ErrorHandler(yours) for the
// routes' JSON 413 under the prefix. Bodies
// are read raw: a
// Content-Encoding is not decoded, as with net/http, so a compressed body
// cannot expand past the route's limit.
//
// # Context
//
// Handlers run with c.Context(), which carries whatever middleware set with
// c.SetContext (a trace span, a deadline). fasthttp does not cancel it when
// the client goes away; a webhook or charge therefore always finishes, which
// is what an idempotent, committed-or-retried pipeline wants anyway.
//
// # Panics
//
// fasthttp does not recover a panic in a handler as net/http does: an
// OrderSource or Authorizer that panics takes the process down unless the
// app uses Fiber's recover middleware, as Fiber apps usually do.
//
// # CSRF
//
// Midtrans cannot send a CSRF token, and the webhook is authenticated by its
// signature, so an app that uses Fiber's csrf middleware exempts it with
// SkipWebhook:
//
//	app.Use(csrf.New(csrf.Config{Next: fiberadapter.SkipWebhook(app, api)}))
//
// Only the webhook is exempt: a browser still needs the token to POST to
// the charges route.
package fiberadapter
