package midtrans

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

func TestSignatureVectors(t *testing.T) {
	// The example in Midtrans' notification docs (PHP).
	if got := Signature("1111", "200", "100000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg"); got != "edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b997ac178a236fcff35af263fc4d4c231" {
		t.Fatalf("docs vector: %s", got)
	}
	// Every synthetic notification was signed with SB-Mid-server-test.
	for _, name := range fixture.Glob(t, "recorded/synthetic/*.json") {
		n := fixture.Object(t, name)
		orderID, _ := n["order_id"].(string)
		code, _ := n["status_code"].(string)
		gross, _ := n["gross_amount"].(string)
		sig, _ := n["signature_key"].(string)
		if sig == "" {
			continue
		}
		if !VerifySignature(orderID, code, gross, sig, "SB-Mid-server-test") {
			t.Errorf("%s does not verify", name)
		}
		if !VerifySignature(orderID, code, gross, strings.ToUpper(sig), "SB-Mid-server-test") {
			t.Errorf("%s: upper-case hex refused", name)
		}
		if VerifySignature(orderID, code, gross, sig, "SB-Mid-server-other") {
			t.Errorf("%s verifies with another key", name)
		}
		if VerifySignature(orderID, code, gross+"0", sig, "SB-Mid-server-test") {
			t.Errorf("%s verifies with a tampered amount", name)
		}
	}
}

func TestClientSignatureKeepsKey(t *testing.T) {
	c, err := New(Config{ServerKey: testServerKey})
	if err != nil {
		t.Fatal(err)
	}
	sig := c.Signature("o-1", "200", "1000.00")
	if sig != Signature("o-1", "200", "1000.00", testServerKey) || !c.VerifySignature("o-1", "200", "1000.00", sig) {
		t.Fatal("client signature differs from Signature with its key")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		assertNoSecret(t, "client "+verb, fmt.Sprintf(verb, c))
	}
}

// TestParseNotificationWhitespace: ParseNotification accepts and refuses
// what json.Unmarshal does: JSON's own whitespace around the object, and
// not other space characters.
func TestParseNotificationWhitespace(t *testing.T) {
	const obj = `{"order_id":"o-1","transaction_status":"settlement"}`
	for _, body := range []string{obj, " \t\r\n" + obj + "\n ", "\v" + obj, obj + "\f", "\u00a0" + obj, obj + "\u2028", "", "null", "[]", obj + " x"} {
		var viaJSON TransactionResponse
		wantErr := json.Unmarshal([]byte(body), &viaJSON) != nil
		n, err := ParseNotification([]byte(body))
		if (err != nil) != wantErr {
			t.Errorf("ParseNotification(%q) = %v, json.Unmarshal refuses: %v", body, err, wantErr)
			continue
		}
		if err == nil && n.OrderID != viaJSON.OrderID {
			t.Errorf("ParseNotification(%q).OrderID = %q, json.Unmarshal %q", body, n.OrderID, viaJSON.OrderID)
		}
	}
}

// FuzzVerifySignature holds VerifySignature, which decodes the hex it is
// given, to its definition: the lower-case hex of the SHA-512, compared
// with the signature trimmed and lower-cased.
func FuzzVerifySignature(f *testing.F) {
	good := Signature("o-1", "200", "1000.00", testServerKey)
	for _, sig := range []string{good, strings.ToUpper(good), " " + good + "\n", good[:127], good + "0", "", "zz" + good[2:],
		strings.Repeat("0", 128), good[:64] + "G" + good[65:], "\u00e9" + good[2:]} {
		f.Add("o-1", "200", "1000.00", sig)
	}
	f.Fuzz(func(t *testing.T, orderID, code, gross, sig string) {
		want := Signature(orderID, code, gross, testServerKey) == strings.ToLower(strings.TrimSpace(sig))
		if got := VerifySignature(orderID, code, gross, sig, testServerKey); got != want {
			t.Fatalf("VerifySignature(%q, %q, %q, %q) = %v, want %v", orderID, code, gross, sig, got, want)
		}
		if VerifySignature(orderID, code, gross, Signature(orderID, code, gross, testServerKey), testServerKey) != true {
			t.Fatalf("its own signature refused: %q %q %q", orderID, code, gross)
		}
	})
}

// TestVerifySignatureAllocatesNothing: it runs on every notification.
func TestVerifySignatureAllocatesNothing(t *testing.T) {
	sig := Signature("order-2026-12-02-000123", "200", "150000.00", testServerKey)
	if n := testing.AllocsPerRun(100, func() {
		if !VerifySignature("order-2026-12-02-000123", "200", "150000.00", sig, testServerKey) {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Fatalf("%v allocations per call", n)
	}
}
