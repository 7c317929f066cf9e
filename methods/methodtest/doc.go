// Package methodtest is the conformance suite every payment-method plugin
// passes before it is called ready: the built-in ones in package methods
// and an integrator's own. It is meant for _test.go files only.
//
// A plugin's test calls Run with a Spec: the plugin, a valid ChargeRequest,
// the documented Midtrans request and response samples for the channel,
// the instructions the response must yield, and invalid requests with the
// fields they must be refused on.
//
//	func TestConformance(t *testing.T) {
//		methodtest.Run(t, methodtest.Spec{
//			Method:         NewOVO(),
//			Valid:          payments.ChargeRequest{OrderID: "order-1", Amount: 15000, Options: OVOOptions{PayerPhone: "081111111111"}},
//			RequestSample:  ovoRequestSample,
//			ResponseSample: ovoResponseSample,
//			Instructions:   payments.Instructions{MerchantID: "G123"},
//			Invalid: []methodtest.Invalid{
//				{Name: "no phone", Request: payments.ChargeRequest{OrderID: "order-1", Amount: 15000}, Fields: []string{"options.payer_phone_number"}},
//			},
//		})
//	}
//
// # What it guarantees
//
// A plugin that passes has a usable name; refuses each invalid request
// naming exactly the expected fields, all of them at once; accepts its
// options as a value, a pointer or decoded from JSON into NewOptions; builds
// exactly one of a Core API charge or a Snap transaction whose JSON has the
// members the docs sample has (and only those the Spec declares in
// addition), with transaction_details taken from the request; does not
// mutate its inputs; is deterministic and safe for concurrent use (run the
// suite with -race); turns the response sample into the expected
// instructions; declares coherent capabilities; and makes no HTTP request.
//
// # Not parallel-safe
//
// The no-I/O check swaps http.DefaultTransport, a process-wide variable,
// for a transport that fails the test on any request, and restores it
// before the check returns. Do not call Run from a test marked
// t.Parallel, nor while tests in the same binary that use the default
// transport run in parallel: they would see the failing transport, and the
// race detector would flag the swap. That is acceptable because the
// package is for tests only, Go runs top-level tests one at a time unless
// told otherwise, and replacing the default transport is the one way to
// observe, without changing the plugin, that it never calls the network
// through net/http's default stack. (A plugin dialling sockets itself is
// not caught; the Method contract forbids any I/O.)
//
// The package holds no package-level mutable state besides that swap.
package methodtest
