package midtrans

import (
	"bytes"
	"encoding/json"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

// decodeFixtures lists every fixture that holds one Core API answer or
// notification.
func decodeFixtures(t testing.TB) []string {
	var names []string
	for _, pattern := range []string{
		"docs/*-response.json", "docs/status-*.json", "docs/notification-*.json", "docs/error-*.json",
		"recorded/charge-*.json", "recorded/notification-*.json", "recorded/php-test-*.json",
		"recorded/synthetic/*.json",
	} {
		names = append(names, fixture.Glob(t, pattern)...)
	}
	return names
}

// TestDecodeFixtures decodes every sample answer and checks that each
// string member landed, as its literal text, in the field of that name.
func TestDecodeFixtures(t *testing.T) {
	for _, name := range decodeFixtures(t) {
		t.Run(name, func(t *testing.T) {
			data := fixture.Bytes(t, name)
			var r TransactionResponse
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !bytes.Equal(r.Raw, bytes.TrimSpace(data)) {
				t.Errorf("Raw is not the input")
			}
			members := map[string]json.RawMessage{}
			if err := json.Unmarshal(data, &members); err != nil {
				t.Fatal(err)
			}
			rv := reflect.ValueOf(r)
			for i := range rv.NumField() {
				f := rv.Type().Field(i)
				name := jsonName(f)
				raw, ok := members[name]
				if !ok || f.Type.Kind() != reflect.String {
					continue
				}
				var want string
				switch {
				case raw[0] == '"':
					if err := json.Unmarshal(raw, &want); err != nil {
						t.Fatal(err)
					}
				case string(raw) == "null":
				default:
					want = string(raw) // a number keeps its literal text
				}
				if got := rv.Field(i).String(); got != want {
					t.Errorf("%s = %q, want %q", f.Name, got, want)
				}
			}
		})
	}
}

func TestDecodeSpotChecks(t *testing.T) {
	decode := func(t *testing.T, data []byte) *TransactionResponse {
		t.Helper()
		var r TransactionResponse
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("decode: %v", err)
		}
		return &r
	}
	file := func(t *testing.T, name string) *TransactionResponse {
		t.Helper()
		return decode(t, fixture.Bytes(t, name))
	}
	boolPtr := func(b bool) *bool { return &b }

	tests := []struct {
		name  string
		r     func(t *testing.T) *TransactionResponse
		check func(t *testing.T, r *TransactionResponse)
	}{
		{"installment term as string", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/charge-credit-card-installment-response.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if r.InstallmentTerm != "6" {
				t.Errorf("InstallmentTerm = %q", r.InstallmentTerm)
			}
		}},
		{"installment term as number (notification)", func(t *testing.T) *TransactionResponse {
			return decode(t, []byte(`{"installment_term":6,"status_code":201,"point_redeem_amount":0,"gross_amount":145000.00}`))
		}, func(t *testing.T, r *TransactionResponse) {
			if r.InstallmentTerm != "6" || r.StatusCode != "201" || r.GrossAmount != "145000.00" {
				t.Errorf("InstallmentTerm %q StatusCode %q GrossAmount %q", r.InstallmentTerm, r.StatusCode, r.GrossAmount)
			}
		}},
		{"refund chargeback id as number", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/direct-refund-rejected-response.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if r.RefundChargebackID != "47594" || r.StatusCode != "202" || r.TransactionStatus != "settlement" {
				t.Errorf("RefundChargebackID %q StatusCode %q status %q", r.RefundChargebackID, r.StatusCode, r.TransactionStatus)
			}
		}},
		{"refunds list", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/notification-partial-refund.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if len(r.Refunds) != 2 || r.Refunds[1].RefundChargebackID != "2" || r.Refunds[1].RefundMethod != "offline" || r.RefundAmount != "12000.00" {
				t.Errorf("Refunds = %+v, RefundAmount %q", r.Refunds, r.RefundAmount)
			}
		}},
		{"qris expire_time spelling", func(t *testing.T) *TransactionResponse {
			return decode(t, []byte(`{"status_code":"201","payment_type":"qris","qr_string":"0002010102","acquirer":"gopay","expire_time":"2023-01-05 11:01:39"}`))
		}, func(t *testing.T, r *TransactionResponse) {
			if r.ExpiryTime != "2023-01-05 11:01:39" || r.QRString != "0002010102" || r.Acquirer != "gopay" {
				t.Errorf("ExpiryTime %q QRString %q Acquirer %q", r.ExpiryTime, r.QRString, r.Acquirer)
			}
		}},
		{"expiry_time wins over expire_time", func(t *testing.T) *TransactionResponse {
			return decode(t, []byte(`{"expiry_time":"2023-01-05 11:00:00","expire_time":"2023-01-05 12:00:00"}`))
		}, func(t *testing.T, r *TransactionResponse) {
			if r.ExpiryTime != "2023-01-05 11:00:00" {
				t.Errorf("ExpiryTime = %q", r.ExpiryTime)
			}
		}},
		{"on_us true", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/charge-credit-card-3ds-response.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if !reflect.DeepEqual(r.OnUs, boolPtr(true)) || r.ThreeDSVersion != "2" || r.RedirectURL == "" {
				t.Errorf("OnUs %v ThreeDSVersion %q RedirectURL %q", r.OnUs, r.ThreeDSVersion, r.RedirectURL)
			}
		}},
		{"on_us false and challenge", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/notification-credit-card-challenge.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if !reflect.DeepEqual(r.OnUs, boolPtr(false)) || r.FraudStatus != "challenge" || r.TransactionStatus != "capture" {
				t.Errorf("OnUs %v FraudStatus %q", r.OnUs, r.FraudStatus)
			}
		}},
		{"on_us absent", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/charge-bca-response.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if r.OnUs != nil || r.ChallengeCompletion != nil {
				t.Errorf("OnUs %v ChallengeCompletion %v", r.OnUs, r.ChallengeCompletion)
			}
			if len(r.VANumbers) != 1 || r.VANumbers[0] != (VANumber{Bank: "bca", VANumber: "812785002530231"}) {
				t.Errorf("VANumbers = %+v", r.VANumbers)
			}
		}},
		{"challenge_completion spelling", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/status-credit-card-settlement.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if !reflect.DeepEqual(r.ChallengeCompletion, boolPtr(true)) || r.ECI != "05" {
				t.Errorf("ChallengeCompletion %v ECI %q", r.ChallengeCompletion, r.ECI)
			}
		}},
		{"three_ds_challenge_completion spelling", func(t *testing.T) *TransactionResponse {
			return decode(t, []byte(`{"three_ds_challenge_completion":"false","challenge_completion":true}`))
		}, func(t *testing.T, r *TransactionResponse) {
			if !reflect.DeepEqual(r.ChallengeCompletion, boolPtr(false)) {
				t.Errorf("ChallengeCompletion %v", r.ChallengeCompletion)
			}
		}},
		{"actions by name", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/charge-gopay-response.json")
		}, func(t *testing.T, r *TransactionResponse) {
			a, ok := r.Action("deeplink-redirect")
			if !ok || a.Method != "GET" || !strings.HasPrefix(a.URL, "gojek://") {
				t.Errorf("deeplink-redirect = %+v, %v", a, ok)
			}
			if a, ok := r.Action("cancel"); !ok || a.Method != "POST" || a.Fields == nil || len(a.Fields) != 0 {
				t.Errorf("cancel = %+v, %v", a, ok)
			}
			if _, ok := r.Action("generate-qr-code-v2"); !ok {
				t.Errorf("generate-qr-code-v2 missing")
			}
			if _, ok := r.Action("nope"); ok {
				t.Errorf("found an action that does not exist")
			}
		}},
		{"dana upper-case status", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/status-dana-pending.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if r.TransactionStatus != "PENDING" || r.ExpiryTime != "2025-11-03 13:00:47" {
				t.Errorf("TransactionStatus %q ExpiryTime %q", r.TransactionStatus, r.ExpiryTime)
			}
		}},
		{"payment amounts", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/notification-bni-va-settlement.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if len(r.PaymentAmounts) != 1 || r.PaymentAmounts[0] != (PaymentAmount{PaidAt: "2021-06-23 11:42:02", Amount: "150000.00"}) {
				t.Errorf("PaymentAmounts = %+v", r.PaymentAmounts)
			}
		}},
		{"metadata kept raw", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/notification-credit-card-metadata.json")
		}, func(t *testing.T, r *TransactionResponse) {
			var m map[string]any
			if err := json.Unmarshal(r.Metadata, &m); err != nil || len(m) == 0 {
				t.Errorf("Metadata = %s (%v)", r.Metadata, err)
			}
		}},
		{"validation messages", func(t *testing.T) *TransactionResponse {
			return file(t, "docs/error-400-custom-expiry-below-threshold.json")
		}, func(t *testing.T, r *TransactionResponse) {
			if !reflect.DeepEqual(r.ValidationMessages, []string{"custom_expiry is below minimum threshold"}) || r.ID == "" {
				t.Errorf("ValidationMessages %q ID %q", r.ValidationMessages, r.ID)
			}
		}},
		{"nulls leave fields empty", func(t *testing.T) *TransactionResponse {
			return decode(t, []byte(`{"status_code":null,"on_us":null,"va_numbers":null,"metadata":null,"actions":[{"name":null,"fields":[1,"a"]}]}`))
		}, func(t *testing.T, r *TransactionResponse) {
			if r.StatusCode != "" || r.OnUs != nil || r.VANumbers != nil || r.Metadata != nil {
				t.Errorf("%+v", r)
			}
			if len(r.Actions) != 1 || !reflect.DeepEqual(r.Actions[0].Fields, []string{"1", "a"}) {
				t.Errorf("Actions = %+v", r.Actions)
			}
		}},
		{"unknown fields ignored", func(t *testing.T) *TransactionResponse {
			return decode(t, []byte(`{"transaction_status":"settlement","brand_new":{"x":[1,2]},"point_redeem_quantity":3}`))
		}, func(t *testing.T, r *TransactionResponse) {
			if r.TransactionStatus != "settlement" {
				t.Errorf("TransactionStatus = %q", r.TransactionStatus)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, tt.r(t)) })
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{
		`[]`, `"x"`, `{"status_code":{}}`, `{"order_id":true}`, `{"on_us":"maybe"}`, `{"va_numbers":"x"}`, `{`,
	} {
		t.Run(in, func(t *testing.T) {
			var r TransactionResponse
			if err := json.Unmarshal([]byte(in), &r); err == nil {
				t.Errorf("decoded %s without error: %+v", in, r)
			}
		})
	}
}

func TestDecodeB2BAndSnap(t *testing.T) {
	var b B2BStatusResponse
	in := `{"status_code":"200","status_message":"Success, transactions are retrieved","transactions":[{"order_id":"child-1","transaction_status":"settlement","payment_amounts":[{"paid_at":"2024-01-01 10:00:00","amount":"5000.00"}]},{"order_id":"child-2","gross_amount":7000}]}`
	if err := json.Unmarshal([]byte(in), &b); err != nil {
		t.Fatal(err)
	}
	if b.StatusCode != "200" || len(b.Transactions) != 2 || b.Transactions[1].GrossAmount != "7000" || b.Transactions[0].PaymentAmounts[0].Amount != "5000.00" {
		t.Errorf("%+v", b)
	}
	if string(b.Transactions[0].Raw) == "" || string(b.Raw) != in {
		t.Errorf("Raw not kept")
	}

	for _, name := range fixture.Glob(t, "docs/snap-create-transaction-response*.json") {
		t.Run(path.Base(name), func(t *testing.T) {
			var s SnapResponse
			if err := json.Unmarshal(fixture.Bytes(t, name), &s); err != nil {
				t.Fatal(err)
			}
			if s.Token == "" || !strings.HasPrefix(s.RedirectURL, "https://app.sandbox.midtrans.com/snap/") {
				t.Errorf("%+v", s)
			}
		})
	}
}

// TestFlexStringDecodesAsEncodingJSON: the shortcut for plain strings and
// the full decoder agree on every kind of JSON string.
func TestFlexStringDecodesAsEncodingJSON(t *testing.T) {
	for _, lit := range []string{
		`""`, `"pending"`, `"145000.00"`, `"2019-10-23 16:33:49"`, `"~ !#"`,
		`"a\"b"`, `"a\\b"`, `"\u00e9t\u00e9"`, `"été"`, `"line\nbreak"`, `"\/"`, "\"\xff\"", "\"tab\there\"", "\"\x7f\"",
	} {
		t.Run(lit, func(t *testing.T) {
			var want string
			if err := json.Unmarshal([]byte(lit), &want); err != nil {
				// Not valid JSON (a raw tab): the full decoder must refuse it too.
				var s flexString
				if s.UnmarshalJSON([]byte(lit)) == nil {
					t.Fatalf("accepted %q, which encoding/json refuses", lit)
				}
				return
			}
			var s flexString
			if err := s.UnmarshalJSON([]byte(lit)); err != nil {
				t.Fatal(err)
			}
			if string(s) != want {
				t.Fatalf("got %q, want %q", s, want)
			}
		})
	}
}
