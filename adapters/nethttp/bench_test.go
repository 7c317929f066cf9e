package nethttp_test

import (
	"net/http"
	"testing"

	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/internal/routetest"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// BenchmarkConsole measures the console's payment page against the
// public JSON status route of the same payment, in the same run, over
// loopback HTTP on SQLite: the page reads the whole timeline and renders
// HTML, the baseline reads the payment and writes JSON.
//
//	go test -run '^$' -bench Console -benchtime 2000x ./adapters/nethttp
func BenchmarkConsole(b *testing.B) {
	env := testenv.New(b, dbtest.SQLite(b), testenv.Config{})
	h := routetest.NewHarness(b, env, func(t testing.TB, api *adapters.API) string {
		return serve(t, nethttp.Handler(api))
	})
	o := h.NewOrder(150000)
	h.Charged(b, o.Ref, "gopay", "")
	h.Settle(b, o.OrderID)
	for _, c := range []struct{ name, url, token string }{
		{"public-json", h.URL + "/payments/" + o.OrderID, ""},
		{"console-payment-page", h.URL + "/console/payments/" + o.OrderID, routetest.AdminToken},
		{"console-list", h.URL + "/console?q=" + o.OrderID, routetest.AdminToken},
	} {
		b.Run(c.name, func(b *testing.B) {
			var bytes int
			for b.Loop() {
				r := h.Do(b, http.MethodGet, c.url, nil, "Authorization", "Bearer "+c.token)
				if r.Status != http.StatusOK {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
				bytes = len(r.Body)
			}
			b.ReportMetric(float64(bytes), "bytes/page")
		})
	}
}
