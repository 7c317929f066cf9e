// Package routetest is the one test table both HTTP adapters pass
// (adapters/nethttp and adapters/fiber), so neither can drift from the
// routes' contract: real HTTP from a net/http client to the adapter on a
// real listener, the Midtrans simulator over real HTTP, and every case on
// SQLite and on PostgreSQL.
//
// An adapter's test only says how to serve an API:
//
//	func TestRoutes(t *testing.T) {
//		routetest.Run(t, func(t testing.TB, api *adapters.API) string {
//			srv := httptest.NewServer(nethttp.Handler(api))
//			t.Cleanup(srv.Close)
//			return srv.URL
//		})
//	}
//
// Harness is exported for adapter-specific tests (CSRF, cross-origin
// protection) that need the same stack.
package routetest
