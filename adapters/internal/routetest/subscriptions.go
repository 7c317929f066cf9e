package routetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

func subscriptionCases() []testCase {
	return []testCase{
		{"subscriptions/401 and 403 before anything is read or sent", subscriptionsAuth},
		{"subscriptions/create view update disable enable", subscriptionsLifecycle},
		{"subscriptions/bad input is 422 naming the fields, unknown fields 400", subscriptionsBadInput},
		{"subscriptions/unknown id or operation is 404", subscriptionsUnknown},
		{"subscriptions/a recurring charge through the webhook is a linked payment", subscriptionsRecurringCharge},
		{"subscriptions/not mounted without an Authorizer", subscriptionsAbsent},
	}
}

// savedCardToken charges a card with save_token_id at the simulator, as a
// shop's first payment would, and returns the saved token.
func (h *Harness) savedCardToken(t testing.TB) string {
	t.Helper()
	req := &midtrans.ChargeRequest{PaymentType: "credit_card",
		TransactionDetails: midtrans.TransactionDetails{OrderID: fmt.Sprintf("SAVE-%d", h.seq.Add(1)), GrossAmount: 10000},
		CreditCard:         &midtrans.CreditCard{TokenID: midtranstest.CardToken("4811111111111114"), SaveTokenID: true}}
	r, err := h.Env.Client.Charge(testenv.Ctx(t), req)
	if err != nil || r.SavedTokenID == "" {
		t.Fatalf("saved token: %+v, %v", r, err)
	}
	return r.SavedTokenID
}

func (h *Harness) subscriptionName() string { return fmt.Sprintf("plan-%d", h.seq.Add(1)) }

func subscriptionBody(name, token string) []byte {
	b, _ := json.Marshal(map[string]any{"name": name, "amount": 49000, "payment_type": "credit_card", "token": token,
		"schedule": map[string]any{"interval": 1, "interval_unit": "month", "max_interval": 6},
		"metadata": map[string]any{"plan": "gold"}})
	return b
}

func (h *Harness) admin(t testing.TB, method, path string, body []byte) *Reply {
	t.Helper()
	hdr := []string{"Authorization", "Bearer " + AdminToken}
	if body != nil {
		hdr = append(hdr, "Content-Type", "application/json")
	}
	return h.Do(t, method, h.URL+path, body, hdr...)
}

// wantSubscription decodes {"subscription": …} and checks the token is
// never in the answer.
func wantSubscription(t testing.TB, r *Reply, status int, token string) *payments.Subscription {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if token != "" && bytes.Contains(r.Body, []byte(token)) {
		t.Fatalf("the answer holds the token: %s", r.Body)
	}
	var out struct {
		Subscription *payments.Subscription `json:"subscription"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || out.Subscription == nil {
		t.Fatalf("no subscription in %s (%v)", r.Body, err)
	}
	return out.Subscription
}

func subscriptionsAuth(t *testing.T, h *Harness) {
	name := h.subscriptionName()
	body := subscriptionBody(name, "whatever")
	url := h.URL + "/subscriptions"
	WantError(t, h.Do(t, http.MethodPost, url, body, "Content-Type", "application/json"), http.StatusUnauthorized, "unauthenticated")
	WantError(t, h.Do(t, http.MethodPost, url, body, "Content-Type", "application/json", "Authorization", "Bearer "+ViewerToken),
		http.StatusForbidden, "forbidden")
	WantError(t, h.Do(t, http.MethodGet, url+"/some-id", nil), http.StatusUnauthorized, "unauthenticated")
	WantError(t, h.Do(t, http.MethodPost, url+"/some-id/disable", nil, "Authorization", "Bearer "+ViewerToken), http.StatusForbidden, "forbidden")
	if _, err := h.Env.Store.SubscriptionByName(testenv.Ctx(t), name); err == nil {
		t.Fatal("a refused request stored a subscription")
	}
	for _, c := range h.Env.Sim.Calls() {
		if bytes.Contains(c.Body, []byte(name)) {
			t.Fatalf("a refused request reached Midtrans: %s %s", c.Method, c.Path)
		}
	}
}

func subscriptionsLifecycle(t *testing.T, h *Harness) {
	token := h.savedCardToken(t)
	var ops []string
	h.Observe(t, func(r *adapters.Request) { ops = append(ops, r.Method) })
	sub := wantSubscription(t, h.admin(t, http.MethodPost, "/subscriptions", subscriptionBody(h.subscriptionName(), token)), http.StatusCreated, token)
	if sub.Status != payments.SubscriptionActive || sub.MidtransID == "" || sub.Amount != 49000 || sub.Schedule.MaxInterval != 6 {
		t.Fatalf("created %+v", sub)
	}
	if len(ops) != 1 {
		t.Fatalf("the Authorizer was asked %d times", len(ops))
	}
	// The same name again is a conflict.
	WantError(t, h.admin(t, http.MethodPost, "/subscriptions", subscriptionBody(sub.Name, token)), http.StatusConflict, "duplicate_subscription")

	got := wantSubscription(t, h.admin(t, http.MethodGet, "/subscriptions/"+sub.ID, nil), http.StatusOK, token)
	if got.ID != sub.ID || string(got.Metadata) != `{"plan":"gold"}` {
		t.Fatalf("viewed %+v", got)
	}
	up := wantSubscription(t, h.admin(t, http.MethodPatch, "/subscriptions/"+sub.ID, []byte(`{"amount":59000,"schedule":{"interval":2}}`)),
		http.StatusOK, token)
	if up.Amount != 59000 || up.Schedule.Interval != 2 {
		t.Fatalf("updated %+v", up)
	}
	if s, _ := h.Env.Sim.Subscription(sub.MidtransID); s.Amount != 59000 || s.Interval != 2 {
		t.Fatalf("simulator has %+v", s)
	}
	off := wantSubscription(t, h.admin(t, http.MethodPost, "/subscriptions/"+sub.ID+"/disable", nil), http.StatusOK, token)
	if off.Status != payments.SubscriptionInactive {
		t.Fatalf("disabled %+v", off)
	}
	if s, _ := h.Env.Sim.Subscription(sub.MidtransID); s.Status != "inactive" {
		t.Fatalf("simulator has %+v", s)
	}
	on := wantSubscription(t, h.admin(t, http.MethodPost, "/subscriptions/"+sub.ID+"/enable", []byte(`{}`)), http.StatusOK, token)
	if on.Status != payments.SubscriptionActive {
		t.Fatalf("enabled %+v", on)
	}
	wantSubscription(t, h.admin(t, http.MethodPost, "/subscriptions/"+sub.ID+"/sync", nil), http.StatusOK, token)
}

func subscriptionsBadInput(t *testing.T, h *Harness) {
	bad := []byte(`{"name":"has space","amount":-5,"payment_type":"ovo","token":"","schedule":{"interval":0,"interval_unit":"year"}}`)
	b := WantError(t, h.admin(t, http.MethodPost, "/subscriptions", bad), http.StatusUnprocessableEntity, "validation_failed")
	for _, f := range []string{"name", "amount", "payment_type", "token", "schedule.interval", "schedule.interval_unit"} {
		WantField(t, b, f)
	}
	b = WantError(t, h.admin(t, http.MethodPost, "/subscriptions", []byte(`{"name":"x","surprise":1}`)), http.StatusBadRequest, "unknown_field")
	WantField(t, b, "surprise")
	WantError(t, h.admin(t, http.MethodPost, "/subscriptions", []byte(`{`)), http.StatusBadRequest, "bad_request")
	WantError(t, h.admin(t, http.MethodPatch, "/subscriptions/whatever", []byte(`{}`)), http.StatusUnprocessableEntity, "validation_failed")
	WantError(t, h.Do(t, http.MethodPost, h.URL+"/subscriptions", []byte(`name=x`), "Authorization", "Bearer "+AdminToken,
		"Content-Type", "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType, "unsupported_media_type")
}

func subscriptionsUnknown(t *testing.T, h *Harness) {
	WantError(t, h.admin(t, http.MethodGet, "/subscriptions/no-such-subscription", nil), http.StatusNotFound, "not_found")
	WantError(t, h.admin(t, http.MethodPost, "/subscriptions/no-such-subscription/disable", nil), http.StatusNotFound, "not_found")
	WantError(t, h.admin(t, http.MethodPost, "/subscriptions/no-such-subscription/explode", nil), http.StatusNotFound, "unknown_operation")
	WantError(t, h.admin(t, http.MethodGet, "/subscriptions/bad%20id", nil), http.StatusBadRequest, "invalid_subscription_id")
}

func subscriptionsRecurringCharge(t *testing.T, h *Harness) {
	sim := h.Env.Sim
	sim.SetNotificationURL(h.URL + "/notifications")
	t.Cleanup(func() { sim.SetNotificationURL("") })
	token := h.savedCardToken(t)
	sub := wantSubscription(t, h.admin(t, http.MethodPost, "/subscriptions", subscriptionBody(h.subscriptionName(), token)), http.StatusCreated, token)
	tr, err := sim.ChargeSubscription(sub.MidtransID, midtranstest.RecurringApproved)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(testenv.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	p := h.Payment(t, tr.OrderID)
	if p.SubscriptionID != sub.ID || p.Outcome() != payments.OutcomePaid {
		t.Fatalf("recurring charge stored as %+v", p)
	}
}

func subscriptionsAbsent(t *testing.T, h *Harness) {
	base := h.Serve(t, h.API(t, adapters.WithOrderSource(h.Orders))) + "/payments"
	WantAbsent(t, h.Do(t, http.MethodPost, base+"/subscriptions", subscriptionBody("absent", "t"),
		"Content-Type", "application/json", "Authorization", "Bearer "+AdminToken))
	WantAbsent(t, h.Do(t, http.MethodGet, base+"/subscriptions/x", nil, "Authorization", "Bearer "+AdminToken))
}
