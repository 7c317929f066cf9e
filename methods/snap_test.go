package methods_test

import (
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/methods/methodtest"
)

func TestConformanceSnap(t *testing.T) {
	items := []payments.Item{{ID: "ITEM1", Name: "Midtrans Bear", Price: 10000, Quantity: 1, Brand: "Midtrans",
		Category: "Toys", MerchantName: "Midtrans", URL: "http://toko/toko1?item=abc"}}
	customer := &payments.Customer{FirstName: "TEST", LastName: "MIDTRANSER", Email: "test@midtrans.com", Phone: "+628123456",
		BillingAddress:  &payments.Address{FirstName: "TEST", LastName: "MIDTRANSER", Email: "test@midtrans.com", Phone: "081 2233 44-55", Address: "Sudirman", City: "Jakarta", PostalCode: "12190", CountryCode: "IDN"},
		ShippingAddress: &payments.Address{FirstName: "TEST", LastName: "MIDTRANSER", Email: "test@midtrans.com", Phone: "0 8128-75 7-9338", Address: "Sudirman", City: "Jakarta", PostalCode: "12190", CountryCode: "IDN"}}
	full := methods.SnapOptions{
		EnabledPayments: []string{"credit_card", "echannel", "permata_va", "bca_va", "bni_va", "bri_va", "cimb_va", "other_va",
			"gopay", "indomaret", "akulaku", "shopeepay", "kredivo", "uob_ezpay", "other_qris"},
		CreditCard: &methods.SnapCardOptions{Bank: "bca", Channel: "migs", WhitelistBins: []string{"48111111", "41111111"},
			InstallmentTerms: map[string][]int{"bni": {3, 6, 12}, "mandiri": {3, 6, 12}, "cimb": {3}, "bca": {3, 6, 12}, "offline": {6, 12}}},
		FinishURL:  "https://demo.midtrans.com",
		PageExpiry: 3 * time.Hour,
	}
	runSpecs(t, methods.NewSnap, map[string]methodtest.Spec{
		"complete": {
			Valid: payments.ChargeRequest{OrderID: "ORDER-101", Amount: 10000, Items: items, Customer: customer,
				Expiry: time.Minute, CustomField1: "custom field 1 content", CustomField2: "custom field 2 content",
				CustomField3: "custom field 3 content", Options: full},
			RequestSample: docs(t, "snap-request-complete.json"),
			Object:        "credit_card",
			MissingKeys: map[string]string{
				"bca_va": "VA numbers are the VA plugins' option; Snap assigns them", "bni_va": "as bca_va",
				"bri_va": "as bca_va", "cimb_va": "as bca_va", "permata_va": "as bca_va",
				"gopay": "e-wallet callbacks are not offered through Snap here", "shopeepay": "as gopay", "uob_ezpay": "as gopay",
				"recurring":                      "subscriptions are not charged through Snap",
				"credit_card.dynamic_descriptor": "BNI only; not offered",
			},
			ObjectSample: []byte(`{"credit_card":{"secure":true,"channel":"migs","bank":"bca",
				"installment":{"required":false,"terms":{"bni":[3,6,12],"mandiri":[3,6,12],"cimb":[3],"bca":[3,6,12],"offline":[6,12]}},
				"whitelist_bins":["48111111","41111111"]},
				"callbacks":{"finish":"https://demo.midtrans.com"},"page_expiry":{"duration":180,"unit":"minute"},
				"expiry":{"duration":1,"unit":"minute"}}`),
			ResponseSample: docs(t, "status-credit-card-settlement.json"),
			Instructions: payments.Instructions{ChannelResponseCode: "00", ChannelResponseMessage: "Approved", MerchantID: "M004123",
				Card: &payments.CardResult{MaskedCard: "48111111-1114", Bank: "bni", ApprovalCode: "1578569243927", ECI: "05", CardType: "credit"}},
			Invalid: []methodtest.Invalid{
				{Name: "unknown and repeated channels, bad URLs, long expiry",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 10000, Expiry: 8 * 24 * time.Hour,
						Options: &methods.SnapOptions{EnabledPayments: []string{"gopay", "paypal", "gopay"},
							FinishURL: "javascript:alert(1)", ErrorURL: "shop.example/error", PageExpiry: -time.Minute}},
					Fields: []string{"expiry", "options.enabled_payments[1]", "options.enabled_payments[2]",
						"options.finish_url", "options.error_url", "options.page_expiry"}},
				{Name: "card settings without cards, bad bank, bins and terms",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 10000,
						Options: methods.SnapOptions{EnabledPayments: []string{"bca_va"}, CreditCard: &methods.SnapCardOptions{
							Bank: "hsbc", Channel: "paypal", WhitelistBins: []string{"4811111122", "bni", "x"},
							InstallmentTerms: map[string][]int{"hsbc": {3}, "bni": {0}, "offline": {}}}}},
					Fields: []string{"options.credit_card", "options.credit_card.bank", "options.credit_card.channel",
						"options.credit_card.whitelist_bins[0]", "options.credit_card.whitelist_bins[2]",
						"options.credit_card.installment_terms.hsbc", "options.credit_card.installment_terms.bni",
						"options.credit_card.installment_terms.offline"}},
				{Name: "installments required without terms",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 10000,
						Options: methods.SnapOptions{CreditCard: &methods.SnapCardOptions{InstallmentRequired: true}}},
					Fields: []string{"options.credit_card.installment_required"}},
			},
		},
		"minimum": {
			Valid:         payments.ChargeRequest{OrderID: "ORDER-101", Amount: 10000},
			RequestSample: docs(t, "snap-request-minimum.json"),
			Object:        "credit_card",
			ExtraKeys: map[string]string{
				"credit_card": "3-D Secure on unless the host turns it off",
			},
			MissingKeys:  map[string]string{},
			ObjectSample: []byte(`{"credit_card":{"secure":true}}`),
		},
		"no cards": {
			Valid:         payments.ChargeRequest{OrderID: "ORDER-101", Amount: 10000, Options: &methods.SnapOptions{EnabledPayments: []string{"bank_transfer", "gopay"}, FinishURL: "https://shop.example/done"}},
			RequestSample: docs(t, "snap-request-minimum.json"),
			Object:        "callbacks",
			ExtraKeys: map[string]string{
				"enabled_payments": "the host offers only some channels",
				"callbacks":        "the finish URL option",
			},
			ObjectSample: []byte(`{"enabled_payments":["bank_transfer","gopay"],"callbacks":{"finish":"https://shop.example/done"}}`),
		},
	})
}

// What a Snap payment can do follows the channel chosen, with the
// capabilities of the built-in plugin for it.
func TestSnapChannelCapabilities(t *testing.T) {
	snap := methods.NewSnap()
	for paymentType, plugin := range map[string]payments.Method{
		"credit_card": methods.NewCard(), "bank_transfer": methods.NewBCAVA(), "permata": methods.NewPermataVA(),
		"echannel": methods.NewEChannel(), "gopay": methods.NewGoPay(), "shopeepay": methods.NewShopeePay(),
		"qris": methods.NewQRIS(), "cstore": methods.NewAlfamart(), "akulaku": methods.NewAkulaku(), "dana": methods.NewDana(),
		"ovo": nil, "kredivo": nil, "": nil,
	} {
		want := payments.Capabilities{}
		if plugin != nil {
			want = plugin.Capabilities()
		}
		if got := snap.ChannelCapabilities(paymentType); got != want {
			t.Errorf("%q: %+v, want %+v", paymentType, got, want)
		}
	}
	p := &payments.Payment{Method: "snap"}
	if got := payments.PaymentCapabilities(snap, p); got != snap.Capabilities() {
		t.Errorf("before a channel is chosen: %+v", got)
	}
	p.PaymentType = "credit_card"
	if got := payments.PaymentCapabilities(snap, p); !got.Refund || !got.Capture {
		t.Errorf("paid by card: %+v", got)
	}
	p.PaymentType = "bank_transfer"
	if got := payments.PaymentCapabilities(snap, p); got.Refund {
		t.Errorf("paid by bank transfer: %+v", got)
	}
	// A plugin that does not choose channels keeps its own.
	dana := methods.NewDana()
	if got := payments.PaymentCapabilities(dana, &payments.Payment{PaymentType: "credit_card"}); got != dana.Capabilities() {
		t.Errorf("dana: %+v", got)
	}
}
