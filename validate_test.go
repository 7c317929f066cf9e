package payments

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
)

// TestChargeRequestRules pins every rule checkRequest holds at its
// boundary, with the message a host sees: lengths are counted in
// characters (runes), not bytes; the first failing rule of a field is the
// one reported; problems come in field order, the items' total last.
func TestChargeRequestRules(t *testing.T) {
	s := &Service{validate: validator.New()}
	good := func() *ChargeRequest {
		return &ChargeRequest{OrderID: "o-1", Method: "bca_va", Amount: 3000,
			Items:    []Item{{Name: "Kopi", Price: 1000, Quantity: 3}},
			Customer: &Customer{FirstName: "Budi", Email: "budi@example.com", Phone: "+62 812-3456-7890"}}
	}
	n := func(r string, k int) string { return strings.Repeat(r, k) }
	cases := []struct {
		name string
		edit func(r *ChargeRequest)
		want []FieldError // nil: accepted
	}{
		{"good", func(*ChargeRequest) {}, nil},
		{"order id missing", func(r *ChargeRequest) { r.OrderID = "" }, []FieldError{{"order_id", "is required"}}},
		{"order id 50", func(r *ChargeRequest) { r.OrderID = n("x", 50) }, nil},
		{"order id 51", func(r *ChargeRequest) { r.OrderID = n("x", 51) }, []FieldError{{"order_id", "must be at most 50 characters"}}},
		{"order id 50 runes of 2 bytes", func(r *ChargeRequest) { r.OrderID = n("é", 50) }, []FieldError{{"order_id", orderIDMessage}}},
		{"order id space", func(r *ChargeRequest) { r.OrderID = "o 1" }, []FieldError{{"order_id", orderIDMessage}}},
		{"method missing", func(r *ChargeRequest) { r.Method = "" }, []FieldError{{"method", "is required"}}},
		{"amount zero", func(r *ChargeRequest) { r.Amount, r.Items = 0, nil }, []FieldError{{"gross_amount", "must be positive"}}},
		{"amount negative", func(r *ChargeRequest) { r.Amount, r.Items = -1, nil }, []FieldError{{"gross_amount", "must be positive"}}},
		{"100 items", func(r *ChargeRequest) {
			r.Items = make([]Item, 100)
			for i := range r.Items {
				r.Items[i] = Item{Name: "a", Price: 30, Quantity: 1}
			}
		}, nil},
		{"101 items", func(r *ChargeRequest) {
			r.Items = make([]Item, 101) // nameless: not looked into, only counted
			r.Amount = 0
		}, []FieldError{{"gross_amount", "must be positive"}, {"item_details", "must have at most 100 entries"}}},
		{"item name", func(r *ChargeRequest) { r.Items[0].Name = "" }, []FieldError{{"item_details[0].name", "is required"}}},
		{"item name 50 runes", func(r *ChargeRequest) { r.Items[0].Name = n("ü", 50) }, nil},
		{"item texts 51 runes", func(r *ChargeRequest) {
			it := &r.Items[0]
			it.ID, it.Name, it.Brand, it.Category, it.MerchantName, it.URL = n("ü", 51), n("ü", 51), n("a", 51), n("a", 51), n("a", 51), n("a", 51)
		}, []FieldError{{"item_details[0].id", "must be at most 50 characters"}, {"item_details[0].name", "must be at most 50 characters"},
			{"item_details[0].brand", "must be at most 50 characters"}, {"item_details[0].category", "must be at most 50 characters"},
			{"item_details[0].merchant_name", "must be at most 50 characters"}, {"item_details[0].url", "must be at most 50 characters"}}},
		{"quantity 0", func(r *ChargeRequest) { r.Items[0].Quantity = 0 }, []FieldError{{"item_details[0].quantity", "must be at least 1"}}},
		{"quantity 1,000,000", func(r *ChargeRequest) { r.Items[0].Quantity, r.Amount = 1_000_000, 1_000_000_000 }, nil},
		{"quantity 1,000,001", func(r *ChargeRequest) { r.Items[0].Quantity, r.Amount = 1_000_001, 1_000_001_000 }, []FieldError{{"item_details[0].quantity", "must be at most 1000000"}}},
		{"items do not add up", func(r *ChargeRequest) { r.Amount = 2999 }, []FieldError{{"item_details", "prices times quantities add up to 3000, not the gross amount 2999"}}},
		{"discount line", func(r *ChargeRequest) {
			r.Items = append(r.Items, Item{Name: "Diskon", Price: -500, Quantity: 1})
			r.Amount = 2500
		}, nil},
		{"items overflow", func(r *ChargeRequest) { r.Items[0].Price = 1 << 61 }, []FieldError{{"item_details", "prices times quantities overflow"}}},
		{"customer names 255/256", func(r *ChargeRequest) { r.Customer.FirstName, r.Customer.LastName = n("ö", 255), n("o", 256) },
			[]FieldError{{"customer_details.last_name", "must be at most 255 characters"}}},
		{"customer email and phone", func(r *ChargeRequest) { r.Customer.Email, r.Customer.Phone = "budi@", "call me" },
			[]FieldError{{"customer_details.email", msgEmail}, {"customer_details.phone", msgPhone}}},
		{"customer email 256", func(r *ChargeRequest) { r.Customer.Email = n("a", 244) + "@example.com" },
			[]FieldError{{"customer_details.email", "must be at most 255 characters"}}},
		{"empty email and phone", func(r *ChargeRequest) { r.Customer.Email, r.Customer.Phone = "", "" }, nil},
		{"addresses", func(r *ChargeRequest) {
			r.Customer.BillingAddress = &Address{City: n("c", 100), PostalCode: "12345", CountryCode: "IDN"}
			r.Customer.ShippingAddress = &Address{Email: "x", Address: n("a", 256), City: n("c", 101), PostalCode: "12_34", CountryCode: "ID"}
		}, []FieldError{{"customer_details.shipping_address.email", msgEmail}, {"customer_details.shipping_address.address", "must be at most 255 characters"},
			{"customer_details.shipping_address.city", "must be at most 100 characters"}, {"customer_details.shipping_address.postal_code", msgPostal},
			{"customer_details.shipping_address.country_code", "must be exactly 3 characters"}}},
		{"postal code 11, country not letters", func(r *ChargeRequest) {
			r.Customer.BillingAddress = &Address{PostalCode: n("1", 11), CountryCode: "1DN"}
		}, []FieldError{{"customer_details.billing_address.postal_code", "must be at most 10 characters"}, {"customer_details.billing_address.country_code", msgCountry}}},
		{"country code 3 runes not ASCII", func(r *ChargeRequest) { r.Customer.BillingAddress = &Address{CountryCode: "ÎDN"} },
			[]FieldError{{"customer_details.billing_address.country_code", msgCountry}}},
		{"expiry 19s", func(r *ChargeRequest) { r.Expiry = 19 * time.Second }, []FieldError{{"expiry", "must be at least 20s"}}},
		{"expiry 20s", func(r *ChargeRequest) { r.Expiry = 20 * time.Second }, nil},
		{"expiry negative", func(r *ChargeRequest) { r.Expiry = -time.Minute }, []FieldError{{"expiry", "must be at least 20s"}}},
		{"custom fields 256", func(r *ChargeRequest) { r.CustomField1, r.CustomField3 = n("f", 255), n("f", 256) },
			[]FieldError{{"custom_field3", "must be at most 255 characters"}}},
		{"metadata object", func(r *ChargeRequest) { r.Metadata = []byte(" {\"a\":[1]}\n") }, nil},
		{"metadata null", func(r *ChargeRequest) { r.Metadata = []byte("null") }, []FieldError{{"metadata", "must be a JSON object"}}},
		{"metadata array", func(r *ChargeRequest) { r.Metadata = []byte("[1]") }, []FieldError{{"metadata", "must be a JSON object"}}},
		{"metadata empty, not nil", func(r *ChargeRequest) { r.Metadata = []byte{} }, []FieldError{{"metadata", "must be a JSON object"}}},
		{"metadata truncated", func(r *ChargeRequest) { r.Metadata = []byte(`{"a":`) }, []FieldError{{"metadata", "must be a JSON object"}}},
		{"notification urls", func(r *ChargeRequest) {
			r.OverrideNotificationURLs = []string{"https://a/1", "http://b", "https://c"}
			r.AppendNotificationURLs = []string{"ftp://x", "/rel", "https://a/1,https://b"}
		}, []FieldError{{"append_notification_urls[0]", msgURL}, {"append_notification_urls[1]", msgURL}, {"append_notification_urls[2]", msgURL}}},
		{"4 notification urls", func(r *ChargeRequest) { r.OverrideNotificationURLs = []string{"ftp://1", "2", "3", "4"} },
			[]FieldError{{"override_notification_urls", "must have at most 3 entries"}}},
		{"field order", func(r *ChargeRequest) {
			r.OrderID, r.Method, r.Amount, r.Items[0].Name, r.Customer.Phone, r.Metadata = "", "", 1, "", "x", []byte("1")
		}, []FieldError{{"order_id", "is required"}, {"method", "is required"}, {"item_details[0].name", "is required"},
			{"customer_details.phone", msgPhone}, {"metadata", "must be a JSON object"},
			{"item_details", "prices times quantities add up to 3000, not the gross amount 1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.edit(r)
			var ve ValidationError
			s.checkRequest(r, &ve)
			if !reflect.DeepEqual(ve.Fields, tc.want) {
				t.Fatalf("got  %q\nwant %q", ve.Fields, tc.want)
			}
		})
	}
}
