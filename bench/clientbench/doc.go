// Package clientbench measures github.com/nusapay/payments/midtrans against
// the official github.com/midtrans/midtrans-go doing the same calls against
// the same midtranstest simulator over loopback HTTP.
//
// It is its own module so that midtrans-go never enters the main module's
// go.mod; nothing here is imported by the library. Run it with
//
//	cd bench/clientbench && go test -bench . -benchmem -count 5 -cpu 1,2
//
// midtrans-go has no base URL setting (its hosts are fixed per
// environment), so its HTTP client dials the simulator for every host and
// speaks plain HTTP on that connection (see officialHTTPClient): its
// requests are built and sent unchanged, with nothing rewritten per call.
package clientbench
