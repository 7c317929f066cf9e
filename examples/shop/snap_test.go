package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtranstest"
)

// TestSnapWithRealKeys runs the shop as with real (sandbox) keys against a
// simulator that cannot reach its webhook: the checkout page loads snap.js
// from Midtrans' sandbox, the CSP allows that origin and only in this mode,
// a Snap payment stays pending while the customer has not chosen (Midtrans
// answers 404), and the order is fulfilled by status sync once the
// customer paid on Snap.
func TestSnapWithRealKeys(t *testing.T) {
	const snapOrigin = "https://app.sandbox.midtrans.com"
	_, simBase := newTestShop(t, Config{})
	c := client(t)
	simPage := do(t, c, "GET", simBase+"/orders/"+placeOrder(t, c, simBase, newOrderForm("kopi-gayo", "snap")), "", "")
	if csp := simPage.header.Get("Content-Security-Policy"); strings.Contains(csp, "app.sandbox.midtrans.com") || strings.Contains(csp, "app.midtrans.com") ||
		strings.Contains(string(simPage.body), "snap.js") {
		t.Errorf("simulator mode loads or allows snap.js: CSP %q", csp)
	}

	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	shop, base := newTestShop(t, Config{ServerKey: sim.ServerKey(), ClientKey: sim.ClientKey(), MidtransURL: sim.URL(), SyncEvery: 50 * time.Millisecond})
	ref := placeOrder(t, c, base, newOrderForm("kopi-gayo", "snap"))
	page := do(t, c, "GET", base+"/orders/"+ref, "", "")
	if !strings.Contains(string(page.body), `<script src="`+snapOrigin+`/snap/snap.js" id="snap-script" data-client-key="`+sim.ClientKey()+`">`) {
		t.Errorf("real-key checkout page does not load the sandbox snap.js with the client key")
	}
	csp := page.header.Get("Content-Security-Policy")
	script, _, _ := strings.Cut(csp[strings.Index(csp, "script-src"):], ";")
	if !strings.Contains(script, snapOrigin) || strings.Contains(script, "https://app.midtrans.com") {
		t.Errorf("real-key sandbox CSP script-src %q: want the sandbox Snap origin only", script)
	}

	r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"snap"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	ins := r.json(t)["payment"].(map[string]any)["instructions"].(map[string]any)
	if ins["snap_token"] == "" || !strings.HasPrefix(ins["redirect_url"].(string), sim.URL()+"/snap/v3/redirection/") {
		t.Fatalf("Snap instructions %v", ins)
	}
	// Options the shop sets, never the browser: the finish URL back here.
	var body string
	for _, call := range sim.Calls() {
		if call.Path == "/snap/v1/transactions" {
			body = string(call.Body)
		}
	}
	if !strings.Contains(body, `"callbacks":{"finish":"`+shop.cfg.BaseURL+`/orders/`+ref+`"}`) || !strings.Contains(body, `"secure":true`) {
		t.Errorf("Snap request %s", body)
	}
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"snap","options":{"finish_url":"https://evil.example"}}`); r.status != http.StatusBadRequest ||
		!strings.Contains(string(r.body), "options.finish_url") {
		t.Errorf("a browser set a host option: %d %s", r.status, r.body)
	}

	// Before the customer chooses, syncing finds nothing and the payment waits.
	time.Sleep(60 * time.Millisecond)
	st := waitState(t, c, base, ref, func(st map[string]any) bool { return st["payment_order_id"] != nil })
	live := string(do(t, c, "GET", base+"/orders/"+ref+"/live", "", "").body)
	p, err := shop.Service().Payment(t.Context(), st["payment_order_id"].(string))
	if err != nil || p.Status != payments.StatusPending || !strings.Contains(live, `data-snap-token="`+p.SnapToken+`"`) {
		t.Fatalf("before the choice: %+v %v; panel %s", p, err, live)
	}
	asked := false
	for _, call := range sim.Calls() {
		asked = asked || call.Path == "/v2/"+p.OrderID+"/status"
	}
	if !asked {
		t.Error("the pending Snap payment was not synced before the choice")
	}
	if err := sim.SelectSnapPayment(p.OrderID, "gopay"); err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay(p.OrderID); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, base, ref, fulfilled)
	if p, _ = shop.Service().Payment(t.Context(), p.OrderID); p.PaymentType != "gopay" || !p.Paid() {
		t.Errorf("after paying on Snap: %+v", p)
	}
}
