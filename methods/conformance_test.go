package methods_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/methods/methodtest"
	"github.com/nusapay/payments/midtrans"
)

// Every built-in plugin passes the conformance suite against the docs'
// request and response samples.

func TestConformanceCard(t *testing.T) {
	const docsToken = "< your token ID >" // the docs samples' placeholder, so credit_card compares value for value
	noAuth := ptr(false)
	savedAt, err := midtrans.ParseTime("2024-08-25 11:21:48")
	if err != nil {
		t.Fatal(err)
	}
	sampleCustomer := &payments.Customer{FirstName: "BUDI", LastName: "UTOMO", Email: "test@midtrans.com", Phone: "+628123456",
		BillingAddress:  &payments.Address{FirstName: "BUDI", Address: "Sudirman", City: "Jakarta", PostalCode: "12190", CountryCode: "IDN"},
		ShippingAddress: &payments.Address{FirstName: "BUDI", Address: "Sudirman", City: "Jakarta", PostalCode: "12190", CountryCode: "IDN"}}
	// The docs sample's items add up to twice its amount; these add up.
	apples := []payments.Item{{ID: "a1", Name: "Apel", Price: 72500, Quantity: 2, Brand: "Fuji Apple", Category: "Fruit", MerchantName: "Fruit-store"}}

	specs := map[string]methodtest.Spec{
		"3ds": {
			Valid:          charge("credit_card", 145000, methods.CardOptions{TokenID: docsToken, CallbackType: "js_event"}),
			RequestSample:  docs(t, "charge-credit-card-3ds-request.json"),
			ObjectSample:   members(t, "charge-credit-card-3ds-request.json", "payment_type", "credit_card"),
			ResponseSample: docs(t, "charge-credit-card-3ds-response.json"),
			Instructions: payments.Instructions{
				RedirectURL: "https://api.veritrans.co.id/v2/3ds/redirect/451249-2595-e14aac7f-cfb3-4ab2-98ab-5cc5e70f4b2c",
				Card:        &payments.CardResult{MaskedCard: "48111111-1114", CardType: "credit", ThreeDSVersion: "2", OnUs: ptr(true)},
			},
			Invalid: []methodtest.Invalid{
				{Name: "no token, custom expiry, unknown bank and callback type",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 145000, Expiry: time.Hour,
						Options: &methods.CardOptions{Bank: "hsbc", CallbackType: "redirect"}},
					Fields: []string{"options.token_id", "expiry", "options.bank", "options.callback_type"}},
				{Name: "both tokens and an installment without a bank",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 145000,
						Options: methods.CardOptions{TokenID: "t", SavedTokenID: "s", InstallmentTerm: 6}},
					Fields: []string{"options.token_id", "options.installment_term"}},
			},
		},
		"plain": {
			Valid: payments.ChargeRequest{OrderID: "C17550", Amount: 145000, Items: apples, Customer: sampleCustomer,
				Options: &methods.CardOptions{TokenID: docsToken, Authentication: noAuth}},
			RequestSample:  docs(t, "charge-credit-card-request.json"),
			ObjectSample:   members(t, "charge-credit-card-request.json", "payment_type", "credit_card"),
			ResponseSample: docs(t, "charge-credit-card-response.json"),
			Instructions: payments.Instructions{ChannelResponseCode: "00", ChannelResponseMessage: "Approved",
				Card: &payments.CardResult{MaskedCard: "48111111-1114", CardType: "credit", Bank: "bni", ApprovalCode: "1408869563148", OnUs: ptr(true)}},
		},
		"authorize": {
			Valid:          charge("credit_card", 145000, methods.CardOptions{TokenID: docsToken, Authentication: noAuth, Bank: "bni", Authorize: true}),
			RequestSample:  docs(t, "charge-credit-card-authorize-request.json"),
			ObjectSample:   members(t, "charge-credit-card-authorize-request.json", "payment_type", "credit_card"),
			ResponseSample: docs(t, "charge-credit-card-authorize-response.json"),
			Instructions: payments.Instructions{ChannelResponseCode: "0",
				Card: &payments.CardResult{Bank: "bca", ApprovalCode: "003873", ECI: "05", MaskedCard: "48111111-1114"}},
		},
		"installment": {
			Valid:          charge("credit_card", 145000, methods.CardOptions{TokenID: docsToken, Authentication: noAuth, Bank: "bni", InstallmentTerm: 12, InstallmentTerms: []int{3, 6, 12}}),
			RequestSample:  docs(t, "charge-credit-card-installment-request.json"),
			ObjectSample:   members(t, "charge-credit-card-installment-request.json", "payment_type", "credit_card"),
			ResponseSample: docs(t, "charge-credit-card-installment-response.json"),
			Instructions:   payments.Instructions{Card: &payments.CardResult{InstallmentTerm: 6, ApprovalCode: "R71372", Bank: "bni"}},
		},
		"oneclick-initial": {
			Valid: charge("credit_card", 145000, methods.CardOptions{TokenID: "4811117d16c884-2cc7-4624-b0a8-10273b7f6cc8",
				Authentication: noAuth, SaveToken: true}),
			RequestSample:  docs(t, "charge-credit-card-oneclick-initial-request.json"),
			ObjectSample:   members(t, "charge-credit-card-oneclick-initial-request.json", "payment_type", "credit_card"),
			ResponseSample: docs(t, "charge-credit-card-oneclick-initial-response.json"),
			Instructions: payments.Instructions{Card: &payments.CardResult{
				SavedTokenID: "4811117d16c884-2cc7-4624-b0a8-10273b7f6cc8", SavedTokenExpiresAt: savedAt}},
		},
		"oneclick-subsequent": {
			Valid: charge("credit_card", 145000, methods.CardOptions{SavedTokenID: "44811117d16c884-2cc7-4624-b0a8-10273b7f6cc8",
				Authentication: noAuth}),
			RequestSample: docs(t, "charge-credit-card-oneclick-subsequent-request.json"),
			ObjectSample:  members(t, "charge-credit-card-oneclick-subsequent-request.json", "payment_type", "credit_card"),
		},
	}
	// The browser chooses the card token, the bank and an offered term;
	// every other card option is the host's.
	for name, spec := range specs {
		spec.CustomerOptions = []string{"token_id", "bank", "installment_term"}
		specs[name] = spec
	}
	runSpecs(t, methods.NewCard, specs)
}

func TestConformanceVirtualAccounts(t *testing.T) {
	va := func(bank string, opts any) payments.ChargeRequest { return charge(bank+"_va", 44000, opts) }
	freeText := &midtrans.FreeText{
		Inquiry: []midtrans.FreeTextItem{{ID: "Free Text ID Free Text ID Free Text ID", EN: "Free Text EN Free Text EN Free Text EN"}},
		Payment: []midtrans.FreeTextItem{{ID: "Free Text ID Free Text ID Free Text ID", EN: "Free Text EN Free Text EN Free Text EN"}},
	}
	legacyPermata := map[string]string{"bank_transfer": "the sample uses the legacy payment_type \"permata\"; new code sends bank_transfer.bank"}

	simple := func(bank, vaNumber string) methodtest.Spec {
		return methodtest.Spec{
			Valid:          va(bank, nil),
			RequestSample:  docs(t, "charge-"+bank+"-request.json"),
			ObjectSample:   members(t, "charge-"+bank+"-request.json", "payment_type", "bank_transfer"),
			ResponseSample: docs(t, "charge-"+bank+"-response.json"),
			Instructions:   payments.Instructions{VANumber: vaNumber, Bank: bank},
		}
	}
	bca := map[string]methodtest.Spec{
		"plain": simple("bca", "812785002530231"),
		"options": {
			Valid:         va("bca", &methods.VAOptions{VANumber: "111111", SubCompanyCode: "00000", FreeText: freeText}),
			RequestSample: docs(t, "charge-bca-request.json"),
			ExtraKeys: map[string]string{
				"bank_transfer.va_number": "custom VA number option (object-bank-transfer-bca.json)",
				"bank_transfer.free_text": "BCA free text option (object-bank-transfer-bca.json)",
				"bank_transfer.bca":       "BCA sub company code option (object-bank-transfer-bca.json)",
			},
			ObjectSample: docs(t, "object-bank-transfer-bca.json"),
			Invalid: []methodtest.Invalid{
				{Name: "every option wrong and a long name",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 44000,
						Customer: &payments.Customer{FirstName: "Budi Santoso Wijaya", LastName: "Kusumanegara Putra"},
						Options: methods.VAOptions{VANumber: "12-34", SubCompanyCode: "abc", RecipientName: "X",
							FreeText: &midtrans.FreeText{Payment: []midtrans.FreeTextItem{{ID: string(make([]byte, 51)), EN: "ok"}}}}},
					Fields: []string{"customer_details.first_name", "options.va_number", "options.sub_company_code",
						"options.recipient_name", "options.free_text.payment[0].id"}},
			},
		},
	}
	runSpecs(t, methods.NewBCAVA, bca)

	bni := map[string]methodtest.Spec{
		"plain": simple("bni", "9888500212345678"),
		"options": {
			Valid:         va("bni", methods.VAOptions{VANumber: "111111"}),
			RequestSample: docs(t, "charge-bni-request.json"),
			ExtraKeys:     map[string]string{"bank_transfer.va_number": "custom VA number option (object-bank-transfer-bni.json)"},
			ObjectSample:  docs(t, "object-bank-transfer-bni.json"),
			Invalid: []methodtest.Invalid{
				{Name: "BCA options and a foreign phone",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 44000, Customer: &payments.Customer{Phone: "+6581234567"},
						Options: &methods.VAOptions{SubCompanyCode: "00000", FreeText: &midtrans.FreeText{}}},
					Fields: []string{"customer_details.phone", "options.sub_company_code", "options.free_text"}},
			},
		},
	}
	runSpecs(t, methods.NewBNIVA, bni)
	runSpecs(t, methods.NewBRIVA, map[string]methodtest.Spec{"plain": simple("bri", "8578000000111111")})
	runSpecs(t, methods.NewCIMBVA, map[string]methodtest.Spec{"plain": simple("cimb", "2810490150230740")})

	permata := map[string]methodtest.Spec{
		"plain": {
			Valid:          va("permata", nil),
			RequestSample:  docs(t, "charge-permata-request.json"),
			ExtraKeys:      legacyPermata,
			ObjectSample:   []byte(`{"payment_type":"bank_transfer","bank_transfer":{"bank":"permata"}}`),
			ResponseSample: docs(t, "charge-permata-response.json"),
			Instructions:   payments.Instructions{VANumber: "850003072869607", Bank: "permata", MerchantID: "G812785002"},
		},
		"options": {
			Valid:         va("permata", methods.VAOptions{VANumber: "111111", RecipientName: "SUDARSONO"}),
			RequestSample: docs(t, "charge-permata-request.json"),
			ExtraKeys:     legacyPermata,
			ObjectSample:  docs(t, "object-bank-transfer-permata.json"),
			Invalid: []methodtest.Invalid{
				{Name: "long recipient and BCA free text",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 44000,
						Options: methods.VAOptions{RecipientName: "PT SUDARSONO JAYA ABADI", FreeText: &midtrans.FreeText{}}},
					Fields: []string{"options.recipient_name", "options.free_text"}},
			},
		},
		"custom-expiry": {
			Valid:         payments.ChargeRequest{OrderID: "C17550", Amount: 145000, Expiry: time.Hour},
			RequestSample: docs(t, "charge-permata-custom-expiry-request.json"),
			ObjectSample:  []byte(`{"payment_type":"bank_transfer","bank_transfer":{"bank":"permata"},"custom_expiry":{"expiry_duration":3600,"unit":"second"}}`),
		},
		"custom-fields": {
			Valid: payments.ChargeRequest{OrderID: "C17550", Amount: 145000, CustomField1: "custom field 1 content",
				CustomField2: "custom field 2 content", CustomField3: "custom field 3 content"},
			RequestSample: docs(t, "charge-permata-custom-fields-request.json"),
			ObjectSample: members(t, "charge-permata-custom-fields-request.json",
				"payment_type", "bank_transfer", "custom_field1", "custom_field2", "custom_field3"),
		},
		"metadata": {
			Valid: payments.ChargeRequest{OrderID: "C17550", Amount: 145000,
				Metadata: json.RawMessage(`{"you":"can","put":"any","parameter":"you like"}`)},
			RequestSample: docs(t, "charge-permata-metadata-request.json"),
			ObjectSample:  members(t, "charge-permata-metadata-request.json", "payment_type", "bank_transfer", "metadata"),
		},
	}
	runSpecs(t, methods.NewPermataVA, permata)
}

func TestConformanceEChannel(t *testing.T) {
	runSpecs(t, methods.NewEChannel, map[string]methodtest.Spec{
		"defaults": {
			Valid:          charge("echannel", 44000, nil),
			RequestSample:  docs(t, "charge-echannel-request.json"),
			ObjectSample:   members(t, "charge-echannel-request.json", "payment_type", "echannel"),
			ResponseSample: docs(t, "charge-echannel-response.json"),
			Instructions:   payments.Instructions{BillKey: "778347787706", BillerCode: "70012", MerchantID: "G812785002"},
		},
		"custom-bill-key": {
			Valid:         charge("echannel", 44000, methods.EChannelOptions{BillKey: "081211111111"}),
			RequestSample: docs(t, "charge-echannel-request.json"),
			ExtraKeys:     map[string]string{"echannel.bill_key": "custom bill key option (object-echannel-custom-bill-key.json)"},
			ObjectSample:  docs(t, "object-echannel-custom-bill-key.json"),
			Invalid: []methodtest.Invalid{
				{Name: "short bill key", Request: charge("", 44000, &methods.EChannelOptions{BillKey: "12345"}),
					Fields: []string{"options.bill_key"}},
			},
		},
	})
}

func TestConformanceEWallets(t *testing.T) {
	gopayResp := "https://api.midtrans.com/v2/gopay/e48447d1-cfa9-4b02-b163-2e915d4417ac"
	runSpecs(t, methods.NewGoPay, map[string]methodtest.Spec{
		"callback": {
			Valid: payments.ChargeRequest{OrderID: "order03", Amount: 275000, Items: headphones(275000), Customer: budi(),
				Options: methods.GoPayOptions{CallbackURL: "someapps://callback"}},
			RequestSample:  docs(t, "charge-gopay-request.json"),
			ObjectSample:   members(t, "charge-gopay-request.json", "payment_type", "gopay"),
			ResponseSample: docs(t, "charge-gopay-response.json"),
			Instructions: payments.Instructions{
				QRImageURL:          gopayResp + "/qr-code",
				DeeplinkURL:         "gojek://gopay/merchanttransfer?tref=1509110800474199656LMVO&amount=10000&activity=GP:RR&callback_url=someapps://callback?order_id=SAMPLE-ORDER-ID-01",
				ChannelResponseCode: "200",
				Actions: []payments.Action{
					{Name: payments.ActionGenerateQRCodeV2, URL: "https://api.midtrans.com//v4/qris/gopay/A120250818053027lQ9S1FXLIHID/qr-code"},
					{Name: payments.ActionGetStatus, Method: "GET", URL: "https://api.midtrans.com/v2/e48447d1-cfa9-4b02-b163-2e915d4417ac/status"},
					{Name: payments.ActionCancel, Method: "POST"},
				},
			},
			Invalid: []methodtest.Invalid{
				{Name: "script callback", Request: charge("", 275000, methods.GoPayOptions{CallbackURL: "javascript:alert(1)"}),
					Fields: []string{"options.callback_url"}},
			},
		},
	})
	runSpecs(t, methods.NewShopeePay, map[string]methodtest.Spec{
		"callback": {
			Valid: payments.ChargeRequest{OrderID: "test-order-shopeepay-001", Amount: 25000,
				Items:    []payments.Item{{ID: "id1", Name: "Brown sugar boba milk tea", Price: 25000, Quantity: 1}},
				Customer: &payments.Customer{FirstName: "John", LastName: "Brandon", Email: "john.brandon@go-jek.com", Phone: "0819323212312"},
				Options:  &methods.ShopeePayOptions{CallbackURL: "https://midtrans.com/"}},
			RequestSample:  docs(t, "charge-shopeepay-request.json"),
			ObjectSample:   members(t, "charge-shopeepay-request.json", "payment_type", "shopeepay"),
			ResponseSample: docs(t, "charge-shopeepay-response.json"),
			Instructions: payments.Instructions{MerchantID: "YON001", ChannelResponseCode: "0",
				DeeplinkURL: "https://wsa.uat.wallet.airpay.co.id/universal-link/wallet/pay?deep_and_deferred=1&token=dFhkbmR1bTBIamhW5n7WPz2OrczCvb8_XiHliB9nROFMVByjtwKMAl6G0Ax0cMr79M4hwjs"},
			Invalid: []methodtest.Invalid{
				{Name: "relative callback", Request: charge("", 25000, methods.ShopeePayOptions{CallbackURL: "/finish"}),
					Fields: []string{"options.callback_url"}},
			},
		},
	})
	runSpecs(t, methods.NewQRIS, map[string]methodtest.Spec{
		"default-acquirer": {
			Valid:          payments.ChargeRequest{OrderID: "order03", Amount: 275000, Items: headphones(275000), Customer: budi()},
			RequestSample:  docs(t, "charge-qris-request.json"),
			ObjectSample:   members(t, "charge-qris-request.json", "payment_type", "qris"),
			ResponseSample: docs(t, "charge-qris-response.json"),
			Instructions: payments.Instructions{Acquirer: "gopay", MerchantID: "M099098",
				QRImageURL: "https://api.midtrans.com/v2/qris/0d8178e1-c6c7-4ab4-81a6-893be9d924ab/qr-code"},
		},
		"shopee-acquirer": {
			Valid: payments.ChargeRequest{OrderID: "order03", Amount: 275000, Items: headphones(275000), Customer: budi(),
				Options: methods.QRISOptions{Acquirer: methods.AcquirerAirpayShopee}},
			RequestSample: docs(t, "charge-qris-request.json"),
			ObjectSample:  []byte(`{"qris":{"acquirer":"airpay shopee"}}`),
			Invalid: []methodtest.Invalid{
				{Name: "unknown acquirer", Request: charge("", 275000, methods.QRISOptions{Acquirer: "ovo"}),
					Fields: []string{"options.acquirer"}},
			},
		},
	})
	runSpecs(t, methods.NewDana, map[string]methodtest.Spec{
		"snap": {
			Valid:         payments.ChargeRequest{OrderID: "ORDER-101", Amount: 10000, Options: methods.DanaOptions{CallbackURL: "https://shop.example/dana/finish"}},
			RequestSample: docs(t, "snap-request-minimum.json"),
			Object:        "dana",
			ExtraKeys: map[string]string{
				"enabled_payments": "Snap shows only DANA: the Core API cannot charge it",
				"dana":             "the callback URL option",
			},
			ObjectSample:   []byte(`{"enabled_payments":["dana"],"dana":{"callback_url":"https://shop.example/dana/finish"}}`),
			ResponseSample: docs(t, "status-dana-pending.json"),
			Instructions:   payments.Instructions{DeeplinkURL: "https://m.dana.id/transaction_page", MerchantID: "G123456"},
			Invalid: []methodtest.Invalid{
				{Name: "short expiry and a bad callback",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 10000, Expiry: 5 * time.Minute,
						Options: &methods.DanaOptions{CallbackURL: "shop.example/finish"}},
					Fields: []string{"expiry", "options.callback_url"}},
			},
		},
	})
}

func TestConformanceStores(t *testing.T) {
	runSpecs(t, methods.NewIndomaret, map[string]methodtest.Spec{
		"message": {
			Valid:          charge("indomaret", 44000, methods.CStoreOptions{Message: "Message to display"}),
			RequestSample:  docs(t, "charge-cstore-indomaret-request.json"),
			ObjectSample:   members(t, "charge-cstore-indomaret-request.json", "payment_type", "cstore"),
			ResponseSample: docs(t, "charge-cstore-indomaret-response.json"),
			Instructions:   payments.Instructions{PaymentCode: "578112341234", Store: "indomaret", MerchantID: "G812785002"},
			Invalid: []methodtest.Invalid{
				{Name: "long message and Alfamart text",
					Request: charge("", 44000, methods.CStoreOptions{Message: "This message is far too long", AlfamartFreeText2: "x"}),
					Fields:  []string{"options.message", "options.alfamart_free_text_2"}},
			},
		},
	})
	runSpecs(t, methods.NewAlfamart, map[string]methodtest.Spec{
		"free-text": {
			Valid: charge("alfamart", 44000, &methods.CStoreOptions{Message: "Message ", AlfamartFreeText1: "1st row of receipt,",
				AlfamartFreeText2: "This is the 2nd row,", AlfamartFreeText3: "3rd row. The end."}),
			RequestSample:  docs(t, "charge-cstore-alfamart-request.json"),
			ObjectSample:   members(t, "charge-cstore-alfamart-request.json", "payment_type", "cstore"),
			ResponseSample: docs(t, "charge-cstore-alfamart-response.json"),
			Instructions:   payments.Instructions{PaymentCode: "8127740588870520", Store: "alfamart"},
			Invalid: []methodtest.Invalid{
				{Name: "pipes in item names and a long receipt line",
					Request: payments.ChargeRequest{OrderID: "o-1", Amount: 3,
						Items:   []payments.Item{{Name: "a|b", Price: 1, Quantity: 1}, {Name: "ok", Price: 1, Quantity: 1}, {Name: "|", Price: 1, Quantity: 1}},
						Options: methods.CStoreOptions{AlfamartFreeText3: "This receipt line is longer than forty characters"}},
					Fields: []string{"item_details[0].name", "item_details[2].name", "options.alfamart_free_text_3"}},
			},
		},
	})
}

func TestConformanceAkulaku(t *testing.T) {
	items := []payments.Item{{ID: "sku-1", Name: "Kopi", Price: 20000, Quantity: 1}, {ID: "sku-2", Name: "Roti", Price: 24000, Quantity: 1}}
	runSpecs(t, methods.NewAkulaku, map[string]methodtest.Spec{
		"items-and-customer": {
			Valid:         payments.ChargeRequest{OrderID: "order-101", Amount: 44000, Items: items, Customer: budi()},
			RequestSample: docs(t, "charge-akulaku-request.json"),
			ExtraKeys: map[string]string{
				"item_details":     "required by Akulaku although the docs sample omits it",
				"customer_details": "required by Akulaku although the docs sample omits it",
			},
			ResponseSample: docs(t, "charge-akulaku-response.json"),
			Instructions: payments.Instructions{MerchantID: "G812785002",
				RedirectURL: "https://api.sandbox.midtrans.com/v2/akulaku/redirect/fa05cba0-8ea3-4e46-a2b1-daea2a01785c"},
			Invalid: []methodtest.Invalid{
				{Name: "no items, no customer", Request: payments.ChargeRequest{OrderID: "o-1", Amount: 44000},
					Fields: []string{"item_details", "customer_details"}},
				{Name: "duplicate ids and options", Request: payments.ChargeRequest{OrderID: "o-1", Amount: 3, Customer: budi(),
					Options: struct{}{},
					Items: []payments.Item{{ID: "a", Name: "x", Price: 1, Quantity: 1}, {ID: "b", Name: "y", Price: 1, Quantity: 1},
						{ID: "a", Name: "z", Price: 1, Quantity: 1}}},
					Fields: []string{"item_details[2].id", "options"}},
			},
		},
	})
}

// runSpecs runs each spec on a fresh plugin from newMethod.
func runSpecs[M payments.Method](t *testing.T, newMethod func() M, specs map[string]methodtest.Spec) {
	t.Helper()
	for name, spec := range specs {
		m := newMethod()
		spec.Method = m
		t.Run(m.Name()+"/"+name, func(t *testing.T) {
			t.Parallel()
			methodtest.Run(t, spec)
		})
	}
}
