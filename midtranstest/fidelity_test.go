package midtranstest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

// Answers the docs describe, produced on demand, and payment types taught
// by Config.PaymentTypes.

// notificationsOf returns the notifications the sink received for orderID, by
// transaction_status (the last one of each).
func notificationsOf(k *sink, orderID string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, n := range k.received() {
		if n["order_id"] == orderID {
			out[fmt.Sprint(n["transaction_status"])] = n
		}
	}
	return out
}

func TestGoPayShapes(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	for _, id := range []string{"gp-paid", "gp-expired"} {
		req := fixture.Object(t, "docs/charge-gopay-request.json")
		req["transaction_details"].(map[string]any)["order_id"] = id
		got := a.charge(req, "201")
		// As in the docs sample: no fraud_status while pending.
		if _, has := got["fraud_status"]; has {
			t.Errorf("pending GoPay charge answer has fraud_status %v", got["fraud_status"])
		}
	}
	if err := s.Pay("gp-paid"); err != nil {
		t.Fatal(err)
	}
	if err := s.Expire("gp-expired"); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	paid, expired := notificationsOf(k, "gp-paid"), notificationsOf(k, "gp-expired")
	// Pending and expire notifications carry neither fraud_status nor payment_option_type,
	// as the samples; merchant_id, currency and expiry_time are in every newer answer.
	compareKeys(t, paid["pending"], "docs/notification-gopay-pending.json", []string{"merchant_id", "currency", "expiry_time"}, nil)
	compareKeys(t, expired["expire"], "docs/notification-gopay-expire.json", []string{"merchant_id", "currency", "expiry_time"}, nil)
	if st := paid["settlement"]; st["fraud_status"] != "accept" || st["payment_option_type"] != "GOPAY_WALLET" {
		t.Errorf("settlement notification %v", st)
	}
	_, status := a.doJSON("GET", "/v2/gp-paid/status", nil)
	if status["payment_option_type"] != "GOPAY_WALLET" {
		t.Errorf("settled status lacks payment_option_type: %v", status)
	}
}

func TestShopeePayReferencesStable(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	req := fixture.Object(t, "docs/charge-shopeepay-request.json")
	req["transaction_details"].(map[string]any)["order_id"] = "sp-1"
	a.charge(req, "201")
	waitIdle(t, s)
	if pending := notificationsOf(k, "sp-1")["pending"]; pending["reference_id"] != nil || pending["shopeepay_reference_number"] != nil {
		t.Errorf("pending notification has settlement references: %v", pending)
	}
	compareKeys(t, notificationsOf(k, "sp-1")["pending"], "docs/notification-shopeepay-pending.json", []string{"expiry_time"}, nil)
	if err := s.Pay("sp-1"); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	n := notificationsOf(k, "sp-1")["settlement"]
	_, status := a.doJSON("GET", "/v2/sp-1/status", nil)
	ref, num := fmt.Sprint(n["reference_id"]), fmt.Sprint(n["shopeepay_reference_number"])
	if !strings.HasPrefix(ref, "DL-") || len(num) != 18 || !isDigits(num) {
		t.Fatalf("settlement references %q %q", ref, num)
	}
	if status["reference_id"] != ref || status["shopeepay_reference_number"] != num {
		t.Errorf("status references %v %v differ from the notification's %s %s", status["reference_id"], status["shopeepay_reference_number"], ref, num)
	}
}

func TestCardCaptureStatus(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	charged := a.charge(cardCharge("cc-cap", 30000, "4811111111111114", nil), "200")
	_, got := a.doJSON("GET", "/v2/cc-cap/status", nil)
	if got["channel"] != charged["channel"] || got["expiry_time"] != charged["expiry_time"] || got["channel"] == nil {
		t.Errorf("status channel/expiry_time %v %v, charge answer %v %v", got["channel"], got["expiry_time"], charged["channel"], charged["expiry_time"])
	}
	// The capture status sample is a kitchen sink with e-wallet fields no card
	// answer carries; merchant_id, currency and eci are in the other card status
	// sample, on_us in card charge answers, channel and expiry_time in the capture answer.
	compareKeys(t, got, "docs/status-credit-card-capture.json",
		[]string{"merchant_id", "currency", "eci", "on_us", "channel", "expiry_time"},
		[]string{"payment_option_type", "shopeepay_reference_number", "reference_id", "merchant_cross_reference_id"})
	waitIdle(t, s)
	// Notifications keep the capture notification sample's shape: no channel, no expiry_time.
	compareKeys(t, notificationsOf(k, "cc-cap")["capture"], "docs/notification-credit-card-capture.json", []string{"on_us"}, nil)
	// Settled, the status sample's shape again.
	if err := s.Settle("cc-cap"); err != nil {
		t.Fatal(err)
	}
	_, got = a.doJSON("GET", "/v2/cc-cap/status", nil)
	compareKeys(t, got, "docs/status-credit-card-settlement.json", []string{"on_us"},
		[]string{"three_ds_version", "challenge_completion"}) // a charge without 3-D Secure
}

func TestDocumentedRefusals(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	refused := func(t *testing.T, req map[string]any, code, msg string) map[string]any {
		t.Helper()
		hs, got := a.doJSON("POST", "/v2/charge", req)
		if hs != http.StatusOK || got["status_code"] != code || got["status_message"] != msg {
			t.Fatalf("HTTP %d %v, want body %s %q", hs, got, code, msg)
		}
		id := req["transaction_details"].(map[string]any)["order_id"].(string)
		if _, ok := s.Transaction(id); ok {
			t.Fatalf("a refused charge created transaction %s", id)
		}
		return got
	}
	t.Run("3DS1 card", func(t *testing.T) {
		for _, n := range []string{"4723249479082225", "5555666677771111"} {
			got := refused(t, cardCharge("3ds1-"+n[:4], 30000, n, map[string]any{"authentication": true}), "402", msg3DS1)
			compareKeys(t, got, "docs/error-402-payment-channel-not-activated.json", nil, nil)
		}
		// The order id is still free: a 3DS 2 card goes through.
		a.charge(cardCharge("3ds1-4723", 30000, "4811111111111114", nil), "200")
	})
	t.Run("channel not activated", func(t *testing.T) {
		s.DisableChannel("gopay")
		req := fixture.Object(t, "docs/charge-gopay-request.json")
		req["transaction_details"].(map[string]any)["order_id"] = "off-1"
		got := refused(t, req, "402", msgChannelInactive)
		compareKeys(t, got, "docs/error-402-payment-channel-not-activated.json", nil, nil)
		a.charge(vaCharge("off-va", 10000, "bca"), "201") // other channels stay on
		s.EnableChannel("gopay")
		a.charge(req, "201")
	})
	t.Run("unknown OVO phone", func(t *testing.T) {
		for i, phone := range ovoUnknownPhones {
			req := map[string]any{"payment_type": "ovo",
				"transaction_details": map[string]any{"order_id": fmt.Sprintf("ovo-x-%d", i), "gross_amount": 15000},
				"ovo":                 map[string]any{"payer_phone_number": phone}}
			got := refused(t, req, "404", msgOVOUnknownPhone)
			if got["id"] == nil {
				t.Errorf("404 lacks the trace id: %v", got)
			}
		}
	})
}

func TestPaymentTypesHook(t *testing.T) {
	k := newSink(t, http.StatusOK)
	var mu sync.Mutex // the hook runs on the simulator's goroutines
	var views []ChargeView
	seen := func() []ChargeView { mu.Lock(); defer mu.Unlock(); return slices.Clone(views) }
	s := newSim(t, Config{NotificationURL: k.srv.URL, PaymentTypes: map[string]PaymentTypeFunc{
		"acme_wallet": func(v ChargeView) (map[string]any, error) {
			mu.Lock()
			views = append(views, v)
			mu.Unlock()
			if v.Object["account"] == "" || v.Object["account"] == nil {
				return nil, errors.New("acme_wallet.account is required")
			}
			return map[string]any{
				"acme_reference": "ACME-" + v.OrderID,
				"actions":        []map[string]any{{"name": "deeplink-redirect", "method": "GET", "url": v.BaseURL + "/acme/" + v.TransactionID}},
				"status_code":    "999", // the simulator's own fields are never replaced
			}, nil
		},
		"bank_transfer": func(ChargeView) (map[string]any, error) { return map[string]any{"never": true}, nil },
	}})
	a := newAPI(t, s)
	req := map[string]any{"payment_type": "acme_wallet",
		"transaction_details": map[string]any{"order_id": "acme-1", "gross_amount": 20000},
		"acme_wallet":         map[string]any{"account": "0811"}}
	got := a.charge(req, "201")
	if got["transaction_status"] != "pending" || got["acme_reference"] != "ACME-acme-1" || got["payment_type"] != "acme_wallet" ||
		got["status_message"] != "acme_wallet transaction is created" {
		t.Fatalf("charge answer %v", got)
	}
	if v := seen(); len(v) != 1 || v[0].TransactionID != got["transaction_id"] || v[0].GrossAmount != 20000 || len(v[0].Request) == 0 {
		t.Fatalf("hook saw %+v", v)
	}
	acts, _ := got["actions"].([]any)
	if len(acts) != 1 || !strings.HasPrefix(acts[0].(map[string]any)["url"].(string), s.URL()+"/acme/") {
		t.Errorf("actions %v", got["actions"])
	}
	if err := s.Pay("acme-1"); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	n := notificationsOf(k, "acme-1")["settlement"]
	if n == nil || n["acme_reference"] != "ACME-acme-1" || n["status_code"] != "200" ||
		n["signature_key"] != Signature("acme-1", "200", "20000.00", s.ServerKey()) {
		t.Fatalf("settlement notification %v", n)
	}
	// The hook's error is a validation error; nothing is created.
	bad := clone(req)
	bad["transaction_details"].(map[string]any)["order_id"] = "acme-2"
	bad["acme_wallet"] = map[string]any{}
	code, m := a.doJSON("POST", "/v2/charge", bad)
	if code != http.StatusBadRequest || m["status_code"] != "400" || fmt.Sprint(m["validation_messages"]) != "[acme_wallet.account is required]" {
		t.Fatalf("refused by the hook: HTTP %d %v", code, m)
	}
	if _, ok := s.Transaction("acme-2"); ok {
		t.Fatal("the refused charge exists")
	}
	// Common validation still runs first, without calling the hook.
	calls := len(seen())
	bad["transaction_details"].(map[string]any)["gross_amount"] = 0
	if code, _ := a.doJSON("POST", "/v2/charge", bad); code != http.StatusBadRequest || len(seen()) != calls {
		t.Fatalf("invalid amount: HTTP %d, hook calls %d→%d", code, calls, len(seen()))
	}
	// Known types ignore their entry; unknown types without one are still refused.
	if got := a.charge(vaCharge("acme-va", 10000, "bca"), "201"); got["never"] != nil {
		t.Errorf("hook ran for a known type: %v", got)
	}
	code, m = a.doJSON("POST", "/v2/charge", map[string]any{"payment_type": "other_wallet",
		"transaction_details": map[string]any{"order_id": "acme-3", "gross_amount": 1000}})
	if code != http.StatusBadRequest || fmt.Sprint(m["validation_messages"]) != `[payment_type "other_wallet" is not supported]` {
		t.Fatalf("unknown type: HTTP %d %v", code, m)
	}
}

func TestStatusB2BPaging(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	a.charge(vaCharge("b2b-1", 10000, "bni"), "201")
	for _, tc := range []struct {
		query string
		n     int
	}{{"", 1}, {"?page=0&per_page=10", 1}, {"?page=0&per_page=1", 1}, {"?page=1&per_page=1", 0}, {"?page=3", 0}} {
		code, m := a.doJSON("GET", "/v2/b2b-1/status/b2b"+tc.query, nil)
		txs, isList := m["transactions"].([]any)
		if code != 200 || m["status_code"] != "200" || !isList || len(txs) != tc.n {
			t.Errorf("%s: HTTP %d %v, want %d transactions", tc.query, code, m, tc.n)
		}
	}
	for _, q := range []string{"?page=-1", "?per_page=0", "?page=x"} {
		if code, m := a.doJSON("GET", "/v2/b2b-1/status/b2b"+q, nil); code != http.StatusBadRequest || m["status_code"] != "400" {
			t.Errorf("%s: HTTP %d %v", q, code, m)
		}
	}
	if _, m := a.doJSON("GET", "/v2/nope/status/b2b?page=0", nil); m["status_code"] != "404" {
		t.Errorf("unknown id: %v", m)
	}
}
