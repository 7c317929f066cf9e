package routetest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments/internal/testenv"
)

// Fuzz posts arbitrary order ids, operation names, bodies and content
// types to every route of the full API that start serves, on db, and fails
// on any 5xx: no input a browser can send may be an internal error.
func Fuzz(f *testing.F, db func(testing.TB) *bun.DB, start Start) {
	h := NewHarness(f, testenv.New(f, db(f), testenv.Config{}), start)
	o := h.NewOrder(50000)
	h.Charged(f, o.Ref, "bca_va", "")
	for _, id := range append([]string{o.OrderID, "INV-never", "Ord-1.2_x~Y", "a\x00b", "\x00", "bad\xff", "with space", "../..", "%00", "ü"}, BadOrderIDs...) {
		for _, op := range []string{"sync", "cancel", "refund", "explode", "", "\x00", "sync/x"} {
			f.Add(id, op, []byte(`{"amount":1000}`), "application/json")
		}
	}
	for _, body := range []string{``, `{}`, `null`, `{"amount":"1"}`, `{"amount":-1}`, `{"amount":9223372036854775807}`,
		`{"refund_key":"\u0000"}`, `{"reason":"\u0000"}`, "{\"order_ref\":\"\x00\",\"method\":\"bca_va\"}", `{"order_ref":"cart-1","method":"\u0000"}`,
		`{"order_ref":"cart-1","method":"credit_card","options":{"token_id":"\u0000"}}`, `[`, "\xff\xfe"} {
		for _, ct := range []string{"application/json", "text/plain", ""} {
			f.Add(o.OrderID, "refund", []byte(body), ct)
		}
	}
	f.Fuzz(func(t *testing.T, orderID, op string, body []byte, contentType string) {
		if strings.ContainsFunc(contentType, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			t.Skip("the client cannot send this header")
		}
		id := url.PathEscape(orderID)
		admin := []string{"Authorization", "Bearer " + AdminToken}
		if contentType != "" {
			admin = append(admin, "Content-Type", contentType)
		}
		for _, req := range []struct {
			method, url string
			body        []byte
		}{
			{http.MethodGet, h.URL + "/payments/" + id, nil},
			{http.MethodPost, h.URL + "/payments/" + id + "/" + url.PathEscape(op), body},
			{http.MethodPost, h.URL + "/charges", body},
			{http.MethodPost, h.URL + "/notifications", body},
		} {
			r, err := h.do(testenv.Ctx(t), req.method, req.url, req.body, admin...)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status >= 500 {
				t.Fatalf("%s %s %q (%s): status %d: %s", req.method, req.url, req.body, contentType, r.Status, r.Body)
			}
		}
	})
}
