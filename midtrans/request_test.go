package midtrans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

// jsonValue decodes JSON into generic values, numbers kept exact.
func jsonValue(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return stripComments(v)
}

// stripComments drops the fixtures' documentation-only "_…" members.
func stripComments(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.HasPrefix(k, "_") {
				delete(v, k)
				continue
			}
			v[k] = stripComments(x)
		}
	case []any:
		for i, x := range v {
			v[i] = stripComments(x)
		}
	}
	return v
}

// keyPaths lists every member path of a JSON value ("a.b", "items[].id").
func keyPaths(v any, prefix string, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			keyPaths(x, p, out)
		}
	case []any:
		for _, x := range v {
			keyPaths(x, prefix+"[]", out)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestChargeRequestFixtures: each docs charge request decodes into a
// ChargeRequest that encodes back to the same JSON, with only the
// unmodelled payment types in Extra.
func TestChargeRequestFixtures(t *testing.T) {
	wantExtra := map[string][]string{"charge-uob-ezpay-request.json": {"uob_ezpay"}}
	for _, name := range fixture.Glob(t, "docs/charge-*-request.json") {
		t.Run(path.Base(name), func(t *testing.T) {
			data := fixture.Bytes(t, name)
			var req ChargeRequest
			if err := json.Unmarshal(data, &req); err != nil {
				t.Fatal(err)
			}
			var extra []string
			for k := range req.Extra {
				extra = append(extra, k)
			}
			slices.Sort(extra)
			if !slices.Equal(extra, wantExtra[path.Base(name)]) {
				t.Errorf("Extra keys = %v, want %v", extra, wantExtra[path.Base(name)])
			}
			out, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			assertSameKeysAndValues(t, out, data)
		})
	}
}

func TestSnapRequestFixtures(t *testing.T) {
	wantExtra := map[string][]string{
		"snap-request-complete.json": {"bca_va", "bni_va", "bri_va", "cimb_va", "permata_va", "recurring", "uob_ezpay"},
	}
	for _, name := range fixture.Glob(t, "docs/snap-request-*.json") {
		t.Run(path.Base(name), func(t *testing.T) {
			data := fixture.Bytes(t, name)
			var req SnapRequest
			if err := json.Unmarshal(data, &req); err != nil {
				t.Fatal(err)
			}
			var extra []string
			for k := range req.Extra {
				extra = append(extra, k)
			}
			slices.Sort(extra)
			if !slices.Equal(extra, wantExtra[path.Base(name)]) {
				t.Errorf("Extra keys = %v, want %v", extra, wantExtra[path.Base(name)])
			}
			out, err := json.Marshal(&req)
			if err != nil {
				t.Fatal(err)
			}
			assertSameKeysAndValues(t, out, data)
		})
	}
}

func assertSameKeysAndValues(t *testing.T, got, want []byte) {
	t.Helper()
	g, w := jsonValue(t, got), jsonValue(t, want)
	gk, wk := map[string]bool{}, map[string]bool{}
	keyPaths(g, "", gk)
	keyPaths(w, "", wk)
	if !reflect.DeepEqual(gk, wk) {
		t.Errorf("key sets differ:\n got  %v\n want %v", sortedKeys(gk), sortedKeys(wk))
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("values differ:\n got  %s\n want %s", got, want)
	}
}

// TestChargeRequestFromGo builds requests in Go and compares their key
// sets with the docs samples, so the struct tags are checked directly.
func TestChargeRequestFromGo(t *testing.T) {
	tests := []struct {
		fixture string
		req     any
	}{
		{"docs/charge-credit-card-request.json", &ChargeRequest{
			PaymentType:        "credit_card",
			TransactionDetails: TransactionDetails{OrderID: "C17550", GrossAmount: 145000},
			CreditCard:         &CreditCard{TokenID: "< your token ID >"},
			ItemDetails:        []ItemDetail{{ID: "a1", Price: 145000, Quantity: 2, Name: "Apel", Brand: "Fuji Apple", Category: "Fruit", MerchantName: "Fruit-store"}},
			CustomerDetails: &CustomerDetails{
				FirstName: "BUDI", LastName: "UTOMO", Email: "test@midtrans.com", Phone: "+628123456",
				BillingAddress:  &Address{FirstName: "BUDI", LastName: "UTOMO", Email: "test@midtrans.com", Phone: "081 2233 44-55", Address: "Sudirman", City: "Jakarta", PostalCode: "12190", CountryCode: "IDN"},
				ShippingAddress: &Address{FirstName: "BUDI", LastName: "UTOMO", Email: "test@midtrans.com", Phone: "0 8128-75 7-9338", Address: "Sudirman", City: "Jakarta", PostalCode: "12190", CountryCode: "IDN"},
			},
		}},
		{"docs/charge-credit-card-3ds-request.json", &ChargeRequest{
			PaymentType: "credit_card", TransactionDetails: TransactionDetails{OrderID: "C17550", GrossAmount: 145000},
			CreditCard: &CreditCard{TokenID: "< your token ID >", Authentication: true, CallbackType: "js_event"},
		}},
		{"docs/charge-credit-card-installment-request.json", &ChargeRequest{
			PaymentType: "credit_card", TransactionDetails: TransactionDetails{OrderID: "C17550", GrossAmount: 145000},
			CreditCard: &CreditCard{TokenID: "< your token ID >", Bank: "bni", InstallmentTerm: 12},
		}},
		{"docs/charge-echannel-request.json", &ChargeRequest{
			PaymentType: "echannel", TransactionDetails: TransactionDetails{OrderID: "order-101", GrossAmount: 44000},
			EChannel: &EChannel{BillInfo1: "Payment:", BillInfo2: "Online purchase"},
		}},
		{"docs/charge-cstore-alfamart-request.json", &ChargeRequest{
			PaymentType: "cstore", TransactionDetails: TransactionDetails{OrderID: "order-101", GrossAmount: 44000},
			CStore: &CStore{Store: "alfamart", Message: "Message ", AlfamartFreeText1: "1st row of receipt,", AlfamartFreeText2: "This is the 2nd row,", AlfamartFreeText3: "3rd row. The end."},
		}},
		{"docs/charge-gopay-request.json", &ChargeRequest{
			PaymentType: "gopay", TransactionDetails: TransactionDetails{OrderID: "order03", GrossAmount: 275000},
			ItemDetails:     []ItemDetail{{ID: "id1", Price: 275000, Quantity: 1, Name: "Bluedio H+ Turbine Headphone with Bluetooth 4.1 -"}},
			CustomerDetails: &CustomerDetails{FirstName: "Budi", LastName: "Utomo", Email: "budi.utomo@midtrans.com", Phone: "081223323423"},
			GoPay:           &GoPay{EnableCallback: true, CallbackURL: "someapps://callback"},
		}},
		{"docs/charge-qris-request.json", &ChargeRequest{
			PaymentType: "qris", TransactionDetails: TransactionDetails{OrderID: "order03", GrossAmount: 275000},
			ItemDetails:     []ItemDetail{{ID: "id1", Price: 275000, Quantity: 1, Name: "Bluedio H+ Turbine Headphone with Bluetooth 4.1 -"}},
			CustomerDetails: &CustomerDetails{FirstName: "Budi", LastName: "Utomo", Email: "budi.utomo@midtrans.com", Phone: "081223323423"},
			QRIS:            &QRIS{Acquirer: "gopay"},
		}},
		{"docs/charge-shopeepay-request.json", &ChargeRequest{
			PaymentType: "shopeepay", TransactionDetails: TransactionDetails{OrderID: "test-order-shopeepay-001", GrossAmount: 25000},
			ItemDetails:     []ItemDetail{{ID: "id1", Price: 25000, Quantity: 1, Name: "Brown sugar boba milk tea"}},
			CustomerDetails: &CustomerDetails{FirstName: "John", LastName: "Brandon", Email: "john.brandon@go-jek.com", Phone: "0819323212312"},
			ShopeePay:       &ShopeePay{CallbackURL: "https://midtrans.com/"},
		}},
		{"docs/charge-permata-custom-expiry-request.json", &ChargeRequest{
			PaymentType: "bank_transfer", TransactionDetails: TransactionDetails{OrderID: "C17550", GrossAmount: 145000},
			BankTransfer: &BankTransfer{Bank: "permata"},
			CustomExpiry: &CustomExpiry{OrderTime: "2016-12-07 11:54:12 +0700", ExpiryDuration: 60, Unit: "minute"},
		}},
		{"docs/charge-permata-custom-fields-request.json", &ChargeRequest{
			PaymentType: "bank_transfer", TransactionDetails: TransactionDetails{OrderID: "C17550", GrossAmount: 145000},
			BankTransfer: &BankTransfer{Bank: "permata"},
			CustomField1: "custom field 1 content", CustomField2: "custom field 2 content", CustomField3: "custom field 3 content",
		}},
		{"docs/charge-permata-metadata-request.json", &ChargeRequest{
			PaymentType: "bank_transfer", TransactionDetails: TransactionDetails{OrderID: "C17550", GrossAmount: 145000},
			BankTransfer: &BankTransfer{Bank: "permata"},
			Metadata:     json.RawMessage(`{"you":"can","put":"any","parameter":"you like"}`),
		}},
		{"docs/charge-uob-ezpay-request.json", &ChargeRequest{
			PaymentType: "uob_ezpay", TransactionDetails: TransactionDetails{OrderID: "H17550", GrossAmount: 11000},
			ItemDetails:     []ItemDetail{{ID: "1", Price: 11000, Quantity: 1, Name: "Mobil "}},
			CustomerDetails: &CustomerDetails{FirstName: "Andri", LastName: "Litani", Email: "[email protected]", Phone: "081122334455"},
			Extra:           map[string]json.RawMessage{"uob_ezpay": json.RawMessage(`{"callback_url": "http://example.com/uobezpay?order_id=sample-001"}`)},
		}},
		{"docs/object-bank-transfer-bca.json", struct {
			BankTransfer *BankTransfer `json:"bank_transfer"`
		}{&BankTransfer{Bank: "bca", VANumber: "111111",
			FreeText: &FreeText{
				Inquiry: []FreeTextItem{{ID: "Free Text ID Free Text ID Free Text ID", EN: "Free Text EN Free Text EN Free Text EN"}},
				Payment: []FreeTextItem{{ID: "Free Text ID Free Text ID Free Text ID", EN: "Free Text EN Free Text EN Free Text EN"}},
			},
			BCA: &BCAOptions{SubCompanyCode: "00000"}}}},
		{"docs/object-bank-transfer-permata.json", struct {
			BankTransfer *BankTransfer `json:"bank_transfer"`
		}{&BankTransfer{Bank: "permata", VANumber: "111111", Permata: &PermataOptions{RecipientName: "SUDARSONO"}}}},
		{"docs/object-echannel-custom-bill-key.json", struct {
			EChannel *EChannel `json:"echannel"`
		}{&EChannel{BillInfo1: "Payment:", BillInfo2: "Online purchase", BillKey: "081211111111"}}},
		{"docs/capture-request.json", CaptureRequest{TransactionID: "1ac1a089d-a587-40f1-a936-a7770667d6dd", GrossAmount: 55000}},
		{"docs/refund-request.json", RefundRequest{RefundKey: "reference1", Amount: 5000, Reason: "for some reason"}},
		{"docs/snap-request-minimum.json", &SnapRequest{TransactionDetails: TransactionDetails{OrderID: "ORDER-101", GrossAmount: 10000}}},
	}
	for _, tt := range tests {
		t.Run(path.Base(tt.fixture), func(t *testing.T) {
			out, err := json.Marshal(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			assertSameKeysAndValues(t, out, fixture.Bytes(t, tt.fixture))
		})
	}
}

func TestExtraMerging(t *testing.T) {
	req := ChargeRequest{
		PaymentType:        "kredivo",
		TransactionDetails: TransactionDetails{OrderID: "o", GrossAmount: 40000},
		Extra: map[string]json.RawMessage{
			"seller_details": json.RawMessage(`[ {"id": "s-1"} ]`),
			"kredivo":        json.RawMessage(`{}`),
			"a_null":         nil,
		},
	}
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"payment_type":"kredivo","transaction_details":{"order_id":"o","gross_amount":40000},"a_null":null,"kredivo":{},"seller_details":[{"id":"s-1"}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}

	// Every modelled member name collides, whether the field is set or not.
	for _, key := range jsonNames(reflect.TypeFor[chargeRequestFields]()) {
		req := ChargeRequest{PaymentType: "x", Extra: map[string]json.RawMessage{key: json.RawMessage(`1`)}}
		if _, err := json.Marshal(req); !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), key) {
			t.Errorf("Extra[%q]: err = %v", key, err)
		}
	}
	for _, key := range jsonNames(reflect.TypeFor[snapRequestFields]()) {
		req := SnapRequest{Extra: map[string]json.RawMessage{key: json.RawMessage(`1`)}}
		if _, err := json.Marshal(req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("snap Extra[%q]: err = %v", key, err)
		}
	}
	if got := jsonNames(reflect.TypeFor[chargeRequestFields]()); slices.Contains(got, "Extra") || !slices.Contains(got, "cstore") {
		t.Errorf("modelled names = %v", got)
	}
}

func TestExtraSentOnCharge(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, chargeCreated) })
	c := newTestClient(t, srv.URL, nil)
	req := &ChargeRequest{
		PaymentType:        "ovo",
		TransactionDetails: TransactionDetails{OrderID: "test-order-ovo-001", GrossAmount: 15000},
		Extra:              map[string]json.RawMessage{"ovo": json.RawMessage(`{"payer_phone_number":"081111111111"}`)},
	}
	if _, err := c.Charge(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, rec.all()[0].Body, []byte(`{"payment_type":"ovo","transaction_details":{"order_id":"test-order-ovo-001","gross_amount":15000},"ovo":{"payer_phone_number":"081111111111"}}`))
}

func TestCustomerDetailsShippingAddressKey(t *testing.T) {
	out, err := json.Marshal(CustomerDetails{ShippingAddress: &Address{City: "Jakarta"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"shipping_address":{"city":"Jakarta"}}` {
		t.Errorf("got %s", out)
	}
}

// TestPathEscaping: an id is exactly one path segment, whatever it holds.
func TestPathEscaping(t *testing.T) {
	ids := []string{
		"order-1",
		"2016-10-20 12:39:16 +0700",
		"a/b",
		"a?b=c",
		"a#frag",
		"100%",
		"pesanan-ünïcödé-🛒",
		"semi;colon,comma",
		"...",
		"../status",
		"a\x00b",
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 200, `{"status_code":"200","transaction_status":"cancel"}`)
			})
			c := newTestClient(t, srv.URL, nil)
			if _, err := c.Status(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Cancel(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			for i, suffix := range []string{"/status", "/cancel"} {
				got := reqs[i]
				if got.Path != "/v2/"+id+suffix {
					t.Errorf("path = %q, want %q", got.Path, "/v2/"+id+suffix)
				}
				if got.Query != "" {
					t.Errorf("query = %q", got.Query)
				}
				segs := strings.Split(strings.TrimPrefix(got.RawPath, "/"), "/")
				if len(segs) != 3 {
					t.Errorf("escaped path %q has %d segments, want 3", got.RawPath, len(segs))
				}
			}
		})
	}
}
