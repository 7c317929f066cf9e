package nethttp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/internal/routetest"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// serve serves h on a real listener until t ends.
func serve(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRoutes(t *testing.T) {
	routetest.Run(t, func(t testing.TB, api *adapters.API) string {
		return serve(t, nethttp.Handler(api))
	})
}

// TestConsoleBrowser: the ops console in headless Chromium.
func TestConsoleBrowser(t *testing.T) {
	routetest.Browse(t, func(t testing.TB, api *adapters.API) string {
		return serve(t, nethttp.Handler(api))
	})
}

// TestMount: routes mounted on the host's own mux sit beside its routes,
// even under the prefix, where only what neither serves is the routes' 404.
func TestMount(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		h := routetest.NewHarness(t, env, func(t testing.TB, api *adapters.API) string {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /shop", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("shop")) })
			nethttp.Mount(mux, api)
			mux.HandleFunc("GET /payments/report", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("report")) })
			return serve(t, mux)
		})
		o := h.NewOrder(50000)
		v := h.Charged(t, o.Ref, "bca_va", "")
		if got := h.View(t, v.OrderID); got.OrderID != o.OrderID {
			t.Fatalf("view of %s", got.OrderID)
		}
		if r := h.Do(t, http.MethodGet, strings.TrimSuffix(h.URL, "/payments")+"/shop", nil); string(r.Body) != "shop" {
			t.Fatalf("host route: %d %s", r.Status, r.Body)
		}
		if r := h.Do(t, http.MethodGet, h.URL+"/report", nil); string(r.Body) != "report" {
			t.Fatalf("host route under the prefix: %d %s", r.Status, r.Body)
		}
		routetest.WantError(t, h.Do(t, http.MethodGet, h.URL+"/report/x", nil), http.StatusNotFound, "not_found")
	})
}

// TestCrossOriginProtection: Go's CSRF defence wrapped around the whole
// handler lets Midtrans' server-to-server webhook through (no browser
// origin headers) and refuses a cross-site browser POST to the charges.
func TestCrossOriginProtection(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		h := routetest.NewHarness(t, env, func(t testing.TB, api *adapters.API) string {
			return serve(t, http.NewCrossOriginProtection().Handler(nethttp.Handler(api)))
		})
		o := h.NewOrder(150000)
		charge := []byte(`{"order_ref":"` + o.Ref + `","method":"bca_va"}`)

		// A page on another site posting with the customer's browser.
		r := h.Do(t, http.MethodPost, h.URL+"/charges", charge, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if r.Status != http.StatusForbidden {
			t.Fatalf("cross-site POST: status %d, want 403: %s", r.Status, r.Body)
		}
		if _, ok := env.Sim.Transaction(o.OrderID); ok {
			t.Fatal("a cross-site POST reached Midtrans")
		}

		// The shop's own page.
		v := routetest.WantPayment(t, h.Do(t, http.MethodPost, h.URL+"/charges", charge, "Sec-Fetch-Site", "same-origin"), http.StatusCreated)

		// Midtrans, server to server: no Origin, no Sec-Fetch-Site.
		if err := env.Sim.Pay(v.OrderID); err != nil {
			t.Fatal(err)
		}
		r = h.Do(t, http.MethodPost, h.URL+"/notifications", h.SettlementBody(t, v.OrderID, env.Sim.ServerKey()))
		if r.Status != http.StatusOK {
			t.Fatalf("webhook: status %d, want 200: %s", r.Status, r.Body)
		}
		if got := h.View(t, v.OrderID); got.Outcome != "paid" {
			t.Fatalf("after the webhook: %s", got.Outcome)
		}
	})
}

func FuzzRoutesSQLite(f *testing.F) {
	routetest.Fuzz(f, dbtest.SQLite, func(t testing.TB, api *adapters.API) string { return serve(t, nethttp.Handler(api)) })
}

func FuzzRoutesPostgres(f *testing.F) {
	routetest.Fuzz(f, dbtest.Postgres, func(t testing.TB, api *adapters.API) string { return serve(t, nethttp.Handler(api)) })
}

// TestServerBodyLimit: a body the host's own limit (http.MaxBytesHandler,
// below the route's) cuts off is the routes' 413 body_too_large, in the
// JSON error shape, on every route that reads a body.
func TestServerBodyLimit(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		h := routetest.NewHarness(t, env, func(t testing.TB, api *adapters.API) string {
			return serve(t, http.MaxBytesHandler(nethttp.Handler(api), 512))
		})
		o := h.NewOrder(50000)
		h.Charged(t, o.Ref, "bca_va", "")
		big := []byte(`{"reason":"` + strings.Repeat("x", 1024) + `"}`)
		for _, r := range []*routetest.Reply{
			h.Do(t, http.MethodPost, h.URL+"/charges", big),
			h.Do(t, http.MethodPost, h.URL+"/notifications", big),
			h.Do(t, http.MethodPost, h.URL+"/payments/"+o.OrderID+"/sync", big, "Authorization", "Bearer "+routetest.AdminToken),
		} {
			routetest.WantError(t, r, http.StatusRequestEntityTooLarge, "body_too_large")
		}
	})
}
