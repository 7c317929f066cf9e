package midtranstest

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments/internal/fixture"
)

func TestAuth(t *testing.T) {
	s := newSim(t, Config{})
	cases := []struct {
		name, key, method, path string
		snap                    bool
	}{
		{"charge without key", "", "POST", "/v2/charge", false},
		{"charge with wrong key", "SB-Mid-server-wrong", "POST", "/v2/charge", false},
		{"status with client key", s.ClientKey(), "GET", "/v2/x/status", false},
		{"cancel with wrong key", "nope", "POST", "/v2/x/cancel", false},
		{"snap without key", "", "POST", "/snap/v1/transactions", true},
		{"snap with wrong key", "SB-Mid-server-wrong", "POST", "/snap/v1/transactions", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newAPI(t, s)
			a.key = c.key
			code, m := a.doJSON(c.method, c.path, vaCharge("auth-1", 1000, "bca"))
			if code != http.StatusUnauthorized {
				t.Fatalf("HTTP %d, want 401", code)
			}
			if c.snap {
				msgs := m["error_messages"].([]any)
				if msgs[0] != msgUnauthorized {
					t.Errorf("body %v", m)
				}
				return
			}
			if m["status_code"] != "401" || m["status_message"] != msgUnauthorized || m["id"] == nil {
				t.Errorf("body %v", m)
			}
		})
	}
	if _, ok := s.Transaction("auth-1"); ok {
		t.Error("an unauthorized charge was processed")
	}
}

func TestDuplicateOrder(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	a.charge(vaCharge("dup-1", 1000, "bca"), "201")
	code, m := a.doJSON("POST", "/v2/charge", vaCharge("dup-1", 1000, "bni"))
	want := fixture.Object(t, "docs/error-406-duplicate-order-id.json")
	if code != http.StatusOK || m["status_code"] != "406" || m["status_message"] != want["status_message"] || m["id"] == nil {
		t.Errorf("HTTP %d %v", code, m)
	}
}

func TestUnknownID(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v2/nope/status"}, {"GET", "/v2/nope/status/b2b"}, {"POST", "/v2/nope/cancel"},
		{"POST", "/v2/nope/expire"}, {"POST", "/v2/nope/approve"}, {"POST", "/v2/nope/deny"},
		{"POST", "/v2/nope/refund"}, {"POST", "/v2/nope/refund/online/direct"},
	} {
		code, m := a.doJSON(c.method, c.path, nil)
		if code != http.StatusOK || m["status_code"] != "404" || m["status_message"] != msgNotFound {
			t.Errorf("%s %s: HTTP %d %v", c.method, c.path, code, m)
		}
	}
	code, m := a.doJSON("POST", "/v2/capture", map[string]any{"transaction_id": "nope", "gross_amount": 1000})
	if code != http.StatusOK || m["status_code"] != "404" {
		t.Errorf("capture: HTTP %d %v", code, m)
	}
}

func TestStatusLifecycle(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	status := func(id string) map[string]any {
		t.Helper()
		_, m := a.doJSON("GET", "/v2/"+url.PathEscape(id)+"/status", nil)
		if m["signature_key"] != Signature(m["order_id"].(string), m["status_code"].(string), m["gross_amount"].(string), s.ServerKey()) {
			t.Errorf("%s: bad signature_key in %v", id, m)
		}
		return m
	}
	check := func(m map[string]any, code, st string) {
		t.Helper()
		if m["status_code"] != code || m["transaction_status"] != st {
			t.Errorf("status_code %v transaction_status %v, want %s %s", m["status_code"], m["transaction_status"], code, st)
		}
	}
	ch := a.charge(vaCharge("life.1~x_y", 50000, "bri"), "201")
	check(status("life.1~x_y"), "201", "pending")
	check(status(ch["transaction_id"].(string)), "201", "pending")
	if err := s.Pay("life.1~x_y"); err != nil {
		t.Fatal(err)
	}
	m := status("life.1~x_y")
	check(m, "200", "settlement")
	if m["settlement_time"] == nil || m["status_message"] != "Success, transaction is found" {
		t.Errorf("settled status %v", m)
	}
	if err := s.Reverse("life.1~x_y"); err != nil {
		t.Fatal(err)
	}
	check(status("life.1~x_y"), "202", "deny")

	a.charge(vaCharge("life-2", 50000, "bni"), "201")
	a.doJSON("POST", "/v2/life-2/expire", nil)
	check(status("life-2"), "407", "expire")

	a.charge(vaCharge("life-3", 50000, "bni"), "201")
	a.doJSON("POST", "/v2/life-3/cancel", nil)
	check(status("life-3"), "202", "cancel")

	a.charge(cardCharge("life-4", 50000, "4511111111111117", nil), "201")
	check(status("life-4"), "201", "capture")
	if status("life-4")["fraud_status"] != "challenge" {
		t.Error("4511… is not challenged")
	}

	req := fixture.Object(t, "docs/charge-permata-metadata-request.json")
	req["transaction_details"].(map[string]any)["order_id"] = "life-5"
	for k, v := range fixture.Object(t, "docs/charge-permata-custom-fields-request.json") {
		if strings.HasPrefix(k, "custom_field") {
			req[k] = v
		}
	}
	a.charge(req, "201")
	m = status("life-5")
	if m["custom_field2"] != "custom field 2 content" || m["metadata"].(map[string]any)["put"] != "any" || m["permata_va_number"] == nil {
		t.Errorf("custom fields/metadata not echoed: %v", m)
	}

	_, b2b := a.doJSON("GET", "/v2/life-5/status/b2b", nil)
	if txs, _ := b2b["transactions"].([]any); b2b["status_code"] != "200" || len(txs) != 1 {
		t.Errorf("b2b %v", b2b)
	}
}

func TestCardOutcomes(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	cases := []struct {
		name, number string
		extra        map[string]any
		code, status string
		fraud        string
		respCode     string
	}{
		{"accept", "4811111111111114", nil, "200", "capture", "accept", "00"},
		{"accept mastercard", "5211111111111117", nil, "200", "capture", "accept", "00"},
		{"deny by bank", "4911111111111113", nil, "202", "deny", "accept", "05"},
		{"deny by bank mastercard", "5111111111111118", nil, "202", "deny", "accept", "05"},
		{"deny by FDS", "4611111111111116", nil, "202", "deny", "deny", "00"},
		{"challenge", "4511111111111117", nil, "201", "capture", "challenge", "00"},
		{"authorize", "4811111111111114", map[string]any{"type": "authorize"}, "200", "authorize", "accept", "00"},
		{"RC 51 over 30000", "4806000000000081", nil, "202", "deny", "accept", "51"},
		{"3DS pending", "4811111111111114", map[string]any{"authentication": true}, "201", "pending", "", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "card-" + string(rune('a'+i))
			m := a.charge(cardCharge(id, 50000, c.number, c.extra), c.code)
			if m["transaction_status"] != c.status || m["fraud_status"] != nilIfEmpty(c.fraud) || m["channel_response_code"] != nilIfEmpty(c.respCode) {
				t.Errorf("answer %v", m)
			}
			if m["masked_card"] != c.number[:8]+"-"+c.number[12:] {
				t.Errorf("masked_card %v", m["masked_card"])
			}
			_, hasApproval := m["approval_code"]
			if hasApproval != (c.status == "capture" || c.status == "authorize") {
				t.Errorf("approval_code present=%v for %s", hasApproval, c.status)
			}
		})
	}
	t.Run("3DS completed by Pay", func(t *testing.T) {
		for _, c := range []struct{ number, typ, want, fraud string }{
			{"4811111111111114", "", "capture", "accept"},
			{"4811111111111114", "authorize", "authorize", "accept"},
			{"4911111111111113", "", "deny", "accept"},
		} {
			id := "3ds-" + c.number + c.typ
			m := a.charge(cardCharge(id, 50000, c.number, map[string]any{"authentication": true, "type": c.typ}), "201")
			if !strings.HasPrefix(m["redirect_url"].(string), s.URL()) {
				t.Errorf("redirect_url %v", m["redirect_url"])
			}
			if err := s.Pay(id); err != nil {
				t.Fatal(err)
			}
			tr, _ := s.Transaction(id)
			if tr.Status != c.want || tr.FraudStatus != c.fraud {
				t.Errorf("%s after Pay: %s/%s, want %s/%s", id, tr.Status, tr.FraudStatus, c.want, c.fraud)
			}
		}
	})
	t.Run("token 411", func(t *testing.T) {
		for i, tok := range []any{nil, "", "< your token ID >", fixture.Object(t, "docs/card-token-response.json")["token_id"], CardToken("1234")} {
			req := cardCharge("t411-"+string(rune('a'+i)), 1000, "4811111111111114", nil)
			if tok == nil {
				delete(req, "credit_card")
			} else {
				req["credit_card"].(map[string]any)["token_id"] = tok
			}
			code, m := a.doJSON("POST", "/v2/charge", req)
			if code != http.StatusOK || m["status_code"] != "411" || m["status_message"] != msgTokenInvalid {
				t.Errorf("token %v: HTTP %d %v", tok, code, m)
			}
		}
	})
	t.Run("saved token", func(t *testing.T) {
		m := a.charge(cardCharge("saved-1", 1000, "4911111111111113", map[string]any{"save_token_id": true}), "202")
		saved := m["saved_token_id"].(string)
		if len(saved) != 32 || !strings.HasPrefix(saved, "49111111") || !strings.HasSuffix(saved, "1113") {
			t.Fatalf("saved_token_id %q", saved)
		}
		req := cardCharge("saved-2", 1000, "", nil)
		req["credit_card"] = map[string]any{"token_id": saved}
		a.charge(req, "202") // still the bank-denied card
	})
	t.Run("browser tokenization", func(t *testing.T) {
		q := url.Values{"client_key": {s.ClientKey()}, "card_number": {"4811 1111 1111 1114"}, "card_exp_month": {"12"},
			"card_exp_year": {"2030"}, "card_cvv": {"123"}}
		code, m := a.doJSON("GET", "/v2/token?"+q.Encode(), nil)
		if code != http.StatusOK || m["status_code"] != "200" {
			t.Fatalf("HTTP %d %v", code, m)
		}
		a.charge(map[string]any{"payment_type": "credit_card", "transaction_details": map[string]any{"order_id": "tok-1", "gross_amount": 1000},
			"credit_card": map[string]any{"token_id": m["token_id"]}}, "200")
		q.Set("card_number", "4811111111111115")
		if code, m := a.doJSON("GET", "/v2/token?"+q.Encode(), nil); code != http.StatusBadRequest || m["validation_messages"].([]any)[0] != "card_number does not match with luhn algorithm" {
			t.Errorf("luhn: HTTP %d %v", code, m)
		}
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestWrongState(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	a.charge(vaCharge("ws-va", 10000, "bca"), "201")
	a.charge(cardCharge("ws-card", 10000, "4811111111111114", nil), "200")
	a.charge(cardCharge("ws-settled", 10000, "4811111111111114", nil), "200")
	if err := s.Settle("ws-settled"); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, msg string }{
		{"/v2/ws-va/approve", msgCannotModify},
		{"/v2/ws-card/approve", msgCannotModify},
		{"/v2/ws-card/deny", msgCannotModify},
		{"/v2/ws-settled/cancel", msgCannotModify},
		{"/v2/ws-settled/expire", msgCannotUpdate},
		{"/v2/ws-card/expire", msgCannotUpdate},
		{"/v2/ws-va/refund", msgCannotModify},
		{"/v2/ws-card/refund", msgCannotModify}, // captured, not settled: cancel instead
		{"/v2/ws-va/refund/online/direct", msgCannotModify},
	}
	for _, c := range cases {
		code, m := a.doJSON("POST", c.path, nil)
		if code != http.StatusOK || m["status_code"] != "412" || m["status_message"] != c.msg {
			t.Errorf("%s: HTTP %d %v", c.path, code, m)
		}
	}
	// bank transfers, bill payments and stores have no API refund
	if err := s.Pay("ws-va"); err != nil {
		t.Fatal(err)
	}
	if _, m := a.doJSON("POST", "/v2/ws-va/refund", nil); m["status_code"] != "412" {
		t.Errorf("VA refund: %v", m)
	}
}

func TestRefunds(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	settledCard(t, s, a, "rf-1", 10000)

	code, first := a.do("POST", "/v2/rf-1/refund", map[string]any{"refund_key": "k1", "amount": 4000})
	if code != http.StatusOK {
		t.Fatal(code)
	}
	_, replay := a.do("POST", "/v2/rf-1/refund", map[string]any{"refund_key": "k1", "amount": 4000, "reason": "again"})
	if string(replay) != string(first) {
		t.Errorf("same refund_key replay differs:\n%s\n%s", first, replay)
	}
	if _, m := a.doJSON("POST", "/v2/rf-1/refund", map[string]any{"refund_key": "k1", "amount": 3000}); m["status_code"] != "406" || m["status_message"] != msgDupRefund {
		t.Errorf("same key, other amount: %v", m)
	}
	if _, m := a.doJSON("POST", "/v2/rf-1/refund", map[string]any{"refund_key": "k2", "amount": 7000}); m["status_code"] != "414" || m["status_message"] != msgRefundAmount {
		t.Errorf("over-refund: %v", m)
	}
	_, m := a.doJSON("POST", "/v2/rf-1/refund", map[string]any{"refund_key": "k3"}) // the rest
	if m["transaction_status"] != "refund" || m["refund_amount"] != "6000.00" {
		t.Errorf("refund of the rest: %v", m)
	}
	_, st := a.doJSON("GET", "/v2/rf-1/status", nil)
	if st["refund_amount"] != "10000.00" || len(st["refunds"].([]any)) != 2 || st["transaction_status"] != "refund" {
		t.Errorf("status after refunds: %v", st)
	}
	if tr, _ := s.Transaction("rf-1"); tr.RefundedAmount != 10000 {
		t.Errorf("RefundedAmount %d", tr.RefundedAmount)
	}

	// ShopeePay (and OVO) refunds are full only
	req := fixture.Object(t, "docs/charge-shopeepay-request.json")
	a.charge(req, "201")
	if err := s.Pay("test-order-shopeepay-001"); err != nil {
		t.Fatal(err)
	}
	if _, m := a.doJSON("POST", "/v2/test-order-shopeepay-001/refund", map[string]any{"amount": 1000}); m["status_code"] != "414" {
		t.Errorf("ShopeePay partial: %v", m)
	}
	if _, m := a.doJSON("POST", "/v2/test-order-shopeepay-001/refund", nil); m["status_code"] != "200" || m["transaction_status"] != "refund" {
		t.Errorf("ShopeePay full: %v", m)
	}
}

func TestCapture(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	m := a.charge(cardCharge("cap-1", 100000, "4811111111111114", map[string]any{"type": "authorize"}), "200")
	txID := m["transaction_id"].(string)
	cases := []struct {
		name string
		body map[string]any
		code int
		want string
	}{
		{"by order_id", map[string]any{"transaction_id": "cap-1"}, http.StatusOK, "404"},
		{"over the authorized amount", map[string]any{"transaction_id": txID, "gross_amount": 100001}, http.StatusBadRequest, "400"},
		{"missing transaction_id", map[string]any{}, http.StatusBadRequest, "400"},
		{"full", map[string]any{"transaction_id": txID}, http.StatusOK, "200"},
		{"again", map[string]any{"transaction_id": txID}, http.StatusOK, "412"},
	}
	for _, c := range cases {
		code, got := a.doJSON("POST", "/v2/capture", c.body)
		if code != c.code || got["status_code"] != c.want {
			t.Errorf("%s: HTTP %d %v", c.name, code, got)
		}
	}
	a.charge(cardCharge("cap-2", 100000, "4811111111111114", nil), "200")
	if _, got := a.doJSON("POST", "/v2/capture", map[string]any{"transaction_id": mustTx(t, s, "cap-2")}); got["status_code"] != "412" {
		t.Errorf("capture of a capture: %v", got)
	}
}

func mustTx(t *testing.T, s *Server, id string) string {
	t.Helper()
	tr, ok := s.Transaction(id)
	if !ok {
		t.Fatalf("no transaction %s", id)
	}
	return tr.TransactionID
}

func TestCancelFreesOrderID(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	first := a.charge(vaCharge("free-1", 10000, "bca"), "201")
	if _, m := a.doJSON("POST", "/v2/free-1/cancel", nil); m["status_code"] != "200" {
		t.Fatalf("cancel: %v", m)
	}
	second := a.charge(vaCharge("free-1", 10000, "bni"), "201")
	if first["transaction_id"] == second["transaction_id"] {
		t.Error("reused order got the same transaction_id")
	}
	// the cancelled one is still reachable by its transaction_id
	if _, m := a.doJSON("GET", "/v2/"+first["transaction_id"].(string)+"/status", nil); m["transaction_status"] != "cancel" {
		t.Errorf("old transaction: %v", m)
	}
	// a cancelled capture does not free its order id
	a.charge(cardCharge("free-2", 10000, "4811111111111114", nil), "200")
	a.doJSON("POST", "/v2/free-2/cancel", nil)
	a.charge(cardCharge("free-2", 10000, "4811111111111114", nil), "406")
}

func TestInstructions(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	custom := func(id, bank, va string) map[string]any {
		req := vaCharge(id, 10000, bank)
		req["bank_transfer"].(map[string]any)["va_number"] = va
		return req
	}
	m := a.charge(custom("ins-1", "bca", "123"), "201")
	va := m["va_numbers"].([]any)[0].(map[string]any)["va_number"].(string)
	if !strings.HasSuffix(va, "00000000123") {
		t.Errorf("short custom VA not zero-padded: %s", va)
	}
	m = a.charge(custom("ins-2", "bni", "123456789012"), "201")
	if va := m["va_numbers"].([]any)[0].(map[string]any)["va_number"].(string); !strings.HasSuffix(va, "12345678") || len(va) != 16 {
		t.Errorf("long custom VA not trimmed: %s", va)
	}
	// the same custom number while the first is pending → Midtrans picks another one
	m = a.charge(custom("ins-3", "bca", "123"), "201")
	if other := m["va_numbers"].([]any)[0].(map[string]any)["va_number"].(string); other == va {
		t.Errorf("VA %s handed out twice", other)
	}
	req := fixture.Object(t, "docs/charge-echannel-request.json")
	req["transaction_details"].(map[string]any)["order_id"] = "ins-4"
	req["echannel"] = fixture.Object(t, "docs/object-echannel-custom-bill-key.json")["echannel"]
	m = a.charge(req, "201")
	if m["bill_key"] != "081211111111" || m["biller_code"] != "70012" {
		t.Errorf("echannel %v", m)
	}
	// custom_expiry honoured
	exp := fixture.Object(t, "docs/charge-permata-custom-expiry-request.json")
	exp["transaction_details"].(map[string]any)["order_id"] = "ins-5"
	exp["custom_expiry"] = map[string]any{"expiry_duration": 60, "unit": "minute"}
	m = a.charge(exp, "201")
	tt, _ := time.ParseInLocation(timeLayout, m["transaction_time"].(string), wib())
	et, _ := time.ParseInLocation(timeLayout, m["expiry_time"].(string), wib())
	if et.Sub(tt) != time.Hour {
		t.Errorf("custom expiry: %v → %v", tt, et)
	}
	// default expiries
	for _, c := range []struct {
		req  map[string]any
		want time.Duration
	}{
		{vaCharge("ins-6", 1000, "cimb"), 24 * time.Hour},
		{map[string]any{"payment_type": "gopay", "transaction_details": map[string]any{"order_id": "ins-7", "gross_amount": 1000}}, 15 * time.Minute},
		{map[string]any{"payment_type": "ovo", "transaction_details": map[string]any{"order_id": "ins-8", "gross_amount": 1000}, "ovo": map[string]any{"payer_phone_number": "0811"}}, 65 * time.Second},
	} {
		tr := a.charge(c.req, "201")
		id := tr["order_id"].(string)
		snap, _ := s.Transaction(id)
		created, _ := time.ParseInLocation(timeLayout, tr["transaction_time"].(string), wib())
		if d := snap.ExpiryTime.Sub(created); d < c.want || d > c.want+time.Second {
			t.Errorf("%s: expiry after %v, want %v", id, d, c.want)
		}
	}
}

func TestClockExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newSim(t, Config{Now: clock})
	a := newAPI(t, s)
	m := a.charge(map[string]any{"payment_type": "gopay", "transaction_details": map[string]any{"order_id": "clk-1", "gross_amount": 1000}}, "201")
	if m["transaction_time"] != "2026-01-02 10:04:05" || m["expiry_time"] != "2026-01-02 10:19:05" {
		t.Errorf("times not in Jakarta: %v %v", m["transaction_time"], m["expiry_time"])
	}
	mu.Lock()
	now = now.Add(16 * time.Minute)
	mu.Unlock()
	if _, m := a.doJSON("GET", "/v2/clk-1/status", nil); m["transaction_status"] != "expire" || m["status_code"] != "407" {
		t.Errorf("after expiry: %v", m)
	}
}

func TestSnapFlow(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	create := func(id string, enabled ...string) map[string]any {
		t.Helper()
		body := map[string]any{"transaction_details": map[string]any{"order_id": id, "gross_amount": 20000}}
		if len(enabled) > 0 {
			body["enabled_payments"] = enabled
		}
		code, m := a.doJSON("POST", "/snap/v1/transactions", body)
		if code != http.StatusCreated {
			t.Fatalf("snap create: HTTP %d %v", code, m)
		}
		return m
	}
	create("snap-1", "bca_va", "gopay")
	if _, m := a.doJSON("GET", "/v2/snap-1/status", nil); m["status_code"] != "404" {
		t.Errorf("status before a method is chosen: %v", m)
	}
	if tr, ok := s.Transaction("snap-1"); !ok || !tr.Snap || tr.Status != "" {
		t.Errorf("snapshot before choice: %+v %v", tr, ok)
	}
	if err := s.SelectSnapPayment("snap-1", "shopeepay"); !errors.Is(err, ErrInvalidState) {
		t.Errorf("not enabled: %v", err)
	}
	if err := s.SelectSnapPayment("snap-1", "bank_transfer"); err != nil {
		t.Fatal(err)
	}
	_, m := a.doJSON("GET", "/v2/snap-1/status", nil)
	if m["status_code"] != "201" || m["va_numbers"].([]any)[0].(map[string]any)["bank"] != "bca" {
		t.Errorf("after choosing: %v", m)
	}
	if err := s.Pay("snap-1"); err != nil {
		t.Fatal(err)
	}

	// Pay on an order without a method picks the first enabled one.
	create("snap-2", "other_qris", "gopay")
	if err := s.Pay("snap-2"); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.Transaction("snap-2"); tr.PaymentType != "qris" || tr.Status != "settlement" || tr.QRString == "" {
		t.Errorf("snap-2: %+v", tr)
	}

	// DANA: status only by transaction_id, which is DANA-style.
	create("snap-3", "dana")
	if err := s.SelectSnapPayment("snap-3", "dana"); err != nil {
		t.Fatal(err)
	}
	tr, _ := s.Transaction("snap-3")
	if !regexp.MustCompile(`^A1\d{14}[A-Z0-9]{10}ID$`).MatchString(tr.TransactionID) {
		t.Errorf("DANA transaction_id %q", tr.TransactionID)
	}
	if _, m := a.doJSON("GET", "/v2/snap-3/status", nil); m["status_code"] != "404" {
		t.Errorf("DANA by order_id: %v", m)
	}
	if _, m := a.doJSON("GET", "/v2/"+tr.TransactionID+"/status", nil, "transaction-source", "SNAP_API"); m["status_code"] != "201" || m["payment_type"] != "dana" {
		t.Errorf("DANA by transaction_id: %v", m)
	}
	calls := s.Calls()
	if last := calls[len(calls)-1]; last.Header.Get("Transaction-Source") != "SNAP_API" {
		t.Errorf("Calls lost the transaction-source header: %+v", last)
	}

	// Snap card with type authorize ends authorized.
	code, _ := a.doJSON("POST", "/snap/v1/transactions", map[string]any{"transaction_details": map[string]any{"order_id": "snap-4", "gross_amount": 20000},
		"enabled_payments": []string{"credit_card"}, "credit_card": map[string]any{"type": "authorize", "secure": true}})
	if code != http.StatusCreated {
		t.Fatal(code)
	}
	if err := s.Pay("snap-4"); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.Transaction("snap-4"); tr.Status != "authorize" {
		t.Errorf("snap-4 %+v", tr)
	}
	waitIdle(t, s)
	if n := len(k.received()); n < 5 {
		t.Errorf("only %d notifications for the Snap flows", n)
	}
}

func TestControlErrors(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	a.charge(vaCharge("ce-1", 10000, "bca"), "201")
	for name, f := range map[string]func(string) error{
		"Pay": s.Pay, "Settle": s.Settle, "Expire": s.Expire, "Deny": s.Deny, "Cancel": s.Cancel, "Reverse": s.Reverse,
		"Challenge": s.Challenge, "Notify": s.Notify,
		"Refund":     func(id string) error { return s.Refund(id, 0) },
		"Chargeback": func(id string) error { return s.Chargeback(id, 0) },
	} {
		if err := f("missing"); !errors.Is(err, ErrUnknownTransaction) {
			t.Errorf("%s(missing) = %v", name, err)
		}
	}
	for name, f := range map[string]func(string) error{
		"Settle": s.Settle, "Reverse": s.Reverse, "Challenge": s.Challenge,
		"Refund":     func(id string) error { return s.Refund(id, 0) },
		"Chargeback": func(id string) error { return s.Chargeback(id, 0) },
	} {
		err := f("ce-1")
		if !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), `from "pending"`) {
			t.Errorf("%s(pending) = %v", name, err)
		}
	}
	if err := s.Pay("ce-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund("ce-1", 20000); !errors.Is(err, ErrInvalidAmount) {
		t.Errorf("over-refund: %v", err)
	}
	if err := s.Chargeback("ce-1", 4000); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.Transaction("ce-1"); tr.Status != "partial_chargeback" {
		t.Errorf("after partial chargeback: %s", tr.Status)
	}
	if err := s.Chargeback("ce-1", 0); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.Transaction("ce-1"); tr.Status != "chargeback" {
		t.Errorf("after chargeback: %s", tr.Status)
	}
	// Challenge → approve via API
	a.charge(cardCharge("ce-2", 10000, "4811111111111114", nil), "200")
	if err := s.Challenge("ce-2"); err != nil {
		t.Fatal(err)
	}
	if _, m := a.doJSON("POST", "/v2/ce-2/approve", nil); m["fraud_status"] != "accept" || m["transaction_status"] != "capture" {
		t.Errorf("approve: %v", m)
	}
}
