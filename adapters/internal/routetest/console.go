package routetest

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/internal/testenv"
)

func consoleCases() []testCase {
	return []testCase{
		{"console/not mounted without WithConsole, refused without an Authorizer", consoleAbsent},
		{"console/401 unauthenticated and 403 forbidden, as HTML with a CSP", consoleAuth},
		{"console/find a payment by order id, email, status and dates", consoleFind},
		{"console/payment page shows the timeline with secrets masked", consolePage},
		{"console/refund is confirmed, CSRF-protected and audited with the staff", consoleRefund},
		{"console/forged, cross-site or foreign forms change nothing", consoleForgedForms},
		{"console/redeliver a dead event and replay a notification", consoleRequeueReplay},
		{"console/invalid input is refused naming the field", consoleBadInput},
	}
}

// ConsoleGet gets a console page as the staff of token ("" for none).
func (h *Harness) ConsoleGet(t testing.TB, path, token string) *Reply {
	t.Helper()
	var hdr []string
	if token != "" {
		hdr = []string{"Authorization", "Bearer " + token}
	}
	return h.Do(t, http.MethodGet, h.URL+"/console"+path, nil, hdr...)
}

// ConsolePost posts a console form as the staff of token, same-origin.
func (h *Harness) ConsolePost(t testing.TB, orderID, action, token string, form url.Values, header ...string) *Reply {
	t.Helper()
	hdr := append([]string{"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin",
		"Authorization", "Bearer " + token}, header...)
	return h.Do(t, http.MethodPost, h.URL+"/console/payments/"+orderID+"/"+action, []byte(form.Encode()), hdr...)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF reads the console's CSRF token for token's staff from orderID's page.
func (h *Harness) CSRF(t testing.TB, orderID, token string) string {
	t.Helper()
	r := h.ConsoleGet(t, "/payments/"+orderID, token)
	m := csrfField.FindSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("payment page: %d, no CSRF token:\n%s", r.Status, r.Body)
	}
	return html.UnescapeString(string(m[1]))
}

func wantHTML(t testing.TB, r *Reply, status int, contains ...string) string {
	t.Helper()
	body := string(r.Body)
	if r.Status != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s, want %d HTML:\n%s", r.Status, r.Header.Get("Content-Type"), status, body)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Cache-Control %q, Referrer-Policy %q", r.Header.Get("Cache-Control"), r.Header.Get("Referrer-Policy"))
	}
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Errorf("page lacks %q:\n%s", c, body)
		}
	}
	return body
}

func consoleAbsent(t *testing.T, h *Harness) {
	base := h.Serve(t, h.API(t, adapters.WithOrderSource(h.Orders), adapters.WithAuthorizer(h.authorize))) + "/payments"
	r := h.Do(t, http.MethodGet, base+"/console", nil, "Authorization", "Bearer "+AdminToken)
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), `"not_found"`) {
		t.Errorf("console without WithConsole: %d %s", r.Status, r.Body)
	}
	if _, err := adapters.New(h.Env.Service, adapters.WithConsole()); err == nil || !strings.Contains(err.Error(), "WithAuthorizer") {
		t.Errorf("WithConsole without an Authorizer: %v", err)
	}
}

func consoleAuth(t *testing.T, h *Harness) {
	o := h.NewOrder(10000)
	h.Charged(t, o.Ref, "gopay", "")
	wantHTML(t, h.ConsoleGet(t, "", ""), http.StatusUnauthorized, "Sign in")
	wantHTML(t, h.ConsoleGet(t, "/payments/"+o.OrderID, "wrong"), http.StatusUnauthorized)
	// A viewer reads, but may not act.
	wantHTML(t, h.ConsoleGet(t, "/payments/"+o.OrderID, ViewerToken), http.StatusOK, o.OrderID, ViewerStaff)
	r := h.ConsolePost(t, o.OrderID, "cancel", ViewerToken, url.Values{"csrf": {h.CSRF(t, o.OrderID, ViewerToken)}, "confirm": {"yes"}})
	wantHTML(t, r, http.StatusForbidden)
	if p := h.Payment(t, o.OrderID); p.Status != payments.StatusPending {
		t.Fatalf("a viewer cancelled: %s", p.Status)
	}
	// The style sheet is served as CSS.
	css := h.ConsoleGet(t, "/console.css", "")
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style sheet: %d %s", css.Status, css.Header.Get("Content-Type"))
	}
}

func consoleFind(t *testing.T, h *Harness) {
	paid, pending := h.NewOrder(25000), h.NewOrder(26000)
	h.Charged(t, paid.Ref, "bca_va", "")
	h.Charged(t, pending.Ref, "gopay", "")
	h.Settle(t, paid.OrderID)
	link := func(o Order) string { return `href="/payments/console/payments/` + o.OrderID + `"` }
	// By order id (a prefix), by email whatever its case, by outcome.
	body := wantHTML(t, h.ConsoleGet(t, "?q="+paid.OrderID, AdminToken), http.StatusOK, link(paid), "Rp 25.000")
	if strings.Contains(body, link(pending)) {
		t.Errorf("search by %s lists %s", paid.OrderID, pending.OrderID)
	}
	email := strings.ToUpper(pending.Secrets[2])
	body = wantHTML(t, h.ConsoleGet(t, "?q="+url.QueryEscape(email), AdminToken), http.StatusOK, link(pending))
	if strings.Contains(body, link(paid)) {
		t.Errorf("search by %s lists %s", email, paid.OrderID)
	}
	body = wantHTML(t, h.ConsoleGet(t, "?outcome=paid&method=bca_va", AdminToken), http.StatusOK, link(paid))
	if strings.Contains(body, link(pending)) {
		t.Errorf("paid bca_va payments list the pending gopay one")
	}
	today := time.Now().In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02")
	wantHTML(t, h.ConsoleGet(t, "?status=pending&from="+today+"&to="+today, AdminToken), http.StatusOK, link(pending))
	tomorrow := time.Now().Add(48 * time.Hour).Format("2006-01-02")
	body = wantHTML(t, h.ConsoleGet(t, "?from="+tomorrow, AdminToken), http.StatusOK, "No payments match")
	if strings.Contains(body, link(paid)) {
		t.Errorf("payments created before from are listed")
	}
	// Keyset pages: page by page through everything, each payment once.
	seen := map[string]int{}
	next := h.URL + "/console?q=INV-"
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		r := h.Do(t, http.MethodGet, next, nil, "Authorization", "Bearer "+AdminToken)
		body := wantHTML(t, r, http.StatusOK)
		for _, m := range regexp.MustCompile(`href="/payments/console/payments/([^"]+)"`).FindAllStringSubmatch(body, -1) {
			seen[m[1]]++
		}
		next = ""
		if m := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(body); m != nil {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			next = strings.TrimSuffix(h.URL, "/payments") + u.String()
		}
	}
	if seen[paid.OrderID] != 1 || seen[pending.OrderID] != 1 {
		t.Errorf("paging saw %s %d times and %s %d times", paid.OrderID, seen[paid.OrderID], pending.OrderID, seen[pending.OrderID])
	}
}

func consolePage(t *testing.T, h *Harness) {
	o := h.NewOrder(31000)
	h.Charged(t, o.Ref, "bca_va", "")
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	body := h.SettlementBody(t, o.OrderID, h.Env.Sim.ServerKey())
	if r := h.Do(t, http.MethodPost, h.URL+"/notifications", body); r.Status != http.StatusOK {
		t.Fatalf("notification: %d %s", r.Status, r.Body)
	}
	n, err := h.Env.Service.Timeline(testenv.Ctx(t), o.OrderID)
	if err != nil || len(n.Notifications) != 1 {
		t.Fatalf("timeline: %v", err)
	}
	signature := signatureOf(t, n.Notifications[0].Body)
	page := wantHTML(t, h.ConsoleGet(t, "/payments/"+o.OrderID, AdminToken), http.StatusOK,
		o.OrderID, "settlement", "Rp 31.000", "Audit trail (", "Notifications (1)", "Hook events (", "Staff actions (",
		n.Notifications[0].ID, "[REDACTED]", o.Secrets[2], ">Sync</button>", "signature_key")
	if strings.Contains(page, signature) {
		t.Error("the page shows a notification's signature_key")
	}
	if strings.Contains(page, h.Env.Sim.ServerKey()) {
		t.Error("the page shows the server key")
	}
	// Only what the status and the method allow is offered: a settled
	// payment cannot be cancelled or captured, and a bank transfer cannot
	// be refunded.
	for _, op := range []string{">Cancel</button>", ">Capture</button>", ">Expire</button>", ">Refund</button>"} {
		if strings.Contains(page, op) {
			t.Errorf("a settled payment offers %s", op)
		}
	}
	wantHTML(t, h.ConsoleGet(t, "/payments/NO-SUCH-ORDER", AdminToken), http.StatusNotFound)
	wantHTML(t, h.ConsoleGet(t, "/payments/"+url.PathEscape("bad id"), AdminToken), http.StatusBadRequest)
}

func signatureOf(t testing.TB, body []byte) string {
	t.Helper()
	m := regexp.MustCompile(`"signature_key":"([0-9a-f]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no signature in %s", body)
	}
	return string(m[1])
}

func consoleRefund(t *testing.T, h *Harness) {
	o := h.NewOrder(100000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Settle(t, o.OrderID)
	csrf := h.CSRF(t, o.OrderID, AdminToken)
	page := string(h.ConsoleGet(t, "/payments/"+o.OrderID, AdminToken).Body)
	key := regexp.MustCompile(`name="refund_key" value="([^"]+)"`).FindStringSubmatch(page)
	if key == nil {
		t.Fatalf("the refund form has no refund key:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "amount": {"30.000"}, "reason": {"one item damaged"}, "refund_key": {key[1]}}
	// First the confirmation, which changes nothing.
	confirm := wantHTML(t, h.ConsolePost(t, o.OrderID, "refund", AdminToken, form), http.StatusOK,
		"Refund Rp 30.000 to the customer", "one item damaged", `name="confirm" value="yes"`)
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 0 {
		t.Fatalf("refunded before confirmation: %d", tx.RefundedAmount)
	}
	if !strings.Contains(confirm, key[1]) {
		t.Error("the confirmation does not carry the refund key")
	}
	form.Set("confirm", "yes")
	for range 2 { // posted twice (a double click): refunded once
		r := h.ConsolePost(t, o.OrderID, "refund", AdminToken, form)
		if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/payments/console/payments/"+o.OrderID+"?done=refund") {
			t.Fatalf("confirmed refund: %d, Location %q\n%s", r.Status, r.Header.Get("Location"), r.Body)
		}
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 30000 {
		t.Fatalf("Midtrans refunded %d, want 30000 once", tx.RefundedAmount)
	}
	wantHTML(t, h.ConsoleGet(t, "/payments/"+o.OrderID+"?done=refund", AdminToken), http.StatusOK, "Refund done.", "Rp 30.000", "one item damaged")
	tl, err := h.Env.Service.Timeline(testenv.Ctx(t), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	last := tl.Actions[len(tl.Actions)-1]
	if last.Actor != AdminStaff || last.Action != "refund" || last.Result != payments.ActionSucceeded || !strings.Contains(string(last.Detail), `"reason":"one item damaged"`) {
		t.Errorf("the refund's staff action: %+v %s", last, last.Detail)
	}
	var audited bool
	for _, e := range tl.Audit {
		audited = audited || e.To.Status == payments.StatusPartialRefund && e.Actor == AdminStaff
	}
	if !audited {
		t.Error("the refund's audit row does not name the staff")
	}
	// More than is left: refused, and the page says so.
	form = url.Values{"csrf": {csrf}, "amount": {"80000"}, "reason": {"too much"}, "confirm": {"yes"}}
	r := h.ConsolePost(t, o.OrderID, "refund", AdminToken, form)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "failed=refund") {
		t.Fatalf("refund over the rest: %d %q", r.Status, r.Header.Get("Location"))
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 30000 {
		t.Fatalf("Midtrans refunded %d", tx.RefundedAmount)
	}
	wantHTML(t, h.ConsoleGet(t, "/payments/"+o.OrderID+"?"+strings.SplitN(r.Header.Get("Location"), "?", 2)[1], AdminToken),
		http.StatusOK, "Refund failed")
	// A flash message comes from the console's own list, never the URL.
	page = string(h.ConsoleGet(t, "/payments/"+o.OrderID+"?done=%3Cscript%3E&failed=refund&code=Call+555", AdminToken).Body)
	if strings.Contains(page, "<script>") || strings.Contains(page, "Call 555") {
		t.Error("the URL chose the page's message")
	}
}

func consoleForgedForms(t *testing.T, h *Harness) {
	o := h.NewOrder(40000)
	h.Charged(t, o.Ref, "gopay", "")
	csrf := h.CSRF(t, o.OrderID, AdminToken)
	yes := url.Values{"csrf": {csrf}, "confirm": {"yes"}}
	cases := []struct {
		name   string
		token  string
		form   url.Values
		header []string
		status int
	}{
		{"no CSRF token", AdminToken, url.Values{"confirm": {"yes"}}, nil, http.StatusForbidden},
		{"a forged CSRF token", AdminToken, url.Values{"csrf": {"AAAA" + csrf[4:]}, "confirm": {"yes"}}, nil, http.StatusForbidden},
		{"another staff's token", AdminToken, url.Values{"csrf": {h.CSRF(t, o.OrderID, ViewerToken)}, "confirm": {"yes"}}, nil, http.StatusForbidden},
		{"from another site", AdminToken, yes, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"from another origin", AdminToken, yes, []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"as JSON", AdminToken, yes, []string{"Content-Type", "application/json"}, http.StatusUnsupportedMediaType},
		{"unauthenticated", "nobody", yes, nil, http.StatusUnauthorized},
	}
	for _, c := range cases {
		wantHTML(t, h.ConsolePost(t, o.OrderID, "cancel", c.token, c.form, c.header...), c.status)
		if p := h.Payment(t, o.OrderID); p.Status != payments.StatusPending {
			t.Fatalf("%s: the payment is %s", c.name, p.Status)
		}
	}
	// A multipart form (which a cross-site page can send too) is not taken.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k, v := range yes {
		if err := w.WriteField(k, v[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantHTML(t, h.Do(t, http.MethodPost, h.URL+"/console/payments/"+o.OrderID+"/cancel", mp.Bytes(), "Content-Type", w.FormDataContentType(),
		"Sec-Fetch-Site", "same-origin", "Authorization", "Bearer "+AdminToken), http.StatusUnsupportedMediaType)
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.Status != "pending" {
		t.Fatalf("Midtrans was asked: %s", tx.Status)
	}
	// An unknown action, asked as the admin.
	wantHTML(t, h.ConsolePost(t, o.OrderID, "delete", AdminToken, yes), http.StatusNotFound)
	// The genuine form works.
	if r := h.ConsolePost(t, o.OrderID, "cancel", AdminToken, yes); r.Status != http.StatusSeeOther {
		t.Fatalf("genuine cancel: %d %s", r.Status, r.Body)
	}
	if p := h.Payment(t, o.OrderID); p.Status != payments.StatusCancel {
		t.Fatalf("after the genuine cancel: %s", p.Status)
	}
}

func consoleRequeueReplay(t *testing.T, h *Harness) {
	ctx := testenv.Ctx(t)
	o, other := h.NewOrder(50000), h.NewOrder(51000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Charged(t, other.Ref, "gopay", "")
	dead := killEvent(t, h, o.OrderID)
	otherDead := killEvent(t, h, other.OrderID)
	csrf := h.CSRF(t, o.OrderID, AdminToken)
	wantHTML(t, h.ConsoleGet(t, "/payments/"+o.OrderID, AdminToken), http.StatusOK, ">Redeliver</button>", dead)
	// Another order's event, through this order's page: refused.
	form := url.Values{"csrf": {csrf}, "confirm": {"yes"}, "event_id": {otherDead}}
	wantHTML(t, h.ConsolePost(t, o.OrderID, payments.ActionRequeueEvent, AdminToken, form), http.StatusNotFound)
	if ev, _ := h.Env.Store.Event(ctx, otherDead); !ev.Dead {
		t.Fatal("another order's event was requeued")
	}
	form.Set("event_id", dead)
	if r := h.ConsolePost(t, o.OrderID, payments.ActionRequeueEvent, AdminToken, form); r.Status != http.StatusSeeOther ||
		!strings.Contains(r.Header.Get("Location"), "done="+payments.ActionRequeueEvent) {
		t.Fatalf("requeue: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if ev, _ := h.Env.Store.Event(ctx, dead); ev.Dead || ev.Attempts != 0 {
		t.Fatalf("after the requeue: dead %t, attempts %d", ev.Dead, ev.Attempts)
	}
	// Replay a stored notification, confirmed with Midtrans.
	if err := h.Env.Sim.Pay(o.OrderID); err != nil {
		t.Fatal(err)
	}
	if r := h.Do(t, http.MethodPost, h.URL+"/notifications", h.SettlementBody(t, o.OrderID, h.Env.Sim.ServerKey())); r.Status != http.StatusOK {
		t.Fatalf("notification: %d", r.Status)
	}
	tl, err := h.Env.Service.Timeline(ctx, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	note := tl.Notifications[0].ID
	form = url.Values{"csrf": {csrf}, "notification_id": {note}}
	wantHTML(t, h.ConsolePost(t, o.OrderID, payments.ActionReplayNotification, AdminToken, form), http.StatusOK, "confirmed with Midtrans first")
	form.Set("confirm", "yes")
	if r := h.ConsolePost(t, o.OrderID, payments.ActionReplayNotification, AdminToken, form); r.Status != http.StatusSeeOther ||
		!strings.Contains(r.Header.Get("Location"), "done="+payments.ActionReplayNotification) {
		t.Fatalf("replay: %d %q", r.Status, r.Header.Get("Location"))
	}
	tl, err = h.Env.Service.Timeline(ctx, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range tl.Actions {
		actions = append(actions, fmt.Sprintf("%s %s %s", a.Actor, a.Action, a.Result))
	}
	got := strings.Join(actions, "; ")
	for _, want := range []string{AdminStaff + " requeue_event succeeded", AdminStaff + " replay_notification succeeded"} {
		if !strings.Contains(got, want) {
			t.Errorf("staff actions %q lack %q", got, want)
		}
	}
}

// killEvent gives up on orderID's first hook event as the delivery
// workers do after the last attempt, and returns its id.
func killEvent(t testing.TB, h *Harness, orderID string) string {
	t.Helper()
	ctx := context.Background()
	tl, err := h.Env.Service.Timeline(ctx, orderID)
	if err != nil || len(tl.Events) == 0 {
		t.Fatalf("timeline of %s: %v", orderID, err)
	}
	id := tl.Events[0].ID
	for range 100 {
		evs, err := h.Env.Store.ClaimEvents(ctx, "routetest", 1000, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range evs {
			if ev.ID == id {
				found = true
				if err := h.Env.Store.MarkDead(ctx, ev.Seq, "routetest", "receiver down"); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := h.Env.Store.RetryEvent(ctx, ev.Seq, "routetest", time.Now(), ""); err != nil {
				t.Fatal(err)
			}
		}
		if found {
			return id
		}
	}
	t.Fatalf("event %s of %s was never claimed", id, orderID)
	return ""
}

func consoleBadInput(t *testing.T, h *Harness) {
	o := h.NewOrder(60000)
	h.Charged(t, o.Ref, "gopay", "")
	h.Settle(t, o.OrderID)
	csrf := h.CSRF(t, o.OrderID, AdminToken)
	for _, c := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"amount": {"12,5"}, "reason": {"x"}}, "amount"},
		{url.Values{"amount": {"-5"}, "reason": {"x"}}, "amount"},
		{url.Values{"amount": {"1000"}}, "reason"},
		{url.Values{"amount": {"1000"}, "reason": {"x"}, "refund_key": {"bad key!"}}, "refund_key"},
	} {
		c.form.Set("csrf", csrf)
		c.form.Set("confirm", "yes")
		wantHTML(t, h.ConsolePost(t, o.OrderID, "refund", AdminToken, c.form), http.StatusBadRequest, c.says)
	}
	if tx, _ := h.Env.Sim.Transaction(o.OrderID); tx.RefundedAmount != 0 {
		t.Fatalf("refunded %d on bad input", tx.RefundedAmount)
	}
	wantHTML(t, h.ConsoleGet(t, "?from=yesterday", AdminToken), http.StatusBadRequest, "from")
	wantHTML(t, h.ConsoleGet(t, "?status=paid", AdminToken), http.StatusBadRequest, "statuses")
	wantHTML(t, h.ConsoleGet(t, "?after=garbage", AdminToken), http.StatusBadRequest, "after")
}
