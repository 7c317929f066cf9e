package midtranstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

// The card utilities' answers against the docs' samples.

// Samples from Midtrans' API reference pages that the fixtures lack.
const (
	// docs "Point Inquiry" response.
	pointInquirySample = `{"status_code":"200","status_message":"Success, Credit Card Point inquiry is successful",
	  "transaction_time":"2017-05-29 12:21:40","point_balance_amount":"10000.00"}`
	// docs "BIN API (Card Payment)" response.
	binSample = `{"data":{"country_name":"Indonesia","country_code":"id","brand":"visa","bin_type":"credit",
	  "bin_class":"gold","bin":"45563300","bank_code":"bca","bank":"bank central asia"}}`
	// midtrans-go's CardRegisterResponse members of a success (status_code,
	// saved_token_id, transaction_id, masked_card).
	registerSample = `{"status_code":"200","saved_token_id":"48111111xxxxxxxxxxxxxxxxxxxx1114",
	  "transaction_id":"0f5e5bb0-0b1c-4f0a-8b1b-0b0b0b0b0b0b","masked_card":"48111111-1114"}`
)

func sampleKeys(t *testing.T, sample string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(sample), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameKeys is compareKeys for a sample held in the test.
func sameKeys(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || jsonType(g) != jsonType(v) {
			t.Errorf("%s: key %q is %s, sample has %s", what, k, jsonType(got[k]), jsonType(v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: extra key %q", what, k)
		}
	}
}

func cardQuery(s *Server, number string) string {
	return "client_key=" + url.QueryEscape(s.ClientKey()) + "&card_number=" + number +
		"&card_exp_month=12&card_exp_year=2031&card_cvv=123"
}

func TestCardUtilityConformance(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	a.key = "" // the token and register calls carry no server key

	t.Run("token", func(t *testing.T) {
		code, got := a.doJSON("GET", "/v2/token?"+cardQuery(s, "4811111111111114"), nil)
		if code != http.StatusOK {
			t.Fatalf("HTTP %d %v", code, got)
		}
		compareKeys(t, got, "docs/card-token-response.json", nil, nil)
		code, got = a.doJSON("GET", "/v2/token?"+cardQuery(s, "4811111111111113"), nil)
		if code != http.StatusBadRequest {
			t.Fatalf("bad Luhn: HTTP %d", code)
		}
		compareKeys(t, got, "docs/card-token-error-400.json", nil, nil)
		want := fixture.Object(t, "docs/card-token-error-400.json")["validation_messages"]
		if b1, b2 := mustJSON(got["validation_messages"]), mustJSON(want); string(b1) != string(b2) {
			t.Errorf("validation_messages %s, sample %s", b1, b2)
		}
	})
	t.Run("register", func(t *testing.T) {
		code, got := a.doJSON("GET", "/v2/card/register?"+strings.Replace(cardQuery(s, "4811111111111114"), "&card_cvv=123", "", 1), nil)
		if code != http.StatusOK {
			t.Fatalf("HTTP %d %v", code, got)
		}
		sameKeys(t, "register", got, sampleKeys(t, registerSample))
		if tok := got["saved_token_id"].(string); len(tok) != 32 || !strings.HasPrefix(tok, "48111111") || !strings.HasSuffix(tok, "1114") {
			t.Errorf("saved_token_id %q is not 8 + 20 + 4 digits", tok)
		}
		if code, got := a.doJSON("GET", "/v2/card/register?"+cardQuery(s, "1234"), nil); code != http.StatusBadRequest || got["status_code"] != "400" {
			t.Errorf("bad card: HTTP %d %v", code, got)
		}
		if code, got := a.doJSON("GET", "/v2/card/register?card_number=4811111111111114&card_exp_month=12&card_exp_year=2031&client_key=wrong", nil); code != http.StatusUnauthorized || got["status_code"] != "401" {
			t.Errorf("wrong client key: HTTP %d %v", code, got)
		}
	})
	t.Run("point inquiry", func(t *testing.T) {
		b := newAPI(t, s)
		code, got := b.doJSON("GET", "/v2/point_inquiry/"+CardToken("4811111111111114")+"?gross_amount=10000", nil)
		if code != http.StatusOK {
			t.Fatalf("HTTP %d %v", code, got)
		}
		sameKeys(t, "point inquiry", got, sampleKeys(t, pointInquirySample))
		_, got = b.doJSON("GET", "/v2/point_inquiry/not-a-token", nil)
		compareKeys(t, got, "docs/error-411-token-invalid.json", nil, nil)
		a.key = ""
		if code, _ := a.doJSON("GET", "/v2/point_inquiry/"+CardToken("4811111111111114"), nil); code != http.StatusUnauthorized {
			t.Errorf("without the server key: HTTP %d", code)
		}
	})
	t.Run("bin", func(t *testing.T) {
		b := newAPI(t, s)
		b.key = s.ClientKey() // midtrans-go authenticates the BIN API with the client key
		code, got := b.doJSON("GET", "/v1/bins/45563300", nil)
		if code != http.StatusOK {
			t.Fatalf("HTTP %d %v", code, got)
		}
		sameKeys(t, "bin", got, sampleKeys(t, binSample))
		sameKeys(t, "bin data", got["data"].(map[string]any), sampleKeys(t, binSample)["data"].(map[string]any))
		b.key = s.ServerKey()
		if code, _ := b.doJSON("GET", "/v1/bins/45563300", nil); code != http.StatusUnauthorized {
			t.Errorf("BIN with the server key: HTTP %d", code)
		}
	})
}
