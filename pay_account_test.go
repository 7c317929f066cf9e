package payments_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
)

// webhook serves env's routes (the notification route among them) and
// points the simulator's notifications at it.
func webhook(t *testing.T, env *testenv.Env, h *notify.Handler) {
	t.Helper()
	api, err := adapters.New(env.Service, adapters.WithNotifyHandler(h))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nethttp.Handler(api))
	t.Cleanup(srv.Close)
	env.Sim.SetNotificationURL(srv.URL + "/payments/notifications")
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *payments.ValidationError
	if !errors.As(err, &ve) || !ve.Has(field) {
		t.Fatalf("want a *ValidationError naming %s, got %v", field, err)
	}
}

func gopayCharge(orderID string, amount payments.Amount, o methods.GoPayOptions) *payments.ChargeRequest {
	return &payments.ChargeRequest{OrderID: orderID, Method: "gopay", Amount: amount, Options: o}
}

// TestGoPayTokenization: link → the customer confirms → the linking
// notification stores the account enabled with its balance → a charge
// from it through CreateCharge, with only the account id from the host,
// is paid at once → unlink → charges are refused before anything is
// stored or sent.
func TestGoPayTokenization(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc, sim := env.Service, env.Sim
		h, err := notify.New(svc)
		if err != nil {
			t.Fatal(err)
		}
		webhook(t, env, h)

		calls := len(sim.Calls())
		for _, bad := range []struct {
			l     *payments.LinkGoPayAccountRequest
			field string
		}{
			{&payments.LinkGoPayAccountRequest{PhoneNumber: "81212345678", CountryCode: "62"}, "customer_id"},
			{&payments.LinkGoPayAccountRequest{CustomerID: "cust-1", PhoneNumber: "081212345678", CountryCode: "62"}, "phone_number"},
			{&payments.LinkGoPayAccountRequest{CustomerID: "cust-1", PhoneNumber: "81212345678", CountryCode: "+62"}, "country_code"},
			{&payments.LinkGoPayAccountRequest{CustomerID: "cust-1", PhoneNumber: "81212345678", CountryCode: "62", RedirectURL: "javascript:alert(1)"}, "redirect_url"},
			{nil, "customer_id"},
		} {
			_, err := svc.LinkGoPayAccount(ctx, bad.l)
			wantField(t, err, bad.field)
		}
		if len(sim.Calls()) != calls {
			t.Fatal("an invalid link reached Midtrans")
		}

		a, err := svc.LinkGoPayAccount(ctx, &payments.LinkGoPayAccountRequest{CustomerID: "cust-1", PhoneNumber: "81212345678",
			CountryCode: "62", RedirectURL: "https://shop.example/gopay/linked"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != payments.PayAccountPending || a.AccountID == "" || a.ActivationURL == "" || a.CustomerID != "cust-1" ||
			a.Account != svc.Account() {
			t.Fatalf("linked: %+v", a)
		}
		if got, err := svc.PaymentAccount(ctx, "cust-1"); err != nil || got.AccountID != a.AccountID {
			t.Fatalf("the customer's account: %+v, %v", got, err)
		}
		if _, err := svc.PaymentAccount(ctx, "nobody"); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("nobody's account: %v", err)
		}

		// Pending: not chargeable yet; nothing stored or sent.
		linked := methods.GoPayOptions{AccountID: a.AccountID, CustomerID: "cust-1"}
		_, err = svc.CreateCharge(ctx, gopayCharge("tok-pending", 150000, linked))
		wantField(t, err, "options.account_id")
		if _, err := svc.Payment(ctx, "tok-pending"); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("a refused charge was stored: %v", err)
		}

		// The customer confirms on the activation page; the linking
		// notification arrives and is confirmed with Midtrans.
		browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := browser.Post(a.ActivationURL, "application/x-www-form-urlencoded", strings.NewReader("action=confirm"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/gopay/linked" {
			t.Errorf("activation page answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		for _, d := range sim.Deliveries() {
			if d.StatusCode != http.StatusOK {
				t.Errorf("notification answered %d: %s", d.StatusCode, d.Body)
			}
		}
		a, err = svc.PaymentAccountByID(ctx, a.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		wallet, ok := a.Option(payments.DefaultPaymentOption)
		simAcct, _ := sim.PayAccount(a.AccountID)
		if a.Status != payments.PayAccountEnabled || !ok || wallet.Balance != midtranstest.DefaultWalletBalance ||
			wallet.Token.Reveal() != simAcct.Tokens["GOPAY_WALLET"] || a.ActivationURL != "" {
			t.Fatalf("after the linking notification: %+v", a)
		}
		token := wallet.Token.Reveal()
		if s := fmt.Sprintf("%v %+v %#v %s", a, a, a, mustJSON(t, a)); strings.Contains(s, token) {
			t.Errorf("the account shows its token when printed: %s", s)
		}

		// Another customer cannot charge it; an unknown account is named.
		_, err = svc.CreateCharge(ctx, gopayCharge("tok-other", 150000, methods.GoPayOptions{AccountID: a.AccountID, CustomerID: "cust-2"}))
		wantField(t, err, "options.account_id")
		_, err = svc.CreateCharge(ctx, gopayCharge("tok-unknown", 150000, methods.GoPayOptions{AccountID: "no-such-account", CustomerID: "cust-1"}))
		wantField(t, err, "options.account_id")
		_, err = svc.CreateCharge(ctx, gopayCharge("tok-option", 150000, methods.GoPayOptions{AccountID: a.AccountID, CustomerID: "cust-1", PaymentOption: "GOPAY_COINS"}))
		wantField(t, err, "options.payment_option")

		// The charge: the host names the account, the Service adds the token.
		p, err := svc.CreateCharge(ctx, gopayCharge("tok-1", 150000, linked))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != payments.StatusSettlement || !p.Paid() || p.Instructions.DeeplinkURL != "" {
			t.Fatalf("charge from the linked account: %s", show(p))
		}
		var sent struct {
			GoPay midtrans.GoPay `json:"gopay"`
		}
		var last midtranstest.Call
		for _, c := range sim.Calls() {
			if c.Path == "/v2/charge" {
				last = c
			}
		}
		if err := json.Unmarshal(last.Body, &sent); err != nil || sent.GoPay.PaymentOptionToken != token || sent.GoPay.AccountID != a.AccountID {
			t.Errorf("the charge sent gopay %+v, %v", sent.GoPay, err)
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.Payment(ctx, "tok-1"); err != nil || !p.Paid() {
			t.Fatalf("after the settlement notification: %s, %v", show(p), err)
		}
		// The token is kept with the account only.
		for table, column := range map[string]string{"nusapay_payments": "charge_response", "nusapay_payment_events": "payload",
			"nusapay_inbox": "body", "nusapay_outbox": "payload"} {
			var n int
			if err := env.DB.NewRaw("SELECT count(*) FROM "+table+" WHERE "+column+" LIKE ?", "%"+token+"%").Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s.%s holds the token in %d rows", table, column, n)
			}
		}

		a, err = svc.RefreshPaymentAccount(ctx, a.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		if w, _ := a.Option(payments.DefaultPaymentOption); w.Balance != midtranstest.DefaultWalletBalance-150000 {
			t.Errorf("balance after the charge: %s", w.Balance)
		}

		// Beyond the balance: Midtrans denies it, and the payment says so.
		if err := sim.SetPayAccountBalance(a.AccountID, "GOPAY_WALLET", 1000); err != nil {
			t.Fatal(err)
		}
		if p, err := svc.CreateCharge(ctx, gopayCharge("tok-poor", 150000, linked)); err != nil || p.Status != payments.StatusDeny || p.Paid() {
			t.Errorf("charge beyond the balance: %s, %v", show(p), err)
		}

		// Unlink: only the owner; then the account charges nothing.
		if _, err := svc.UnlinkGoPayAccount(ctx, "cust-2", a.AccountID); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("another customer unlinked it: %v", err)
		}
		a, err = svc.UnlinkGoPayAccount(ctx, "cust-1", a.AccountID)
		if err != nil || a.Status != payments.PayAccountDisabled || len(a.Options) != 0 {
			t.Fatalf("unlink: %+v, %v", a, err)
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		calls = len(sim.Calls())
		_, err = svc.CreateCharge(ctx, gopayCharge("tok-2", 150000, linked))
		wantField(t, err, "options.account_id")
		if _, err := svc.Payment(ctx, "tok-2"); !errors.Is(err, payments.ErrNotFound) || len(sim.Calls()) != calls {
			t.Errorf("a charge from an unlinked account was stored or sent: %v", err)
		}
		// A replayed linking notification does not bring it back.
		if r := h.Handle(ctx, notify.SignedPaymentAccount(sim.ServerKey(), a.AccountID, "ENABLED", "200")); r.Kind != notify.Processed {
			t.Errorf("replayed linking notification: %+v", r)
		}
		if got, _ := svc.PaymentAccountByID(ctx, a.AccountID); got.Status != payments.PayAccountDisabled {
			t.Errorf("a replayed notification revived the account: %+v", got)
		}
	})
}

// TestGoPayAccountNotifications: unlinking from the GoPay app reaches the
// stored account; forged, unknown and malformed pay account notifications
// change nothing.
func TestGoPayAccountNotifications(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc, sim := env.Service, env.Sim
		h, err := notify.New(svc)
		if err != nil {
			t.Fatal(err)
		}
		webhook(t, env, h)
		a, err := svc.LinkGoPayAccount(ctx, &payments.LinkGoPayAccountRequest{CustomerID: "cust-9", PhoneNumber: "81299998888", CountryCode: "62"})
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.ActivatePayAccount(a.AccountID); err != nil {
			t.Fatal(err)
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.PaymentAccountByID(ctx, a.AccountID); err != nil || got.Status != payments.PayAccountEnabled {
			t.Fatalf("enabled: %+v, %v", got, err)
		}

		forged := notify.SignedPaymentAccount("SB-Mid-server-wrong", a.AccountID, "DISABLED", "204")
		if r := h.Handle(ctx, forged); r.Kind != notify.Rejected || !errors.Is(r.Err, notify.ErrInvalidSignature) {
			t.Errorf("forged: %+v", r)
		}
		if r := h.Handle(ctx, notify.SignedPaymentAccount(sim.ServerKey(), "unknown-account", "DISABLED", "204")); r.Kind != notify.Ignored {
			t.Errorf("unknown account: %+v", r)
		}
		if r := h.Handle(ctx, []byte(`{"account_id":"x","signature_key":"abc"}`)); r.Kind != notify.Rejected || !errors.Is(r.Err, notify.ErrMalformed) {
			t.Errorf("malformed: %+v", r)
		}
		if got, _ := svc.PaymentAccountByID(ctx, a.AccountID); got.Status != payments.PayAccountEnabled {
			t.Fatalf("a refused notification changed the account: %+v", got)
		}

		// A transient failure confirming an enabling is Retry, not lost.
		sim.FailNext(3, 503)
		if r := h.Handle(ctx, notify.SignedPaymentAccount(sim.ServerKey(), a.AccountID, "ENABLED", "200")); r.Kind != notify.Retry {
			t.Errorf("confirmation failed: %+v", r)
		}

		if err := sim.DisablePayAccount(a.AccountID); err != nil {
			t.Fatal(err)
		}
		if err := sim.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := svc.PaymentAccountByID(ctx, a.AccountID)
		if err != nil || got.Status != payments.PayAccountDisabled || len(got.Options) != 0 {
			t.Fatalf("after unlinking in the app: %+v, %v", got, err)
		}
		if h.Rejected() != 1 {
			t.Errorf("rejected count %d, want 1", h.Rejected())
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGoPayAccountUnlinkedUnnoticed: unlinked in the GoPay app while the
// notification never arrives; the next charge is refused by Midtrans, the
// payment fails, and the account is refreshed to disabled, so the charge
// after it is refused before anything is stored or sent.
func TestGoPayAccountUnlinkedUnnoticed(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc, sim := env.Service, env.Sim
		a, err := svc.LinkGoPayAccount(ctx, &payments.LinkGoPayAccountRequest{CustomerID: "cust-5", PhoneNumber: "81255556666", CountryCode: "62"})
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.ActivatePayAccount(a.AccountID); err != nil {
			t.Fatal(err)
		}
		if a, err = svc.RefreshPaymentAccount(ctx, a.AccountID); err != nil || a.Status != payments.PayAccountEnabled {
			t.Fatalf("refresh: %+v, %v", a, err)
		}
		if err := sim.DisablePayAccount(a.AccountID); err != nil { // no notification URL: nobody hears of it
			t.Fatal(err)
		}
		linked := methods.GoPayOptions{AccountID: a.AccountID, CustomerID: "cust-5"}
		p, err := svc.CreateCharge(ctx, gopayCharge("unnoticed-1", 50000, linked))
		if !errors.Is(err, midtrans.ErrValidation) || p == nil || p.Status != payments.StatusFailure {
			t.Fatalf("charge with a revoked token: %s, %v", show(p), err)
		}
		if got, err := svc.PaymentAccountByID(ctx, a.AccountID); err != nil || got.Status != payments.PayAccountDisabled {
			t.Fatalf("after the refusal: %+v, %v", got, err)
		}
		calls := len(sim.Calls())
		_, err = svc.CreateCharge(ctx, gopayCharge("unnoticed-2", 50000, linked))
		wantField(t, err, "options.account_id")
		if len(sim.Calls()) != calls {
			t.Error("the second charge reached Midtrans")
		}
	})
}

// TestGoPayLinkAgain: linking a number that is linked already returns the
// customer's own account, and is refused to anyone else.
func TestGoPayLinkAgain(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc, sim := env.Service, env.Sim
		req := &payments.LinkGoPayAccountRequest{CustomerID: "cust-7", PhoneNumber: "81277778888", CountryCode: "62"}
		a, err := svc.LinkGoPayAccount(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.ActivatePayAccount(a.AccountID); err != nil {
			t.Fatal(err)
		}
		again, err := svc.LinkGoPayAccount(ctx, req)
		if err != nil || again.AccountID != a.AccountID || again.Status != payments.PayAccountEnabled || len(again.Options) == 0 {
			t.Fatalf("link again: %+v, %v", again, err)
		}
		thief := *req
		thief.CustomerID = "cust-8"
		if _, err := svc.LinkGoPayAccount(ctx, &thief); !errors.Is(err, payments.ErrConflict) {
			t.Errorf("another customer linking the same number: %v", err)
		}
		if _, err := svc.PaymentAccount(ctx, "cust-8"); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("the other customer got an account: %v", err)
		}
	})
}
