package payments_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

func TestPlanPaymentAccount(t *testing.T) {
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	pending := &payments.PaymentAccount{AccountID: "acc", CustomerID: "c", Status: payments.PayAccountPending, Version: 1,
		ActivationURL: "https://x/link"}
	enable := &payments.PaymentAccountChange{AccountID: "acc", Status: payments.PayAccountEnabled, HasOptions: true,
		Options: []payments.PayAccountOption{{Name: "GOPAY_WALLET", Active: true, Balance: 1000, Token: "tok"}}}

	next, changed, err := payments.PlanPaymentAccount(pending, enable, now)
	if err != nil || !changed || next.Status != payments.PayAccountEnabled || next.Version != 2 || !next.UpdatedAt.Equal(now) ||
		next.ActivationURL != "" || len(next.Options) != 1 || pending.Status != payments.PayAccountPending {
		t.Fatalf("enable: %+v, %v, %v (stored %+v)", next, changed, err, pending)
	}
	if _, changed, _ := payments.PlanPaymentAccount(next, enable, now); changed {
		t.Error("the same report twice changed the account")
	}
	// A report without options keeps them; one with other balances replaces them.
	same, changed, _ := payments.PlanPaymentAccount(next, &payments.PaymentAccountChange{AccountID: "acc", Status: payments.PayAccountEnabled}, now)
	if changed || len(same.Options) != 1 {
		t.Errorf("enabled without options: %+v, %v", same, changed)
	}
	spent := *enable
	spent.Options = []payments.PayAccountOption{{Name: "GOPAY_WALLET", Active: true, Balance: 400, Token: "tok"}}
	if got, changed, _ := payments.PlanPaymentAccount(next, &spent, now); !changed || got.Options[0].Balance != 400 || got.Version != 3 {
		t.Errorf("new balance: %+v, %v", got, changed)
	}
	disabled, changed, err := payments.PlanPaymentAccount(next, &payments.PaymentAccountChange{AccountID: "acc", Status: payments.PayAccountDisabled}, now)
	if err != nil || !changed || disabled.Status != payments.PayAccountDisabled || len(disabled.Options) != 0 {
		t.Fatalf("disable: %+v, %v, %v", disabled, changed, err)
	}
	for _, final := range []payments.PayAccountStatus{payments.PayAccountDisabled, payments.PayAccountExpired} {
		stored := &payments.PaymentAccount{AccountID: "acc", Status: final, Version: 4}
		if got, changed, err := payments.PlanPaymentAccount(stored, enable, now); err != nil || changed || got.Status != final {
			t.Errorf("%s revived: %+v, %v, %v", final, got, changed, err)
		}
	}
	if _, _, err := payments.PlanPaymentAccount(pending, &payments.PaymentAccountChange{AccountID: "acc", Status: "LINKED"}, now); err == nil {
		t.Error("an unknown status was planned")
	}
	if _, _, err := payments.PlanPaymentAccount(pending, &payments.PaymentAccountChange{AccountID: "other", Status: payments.PayAccountEnabled}, now); err == nil {
		t.Error("a change for another account was planned")
	}
	if _, _, err := payments.PlanPaymentAccount(nil, enable, now); err == nil {
		t.Error("a nil account was planned")
	}
}

func TestPaymentAccountChangeFrom(t *testing.T) {
	var r midtrans.PaymentAccountResponse
	body := `{"status_code":"200","payment_type":"gopay","account_id":"acc","account_status":"ENABLED","metadata":{"payment_options":[
		{"name":"GOPAY_WALLET","active":true,"balance":{"value":"1000000.00","currency":"IDR"},"metadata":{},"token":"eyJ0"},
		{"name":"PAY_LATER","active":true,"balance":{"value":"350000.00","currency":"IDR"},"metadata":{},"token":"eyJ1"}]}}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	c, err := payments.PaymentAccountChangeFrom(&r, payments.SourceSync)
	if err != nil || c.Status != payments.PayAccountEnabled || !c.HasOptions || len(c.Options) != 2 ||
		c.Options[0].Balance != 1000000 || c.Options[1].Token.Reveal() != "eyJ1" || c.Options[0].Currency != "IDR" {
		t.Fatalf("%+v, %v", c, err)
	}
	r.Metadata.PaymentOptions[0].Balance.Value = "12.50"
	if _, err := payments.PaymentAccountChangeFrom(&r, payments.SourceSync); err == nil {
		t.Error("a fractional balance was accepted")
	}
	if _, err := payments.PaymentAccountChangeFrom(nil, payments.SourceSync); err == nil {
		t.Error("a nil answer was accepted")
	}
}

func TestSecretTokenRedacted(t *testing.T) {
	tok := payments.SecretToken("eyJ0eXBlIjogIkdPUEFZX1dBTExFVCJ9")
	o := payments.PayAccountOption{Name: "GOPAY_WALLET", Token: tok}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", tok, "option", o)
	b, _ := json.Marshal(o)
	out := fmt.Sprintf("%v %+v %#v %s %q %x", tok, o, o, tok, tok, tok) + string(b) + buf.String()
	if strings.Contains(out, tok.Reveal()) || strings.Contains(out, fmt.Sprintf("%x", tok.Reveal())) {
		t.Errorf("the token shows: %s", out)
	}
	if tok.Reveal() != "eyJ0eXBlIjogIkdPUEFZX1dBTExFVCJ9" || payments.SecretToken("").String() != "" {
		t.Error("Reveal or the empty token")
	}
}
