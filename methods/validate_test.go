package methods_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
)

// validationCase is one request and the exact fields Validate must refuse
// (none for a valid request).
type validationCase struct {
	name string
	req  payments.ChargeRequest
	want []string
}

func runValidation(t *testing.T, m payments.Method, cases []validationCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(m.Name()+"/"+c.name, func(t *testing.T) {
			if c.req.OrderID == "" {
				c.req.OrderID, c.req.Amount = "order-1", 50000
			}
			c.req.Method = m.Name()
			var v payments.ValidationError
			m.Validate(&c.req, &v)
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
				if f.Message == "" {
					t.Errorf("%s refused without a message", f.Field)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) {
				t.Errorf("refused %q, want %q (%v)", got, want, v.Err())
			}
		})
	}
}

func opts(o any) payments.ChargeRequest { return payments.ChargeRequest{Options: o} }

func TestValidateCard(t *testing.T) {
	tok := "48111111-1114-0b7a5e5a-8f4d-4c6a-9a55-1c2d3e4f5a6b"
	card := func(o methods.CardOptions) payments.ChargeRequest { return opts(o) }
	cases := []validationCase{
		{"token", card(methods.CardOptions{TokenID: tok}), nil},
		{"token by pointer", opts(&methods.CardOptions{TokenID: tok}), nil},
		{"saved token", card(methods.CardOptions{SavedTokenID: "48111111" + strings.Repeat("7", 20) + "1114"}), nil},
		{"no token", card(methods.CardOptions{}), []string{"options.token_id"}},
		{"nil options", opts(nil), []string{"options.token_id"}},
		{"nil pointer", opts((*methods.CardOptions)(nil)), []string{"options.token_id"}},
		{"both tokens", card(methods.CardOptions{TokenID: tok, SavedTokenID: "s"}), []string{"options.token_id"}},
		{"wrong options type", opts(methods.VAOptions{}), []string{"options"}},
		{"custom expiry", payments.ChargeRequest{Expiry: time.Hour, Options: methods.CardOptions{TokenID: tok}}, []string{"expiry"}},
		{"callback form", card(methods.CardOptions{TokenID: tok, CallbackType: "form"}), nil},
		{"callback js_event", card(methods.CardOptions{TokenID: tok, CallbackType: "js_event"}), nil},
		{"callback unknown", card(methods.CardOptions{TokenID: tok, CallbackType: "popup"}), []string{"options.callback_type"}},
		{"bank unknown", card(methods.CardOptions{TokenID: tok, Bank: "BNI"}), []string{"options.bank"}},
		{"channel", card(methods.CardOptions{TokenID: tok, Channel: "migs"}), nil},
		{"channel unknown", card(methods.CardOptions{TokenID: tok, Channel: "stripe"}), []string{"options.channel"}},
		{"installment with bank", card(methods.CardOptions{TokenID: tok, Bank: "bni", InstallmentTerm: 12, InstallmentTerms: []int{6, 12}}), nil},
		{"offline installment with bins", card(methods.CardOptions{TokenID: tok, Bins: []string{"48111111"}, InstallmentTerm: 6, InstallmentTerms: []int{6}}), nil},
		{"installment without bank", card(methods.CardOptions{TokenID: tok, InstallmentTerm: 3, InstallmentTerms: []int{3}}), []string{"options.installment_term"}},
		{"installment not offered", card(methods.CardOptions{TokenID: tok, Bank: "bni", InstallmentTerm: 24, InstallmentTerms: []int{3, 6}}), []string{"options.installment_term"}},
		{"no installments offered", card(methods.CardOptions{TokenID: tok, Bank: "bni", InstallmentTerm: 3}), []string{"options.installment_term"}},
		{"bad installment terms", card(methods.CardOptions{TokenID: tok, InstallmentTerms: []int{0, -3, 6}}), []string{"options.installment_terms[0]", "options.installment_terms[1]"}},
		{"negative installment", card(methods.CardOptions{TokenID: tok, Bank: "bca", InstallmentTerm: -1}), []string{"options.installment_term"}},
		{"bad bins", card(methods.CardOptions{TokenID: tok, Bins: []string{"4811", "", "48 11"}}), []string{"options.bins[1]", "options.bins[2]"}},
		{"everything at once", payments.ChargeRequest{Expiry: time.Minute,
			Options: methods.CardOptions{CallbackType: "x", Bank: "x", Channel: "x", InstallmentTerm: -2}},
			[]string{"expiry", "options.token_id", "options.callback_type", "options.bank", "options.channel", "options.installment_term"}},
	}
	for _, bank := range []string{"mandiri", "bni", "cimb", "bca", "maybank", "bri", "danamon", "mega"} {
		cases = append(cases, validationCase{"bank " + bank, card(methods.CardOptions{TokenID: tok, Bank: bank}), nil})
	}
	runValidation(t, methods.NewCard(), cases)
}

func TestValidateVirtualAccounts(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	digits := func(n int) string { return strings.Repeat("7", n) }
	customer := func(c payments.Customer) payments.ChargeRequest { return payments.ChargeRequest{Customer: &c} }
	lines := func(n int) []midtrans.FreeTextItem { return make([]midtrans.FreeTextItem, n) }

	runValidation(t, methods.NewBCAVA(), []validationCase{
		{"no options", opts(nil), nil},
		{"name of 30", customer(payments.Customer{FirstName: long(15), LastName: long(15)}), nil},
		{"name of 31", customer(payments.Customer{FirstName: long(15), LastName: long(16)}), []string{"customer_details.first_name"}},
		{"first name of 31", customer(payments.Customer{FirstName: long(31)}), []string{"customer_details.first_name"}},
		{"any phone", customer(payments.Customer{Phone: "62812"}), nil},
		{"va 18 digits", opts(methods.VAOptions{VANumber: digits(18)}), nil},
		{"va 19 digits", opts(methods.VAOptions{VANumber: digits(19)}), []string{"options.va_number"}},
		{"va not digits", opts(methods.VAOptions{VANumber: "12 34"}), []string{"options.va_number"}},
		{"sub company", opts(methods.VAOptions{SubCompanyCode: "00000"}), nil},
		{"sub company not digits", opts(methods.VAOptions{SubCompanyCode: "0000a"}), []string{"options.sub_company_code"}},
		{"free text of 10", opts(methods.VAOptions{FreeText: &midtrans.FreeText{Inquiry: lines(10), Payment: lines(10)}}), nil},
		{"free text of 11", opts(methods.VAOptions{FreeText: &midtrans.FreeText{Inquiry: lines(11), Payment: lines(11)}}),
			[]string{"options.free_text.inquiry", "options.free_text.payment"}},
		{"free text of 50", opts(methods.VAOptions{FreeText: &midtrans.FreeText{Inquiry: []midtrans.FreeTextItem{{ID: long(50), EN: long(50)}}}}), nil},
		{"free text of 51", opts(methods.VAOptions{FreeText: &midtrans.FreeText{Payment: []midtrans.FreeTextItem{{ID: long(51), EN: long(51)}}}}),
			[]string{"options.free_text.payment[0].id", "options.free_text.payment[0].en"}},
		{"recipient name", opts(methods.VAOptions{RecipientName: "BUDI"}), []string{"options.recipient_name"}},
		{"wrong options type", opts(methods.EChannelOptions{}), []string{"options"}},
		{"wrong type and a long name", payments.ChargeRequest{Customer: &payments.Customer{FirstName: long(40)}, Options: 42},
			[]string{"options", "customer_details.first_name"}},
	})
	runValidation(t, methods.NewBNIVA(), []validationCase{
		{"phone +62", customer(payments.Customer{Phone: "+6281223323423"}), nil},
		{"phone 0", customer(payments.Customer{Phone: "081223323423"}), nil},
		{"no phone", customer(payments.Customer{FirstName: "Budi"}), nil},
		{"phone 62", customer(payments.Customer{Phone: "6281223323423"}), []string{"customer_details.phone"}},
		{"phone of 30", customer(payments.Customer{Phone: "0" + digits(29)}), nil},
		{"phone of 31", customer(payments.Customer{Phone: "0" + digits(30)}), []string{"customer_details.phone"}},
		{"foreign and long phone", customer(payments.Customer{Phone: "+65" + digits(30)}), []string{"customer_details.phone", "customer_details.phone"}},
		{"long name", customer(payments.Customer{FirstName: long(40)}), nil},
		{"va 12 digits", opts(methods.VAOptions{VANumber: digits(12)}), nil},
		{"va 13 digits", opts(methods.VAOptions{VANumber: digits(13)}), []string{"options.va_number"}},
		{"sub company", opts(methods.VAOptions{SubCompanyCode: "00000"}), []string{"options.sub_company_code"}},
		{"free text", opts(&methods.VAOptions{FreeText: &midtrans.FreeText{}}), []string{"options.free_text"}},
	})
	runValidation(t, methods.NewBRIVA(), []validationCase{
		{"va 18 digits", opts(methods.VAOptions{VANumber: digits(18)}), nil},
		{"va 19 digits", opts(methods.VAOptions{VANumber: digits(19)}), []string{"options.va_number"}},
		{"phone 62", customer(payments.Customer{Phone: "62812"}), nil},
	})
	runValidation(t, methods.NewPermataVA(), []validationCase{
		{"recipient of 20", opts(methods.VAOptions{RecipientName: long(20)}), nil},
		{"recipient of 21", opts(methods.VAOptions{RecipientName: long(21)}), []string{"options.recipient_name"}},
		{"va 12 digits", opts(methods.VAOptions{VANumber: digits(12)}), nil},
		{"va 13 digits", opts(methods.VAOptions{VANumber: digits(13)}), []string{"options.va_number"}},
		{"BCA options", opts(methods.VAOptions{SubCompanyCode: "1", FreeText: &midtrans.FreeText{}}),
			[]string{"options.sub_company_code", "options.free_text"}},
	})
	runValidation(t, methods.NewCIMBVA(), []validationCase{
		{"va 12 digits", opts(methods.VAOptions{VANumber: digits(12)}), nil},
		{"va 13 digits", opts(methods.VAOptions{VANumber: digits(13)}), []string{"options.va_number"}},
		{"recipient", opts(methods.VAOptions{RecipientName: "X"}), []string{"options.recipient_name"}},
	})
}

func TestValidateEChannel(t *testing.T) {
	bill := func(k string) payments.ChargeRequest { return opts(methods.EChannelOptions{BillKey: k}) }
	runValidation(t, methods.NewEChannel(), []validationCase{
		{"defaults", opts(nil), nil},
		{"bill key of 6", bill("123456"), nil},
		{"bill key of 12", bill("081211111111"), nil},
		{"bill key of 5", bill("12345"), []string{"options.bill_key"}},
		{"bill key of 13", bill("1234567890123"), []string{"options.bill_key"}},
		{"bill key with letters", bill("12345a"), []string{"options.bill_key"}},
		// Mandiri truncates long bill info instead of refusing it.
		{"long bill info", opts(methods.EChannelOptions{BillInfo1: strings.Repeat("x", 40), BillInfo2: strings.Repeat("y", 60)}), nil},
		{"wrong options type", opts(methods.GoPayOptions{}), []string{"options"}},
	})
}

func TestValidateCallbackURLs(t *testing.T) {
	type plugin struct {
		m    payments.Method
		opts func(string) any
	}
	plugins := []plugin{
		{methods.NewGoPay(), func(u string) any { return methods.GoPayOptions{CallbackURL: u} }},
		{methods.NewShopeePay(), func(u string) any { return &methods.ShopeePayOptions{CallbackURL: u} }},
		{methods.NewDana(), func(u string) any { return methods.DanaOptions{CallbackURL: u} }},
	}
	urls := []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"https://shop.example/finish?order=1", true},
		{"http://localhost:8080/finish", true},
		{"someapps://callback", true},
		{"gojek://gopay/finish", true},
		{"javascript://alert(1)", false},
		{"data://text/html,hi", false},
		{"https:///no-host", false},
		{"shop.example/finish", false},
		{"/finish", false},
		{"myapp:finish", false},
		{"https://shop.example/a b", false},
	}
	for _, p := range plugins {
		var cases []validationCase
		for _, u := range urls {
			c := validationCase{name: "url " + u.url, req: opts(p.opts(u.url))}
			if !u.ok {
				c.want = []string{"options.callback_url"}
			}
			cases = append(cases, c)
		}
		cases = append(cases, validationCase{"wrong options type", opts(methods.QRISOptions{}), []string{"options"}})
		runValidation(t, p.m, cases)
	}
}

func TestValidateQRIS(t *testing.T) {
	runValidation(t, methods.NewQRIS(), []validationCase{
		{"default", opts(nil), nil},
		{"gopay", opts(methods.QRISOptions{Acquirer: "gopay"}), nil},
		{"airpay shopee", opts(methods.QRISOptions{Acquirer: "airpay shopee"}), nil},
		{"shopeepay", opts(methods.QRISOptions{Acquirer: "shopeepay"}), []string{"options.acquirer"}},
		{"wrong options type", opts(methods.CardOptions{}), []string{"options"}},
	})
}

func TestValidateStores(t *testing.T) {
	items := func(names ...string) []payments.Item {
		var out []payments.Item
		for _, n := range names {
			out = append(out, payments.Item{Name: n, Price: 1, Quantity: 1})
		}
		return out
	}
	text := func(n int) string { return strings.Repeat("t", n) }
	runValidation(t, methods.NewIndomaret(), []validationCase{
		{"defaults", opts(nil), nil},
		{"message of 20", opts(methods.CStoreOptions{Message: text(20)}), nil},
		{"message of 21", opts(methods.CStoreOptions{Message: text(21)}), []string{"options.message"}},
		{"pipe in item name", payments.ChargeRequest{Items: items("a|b")}, nil},
		{"alfamart texts", opts(methods.CStoreOptions{AlfamartFreeText1: "a", AlfamartFreeText3: "c"}),
			[]string{"options.alfamart_free_text_1", "options.alfamart_free_text_3"}},
		// Midtrans' amount limits table is indicative: no minimum amount.
		{"small amount", payments.ChargeRequest{OrderID: "o", Amount: 1}, nil},
		{"wrong options type", opts(methods.VAOptions{}), []string{"options"}},
	})
	runValidation(t, methods.NewAlfamart(), []validationCase{
		{"texts of 40", opts(&methods.CStoreOptions{AlfamartFreeText1: text(40), AlfamartFreeText2: text(40), AlfamartFreeText3: text(40)}), nil},
		{"texts of 41", opts(methods.CStoreOptions{AlfamartFreeText1: text(41), AlfamartFreeText2: text(41), AlfamartFreeText3: "ok"}),
			[]string{"options.alfamart_free_text_1", "options.alfamart_free_text_2"}},
		{"message of 21", opts(methods.CStoreOptions{Message: text(21)}), []string{"options.message"}},
		{"pipes in item names", payments.ChargeRequest{Items: items("ok", "a|b", "c", "|")},
			[]string{"item_details[1].name", "item_details[3].name"}},
		{"pipe and wrong options type", payments.ChargeRequest{Items: items("|"), Options: "x"},
			[]string{"item_details[0].name", "options"}},
	})
}

func TestValidateAkulaku(t *testing.T) {
	item := func(id string) payments.Item { return payments.Item{ID: id, Name: "n", Price: 1, Quantity: 1} }
	c := &payments.Customer{FirstName: "Budi"}
	runValidation(t, methods.NewAkulaku(), []validationCase{
		{"items and customer", payments.ChargeRequest{Items: []payments.Item{item("a"), item("b")}, Customer: c}, nil},
		{"nothing", payments.ChargeRequest{}, []string{"item_details", "customer_details"}},
		{"no customer", payments.ChargeRequest{Items: []payments.Item{item("a")}}, []string{"customer_details"}},
		{"no items", payments.ChargeRequest{Customer: c}, []string{"item_details"}},
		{"duplicate ids", payments.ChargeRequest{Items: []payments.Item{item("a"), item("b"), item("a"), item("b")}, Customer: c},
			[]string{"item_details[2].id", "item_details[3].id"}},
		{"missing ids collide", payments.ChargeRequest{Items: []payments.Item{item(""), item("")}, Customer: c}, []string{"item_details[1].id"}},
		{"options", payments.ChargeRequest{Items: []payments.Item{item("a")}, Customer: c, Options: struct{}{}}, []string{"options"}},
	})
}

func TestValidateDana(t *testing.T) {
	runValidation(t, methods.NewDana(), []validationCase{
		{"defaults", opts(nil), nil},
		{"expiry of 15 minutes", payments.ChargeRequest{Expiry: 15 * time.Minute}, nil},
		{"expiry of 14 minutes", payments.ChargeRequest{Expiry: 14 * time.Minute}, []string{"expiry"}},
		{"short expiry and bad callback", payments.ChargeRequest{Expiry: time.Minute, Options: methods.DanaOptions{CallbackURL: "x"}},
			[]string{"expiry", "options.callback_url"}},
	})
}
