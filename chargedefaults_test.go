package payments_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtranstest"
)

// requestOf returns the body Midtrans received for orderID's charge or
// Snap transaction, decoded.
func requestOf(t *testing.T, sim *midtranstest.Server, orderID string) map[string]any {
	t.Helper()
	for _, c := range sim.Calls() {
		if c.Path != "/v2/charge" && c.Path != "/snap/v1/transactions" {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatal(err)
		}
		if td, _ := body["transaction_details"].(map[string]any); td["order_id"] == orderID {
			return body
		}
	}
	t.Fatalf("Midtrans received no charge for %s", orderID)
	return nil
}

func member(body map[string]any, path ...string) any {
	var v any = body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// TestChargeDefaultsReachMidtrans: the host's default expiry and callback
// URLs are in the requests Midtrans receives, where the method accepts
// them; a charge's own values win.
func TestChargeDefaultsReachMidtrans(t *testing.T) {
	defaults := payments.ChargeDefaults{
		Expiry:               2 * time.Hour,
		GoPayCallbackURL:     "https://shop.example/gopay-back",
		ShopeePayCallbackURL: "shopapp://shopeepay/back",
		DANACallbackURL:      "https://shop.example/dana-back",
	}
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{Options: []payments.Option{payments.WithChargeDefaults(defaults)}})
	ctx := testenv.Ctx(t)
	charge := func(req *payments.ChargeRequest) *payments.Payment {
		t.Helper()
		p, err := env.Service.CreateCharge(ctx, req)
		if err != nil {
			t.Fatalf("charge %s: %v", req.OrderID, err)
		}
		return p
	}

	p := charge(chargeReq("def-gopay", "gopay", nil))
	body := requestOf(t, env.Sim, "def-gopay")
	if member(body, "gopay", "callback_url") != defaults.GoPayCallbackURL || member(body, "gopay", "enable_callback") != true {
		t.Errorf("gopay object %v", body["gopay"])
	}
	if member(body, "custom_expiry", "expiry_duration") != float64(7200) || member(body, "custom_expiry", "unit") != "second" {
		t.Errorf("custom_expiry %v", body["custom_expiry"])
	}
	if d := p.ExpiresAt.Sub(p.CreatedAt); d < 119*time.Minute || d > 121*time.Minute {
		t.Errorf("gopay payment expires %v after creation, want the default 2h", d)
	}

	charge(chargeReq("def-shopee", "shopeepay", nil))
	if got := member(requestOf(t, env.Sim, "def-shopee"), "shopeepay", "callback_url"); got != defaults.ShopeePayCallbackURL {
		t.Errorf("shopeepay callback_url %v", got)
	}

	charge(chargeReq("def-dana", "dana", nil))
	body = requestOf(t, env.Sim, "def-dana")
	if member(body, "dana", "callback_url") != defaults.DANACallbackURL {
		t.Errorf("dana object %v", body["dana"])
	}
	if member(body, "expiry", "duration") != float64(120) || member(body, "expiry", "unit") != "minute" {
		t.Errorf("snap expiry %v", body["expiry"])
	}
	if body["gopay"] != nil || body["shopeepay"] != nil {
		t.Errorf("a DANA-only Snap page got other channels' callbacks: %v %v", body["gopay"], body["shopeepay"])
	}

	// Cards take no custom expiry: the default is left out, the charge goes through.
	charge(chargeReq("def-card", "credit_card", card("4811111111111114")))
	if ce := requestOf(t, env.Sim, "def-card")["custom_expiry"]; ce != nil {
		t.Errorf("card charge carries custom_expiry %v", ce)
	}
	// A VA has no callback: only the expiry applies.
	charge(chargeReq("def-va", "bca_va", nil))
	body = requestOf(t, env.Sim, "def-va")
	if member(body, "custom_expiry", "expiry_duration") != float64(7200) || body["gopay"] != nil {
		t.Errorf("bca_va request %v", body)
	}

	// The charge's own values win.
	own := chargeReq("def-own", "gopay", methods.GoPayOptions{CallbackURL: "myapp://paid"})
	own.Expiry = 30 * time.Minute
	charge(own)
	body = requestOf(t, env.Sim, "def-own")
	if member(body, "gopay", "callback_url") != "myapp://paid" || member(body, "custom_expiry", "expiry_duration") != float64(1800) {
		t.Errorf("own values lost: %v %v", body["gopay"], body["custom_expiry"])
	}
	if own.Expiry != 30*time.Minute {
		t.Error("CreateCharge changed the caller's request")
	}
	plain := chargeReq("def-plain", "bni_va", nil)
	charge(plain)
	if plain.Expiry != 0 {
		t.Error("CreateCharge wrote the default into the caller's request")
	}
}

// TestChargeDefaultsExpiryTooShortForDANA: a default under DANA's 15
// minutes is left out for DANA, which keeps its own, and still applies to
// GoPay.
func TestChargeDefaultsExpiryTooShortForDANA(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{Options: []payments.Option{
		payments.WithChargeDefaults(payments.ChargeDefaults{Expiry: 5 * time.Minute})}})
	ctx := testenv.Ctx(t)
	for _, m := range []string{"dana", "gopay"} {
		if _, err := env.Service.CreateCharge(ctx, chargeReq("short-"+m, m, nil)); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
	}
	if e := requestOf(t, env.Sim, "short-dana")["expiry"]; e != nil {
		t.Errorf("DANA got expiry %v", e)
	}
	if d := member(requestOf(t, env.Sim, "short-gopay"), "custom_expiry", "expiry_duration"); d != float64(300) {
		t.Errorf("GoPay expiry_duration %v", d)
	}
}

func TestChargeDefaultsRefused(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	for _, tc := range []struct {
		d     payments.ChargeDefaults
		field string
	}{
		{payments.ChargeDefaults{Expiry: 5 * time.Second}, "ChargeDefaults.Expiry"},
		{payments.ChargeDefaults{Expiry: -time.Minute}, "ChargeDefaults.Expiry"},
		{payments.ChargeDefaults{GoPayCallbackURL: "javascript:alert(1)"}, "ChargeDefaults.GoPayCallbackURL"},
		{payments.ChargeDefaults{ShopeePayCallbackURL: "https://"}, "ChargeDefaults.ShopeePayCallbackURL"},
		{payments.ChargeDefaults{DANACallbackURL: "back here"}, "ChargeDefaults.DANACallbackURL"},
	} {
		_, err := payments.New(env.Client, env.Store, payments.WithChargeDefaults(tc.d))
		var ve *payments.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: err = %v, want a validation error naming %s", tc.d, err, tc.field)
		}
	}
	if _, err := payments.New(env.Client, env.Store, payments.WithChargeDefaults(payments.ChargeDefaults{})); err != nil {
		t.Errorf("zero ChargeDefaults: %v", err)
	}
}
