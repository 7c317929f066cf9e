package midtranstest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The Snap page over HTTP, as a browser uses it: the customer picks a
// channel and pays; the simulator sends signed notifications naming the
// channel chosen and sends the browser to the finish URL. Before the
// choice, status is 404.
func TestSnapPageChoosesAndPays(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct{ choice, paymentType, status string }{
		{"credit_card", "credit_card", "capture"},
		{"gopay", "gopay", "settlement"},
		{"bca_va", "bank_transfer", "settlement"},
	}
	for _, c := range cases {
		orderID := "snap-page-" + c.choice
		code, m := a.doJSON("POST", "/snap/v1/transactions", map[string]any{
			"transaction_details": map[string]any{"order_id": orderID, "gross_amount": 25000},
			"enabled_payments":    []string{"credit_card", "gopay", "bank_transfer"},
			"callbacks":           map[string]any{"finish": "https://shop.example/done?from=snap"}})
		if code != http.StatusCreated {
			t.Fatalf("%s: create HTTP %d %v", orderID, code, m)
		}
		page := m["redirect_url"].(string)
		if _, st := a.doJSON("GET", "/v2/"+orderID+"/status", nil); st["status_code"] != "404" {
			t.Fatalf("%s: status before the choice: %v", orderID, st)
		}
		resp, err := browser.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, id := range []string{`id="pay-credit_card"`, `id="pay-gopay"`, `id="pay-bca_va"`, `id="pay-permata_va"`} {
			if !strings.Contains(string(html), id) {
				t.Errorf("%s: the Snap page lacks %s", orderID, id)
			}
		}
		resp, err = browser.PostForm(page, url.Values{"action": {"pay"}, "payment": {c.choice}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Host != "shop.example" || loc.Query().Get("order_id") != orderID ||
			loc.Query().Get("from") != "snap" || loc.Query().Get("transaction_status") != c.status {
			t.Fatalf("%s: after paying HTTP %d to %q", orderID, resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, st := a.doJSON("GET", "/v2/"+orderID+"/status", nil); st["payment_type"] != c.paymentType || st["transaction_status"] != c.status {
			t.Fatalf("%s: status after paying: %v", orderID, st)
		}
	}
	waitIdle(t, s)
	last := map[string]map[string]any{}
	for _, n := range k.received() {
		verifySignature(t, n, s.ServerKey())
		last[n["order_id"].(string)] = n
	}
	for _, c := range cases {
		n := last["snap-page-"+c.choice]
		if n == nil || n["payment_type"] != c.paymentType || n["transaction_status"] != c.status {
			t.Errorf("%s: last notification %v", c.choice, n)
		}
	}
}
