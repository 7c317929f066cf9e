package routetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/browsertest"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// Browse drives the ops console, served by the adapter under test, in
// headless Chromium with JavaScript switched off (the console needs none):
// find a payment by the customer's email, open it, refund part of it with
// a reason, confirm, see it done and audited with the staff; redeliver a
// dead hook event. A Content-Security-Policy violation or any other error
// the page reports fails it.
func Browse(t *testing.T, start Start) {
	browsertest.Require(t)
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	h := NewHarness(t, env, start)
	o, other := h.NewOrder(150000), h.NewOrder(99000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Charged(t, other.Ref, "gopay", "")
	h.Settle(t, o.OrderID)
	dead := killEvent(t, h, o.OrderID)
	email := o.Secrets[2]

	ctx, errs := browsertest.New(t)
	// The staff's credentials on every request, and no JavaScript.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + AdminToken}}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	console := h.URL + "/console"

	browsertest.Step(t, ctx, "open the console and search by email",
		chromedp.Navigate(console),
		chromedp.WaitVisible(chromedp.CSS(`input[name="q"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), strings.ToUpper(email)),
		chromedp.Submit(chromedp.CSS(`form.filters`)),
		// The unfiltered list shows the payment too: wait for the
		// answer to the search, which echoes it.
		chromedp.WaitVisible(chromedp.CSS(`input[name="q"][value="`+strings.ToUpper(email)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.payments a[href$="/`+o.OrderID+`"]`)))
	rows := browsertest.Value(t, ctx, "result rows", chromedp.Evaluate[int](`document.querySelectorAll("table.payments tbody tr").length`))
	if rows != 1 {
		t.Errorf("search by %s: %d rows, want 1", email, rows)
	}
	if got := browsertest.Value(t, ctx, "staff", chromedp.Text(chromedp.CSS(`.staff strong`))); got != AdminStaff {
		t.Errorf("signed in as %q", got)
	}

	browsertest.Step(t, ctx, "open the payment",
		chromedp.Click(chromedp.CSS(`table.payments a[href$="/`+o.OrderID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.op[action$="/refund"]`)))
	if got := browsertest.Value(t, ctx, "outcome", chromedp.Text(chromedp.CSS(`h1 .outcome`))); got != "paid" {
		t.Errorf("outcome %q", got)
	}
	// The stylesheet loads under the console's CSP and applies (polled:
	// the page can be shown before the sheet arrives).
	browsertest.Value(t, ctx, "the console's stylesheet applies", chromedp.Poll[bool](
		`getComputedStyle(document.querySelector("table")).borderCollapse === "collapse"`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))

	browsertest.Step(t, ctx, "refund part, with a reason",
		chromedp.SendKeys(chromedp.CSS(`form.op[action$="/refund"] input[name="amount"]`), "25.000"),
		chromedp.SendKeys(chromedp.CSS(`form.op[action$="/refund"] input[name="reason"]`), "Barang rusak"),
		chromedp.Click(chromedp.CSS(`form.op[action$="/refund"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm`)))
	summary := browsertest.Value(t, ctx, "confirmation", chromedp.Text(chromedp.CSS(`ul.summary`)))
	if !strings.Contains(summary, "Refund Rp 25.000 to the customer") || !strings.Contains(summary, "Barang rusak") {
		t.Errorf("confirmation says %q", summary)
	}
	if tx, _ := env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 0 {
		t.Fatalf("refunded %d before confirmation", tx.RefundedAmount)
	}
	browsertest.Step(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`form.confirm button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.good`)))
	if got := browsertest.Value(t, ctx, "flash", chromedp.Text(chromedp.CSS(`.flash`))); got != "Refund done." {
		t.Errorf("after the refund the page says %q", got)
	}
	if tx, _ := env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 25000 {
		t.Fatalf("Midtrans refunded %d, want 25000", tx.RefundedAmount)
	}
	staff := browsertest.Value(t, ctx, "staff actions", chromedp.Text(chromedp.CSS(`section[aria-labelledby="staff-h"] table`)))
	if !strings.Contains(staff, AdminStaff) || !strings.Contains(staff, "refund") || !strings.Contains(staff, "succeeded") {
		t.Errorf("staff actions:\n%s", staff)
	}

	browsertest.Step(t, ctx, "redeliver the dead event",
		chromedp.Click(chromedp.CSS(`form[action$="/requeue_event"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm`)),
		chromedp.Click(chromedp.CSS(`form.confirm button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.good`)))
	if got := browsertest.Value(t, ctx, "flash", chromedp.Text(chromedp.CSS(`.flash`))); got != "Redelivery done." {
		t.Errorf("after the redelivery the page says %q", got)
	}
	if ev, err := env.Store.Event(context.Background(), dead); err != nil || ev.Dead {
		t.Fatalf("the event is still dead (%v)", err)
	}
	tl, err := env.Service.Timeline(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tl.Actions {
		if a.Actor != AdminStaff || a.Result != payments.ActionSucceeded {
			t.Errorf("staff action %+v", a)
		}
	}
	for _, msg := range errs.Take() {
		t.Errorf("the console reported: %s", msg)
	}
}
