package midtrans_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nusapay/payments/midtrans"
)

func TestMaskPayload(t *testing.T) {
	got := string(midtrans.MaskPayload(json.RawMessage(`{"order_id":"A","gross_amount":150000.00,"signature_key":"abc",
		"nested":[{"signature_key":"def"}],"saved_token_id":"481111xyz","token_id":"tok-1"}`)))
	for _, secret := range []string{"abc", "def", "481111xyz", "tok-1"} {
		if strings.Contains(got, secret) {
			t.Errorf("MaskPayload kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "150000.00") || !strings.Contains(got, `"order_id":"A"`) || !strings.Contains(got, midtrans.Masked) {
		t.Errorf("MaskPayload: %s", got)
	}
	for _, bad := range []string{`not json signature_key=abc`, `{"a":1} {"signature_key":"abc"}`} {
		if got := string(midtrans.MaskPayload(json.RawMessage(bad))); strings.Contains(got, "abc") {
			t.Errorf("MaskPayload(%q) = %s", bad, got)
		}
	}
	if got := midtrans.MaskPayload(nil); got != nil {
		t.Errorf("MaskPayload(nil) = %s", got)
	}
}
