package midtranstest

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

func TestChargeValidation(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	td := func(id string, amount any) map[string]any {
		return map[string]any{"order_id": id, "gross_amount": amount}
	}
	items := func(price, qty any, name string) []any {
		return []any{map[string]any{"id": "i1", "price": price, "quantity": qty, "name": name}}
	}
	cases := []struct {
		name    string
		body    map[string]any
		orderID string // a valid order id in body: a later valid charge with it must succeed
		want    []string
	}{
		{"payment_type missing", map[string]any{"transaction_details": td("v-1", 1000)}, "v-1",
			[]string{"payment_type is required"}},
		{"payment_type unknown", map[string]any{"payment_type": "bitcoin", "transaction_details": td("v-2", 1000)}, "v-2",
			[]string{`payment_type "bitcoin" is not supported`}},
		{"order_id missing", map[string]any{"payment_type": "gopay", "transaction_details": map[string]any{"gross_amount": 1000}}, "",
			[]string{"transaction_details.order_id is required"}},
		{"order_id too long", map[string]any{"payment_type": "gopay", "transaction_details": td(strings.Repeat("x", 51), 1000)}, "",
			[]string{"transaction_details.order_id must be no more than 50 characters"}},
		{"order_id characters", map[string]any{"payment_type": "gopay", "transaction_details": td("order #1", 1000)}, "",
			[]string{"transaction_details.order_id contains invalid characters (allowed: letters, digits, '-', '_', '.', '~')"}},
		{"gross_amount missing", map[string]any{"payment_type": "gopay", "transaction_details": map[string]any{"order_id": "v-6"}}, "v-6",
			[]string{"transaction_details.gross_amount is required"}},
		{"gross_amount zero", map[string]any{"payment_type": "gopay", "transaction_details": td("v-7", 0)}, "v-7",
			[]string{"transaction_details.gross_amount must be greater than 0"}},
		{"gross_amount negative", map[string]any{"payment_type": "gopay", "transaction_details": td("v-8", -5)}, "v-8",
			[]string{"transaction_details.gross_amount must be greater than 0"}},
		{"gross_amount decimals", map[string]any{"payment_type": "gopay", "transaction_details": td("v-9", 1000.5)}, "v-9",
			[]string{"transaction_details.gross_amount must be an integer without decimals"}},
		{"gross_amount string", map[string]any{"payment_type": "gopay", "transaction_details": td("v-10", "1000")}, "v-10",
			[]string{"transaction_details.gross_amount must be an integer without decimals"}},
		{"items sum", map[string]any{"payment_type": "gopay", "transaction_details": td("v-11", 1000), "item_details": items(400, 2, "A")}, "v-11",
			[]string{msgGrossMismatch}},
		{"item name missing", map[string]any{"payment_type": "gopay", "transaction_details": td("v-12", 1000), "item_details": items(1000, 1, "")}, "v-12",
			[]string{"item_details[0].name is required"}},
		{"item name too long", map[string]any{"payment_type": "gopay", "transaction_details": td("v-13", 1000), "item_details": items(1000, 1, strings.Repeat("n", 51))}, "v-13",
			[]string{"item_details[0].name must be no more than 50 characters"}},
		{"item price decimals", map[string]any{"payment_type": "gopay", "transaction_details": td("v-14", 1000), "item_details": items(999.5, 1, "A")}, "v-14",
			[]string{"item_details[0].price must be an integer without decimals"}},
		{"item quantity zero", map[string]any{"payment_type": "gopay", "transaction_details": td("v-15", 1000), "item_details": items(1000, 0, "A")}, "v-15",
			[]string{"item_details[0].quantity must be an integer of at least 1"}},
		{"bank missing", map[string]any{"payment_type": "bank_transfer", "transaction_details": td("v-16", 1000)}, "v-16",
			[]string{"bank_transfer.bank is required"}},
		{"bank unknown", vaCharge("v-17", 1000, "mandiri"), "v-17",
			[]string{"bank_transfer.bank must be one of bca, bni, bri, permata, cimb"}},
		{"va_number not digits", map[string]any{"payment_type": "bank_transfer", "transaction_details": td("v-18", 1000),
			"bank_transfer": map[string]any{"bank": "bca", "va_number": "12ab"}}, "v-18",
			[]string{"bank_transfer.va_number must contain digits only"}},
		{"store missing", map[string]any{"payment_type": "cstore", "transaction_details": td("v-19", 1000)}, "v-19",
			[]string{"cstore.store is required"}},
		{"store unknown", map[string]any{"payment_type": "cstore", "transaction_details": td("v-20", 1000), "cstore": map[string]any{"store": "lawson"}}, "v-20",
			[]string{"cstore.store must be indomaret or alfamart"}},
		{"acquirer unknown", map[string]any{"payment_type": "qris", "transaction_details": td("v-21", 1000), "qris": map[string]any{"acquirer": "dana"}}, "v-21",
			[]string{"qris.acquirer must be gopay or airpay shopee"}},
		{"akulaku without items and customer", map[string]any{"payment_type": "akulaku", "transaction_details": td("v-22", 1000)}, "v-22",
			[]string{"item_details is required", "customer_details is required"}},
		{"akulaku duplicate item ids", map[string]any{"payment_type": "akulaku", "transaction_details": td("v-23", 2000),
			"item_details":     []any{map[string]any{"id": "a", "price": 1000, "quantity": 1, "name": "A"}, map[string]any{"id": "a", "price": 1000, "quantity": 1, "name": "B"}},
			"customer_details": map[string]any{"first_name": "B"}}, "v-23",
			[]string{"item_details.id must be unique"}},
		{"custom_expiry below minimum", map[string]any{"payment_type": "gopay", "transaction_details": td("v-24", 1000),
			"custom_expiry": map[string]any{"expiry_duration": 19, "unit": "second"}}, "v-24",
			[]string{msgBelowMinimum}},
		{"ovo without phone", map[string]any{"payment_type": "ovo", "transaction_details": td("v-25", 1000)}, "v-25",
			[]string{"ovo.payer_phone_number is required"}},
		{"bill_key too short", map[string]any{"payment_type": "echannel", "transaction_details": td("v-26", 1000), "echannel": map[string]any{"bill_key": "123"}}, "v-26",
			[]string{"echannel.bill_key must be 6 to 12 digits"}},
		{"every problem listed", map[string]any{"transaction_details": td("bad id!", 0), "item_details": items(10, 1, "")}, "",
			[]string{"payment_type is required", "transaction_details.order_id contains invalid characters (allowed: letters, digits, '-', '_', '.', '~')",
				"transaction_details.gross_amount must be greater than 0", "item_details[0].name is required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, m := a.doJSON("POST", "/v2/charge", c.body)
			if code != http.StatusBadRequest || m["status_code"] != "400" || m["status_message"] != msgInvalid || m["id"] == nil {
				t.Fatalf("HTTP %d %v", code, m)
			}
			var got []string
			for _, v := range m["validation_messages"].([]any) {
				got = append(got, v.(string))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("validation_messages %q, want %q", got, c.want)
			}
			if c.orderID != "" {
				if _, ok := s.Transaction(c.orderID); ok {
					t.Errorf("an invalid charge stored %s", c.orderID)
				}
				a.charge(map[string]any{"payment_type": "gopay", "transaction_details": td(c.orderID, 1000)}, "201")
			}
		})
	}

	t.Run("malformed JSON", func(t *testing.T) {
		for _, body := range []string{`{"payment_type":`, `[1,2]`, `{"a":1} {"b":2}`, ``} {
			code, m := a.doJSON("POST", "/v2/charge", body)
			if code != http.StatusBadRequest || m["status_code"] != "413" || m["status_message"] != "Syntax error" {
				t.Errorf("%q: HTTP %d %v", body, code, m)
			}
		}
	})
	t.Run("custom_expiry is ignored for cards", func(t *testing.T) {
		req := cardCharge("v-card-exp", 10000, "4811111111111114", nil)
		req["custom_expiry"] = map[string]any{"expiry_duration": 1, "unit": "second"}
		a.charge(req, "200")
	})
}

func TestSnapValidation(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	snapErr := func(body any) (int, []string) {
		t.Helper()
		code, m := a.doJSON("POST", "/snap/v1/transactions", body)
		var msgs []string
		for _, v := range m["error_messages"].([]any) {
			msgs = append(msgs, v.(string))
		}
		return code, msgs
	}
	t.Run("gross mismatch", func(t *testing.T) {
		req := fixture.Object(t, "docs/snap-request-complete.json")
		req["transaction_details"].(map[string]any)["gross_amount"] = 20000
		code, msgs := snapErr(req)
		want := fixture.Object(t, "docs/snap-error-400-gross-amount-mismatch.json")["error_messages"].([]any)
		if code != http.StatusBadRequest || len(msgs) != 1 || msgs[0] != want[0] {
			t.Errorf("HTTP %d %q", code, msgs)
		}
		if _, ok := s.Transaction("ORDER-101"); ok {
			t.Error("invalid Snap request was stored")
		}
	})
	t.Run("order id used", func(t *testing.T) {
		code, _ := a.doJSON("POST", "/snap/v1/transactions", fixture.Object(t, "docs/snap-request-minimum.json"))
		if code != http.StatusCreated {
			t.Fatalf("HTTP %d", code)
		}
		code, msgs := snapErr(fixture.Object(t, "docs/snap-request-minimum.json"))
		want := fixture.Object(t, "docs/snap-error-400-order-id-used.json")["error_messages"].([]any)
		if code != http.StatusBadRequest || len(msgs) != 1 || msgs[0] != want[0] {
			t.Errorf("HTTP %d %q", code, msgs)
		}
		// the Core API sees the same order as taken
		a.charge(vaCharge("ORDER-101", 10000, "bca"), "406")
	})
	t.Run("missing details", func(t *testing.T) {
		code, msgs := snapErr(map[string]any{})
		if code != http.StatusBadRequest || !slices.Equal(msgs, []string{"transaction_details.order_id is required", "transaction_details.gross_amount is required"}) {
			t.Errorf("HTTP %d %q", code, msgs)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		code, msgs := snapErr("{")
		if code != http.StatusBadRequest || len(msgs) == 0 {
			t.Errorf("HTTP %d %q", code, msgs)
		}
	})
}
