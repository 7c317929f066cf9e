package methods_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/fixture"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
)

// Every documented charge response parses, with the plugin that makes the
// charge, into exactly these instructions. The fixtures are globbed, so a
// new response sample without an entry here fails the test.
func TestChargeResponseFixtures(t *testing.T) {
	card := func(c payments.CardResult) *payments.CardResult {
		c.MaskedCard, c.CardType, c.OnUs = "48111111-1114", "credit", ptr(true)
		return &c
	}
	savedAt := time.Date(2024, 8, 25, 4, 21, 48, 0, time.UTC) // 11:21:48 WIB
	gopayTx := "https://api.midtrans.com/v2/e48447d1-cfa9-4b02-b163-2e915d4417ac"
	qrisTx := "https://api.midtrans.com/v2/qris/0d8178e1-c6c7-4ab4-81a6-893be9d924ab"
	shopeeLink := "https://wsa.uat.wallet.airpay.co.id/universal-link/wallet/pay?deep_and_deferred=1&token=dFhkbmR1bTBIamhW5n7WPz2OrczCvb8_XiHliB9nROFMVByjtwKMAl6G0Ax0cMr79M4hwjs"
	gopayLink := "gojek://gopay/merchanttransfer?tref=1509110800474199656LMVO&amount=10000&activity=GP:RR&callback_url=someapps://callback?order_id=SAMPLE-ORDER-ID-01"

	want := map[string]struct {
		method payments.Method
		in     payments.Instructions
	}{
		"charge-akulaku-response.json": {methods.NewAkulaku(), payments.Instructions{MerchantID: "G812785002",
			RedirectURL: "https://api.sandbox.midtrans.com/v2/akulaku/redirect/fa05cba0-8ea3-4e46-a2b1-daea2a01785c"}},
		"charge-bca-response.json":              {methods.NewBCAVA(), payments.Instructions{VANumber: "812785002530231", Bank: "bca", MerchantID: "G812785002"}},
		"charge-bni-response.json":              {methods.NewBNIVA(), payments.Instructions{VANumber: "9888500212345678", Bank: "bni", MerchantID: "G812785002"}},
		"charge-bri-response.json":              {methods.NewBRIVA(), payments.Instructions{VANumber: "8578000000111111", Bank: "bri"}},
		"charge-cimb-response.json":             {methods.NewCIMBVA(), payments.Instructions{VANumber: "2810490150230740", Bank: "cimb", MerchantID: "G812785002"}},
		"charge-permata-response.json":          {methods.NewPermataVA(), payments.Instructions{VANumber: "850003072869607", Bank: "permata", MerchantID: "G812785002"}},
		"charge-echannel-response.json":         {methods.NewEChannel(), payments.Instructions{BillKey: "778347787706", BillerCode: "70012", MerchantID: "G812785002"}},
		"charge-cstore-indomaret-response.json": {methods.NewIndomaret(), payments.Instructions{PaymentCode: "578112341234", Store: "indomaret", MerchantID: "G812785002"}},
		"charge-cstore-alfamart-response.json":  {methods.NewAlfamart(), payments.Instructions{PaymentCode: "8127740588870520", Store: "alfamart", MerchantID: "G812785002"}},
		"charge-gopay-response.json": {methods.NewGoPay(), payments.Instructions{
			QRImageURL: "https://api.midtrans.com/v2/gopay/e48447d1-cfa9-4b02-b163-2e915d4417ac/qr-code", DeeplinkURL: gopayLink, ChannelResponseCode: "200", ChannelResponseMessage: "Success",
			Actions: []payments.Action{
				{Name: "generate-qr-code", Method: "GET", URL: "https://api.midtrans.com/v2/gopay/e48447d1-cfa9-4b02-b163-2e915d4417ac/qr-code"},
				{Name: "generate-qr-code-v2", Method: "GET", URL: "https://api.midtrans.com//v4/qris/gopay/A120250818053027lQ9S1FXLIHID/qr-code"},
				{Name: "deeplink-redirect", Method: "GET", URL: gopayLink},
				{Name: "get-status", Method: "GET", URL: gopayTx + "/status"},
				{Name: "cancel", Method: "POST", URL: gopayTx + "/cancel", Fields: []string{}},
			}}},
		"charge-gopay-deny-response.json": {methods.NewGoPay(), payments.Instructions{ChannelResponseCode: "900",
			ChannelResponseMessage: "Internal server error", MerchantID: "G253339736"}},
		"charge-shopeepay-response.json": {methods.NewShopeePay(), payments.Instructions{DeeplinkURL: shopeeLink,
			ChannelResponseCode: "0", ChannelResponseMessage: "success", MerchantID: "YON001",
			Actions: []payments.Action{{Name: "deeplink-redirect", Method: "GET", URL: shopeeLink}}}},
		// This sample has no qr_string (Midtrans documents it as optional); the simulator test covers it.
		"charge-qris-response.json": {methods.NewQRIS(), payments.Instructions{QRImageURL: qrisTx + "/qr-code", Acquirer: "gopay", MerchantID: "M099098",
			Actions: []payments.Action{
				{Name: "generate-qr-code", Method: "GET", URL: qrisTx + "/qr-code"},
				{Name: "generate-qr-code-v2", Method: "GET", URL: "https://api.midtrans.com/v4/qris/A120250718094848HaVD2xS9VKID/qr-code"},
			}}},
		"charge-credit-card-response.json": {methods.NewCard(), payments.Instructions{ChannelResponseCode: "00", ChannelResponseMessage: "Approved",
			Card: card(payments.CardResult{Bank: "bni", ApprovalCode: "1408869563148"})}},
		"charge-credit-card-3ds-response.json": {methods.NewCard(), payments.Instructions{
			RedirectURL: "https://api.veritrans.co.id/v2/3ds/redirect/451249-2595-e14aac7f-cfb3-4ab2-98ab-5cc5e70f4b2c",
			Card:        card(payments.CardResult{ThreeDSVersion: "2"})}},
		"charge-credit-card-authorize-response.json": {methods.NewCard(), payments.Instructions{ChannelResponseCode: "0", ChannelResponseMessage: "Approved",
			Card: card(payments.CardResult{Bank: "bca", ApprovalCode: "003873", ECI: "05"})}},
		"charge-credit-card-installment-response.json": {methods.NewCard(), payments.Instructions{ChannelResponseCode: "00", ChannelResponseMessage: "Approved",
			Card: card(payments.CardResult{Bank: "bni", ApprovalCode: "R71372", InstallmentTerm: 6})}},
		"charge-credit-card-oneclick-initial-response.json": {methods.NewCard(), payments.Instructions{ChannelResponseCode: "00", ChannelResponseMessage: "Approved",
			Card: card(payments.CardResult{Bank: "bni", ApprovalCode: "1408940508666",
				SavedTokenID: "4811117d16c884-2cc7-4624-b0a8-10273b7f6cc8", SavedTokenExpiresAt: savedAt})}},
	}

	seen := map[string]bool{}
	for _, name := range fixture.Glob(t, "docs/charge-*-response.json") {
		base := name[len("docs/"):]
		seen[base] = true
		t.Run(base, func(t *testing.T) {
			w, ok := want[base]
			if !ok {
				t.Fatalf("no expected instructions for %s: add it to this table", name)
			}
			var resp midtrans.TransactionResponse
			if err := json.Unmarshal(fixture.Bytes(t, name), &resp); err != nil {
				t.Fatal(err)
			}
			got := payments.ParseInstructions(&resp)
			if !reflect.DeepEqual(got, w.in) {
				gv, wv := reflect.ValueOf(got), reflect.ValueOf(w.in)
				for i := range gv.NumField() {
					if g, e := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, e) {
						t.Errorf("%s: Instructions().%s\n got %s\nwant %s", w.method.Name(), gv.Type().Field(i).Name, jsonString(g), jsonString(e))
					}
				}
			}
			// The Payment a checkout page reads carries them as they are.
			p := payments.Payment{Instructions: got}
			if w.in.DeeplinkURL != "" {
				if a, ok := p.Action(payments.ActionDeeplinkRedirect); !ok || a.URL != w.in.DeeplinkURL {
					t.Errorf("Payment.Action(deeplink-redirect) = %+v, %v", a, ok)
				}
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("table entry %s matches no fixture", name)
		}
	}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
