package routetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
)

// Run runs every case against the adapter start serves, on each database.
// The cases share one stack per database and run one after another; each
// uses orders of its own.
func Run(t *testing.T, start Start) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		h := NewHarness(t, env, start)
		for _, c := range append(append(table(), consoleCases()...), subscriptionCases()...) {
			t.Run(c.name, func(t *testing.T) { c.run(t, h) })
		}
	})
}

type testCase struct {
	name string
	run  func(t *testing.T, h *Harness)
}

func table() []testCase {
	return []testCase{
		{"webhook/signed notification is processed", webhookSigned},
		{"webhook/forged signature is 401", webhookForged},
		{"webhook/malformed body is 400", webhookMalformed},
		{"webhook/oversized body is 413", webhookOversized},
		{"webhook/test ping is 200", webhookPing},
		{"webhook/transient failure is 503 then retried", webhookUnavailable},
		{"webhook/delivered by the simulator", webhookFromSimulator},
		{"webhook/concurrent deliveries store their own bodies", webhookConcurrent},
		{"webhook/body limit is the notify handler's", webhookHandlerLimit},

		{"charges/amount items and customer come from the OrderSource", chargeFromOrderSource},
		{"charges/body cannot set amount items or customer", chargeBodyCannotSetAmount},
		{"charges/unknown method is 422 naming the field", chargeUnknownMethod},
		{"charges/card options reach the method", chargeCardOptions},
		{"charges/host-only options from the browser are 400 naming the field", chargeHostOnlyOptions},
		{"charges/host options from the OrderSource reach Midtrans", chargeHostOptions},
		{"charges/installment term only from the host's list", chargeInstallmentTerms},
		{"charges/unknown or closed order", chargeUnknownOrder},
		{"charges/not payable says why and names the live payment", chargeNotPayable},
		{"charges/duplicate is 409 with the existing payment", chargeDuplicate},
		{"charges/refused by Midtrans is 422", chargeRefused},
		{"charges/not mounted without an OrderSource", chargesAbsent},

		{"payment/public view has instructions and no personal data", viewNoPersonalData},
		{"payment/unknown is 404", viewUnknown},
		{"payment/order ids with every allowed character", viewOrderIDCharacters},
		{"payment/invalid order ids are 400 never 500", invalidOrderIDs},

		{"operations/not mounted without an Authorizer", opsAbsent},
		{"operations/401 unauthenticated and 403 forbidden", opsAuth},
		{"operations/sync", opsSync},
		{"operations/cancel", opsCancel},
		{"operations/expire", opsExpire},
		{"operations/refund with amount and refund_key", opsRefund},
		{"operations/capture", opsCapture},
		{"operations/approve", opsApprove},
		{"operations/deny", opsDeny},
		{"operations/refused state is 409", opsNotAllowed},
		{"operations/unsupported is 422", opsUnsupported},
		{"operations/unknown operation or payment is 404", opsUnknown},
		{"operations/bad body is 400 or 422", opsBadBody},
		{"operations/the route serves exactly the operation table", opsTable},

		{"cross-origin/refund from another site is 403 and refunds nothing", crossOriginRefund},
		{"cross-origin/charge from another site is 403", crossOriginCharge},
		{"cross-origin/trusted origins are let through", crossOriginTrusted},
		{"content type/state-changing routes require JSON (415)", contentTypeJSON},
		{"content type/webhook needs no JSON content type nor origin check", contentTypeWebhook},

		{"prefix option", prefixOption},
		{"body limits per route", bodyLimits},
		{"requests kept after the handler keep their own bytes", retainedRequests},

		{"errors/unmatched paths under the prefix are 404 JSON", unmatchedPaths},
		{"errors/a known path with another method is 405 JSON with Allow", wrongMethod},
		{"errors/unknown fields are 400 unknown_field at every level", unknownFields},
	}
}

// --- webhook ---

func webhookSigned(t *testing.T, h *Harness) {
	o := h.NewOrder(150000)
	h.Charged(t, o.Ref, "bca_va", "")
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	body := h.SettlementBody(t, o.OrderID, h.Env.Sim.ServerKey())
	r := h.Do(t, http.MethodPost, h.URL+"/notifications", body)
	wantAnswer(t, r, "processed")
	v := h.View(t, o.OrderID)
	if v.Status != payments.StatusSettlement || v.Outcome != payments.OutcomePaid || v.PaidAt == nil {
		t.Fatalf("after the notification: %s (%s), paid at %v; want settlement, paid", v.Status, v.Outcome, v.PaidAt)
	}
	n := storedNotification(t, h, body)
	if n.State != payments.NotificationProcessed || !n.SignatureValid {
		t.Errorf("stored notification: %s, signature valid %v", n.State, n.SignatureValid)
	}
	// The same delivery again: acknowledged, nothing new applied.
	wantAnswer(t, h.Do(t, http.MethodPost, h.URL+"/notifications", body), "duplicate")
	if again := h.View(t, o.OrderID); again.Version != v.Version {
		t.Errorf("a repeated notification changed the payment: version %d → %d", v.Version, again.Version)
	}
}

func webhookForged(t *testing.T, h *Harness) {
	o := h.NewOrder(150000)
	h.Charged(t, o.Ref, "bca_va", "")
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	body := h.SettlementBody(t, o.OrderID, "SB-Mid-server-not-the-merchant")
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/notifications", body), http.StatusUnauthorized, "invalid_signature")
	if v := h.View(t, o.OrderID); v.Status != payments.StatusPending {
		t.Fatalf("a forged notification moved the payment to %s", v.Status)
	}
}

func webhookMalformed(t *testing.T, h *Harness) {
	for _, body := range []string{
		`{"order_id": "INV-1", "status_code": `,
		`["not", "an", "object"]`,
		`{"order_id":"INV-1","signature_key":"abc","transaction_status":"settlement"}`, // no status_code, gross_amount
	} {
		WantError(t, h.Do(t, http.MethodPost, h.URL+"/notifications", []byte(body)), http.StatusBadRequest, "malformed_notification")
	}
}

func webhookOversized(t *testing.T, h *Harness) {
	body := []byte(`{"order_id":"` + strings.Repeat("a", adapters.MaxNotificationBody) + `"}`)
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/notifications", body), http.StatusRequestEntityTooLarge, "body_too_large")
}

func webhookPing(t *testing.T, h *Harness) {
	// The dashboard's "test notification URL" button sends no signature.
	body := `{"order_id":"payment_notif_test_G000000001","status_code":"200","gross_amount":"10000.00","transaction_status":"settlement"}`
	wantAnswer(t, h.Do(t, http.MethodPost, h.URL+"/notifications", []byte(body)), "ignored")
	WantError(t, h.Do(t, http.MethodGet, h.URL+"/payments/payment_notif_test_G000000001", nil), http.StatusNotFound, "not_found")
}

func webhookUnavailable(t *testing.T, h *Harness) {
	o := h.NewOrder(150000)
	h.Charged(t, o.Ref, "bca_va", "")
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	body := h.SettlementBody(t, o.OrderID, h.Env.Sim.ServerKey())
	// Midtrans' status API is down: the confirmation fails.
	h.Env.Sim.FailNext(1000, http.StatusServiceUnavailable)
	r := h.Do(t, http.MethodPost, h.URL+"/notifications", body)
	h.Env.Sim.FailNext(0, 0)
	WantError(t, r, http.StatusServiceUnavailable, "unavailable")
	if v := h.View(t, o.OrderID); v.Outcome != payments.OutcomePending {
		t.Fatalf("after a failed confirmation: %s", v.Outcome)
	}
	// Midtrans retries the same body: processed, nothing lost.
	wantAnswer(t, h.Do(t, http.MethodPost, h.URL+"/notifications", body), "processed")
	if v := h.View(t, o.OrderID); v.Outcome != payments.OutcomePaid {
		t.Fatalf("after the retry: %s", v.Outcome)
	}
}

func webhookFromSimulator(t *testing.T, h *Harness) {
	sim := h.Env.Sim
	webhook := h.URL + "/notifications"
	sim.SetNotificationURL(webhook)
	t.Cleanup(func() { sim.SetNotificationURL("") })

	o := h.NewOrder(175000)
	h.Charged(t, o.Ref, "permata_va", "")
	if err := sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	var ours int
	for _, d := range sim.Deliveries() {
		if d.URL != webhook || !bytes.Contains(d.Body, []byte(o.OrderID)) {
			continue
		}
		ours++
		if d.StatusCode != http.StatusOK {
			t.Errorf("delivery %d answered %d (%s), want 200", d.Attempt, d.StatusCode, d.Err)
		}
	}
	// One for the pending charge, one for the payment.
	if ours < 2 {
		t.Fatalf("%d deliveries for %s, want at least 2", ours, o.OrderID)
	}
	if v := h.View(t, o.OrderID); v.Outcome != payments.OutcomePaid {
		t.Fatalf("after the simulator's notification: %s (%s), want paid", v.Status, v.Outcome)
	}
}

func webhookConcurrent(t *testing.T, h *Harness) {
	const n = 8
	bodies := make([][]byte, n)
	orders := make([]Order, n)
	for i := range n {
		orders[i] = h.NewOrder(payments.Amount(10000 + 1000*i))
		h.Charged(t, orders[i].Ref, "bni_va", "")
		if err := h.Env.Sim.Pay(orders[i].OrderID); err != nil {
			t.Fatal(err)
		}
		bodies[i] = h.SettlementBody(t, orders[i].OrderID, h.Env.Sim.ServerKey())
	}
	ctx := testenv.Ctx(t)
	replies := make([]*Reply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { replies[i], errs[i] = h.do(ctx, http.MethodPost, h.URL+"/notifications", bodies[i]) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		wantAnswer(t, replies[i], "processed")
		if stored := storedNotification(t, h, bodies[i]); stored.OrderID != orders[i].OrderID {
			t.Errorf("notification for %s stored as %s", orders[i].OrderID, stored.OrderID)
		}
		if v := h.View(t, orders[i].OrderID); v.Outcome != payments.OutcomePaid || v.Amount != orders[i].Amount {
			t.Errorf("%s: %s %s, want paid %s", orders[i].OrderID, v.Outcome, v.Amount, orders[i].Amount)
		}
	}
}

// webhookHandlerLimit: a notify.Handler configured above the default body
// size gets bodies up to its own limit through the route, and no larger.
func webhookHandlerLimit(t *testing.T, h *Harness) {
	const limit = 256 << 10
	nh, err := notify.New(h.Env.Service, notify.WithMaxBodySize(limit))
	if err != nil {
		t.Fatal(err)
	}
	url := h.Serve(t, h.API(t, adapters.WithNotifyHandler(nh))) + "/payments/notifications"
	body := func(pad int) []byte {
		b, err := notify.Signed(h.Env.Sim.ServerKey(), map[string]any{"order_id": fmt.Sprintf("big-%d", h.seq.Add(1)),
			"status_code": "201", "gross_amount": "50000.00", "transaction_status": "pending", "padding": strings.Repeat("x", pad)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// An order this shop does not know: recorded and answered 200.
	wantAnswer(t, h.Do(t, http.MethodPost, url, body(100<<10)), "ignored")
	WantError(t, h.Do(t, http.MethodPost, url, body(limit)), http.StatusRequestEntityTooLarge, "body_too_large")
}

// wantAnswer checks a 200 notify answer.
func wantAnswer(t testing.TB, r *Reply, status string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
	WantJSON(t, r)
	var a notify.Answer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatal(err)
	}
	if a.Status != status {
		t.Fatalf("answer %q, want %q: %s", a.Status, status, r.Body)
	}
}

// storedNotification reads the inbox row of a sent body and checks it
// holds that body.
func storedNotification(t testing.TB, h *Harness, body []byte) *payments.Notification {
	t.Helper()
	parsed, err := notify.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	n, err := h.Env.Store.NotificationByDedupKey(testenv.Ctx(t), notify.DedupKey(parsed))
	if err != nil {
		t.Fatalf("notification for %s not stored: %v", parsed.OrderID, err)
	}
	if !jsonEqual(t, n.Body, body) {
		t.Errorf("stored body %s, sent %s", n.Body, body)
	}
	return n
}

// jsonEqual compares as JSON (PostgreSQL's jsonb does not keep bytes).
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// --- charges ---

func chargeFromOrderSource(t *testing.T, h *Harness) {
	o := h.NewOrder(250000)
	v := h.Charged(t, o.Ref, "bca_va", "")
	if v.OrderID != o.OrderID || v.Amount != o.Amount || v.Method != "bca_va" || v.Status != payments.StatusPending {
		t.Fatalf("charged %s %s %s %s; want %s %s bca_va pending", v.OrderID, v.Amount, v.Method, v.Status, o.OrderID, o.Amount)
	}
	if v.Instructions.VANumber == "" || v.Instructions.Bank != "bca" {
		t.Errorf("instructions %+v, want a BCA VA number", v.Instructions)
	}
	// Midtrans got the OrderSource's amount, items and customer.
	tx, ok := h.Env.Sim.Transaction(o.OrderID)
	if !ok || tx.GrossAmount != int64(o.Amount) || tx.VANumber != v.Instructions.VANumber {
		t.Fatalf("simulator has %+v", tx)
	}
	for _, s := range o.Secrets[:5] { // names, email, phone, item
		if !bytes.Contains(tx.Request, []byte(s)) {
			t.Errorf("charge sent to Midtrans lacks %q: %s", s, tx.Request)
		}
	}
	p := h.Payment(t, o.OrderID)
	if p.Customer == nil || p.Customer.Email != o.Secrets[2] || len(p.Items) != 1 || p.Items[0].Name != o.Secrets[4] || p.CustomField1 != o.Secrets[6] {
		t.Errorf("stored payment lacks the order's details: %+v %+v", p.Customer, p.Items)
	}
}

func chargeBodyCannotSetAmount(t *testing.T, h *Harness) {
	o := h.NewOrder(99000)
	for field, value := range map[string]string{
		"gross_amount":     `1`,
		"item_details":     `[{"name":"Free","price":1,"quantity":1}]`,
		"customer_details": `{"email":"eve@example.com"}`,
		"order_id":         `"INV-CHOSEN-BY-BROWSER"`,
	} {
		body := fmt.Sprintf(`{"order_ref":%q,"method":"bca_va",%q:%s}`, o.Ref, field, value)
		b := WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", []byte(body)), http.StatusBadRequest, "unknown_field")
		WantField(t, b, field)
	}
	if _, err := h.Env.Service.Payment(testenv.Ctx(t), o.OrderID); err == nil {
		t.Fatal("a refused body still created a payment")
	}
	if _, ok := h.Env.Sim.Transaction(o.OrderID); ok {
		t.Fatal("a refused body still reached Midtrans")
	}
}

func chargeUnknownMethod(t *testing.T, h *Harness) {
	o := h.NewOrder(50000)
	b := WantError(t, h.Charge(t, o.Ref, "bitcoin", ""), http.StatusUnprocessableEntity, "validation_failed")
	WantField(t, b, "method")
	b = WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", []byte(`{}`)), http.StatusUnprocessableEntity, "validation_failed")
	WantField(t, b, "order_ref")
	WantField(t, b, "method")
	b = WantError(t, h.Charge(t, o.Ref, "bca_va", `5`), http.StatusUnprocessableEntity, "validation_failed")
	WantField(t, b, "options")
}

func chargeCardOptions(t *testing.T, h *Harness) {
	o := h.NewOrderOptions(320000, methods.CardOptions{Authentication: ptr(false)})
	token := midtranstest.CardToken("4811111111111114")
	v := h.Charged(t, o.Ref, "credit_card", fmt.Sprintf(`{"token_id":%q}`, token))
	if v.Status != payments.StatusCapture || v.Outcome != payments.OutcomePaid || v.Card == nil || v.Card.MaskedCard == "" {
		t.Fatalf("card charge: %s (%s) card %+v; want capture, paid, masked card", v.Status, v.Outcome, v.Card)
	}
	tx, _ := h.Env.Sim.Transaction(o.OrderID)
	if !bytes.Contains(tx.Request, []byte(token)) {
		t.Errorf("the token did not reach Midtrans: %s", tx.Request)
	}

	o2 := h.NewOrder(320000)
	for options, field := range map[string]string{
		`{"token_id":5}`:              "options",
		`{}`:                          "options.token_id",
		`{"token_id":"t","bank":"x"}`: "options.bank",
	} {
		b := WantError(t, h.Charge(t, o2.Ref, "credit_card", options), http.StatusUnprocessableEntity, "validation_failed")
		WantField(t, b, field)
	}
}

// chargeHostOnlyOptions: the browser chooses only the customer's fields
// of a method's options; 3-D Secure, pre-authorisation, saved tokens,
// BIN promotions, channels and callback URLs are the host's. Any of them
// in the body is refused before the order is even looked up.
func chargeHostOnlyOptions(t *testing.T, h *Harness) {
	token := midtranstest.CardToken("4811111111111114")
	for _, c := range []struct{ method, options, field string }{
		{"credit_card", fmt.Sprintf(`{"token_id":%q,"authentication":false}`, token), "options.authentication"},
		{"credit_card", fmt.Sprintf(`{"token_id":%q,"Authentication":false}`, token), "options.authentication"},
		{"credit_card", `{"saved_token_id":"481111-1114-a1b2c3"}`, "options.saved_token_id"},
		{"credit_card", fmt.Sprintf(`{"token_id":%q,"authorize":true}`, token), "options.authorize"},
		{"credit_card", fmt.Sprintf(`{"token_id":%q,"bins":["481111"]}`, token), "options.bins"},
		{"credit_card", fmt.Sprintf(`{"token_id":%q,"channel":"mti"}`, token), "options.channel"},
		{"gopay", `{"callback_url":"https://evil.example/"}`, "options.callback_url"},
		{"shopeepay", `{"callback_url":"https://evil.example/"}`, "options.callback_url"},
		{"dana", `{"callback_url":"https://evil.example/"}`, "options.callback_url"},
		{"bca_va", `{"va_number":"12345678"}`, "options.va_number"},
		{"gopay", `{"account_id":"00000269-7836-49e5-bc65-e592afafec14","customer_id":"cust-1"}`, "options.account_id"},
		{"gopay", `{"payment_option":"PAY_LATER"}`, "options.payment_option"},
	} {
		o := h.NewOrder(150000)
		b := WantError(t, h.Charge(t, o.Ref, c.method, c.options), http.StatusBadRequest, "option_not_allowed")
		WantField(t, b, c.field)
		if _, err := h.Env.Service.Payment(testenv.Ctx(t), o.OrderID); err == nil {
			t.Errorf("%s %s: a refused body still created a payment", c.method, c.options)
		}
		if _, ok := h.Env.Sim.Transaction(o.OrderID); ok {
			t.Errorf("%s %s: a refused body still reached Midtrans", c.method, c.options)
		}
	}
}

// chargeHostOptions: what the host's OrderSource sets reaches Midtrans,
// with the browser's choices on top of it.
func chargeHostOptions(t *testing.T, h *Harness) {
	token := midtranstest.CardToken("4811111111111114")
	// 3-D Secure is on unless the host turns it off: the charge waits for it.
	o := h.NewOrder(110000)
	if v := h.Charged(t, o.Ref, "credit_card", fmt.Sprintf(`{"token_id":%q}`, token)); v.Status != payments.StatusPending || v.Instructions.RedirectURL == "" {
		t.Errorf("card without host options: %s, redirect %q; want pending on 3-D Secure", v.Status, v.Instructions.RedirectURL)
	}
	wantSent(t, h, o.OrderID, `"authentication":true`)

	// The host turns it off, asks for a pre-authorisation and a bank; the
	// browser's bank wins over the host's default.
	o = h.NewOrderOptions(110000, &methods.CardOptions{Authentication: ptr(false), Authorize: true, Bank: "bca", Bins: []string{"481111"}})
	if v := h.Charged(t, o.Ref, "credit_card", fmt.Sprintf(`{"token_id":%q,"bank":"bni"}`, token)); v.Status != payments.StatusAuthorize {
		t.Errorf("host pre-authorisation: %s, want authorize", v.Status)
	}
	wantSent(t, h, o.OrderID, `"type":"authorize"`, `"bank":"bni"`, `"bins":["481111"]`, token)
	wantNotSent(t, h, o.OrderID, `"authentication":true`)

	o = h.NewOrderOptions(60000, methods.GoPayOptions{CallbackURL: "https://shop.example/gopay/done"})
	h.Charged(t, o.Ref, "gopay", "")
	wantSent(t, h, o.OrderID, `"callback_url":"https://shop.example/gopay/done"`)
}

// chargeInstallmentTerms: the browser picks a term, only one the host offers.
func chargeInstallmentTerms(t *testing.T, h *Harness) {
	token := midtranstest.CardToken("4811111111111114")
	host := methods.CardOptions{Authentication: ptr(false), InstallmentTerms: []int{3, 6}}
	o := h.NewOrderOptions(600000, host)
	h.Charged(t, o.Ref, "credit_card", fmt.Sprintf(`{"token_id":%q,"bank":"bni","installment_term":6}`, token))
	wantSent(t, h, o.OrderID, `"installment_term":6`)

	for _, c := range []struct {
		host    any
		options string
	}{
		{host, fmt.Sprintf(`{"token_id":%q,"bank":"bni","installment_term":12}`, token)},
		{nil, fmt.Sprintf(`{"token_id":%q,"bank":"bni","installment_term":3}`, token)},
	} {
		o := h.NewOrderOptions(600000, c.host)
		b := WantError(t, h.Charge(t, o.Ref, "credit_card", c.options), http.StatusUnprocessableEntity, "validation_failed")
		WantField(t, b, "options.installment_term")
		if _, ok := h.Env.Sim.Transaction(o.OrderID); ok {
			t.Errorf("an installment term not offered reached Midtrans: %s", c.options)
		}
	}
	o = h.NewOrderOptions(600000, host)
	b := WantError(t, h.Charge(t, o.Ref, "credit_card", fmt.Sprintf(`{"token_id":%q,"installment_terms":[12]}`, token)), http.StatusBadRequest, "option_not_allowed")
	WantField(t, b, "options.installment_terms")
}

// wantSent checks that the charge Midtrans received for orderID has each part.
func wantSent(t testing.TB, h *Harness, orderID string, parts ...string) {
	t.Helper()
	tx, ok := h.Env.Sim.Transaction(orderID)
	if !ok {
		t.Fatalf("no charge for %s reached Midtrans", orderID)
	}
	for _, p := range parts {
		if !bytes.Contains(tx.Request, []byte(p)) {
			t.Errorf("the charge sent to Midtrans lacks %s: %s", p, tx.Request)
		}
	}
}

// wantNotSent checks that the charge Midtrans received lacks each part.
func wantNotSent(t testing.TB, h *Harness, orderID string, parts ...string) {
	t.Helper()
	tx, _ := h.Env.Sim.Transaction(orderID)
	for _, p := range parts {
		if bytes.Contains(tx.Request, []byte(p)) {
			t.Errorf("the charge sent to Midtrans has %s: %s", p, tx.Request)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func chargeUnknownOrder(t *testing.T, h *Harness) {
	WantError(t, h.Charge(t, "no-such-cart", "bca_va", ""), http.StatusNotFound, "order_not_found")
	o := h.NewOrder(50000)
	h.Orders.Close(o.Ref)
	WantError(t, h.Charge(t, o.Ref, "bca_va", ""), http.StatusConflict, "order_not_payable")
}

// chargeNotPayable: an OrderSource that refuses with adapters.NotPayable
// has its reason shown and the live payment's public view attached; a
// plain payments.ErrNotAllowed still answers 409 without detail.
func chargeNotPayable(t *testing.T, h *Harness) {
	o := h.NewOrder(90000)
	live := h.Charged(t, o.Ref, "bca_va", "")
	const reason = "a payment for this order is already in progress"
	h.Orders.Refuse(o.Ref, fmt.Errorf("order %s: %w", o.Ref, adapters.NotPayable(reason, o.OrderID)))
	r := h.Charge(t, o.Ref, "qris", "")
	b := WantError(t, r, http.StatusConflict, "order_not_payable")
	if b.Error.Message != reason {
		t.Errorf("message %q, want the OrderSource's reason %q", b.Error.Message, reason)
	}
	if b.Payment == nil || b.Payment.OrderID != o.OrderID || b.Payment.Instructions.VANumber != live.Instructions.VANumber {
		t.Fatalf("refusal carries %+v, want the live payment %s", b.Payment, o.OrderID)
	}
	wantNoSecrets(t, r.Body, o)

	// A live payment the module does not know, or none: the reason alone.
	for _, id := range []string{"INV-never-charged", "", "not a valid id"} {
		o2 := h.NewOrder(90000)
		h.Orders.Refuse(o2.Ref, adapters.NotPayable("the order is cancelled", id))
		b := WantError(t, h.Charge(t, o2.Ref, "qris", ""), http.StatusConflict, "order_not_payable")
		if b.Error.Message != "the order is cancelled" || b.Payment != nil {
			t.Errorf("live %q: %q with payment %+v, want the reason and no payment", id, b.Error.Message, b.Payment)
		}
	}
	// No reason: the default message.
	o3 := h.NewOrder(90000)
	h.Orders.Refuse(o3.Ref, adapters.NotPayable("", ""))
	if b := WantError(t, h.Charge(t, o3.Ref, "qris", ""), http.StatusConflict, "order_not_payable"); b.Error.Message == "" {
		t.Error("empty message")
	}
	var npe *adapters.NotPayableError
	if err := adapters.NotPayable("r", "x"); !errors.Is(err, payments.ErrNotAllowed) || !errors.As(err, &npe) || npe.Reason != "r" || npe.LiveOrderID != "x" {
		t.Errorf("NotPayable: %#v does not wrap payments.ErrNotAllowed with its reason and live order", err)
	}
}

func chargeDuplicate(t *testing.T, h *Harness) {
	o := h.NewOrder(120000)
	first := h.Charged(t, o.Ref, "bri_va", "")
	r := h.Charge(t, o.Ref, "bri_va", "")
	b := WantError(t, r, http.StatusConflict, "duplicate_order")
	if b.Payment == nil || b.Payment.OrderID != o.OrderID || b.Payment.Instructions.VANumber != first.Instructions.VANumber {
		t.Fatalf("duplicate answer carries %+v, want the existing payment", b.Payment)
	}
	wantNoSecrets(t, r.Body, o)
	charges := 0
	for _, c := range h.Env.Sim.Calls() {
		if c.Path == "/v2/charge" && bytes.Contains(c.Body, []byte(o.OrderID)) {
			charges++
		}
	}
	if charges != 1 {
		t.Fatalf("%d charges reached Midtrans, want 1", charges)
	}
}

func chargeRefused(t *testing.T, h *Harness) {
	o := h.NewOrderOptions(80000, methods.CardOptions{Authentication: ptr(false)})
	r := h.Charge(t, o.Ref, "credit_card", `{"token_id":"not-a-token"}`)
	b := WantError(t, r, http.StatusUnprocessableEntity, "payment_refused")
	if b.Payment == nil || b.Payment.Status != payments.StatusFailure {
		t.Fatalf("refusal carries %+v, want the failed payment", b.Payment)
	}
	if p := h.Payment(t, o.OrderID); p.Status != payments.StatusFailure {
		t.Fatalf("stored %s, want failure", p.Status)
	}
}

func chargesAbsent(t *testing.T, h *Harness) {
	base := h.Serve(t, h.API(t))
	o := h.NewOrder(50000)
	WantAbsent(t, h.Do(t, http.MethodPost, base+"/payments/charges", []byte(fmt.Sprintf(`{"order_ref":%q,"method":"bca_va"}`, o.Ref))))
	// The rest is served.
	ping := `{"order_id":"ping","status_code":"200","gross_amount":"1.00"}`
	wantAnswer(t, h.Do(t, http.MethodPost, base+"/payments/notifications", []byte(ping)), "ignored")
	WantError(t, h.Do(t, http.MethodGet, base+"/payments/payments/"+o.OrderID, nil), http.StatusNotFound, "not_found")
}

// --- payment view ---

func viewNoPersonalData(t *testing.T, h *Harness) {
	o := h.NewOrder(145000)
	h.Charged(t, o.Ref, "bni_va", "")
	r := h.Do(t, http.MethodGet, h.URL+"/payments/"+o.OrderID, nil)
	v := WantPayment(t, r, http.StatusOK)
	tx, _ := h.Env.Sim.Transaction(o.OrderID)
	if v.Instructions.VANumber == "" || !bytes.Contains(r.Body, []byte(`"va_number":"`+tx.VANumber+`"`)) {
		t.Fatalf("view lacks the VA number %s: %s", tx.VANumber, r.Body)
	}
	if v.Outcome != payments.OutcomePending || v.ExpiresAt == nil {
		t.Errorf("view: %s, expiry %v; want pending with an expiry", v.Outcome, v.ExpiresAt)
	}
	wantNoSecrets(t, r.Body, o)
	// Not vacuous: the payment does hold them.
	p := h.Payment(t, o.OrderID)
	if p.Customer.FirstName != o.Secrets[0] || p.Customer.Phone != o.Secrets[3] || !bytes.Contains(p.Metadata, []byte(o.Secrets[5])) || p.CustomField3 != o.Secrets[8] {
		t.Fatalf("stored payment lacks the order's private data: %+v", p)
	}
}

// wantNoSecrets checks that a raw answer carries none of the order's
// personal or private data, nor the keys that would hold it.
func wantNoSecrets(t testing.TB, body []byte, o Order) {
	t.Helper()
	for _, s := range o.Secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("answer leaks %q: %s", s, body)
		}
	}
	for _, k := range []string{`"customer`, `"first_name"`, `"email"`, `"phone"`, `"item`, `"metadata"`, `"custom_field`} {
		if bytes.Contains(body, []byte(k)) {
			t.Errorf("answer has key %s: %s", k, body)
		}
	}
}

func viewUnknown(t *testing.T, h *Harness) {
	WantError(t, h.Do(t, http.MethodGet, h.URL+"/payments/INV-never-charged", nil), http.StatusNotFound, "not_found")
}

func viewOrderIDCharacters(t *testing.T, h *Harness) {
	id := fmt.Sprintf("Ord-1.2_x~Y-%d", h.seq.Add(1))
	o := h.NewOrderID(id, 61000)
	h.Charged(t, o.Ref, "cimb_va", "")
	for _, path := range []string{id, strings.ReplaceAll(id, "~", "%7E")} {
		if v := WantPayment(t, h.Do(t, http.MethodGet, h.URL+"/payments/"+path, nil), http.StatusOK); v.OrderID != id {
			t.Errorf("GET %s: order %q, want %q", path, v.OrderID, id)
		}
	}
	if v := WantPayment(t, h.Operate(t, id, "sync", ""), http.StatusOK); v.OrderID != id {
		t.Errorf("sync: order %q, want %q", v.OrderID, id)
	}
}

// BadOrderIDs are path segments (already escaped) that can name no
// payment: NUL and other bytes outside Midtrans' order id alphabet, and
// an id longer than 50 characters.
var BadOrderIDs = []string{"a%00b", "%00", "bad%FF", "with%20space", "semi%3Bcolon", "quote%27d", "%C3%BCnicode",
	"slash%2Fed", strings.Repeat("a", 51)}

func invalidOrderIDs(t *testing.T, h *Harness) {
	for _, id := range BadOrderIDs {
		b := WantError(t, h.Do(t, http.MethodGet, h.URL+"/payments/"+id, nil), http.StatusBadRequest, "invalid_order_id")
		WantField(t, b, "order_id")
		for _, op := range []string{"sync", "cancel", "refund"} {
			b := WantError(t, h.Operate(t, id, op, ""), http.StatusBadRequest, "invalid_order_id")
			WantField(t, b, "order_id")
		}
	}
}

// --- operations ---

func opsAbsent(t *testing.T, h *Harness) {
	base := h.Serve(t, h.API(t, adapters.WithOrderSource(h.Orders)))
	o := h.NewOrder(50000)
	h.Charged(t, o.Ref, "bca_va", "")
	for _, op := range []string{"sync", "cancel", "refund"} {
		WantAbsent(t, h.Do(t, http.MethodPost, base+"/payments/payments/"+o.OrderID+"/"+op, nil, "Authorization", "Bearer "+AdminToken))
	}
	if p := h.Payment(t, o.OrderID); p.Status != payments.StatusPending {
		t.Fatalf("payment is %s, want pending", p.Status)
	}
}

func opsAuth(t *testing.T, h *Harness) {
	o := h.NewOrder(50000)
	h.Charged(t, o.Ref, "bca_va", "")
	url := h.URL + "/payments/" + o.OrderID + "/cancel"
	WantError(t, h.Do(t, http.MethodPost, url, nil), http.StatusUnauthorized, "unauthenticated")
	WantError(t, h.Do(t, http.MethodPost, url, nil, "Authorization", "Bearer guessed"), http.StatusUnauthorized, "unauthenticated")
	WantError(t, h.Do(t, http.MethodPost, url, nil, "Authorization", "Bearer "+ViewerToken), http.StatusForbidden, "forbidden")
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.Status != "pending" {
		t.Fatalf("a refused request reached Midtrans: %s", tx.Status)
	}
	if p := h.Payment(t, o.OrderID); p.Status != payments.StatusPending {
		t.Fatalf("payment is %s, want pending", p.Status)
	}
}

func opsSync(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "echannel", "")
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	if p := h.Payment(t, o.OrderID); p.Status != payments.StatusPending {
		t.Fatalf("before sync: %s", p.Status)
	}
	v := WantPayment(t, h.Operate(t, o.OrderID, "sync", ""), http.StatusOK)
	if v.Status != payments.StatusSettlement || v.Outcome != payments.OutcomePaid {
		t.Fatalf("after sync: %s (%s), want settlement", v.Status, v.Outcome)
	}
}

func opsCancel(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "bca_va", "")
	v := WantPayment(t, h.Operate(t, o.OrderID, "cancel", ""), http.StatusOK)
	wantBoth(t, h, o.OrderID, v, payments.StatusCancel, "cancel")
}

func opsExpire(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "gopay", "")
	v := WantPayment(t, h.Operate(t, o.OrderID, "expire", ""), http.StatusOK)
	wantBoth(t, h, o.OrderID, v, payments.StatusExpire, "expire")
}

// wantBoth checks the answered status and the simulator's.
func wantBoth(t testing.TB, h *Harness, orderID string, v *adapters.PaymentView, local payments.Status, sim string) {
	t.Helper()
	if v.Status != local {
		t.Errorf("answered %s, want %s", v.Status, local)
	}
	if tx, _ := h.Env.Sim.Transaction(orderID); tx.Status != sim {
		t.Errorf("simulator has %s, want %s", tx.Status, sim)
	}
}

type refundAnswer struct {
	Payment *adapters.PaymentView `json:"payment"`
	Refund  struct {
		Key    string                `json:"refund_key"`
		Amount payments.Amount       `json:"amount"`
		Status payments.RefundStatus `json:"status"`
		Direct bool                  `json:"direct"`
	} `json:"refund"`
}

func refunded(t testing.TB, r *Reply) refundAnswer {
	t.Helper()
	WantPayment(t, r, http.StatusOK)
	var a refundAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func opsRefund(t *testing.T, h *Harness) {
	o := h.NewOrder(100000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Settle(t, o.OrderID)
	key := fmt.Sprintf("rk-%d", h.seq.Add(1))
	req := fmt.Sprintf(`{"amount":30000,"refund_key":%q,"reason":"one item damaged"}`, key)
	a := refunded(t, h.Operate(t, o.OrderID, "refund", req))
	if a.Refund.Key != key || a.Refund.Amount != 30000 || a.Refund.Status != payments.RefundSucceeded {
		t.Fatalf("refund %+v, want %s for 30000 succeeded", a.Refund, key)
	}
	if a.Payment.Status != payments.StatusPartialRefund || a.Payment.RefundedAmount != 30000 || a.Payment.Outcome != payments.OutcomePartiallyRefunded {
		t.Fatalf("after the partial refund: %s, refunded %s", a.Payment.Status, a.Payment.RefundedAmount)
	}
	// The same request again (a retry): the key makes it refund once.
	a = refunded(t, h.Operate(t, o.OrderID, "refund", req))
	if a.Payment.RefundedAmount != 30000 {
		t.Fatalf("a retried refund refunded again: %s", a.Payment.RefundedAmount)
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 30000 {
		t.Fatalf("simulator refunded %d, want 30000", tx.RefundedAmount)
	}
	// A direct refund of part of the rest, then everything left.
	a = refunded(t, h.Operate(t, o.OrderID, "refund", `{"amount":5000,"direct":true}`))
	if !a.Refund.Direct || a.Payment.RefundedAmount != 35000 {
		t.Fatalf("direct refund %+v, refunded %s", a.Refund, a.Payment.RefundedAmount)
	}
	a = refunded(t, h.Operate(t, o.OrderID, "refund", ""))
	if a.Refund.Amount != 65000 || a.Payment.Status != payments.StatusRefund || a.Payment.RefundedAmount != 100000 {
		t.Fatalf("full refund %+v: %s, refunded %s", a.Refund, a.Payment.Status, a.Payment.RefundedAmount)
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 100000 || tx.Status != "refund" {
		t.Fatalf("simulator: %s, refunded %d", tx.Status, tx.RefundedAmount)
	}
	// Every call is a staff action of the identity the Authorizer
	// returned, and so is every audit row the calls wrote.
	tl, err := h.Env.Service.Timeline(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	refunds := 0
	for _, act := range tl.Actions {
		if act.Actor != AdminStaff || act.Result != payments.ActionSucceeded {
			t.Errorf("staff action %+v", act)
		}
		if act.Action == "refund" {
			refunds++
		}
	}
	if refunds != 4 {
		t.Errorf("%d refund actions, want 4", refunds)
	}
	for _, e := range tl.Audit {
		if e.Source == payments.SourceOperation && e.Actor != AdminStaff {
			t.Errorf("audit row %+v does not name the staff", e)
		}
	}
}

func opsCapture(t *testing.T, h *Harness) {
	o := h.NewOrderOptions(200000, &methods.CardOptions{Authentication: ptr(false), Authorize: true})
	opts := fmt.Sprintf(`{"token_id":%q}`, midtranstest.CardToken("4811111111111114"))
	if v := h.Charged(t, o.Ref, "credit_card", opts); v.Status != payments.StatusAuthorize || v.Outcome != payments.OutcomeAuthorized {
		t.Fatalf("pre-authorisation: %s (%s)", v.Status, v.Outcome)
	}
	v := WantPayment(t, h.Operate(t, o.OrderID, "capture", `{"amount":180000}`), http.StatusOK)
	if v.Outcome != payments.OutcomePaid || v.Amount != 180000 {
		t.Fatalf("after a partial capture: %s (%s) %s, want paid 180000", v.Status, v.Outcome, v.Amount)
	}
	wantBoth(t, h, o.OrderID, v, payments.StatusCapture, "capture")
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.GrossAmount != 180000 {
		t.Fatalf("simulator captured %d", tx.GrossAmount)
	}
}

// challenged charges a card that fraud detection challenges.
func challenged(t testing.TB, h *Harness) Order {
	o := h.NewOrderOptions(90000, methods.CardOptions{Authentication: ptr(false)})
	opts := fmt.Sprintf(`{"token_id":%q}`, midtranstest.CardToken("4511111111111117"))
	if v := h.Charged(t, o.Ref, "credit_card", opts); v.Outcome != payments.OutcomeInReview {
		t.Fatalf("challenged card: %s (%s), want in review", v.Status, v.Outcome)
	}
	return o
}

func opsApprove(t *testing.T, h *Harness) {
	o := challenged(t, h)
	v := WantPayment(t, h.Operate(t, o.OrderID, "approve", ""), http.StatusOK)
	if v.Outcome != payments.OutcomePaid {
		t.Fatalf("after approve: %s (%s), want paid", v.Status, v.Outcome)
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.FraudStatus != "accept" {
		t.Fatalf("simulator fraud status %s, want accept", tx.FraudStatus)
	}
}

func opsDeny(t *testing.T, h *Harness) {
	o := challenged(t, h)
	v := WantPayment(t, h.Operate(t, o.OrderID, "deny", ""), http.StatusOK)
	if v.Outcome != payments.OutcomeFailed {
		t.Fatalf("after deny: %s (%s), want failed", v.Status, v.Outcome)
	}
	wantBoth(t, h, o.OrderID, v, payments.StatusDeny, "deny")
}

func opsNotAllowed(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "bca_va", "")
	h.Settle(t, o.OrderID)
	for _, op := range []string{"expire", "cancel"} {
		b := WantError(t, h.Operate(t, o.OrderID, op, ""), http.StatusConflict, "not_allowed")
		if b.Payment == nil || b.Payment.Status != payments.StatusSettlement {
			t.Errorf("%s: refusal carries %+v, want the settled payment", op, b.Payment)
		}
	}
	c := h.NewOrderOptions(70000, methods.CardOptions{Authentication: ptr(false)})
	h.Charged(t, c.Ref, "credit_card", fmt.Sprintf(`{"token_id":%q}`, midtranstest.CardToken("4811111111111114")))
	// Captured, not authorised: nothing to capture.
	WantError(t, h.Operate(t, c.OrderID, "capture", ""), http.StatusConflict, "not_allowed")
}

func opsUnsupported(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "bca_va", "")
	for _, op := range []string{"capture", "approve", "deny"} {
		WantError(t, h.Operate(t, o.OrderID, op, ""), http.StatusUnprocessableEntity, "unsupported")
	}
	h.Settle(t, o.OrderID)
	WantError(t, h.Operate(t, o.OrderID, "refund", ""), http.StatusUnprocessableEntity, "unsupported")
}

func opsUnknown(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "bca_va", "")
	WantError(t, h.Operate(t, o.OrderID, "explode", ""), http.StatusNotFound, "unknown_operation")
	WantError(t, h.Operate(t, "INV-never-charged", "sync", ""), http.StatusNotFound, "not_found")
}

func opsBadBody(t *testing.T, h *Harness) {
	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "qris", "")
	h.Settle(t, o.OrderID)
	for _, body := range []string{`{"amount":"lots"}`, `{"amount":500} {}`, `not json`, `[1]`} {
		WantError(t, h.Operate(t, o.OrderID, "refund", body), http.StatusBadRequest, "bad_request")
	}
	b := WantError(t, h.Operate(t, o.OrderID, "refund", `{"amount":70001}`), http.StatusUnprocessableEntity, "validation_failed")
	WantField(t, b, "amount")
	b = WantError(t, h.Operate(t, o.OrderID, "refund", `{"refund_key":"no spaces allowed"}`), http.StatusUnprocessableEntity, "validation_failed")
	WantField(t, b, "refund_key")
	if p := h.Payment(t, o.OrderID); p.RefundedAmount != 0 {
		t.Fatalf("a refused refund refunded %s", p.RefundedAmount)
	}
}

// --- general ---

func prefixOption(t *testing.T, h *Harness) {
	base := h.Serve(t, h.API(t, append(h.Full(), adapters.WithPrefix("/pay/v1"))...)) + "/pay/v1"
	o := h.NewOrder(64000)
	body := []byte(fmt.Sprintf(`{"order_ref":%q,"method":"bri_va"}`, o.Ref))
	WantPayment(t, h.Do(t, http.MethodPost, base+"/charges", body), http.StatusCreated)
	WantPayment(t, h.Do(t, http.MethodGet, base+"/payments/"+o.OrderID, nil), http.StatusOK)
	WantPayment(t, h.Do(t, http.MethodPost, base+"/payments/"+o.OrderID+"/sync", nil, "Authorization", "Bearer "+AdminToken), http.StatusOK)
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, h.Do(t, http.MethodPost, base+"/notifications", h.SettlementBody(t, o.OrderID, h.Env.Sim.ServerKey())), "processed")
	// Nothing under the default prefix.
	root := strings.TrimSuffix(base, "/pay/v1")
	WantNotOurs(t, h.Do(t, http.MethodPost, root+"/payments/charges", body))
	WantNotOurs(t, h.Do(t, http.MethodGet, root+"/payments/payments/"+o.OrderID, nil))
	// Under the prefix, an unmatched path is ours.
	WantError(t, h.Do(t, http.MethodGet, base+"/nope", nil), http.StatusNotFound, "not_found")
	WantError(t, h.Do(t, http.MethodGet, base+"/charges", nil), http.StatusMethodNotAllowed, "method_not_allowed")
}

// unmatchedPaths: a path under the prefix that no route serves is the
// routes' 404, in the JSON error shape; outside the prefix it is the
// host's router's.
func unmatchedPaths(t *testing.T, h *Harness) {
	root := strings.TrimSuffix(h.URL, "/payments")
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/nope"},
		{http.MethodPost, "/nope"},
		{http.MethodGet, "/payments"},
		{http.MethodGet, "/payments/"},
		{http.MethodPost, "/payments/x/y/z"},
		{http.MethodGet, "/payments/x/sync/more"},
		{http.MethodPost, "/charges/x"},
		{http.MethodGet, "/notifications/"},
		{http.MethodDelete, "/nope/nope"},
		{http.MethodGet, ""},
		{http.MethodGet, "/"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			WantError(t, h.Do(t, c.method, h.URL+c.path, nil), http.StatusNotFound, "not_found")
		})
	}
	WantNotOurs(t, h.Do(t, http.MethodGet, root+"/not-the-prefix", nil))
	WantNotOurs(t, h.Do(t, http.MethodGet, root+"/paymentsx/charges", nil))
}

// unknownFields: a member a route does not take is refused the same way
// wherever it is, in the body or in its options: 400 unknown_field naming
// it as sent. Members are known only when spelled exactly. Malformed JSON
// stays 400 bad_request, host-only options 400 option_not_allowed,
// invalid values 422 validation_failed.
func unknownFields(t *testing.T, h *Harness) {
	token := midtranstest.CardToken("4811111111111114")
	for _, c := range []struct{ method, body, field string }{
		{"bca_va", `"gross_amount":1`, "gross_amount"},
		{"bca_va", `"Order_Ref":"x"`, "Order_Ref"},
		{"bca_va", `"METHOD":"gopay"`, "METHOD"},
		{"bca_va", `"options":{"bank":"bni"}`, "options.bank"},
		{"gopay", `"options":{"foo":1}`, "options.foo"},
		{"credit_card", `"options":{"tokenid":"x"}`, "options.tokenid"},
		{"credit_card", fmt.Sprintf(`"options":{"token_id":%q,"Token_id":"x"}`, token), "options.Token_id"},
		{"credit_card", fmt.Sprintf(`"options":{"token_id":%q,"installment":{"term":3}}`, token), "options.installment"},
	} {
		o := h.NewOrder(50000)
		body := fmt.Sprintf(`{"order_ref":%q,"method":%q,%s}`, o.Ref, c.method, c.body)
		b := WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", []byte(body)), http.StatusBadRequest, "unknown_field")
		WantField(t, b, c.field)
		if _, ok := h.Env.Sim.Transaction(o.OrderID); ok {
			t.Errorf("%s: a refused body reached Midtrans", body)
		}
	}
	// Every unknown member is named, at both levels.
	b := WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", []byte(`{"order_ref":"x","method":"gopay","a":1,"b":2}`)), http.StatusBadRequest, "unknown_field")
	WantField(t, b, "a")
	WantField(t, b, "b")
	b = WantError(t, h.Charge(t, "x", "gopay", `{"a":1,"b":2}`), http.StatusBadRequest, "unknown_field")
	WantField(t, b, "options.a")
	WantField(t, b, "options.b")

	o := h.NewOrder(70000)
	h.Charged(t, o.Ref, "qris", "")
	h.Settle(t, o.OrderID)
	for body, field := range map[string]string{`{"amont":500}`: "amont", `{"Amount":500}`: "Amount", `{"amount":500,"extra":{"x":1}}`: "extra"} {
		b := WantError(t, h.Operate(t, o.OrderID, "refund", body), http.StatusBadRequest, "unknown_field")
		WantField(t, b, field)
	}
	if p := h.Payment(t, o.OrderID); p.RefundedAmount != 0 {
		t.Fatalf("a refused refund refunded %s", p.RefundedAmount)
	}
	// The other codes keep their meaning.
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", []byte(`{"order_ref":"x",`)), http.StatusBadRequest, "bad_request")
	WantError(t, h.Charge(t, "x", "credit_card", `{"authentication":false}`), http.StatusBadRequest, "option_not_allowed")
	WantError(t, h.Operate(t, o.OrderID, "refund", `{"amount":70001}`), http.StatusUnprocessableEntity, "validation_failed")
}

// wrongMethod: a path a route serves, asked with another method, is 405
// method_not_allowed naming the allowed methods in Allow.
func wrongMethod(t *testing.T, h *Harness) {
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodGet, "/charges", "POST"},
		{http.MethodPut, "/charges", "POST"},
		{http.MethodGet, "/notifications", "POST"},
		{http.MethodDelete, "/payments/INV-1", "GET, HEAD"},
		{http.MethodPost, "/payments/INV-1", "GET, HEAD"},
		{http.MethodGet, "/payments/INV-1/sync", "POST"},
		{http.MethodDelete, "/payments/INV-1/refund", "POST"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := h.Do(t, c.method, h.URL+c.path, nil)
			WantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
			if got := strings.Join(r.Header.Values("Allow"), ", "); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}

func bodyLimits(t *testing.T, h *Harness) {
	o := h.NewOrder(50000)
	h.Charged(t, o.Ref, "bca_va", "")
	admin := []string{"Authorization", "Bearer " + AdminToken}
	for _, c := range []struct {
		route  string
		url    string
		limit  int
		json   string
		status int // for a body of exactly limit bytes
		header []string
	}{
		{adapters.RouteNotifications, h.URL + "/notifications", adapters.MaxNotificationBody,
			`{"order_id":"ping","status_code":"200","gross_amount":"1.00"}`, http.StatusOK, nil},
		{adapters.RouteCharges, h.URL + "/charges", adapters.MaxChargeBody,
			`{"order_ref":"no-such-cart","method":"bca_va"}`, http.StatusNotFound, nil},
		{adapters.RouteOperation, h.URL + "/payments/" + o.OrderID + "/sync", adapters.MaxOperationBody,
			`{"reason":"limit"}`, http.StatusOK, admin},
	} {
		t.Run(c.route, func(t *testing.T) {
			// Trailing spaces keep the JSON valid at any length.
			exact := []byte(c.json + strings.Repeat(" ", c.limit-len(c.json)))
			r := h.Do(t, http.MethodPost, c.url, exact, c.header...)
			if r.Status != c.status {
				t.Fatalf("%d bytes: status %d, want %d: %s", len(exact), r.Status, c.status, r.Body)
			}
			WantJSON(t, r)
			WantError(t, h.Do(t, http.MethodPost, c.url, append(exact, ' '), c.header...), http.StatusRequestEntityTooLarge, "body_too_large")
		})
	}
}

// retainedRequests proves the adapter hands over request data that stays
// valid after the handler returns: an Authorizer keeps every request it
// sees while many run at once over reused connections, and each must still
// hold its own path, header and body at the end.
func retainedRequests(t *testing.T, h *Harness) {
	const orders, workers, each = 4, 8, 12
	ids := make([]string, orders)
	for i := range ids {
		o := h.NewOrder(payments.Amount(40000 + i))
		h.Charged(t, o.Ref, "bca_va", "")
		ids[i] = o.OrderID
	}
	var mu sync.Mutex
	var kept []*adapters.Request
	h.Observe(t, func(r *adapters.Request) {
		mu.Lock()
		defer mu.Unlock()
		kept = append(kept, r)
	})
	probe := func(w, i int) (orderID, tag string) {
		return ids[(w+i)%orders], fmt.Sprintf("probe-%02d-%02d", w, i)
	}
	ctx := testenv.Ctx(t)
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				orderID, tag := probe(w, i)
				body := fmt.Sprintf(`{"reason":%q}`, tag)
				r, err := h.do(ctx, http.MethodPost, h.URL+"/payments/"+orderID+"/sync", []byte(body),
					"Authorization", "Bearer "+AdminToken, "X-Probe", tag)
				if err == nil && r.Status != http.StatusOK {
					err = fmt.Errorf("%s: status %d: %s", tag, r.Status, r.Body)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	h.observe.Store(nil)
	mu.Lock() // orders the reads below after the server goroutines' writes
	kept = slices.Clone(kept)
	mu.Unlock()
	if len(kept) != workers*each {
		t.Fatalf("authorizer saw %d requests, want %d", len(kept), workers*each)
	}
	seen := map[string]bool{}
	for _, r := range kept {
		tag := r.Header.Get("X-Probe")
		var w, i int
		if _, err := fmt.Sscanf(tag, "probe-%d-%d", &w, &i); err != nil {
			t.Fatalf("kept header X-Probe %q is not one we sent", tag)
		}
		orderID, _ := probe(w, i)
		if got := r.Params["order_id"]; got != orderID {
			t.Errorf("%s: kept order_id %q, sent %q", tag, got, orderID)
		}
		if got := r.Params["op"]; got != "sync" {
			t.Errorf("%s: kept op %q", tag, got)
		}
		if want := fmt.Sprintf(`{"reason":%q}`, tag); string(r.Body) != want {
			t.Errorf("%s: kept body %q, sent %q", tag, r.Body, want)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+AdminToken {
			t.Errorf("%s: kept Authorization %q", tag, got)
		}
		seen[tag] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct requests kept, want %d", len(seen), workers*each)
	}
}

// --- cross-origin and content type ---

const evil = "https://evil.example"

func crossOriginRefund(t *testing.T, h *Harness) {
	o := h.NewOrder(100000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Settle(t, o.OrderID)
	url := h.URL + "/payments/" + o.OrderID + "/refund"
	admin := []string{"Authorization", "Bearer " + AdminToken}
	for name, header := range map[string][]string{
		"form-like text/plain from an old browser": {"Content-Type", "text/plain", "Origin", evil},
		"JSON from an old browser":                 {"Content-Type", "application/json", "Origin", evil},
		"text/plain, Sec-Fetch-Site cross-site":    {"Content-Type", "text/plain", "Origin", evil, "Sec-Fetch-Site", "cross-site"},
		"JSON, Sec-Fetch-Site cross-site":          {"Content-Type", "application/json", "Origin", evil, "Sec-Fetch-Site", "cross-site"},
		"JSON, Sec-Fetch-Site same-site (sibling)": {"Content-Type", "application/json", "Origin", "https://blog.shop.example", "Sec-Fetch-Site", "same-site"},
		"empty body, Sec-Fetch-Site cross-site":    {"Origin", evil, "Sec-Fetch-Site", "cross-site"},
	} {
		body := []byte(`{"amount":10000}`)
		if strings.HasPrefix(name, "empty") {
			body = nil
		}
		WantError(t, h.Do(t, http.MethodPost, url, body, append(header, admin...)...), http.StatusForbidden, "cross_origin")
	}
	if p := h.Payment(t, o.OrderID); p.RefundedAmount != 0 || p.Status != payments.StatusSettlement {
		t.Fatalf("a cross-origin refund changed the payment: %s, refunded %s", p.Status, p.RefundedAmount)
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 0 {
		t.Fatalf("a cross-origin refund reached Midtrans: refunded %d", tx.RefundedAmount)
	}
	// The same refund from the shop's own pages, or from no browser at all.
	host := strings.TrimPrefix(strings.TrimPrefix(h.URL, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	a := refunded(t, h.Do(t, http.MethodPost, url, []byte(`{"amount":10000}`), append([]string{"Sec-Fetch-Site", "same-origin", "Origin", "http://" + host}, admin...)...))
	if a.Payment.RefundedAmount != 10000 {
		t.Fatalf("same-origin refund: refunded %s", a.Payment.RefundedAmount)
	}
	a = refunded(t, h.Do(t, http.MethodPost, url, []byte(`{"amount":10000}`), append([]string{"Origin", "http://" + host}, admin...)...))
	if a.Payment.RefundedAmount != 20000 {
		t.Fatalf("Origin equal to Host: refunded %s", a.Payment.RefundedAmount)
	}
	a = refunded(t, h.Operate(t, o.OrderID, "refund", `{"amount":10000}`))
	if a.Payment.RefundedAmount != 30000 {
		t.Fatalf("server-to-server refund: refunded %s", a.Payment.RefundedAmount)
	}
}

func crossOriginCharge(t *testing.T, h *Harness) {
	o := h.NewOrder(50000)
	body := []byte(fmt.Sprintf(`{"order_ref":%q,"method":"bca_va"}`, o.Ref))
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", body, "Origin", evil, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "cross_origin")
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", body, "Origin", evil, "Content-Type", "text/plain"), http.StatusForbidden, "cross_origin")
	if _, ok := h.Env.Sim.Transaction(o.OrderID); ok {
		t.Fatal("a cross-origin charge reached Midtrans")
	}
	// Reading stays open: GET is safe, and a checkout page may live elsewhere.
	h.Charged(t, o.Ref, "bca_va", "")
	WantPayment(t, h.Do(t, http.MethodGet, h.URL+"/payments/"+o.OrderID, nil, "Origin", evil, "Sec-Fetch-Site", "cross-site"), http.StatusOK)
}

func crossOriginTrusted(t *testing.T, h *Harness) {
	if _, err := adapters.New(h.Env.Service, adapters.WithTrustedOrigins("shop.example")); err == nil {
		t.Error("an origin without a scheme was accepted")
	}
	const front = "https://checkout.shop.example"
	base := h.Serve(t, h.API(t, append(h.Full(), adapters.WithTrustedOrigins(front))...)) + "/payments"
	o := h.NewOrder(50000)
	body := []byte(fmt.Sprintf(`{"order_ref":%q,"method":"bca_va"}`, o.Ref))
	WantError(t, h.Do(t, http.MethodPost, base+"/charges", body, "Origin", evil, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "cross_origin")
	WantPayment(t, h.Do(t, http.MethodPost, base+"/charges", body, "Origin", front, "Sec-Fetch-Site", "cross-site"), http.StatusCreated)
	WantPayment(t, h.Do(t, http.MethodPost, base+"/payments/"+o.OrderID+"/sync", nil, "Origin", front, "Sec-Fetch-Site", "cross-site",
		"Authorization", "Bearer "+AdminToken), http.StatusOK)
}

func contentTypeJSON(t *testing.T, h *Harness) {
	o := h.NewOrder(100000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Settle(t, o.OrderID)
	admin := []string{"Authorization", "Bearer " + AdminToken}
	refund := h.URL + "/payments/" + o.OrderID + "/refund"
	charge := []byte(fmt.Sprintf(`{"order_ref":%q,"method":"bca_va"}`, o.Ref))
	form := []byte("--x\r\nContent-Disposition: form-data; name=\"amount\"\r\n\r\n10000\r\n--x--\r\n")
	for _, c := range []struct {
		ct                 string
		refundBody, charge []byte
	}{
		{"text/plain", []byte(`{"amount":10000}`), charge},
		{"application/x-www-form-urlencoded", []byte(`amount=10000`), charge},
		{"multipart/form-data; boundary=x", form, form},
		{"", []byte(`{"amount":10000}`), charge},
		{"application/jsonp", []byte(`{"amount":10000}`), charge},
		{"text/json", []byte(`{"amount":10000}`), charge},
	} {
		r := h.Do(t, http.MethodPost, refund, c.refundBody, append([]string{"Content-Type", c.ct}, admin...)...)
		WantError(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
		WantError(t, h.Do(t, http.MethodPost, h.URL+"/charges", c.charge, "Content-Type", c.ct), http.StatusUnsupportedMediaType, "unsupported_media_type")
	}
	// An operation without a body needs no content type, but a wrong one is refused.
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/payments/"+o.OrderID+"/sync", nil, append([]string{"Content-Type", "text/plain"}, admin...)...),
		http.StatusUnsupportedMediaType, "unsupported_media_type")
	WantPayment(t, h.Do(t, http.MethodPost, h.URL+"/payments/"+o.OrderID+"/sync", nil, admin...), http.StatusOK)
	WantPayment(t, h.Do(t, http.MethodPost, h.URL+"/payments/"+o.OrderID+"/sync", nil, append([]string{"Content-Type", "application/json"}, admin...)...), http.StatusOK)
	if p := h.Payment(t, o.OrderID); p.RefundedAmount != 0 {
		t.Fatalf("a refused refund refunded %s", p.RefundedAmount)
	}
	a := refunded(t, h.Do(t, http.MethodPost, refund, []byte(`{"amount":10000}`), append([]string{"Content-Type", "application/json; charset=utf-8"}, admin...)...))
	if a.Payment.RefundedAmount != 10000 {
		t.Fatalf("JSON refund: refunded %s", a.Payment.RefundedAmount)
	}
}

func contentTypeWebhook(t *testing.T, h *Harness) {
	o := h.NewOrder(150000)
	h.Charged(t, o.Ref, "bca_va", "")
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	// Authenticated by its signature, not by where it comes from.
	body := h.SettlementBody(t, o.OrderID, h.Env.Sim.ServerKey())
	wantAnswer(t, h.Do(t, http.MethodPost, h.URL+"/notifications", body, "Content-Type", "text/plain", "Origin", evil, "Sec-Fetch-Site", "cross-site"), "processed")
	if v := h.View(t, o.OrderID); v.Outcome != payments.OutcomePaid {
		t.Fatalf("after the notification: %s", v.Outcome)
	}
}

// opsTable: the route's operation names are payments.Operations(), no
// more and no fewer.
func opsTable(t *testing.T, h *Harness) {
	for _, op := range payments.Operations() {
		// Known: the route looks the payment up.
		WantError(t, h.Operate(t, "INV-never-charged", string(op.Name), ""), http.StatusNotFound, "not_found")
	}
	for _, op := range []string{"explode", "Sync", "REFUND", "direct_refund", "refund2", "operate", "timeline"} {
		if _, ok := payments.Operation(op); ok {
			t.Fatalf("%s is in the table", op)
		}
		WantError(t, h.Operate(t, "INV-never-charged", op, ""), http.StatusNotFound, "unknown_operation")
	}
}
