// Package methodtest is the conformance suite every payment-method plugin
// passes before it is called ready: the built-in ones in package methods
// and an integrator's own. It is meant for _test.go files only.
//
// A plugin's test calls Run with a Spec: the plugin, a valid ChargeRequest,
// the documented Midtrans request and response samples for the channel,
// the instructions the response must yield, invalid requests with the
// fields they must be refused on, and the options fields a customer may set.
//
//	func TestConformance(t *testing.T) {
//		t.Parallel()
//		methodtest.Run(t, methodtest.Spec{
//			Method:          NewOVO(),
//			Valid:           payments.ChargeRequest{OrderID: "order-1", Amount: 15000, Options: OVOOptions{PayerPhone: "081111111111"}},
//			RequestSample:   ovoRequestSample,
//			ResponseSample:  ovoResponseSample,
//			Instructions:    payments.Instructions{MerchantID: "G123"},
//			CustomerOptions: []string{"payer_phone_number"},
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
// options as a value, a pointer or decoded from JSON into NewOptions;
// declares its options validly, letting a customer set exactly the fields
// the Spec lists (tagged payments:"customer"), while every other field, in
// any spelling, is refused on the customer's path (payments.CustomerOptions)
// naming it, and the customer's fields on top of the host's rebuild the
// valid request; builds exactly one of a Core API charge or a Snap
// transaction whose JSON has the members the docs sample has (and only
// those the Spec declares in addition), with transaction_details taken from
// the request; does not mutate its inputs; is deterministic and safe for
// concurrent use (run the suite with -race); turns the response sample into
// the expected instructions (through its InstructionsParser, or
// payments.ParseInstructions as the Service would); and declares coherent
// capabilities, per channel too for a payments.ChannelChooser.
//
// # Parallel
//
// Run's checks are parallel subtests, and the suite touches no
// process-wide state (no transport is swapped, no global is set), so
// suites for several plugins may run in parallel too. The Method contract
// forbids I/O; the suite does not try to observe it, since the only way
// would be to replace http.DefaultTransport for the whole process.
//
// The package holds no package-level mutable state.
package methodtest
