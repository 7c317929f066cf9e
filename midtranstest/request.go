package midtranstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// decodeObject decodes a JSON object keeping numbers exact; "null" or an empty object
// give an empty map. Anything else (bad JSON, trailing data, non-object) is a syntax error.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	}
	return nil, errors.New("body is not a JSON object")
}

// syntaxError: malformed JSON gets status_code 413 "Syntax error" under HTTP 400.
func syntaxError() apiResult {
	return apiResult{status: http.StatusBadRequest, body: mustJSON(obj{
		"status_code": "413", "status_message": "Syntax error", "id": newUUID()})}
}

func asObject(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

func asString(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// asInt accepts only JSON integers: Midtrans amounts carry no decimals.
func asInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func asBool(v any) bool {
	b, _ := v.(bool)
	return b
}

type item struct {
	id    string
	name  string
	price int64
	qty   int64
}

// common is what every charge and Snap request shares.
type common struct {
	orderID      string
	gross        int64
	items        []item
	hasItems     bool
	customer     map[string]any
	customFields map[string]string
	metadata     json.RawMessage
}

func orderIDValid(id string) bool {
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '~':
		default:
			return false
		}
	}
	return true
}

// parseCommon validates transaction_details, item_details, customer_details, custom
// fields and metadata, returning every problem (Midtrans lists them all).
func parseCommon(m map[string]any) (common, []string) {
	var c common
	var msgs []string
	td, _ := asObject(m["transaction_details"])

	switch v, present := td["order_id"]; {
	case !present || v == nil || v == "":
		msgs = append(msgs, "transaction_details.order_id is required")
	default:
		id, ok := asString(v)
		switch {
		case !ok:
			msgs = append(msgs, "transaction_details.order_id must be a string")
		case utf8.RuneCountInString(id) > 50:
			msgs = append(msgs, "transaction_details.order_id must be no more than 50 characters")
		case !orderIDValid(id):
			msgs = append(msgs, "transaction_details.order_id contains invalid characters (allowed: letters, digits, '-', '_', '.', '~')")
		default:
			c.orderID = id
		}
	}

	grossOK := false
	switch v, present := td["gross_amount"]; {
	case !present || v == nil:
		msgs = append(msgs, "transaction_details.gross_amount is required")
	default:
		n, ok := asInt(v)
		switch {
		case !ok:
			msgs = append(msgs, "transaction_details.gross_amount must be an integer without decimals")
		case n <= 0:
			msgs = append(msgs, "transaction_details.gross_amount must be greater than 0")
		default:
			c.gross, grossOK = n, true
		}
	}

	if v, present := m["item_details"]; present && v != nil {
		c.hasItems = true
		arr, ok := v.([]any)
		if !ok {
			msgs = append(msgs, "item_details must be an array")
		} else {
			itemsOK := true
			var sum int64
			for i, raw := range arr {
				p := fmt.Sprintf("item_details[%d].", i)
				it, ok := asObject(raw)
				if !ok {
					msgs = append(msgs, fmt.Sprintf("item_details[%d] must be an object", i))
					itemsOK = false
					continue
				}
				var x item
				if id, ok := asString(it["id"]); ok {
					if utf8.RuneCountInString(id) > 50 {
						msgs = append(msgs, p+"id must be no more than 50 characters")
					}
					x.id = id
				}
				name, _ := asString(it["name"])
				switch {
				case strings.TrimSpace(name) == "":
					msgs = append(msgs, p+"name is required")
				case utf8.RuneCountInString(name) > 50:
					msgs = append(msgs, p+"name must be no more than 50 characters")
				}
				x.name = name
				price, ok := asInt(it["price"])
				if !ok {
					msgs = append(msgs, p+"price must be an integer without decimals")
					itemsOK = false
				}
				qty, ok := asInt(it["quantity"])
				if !ok || qty < 1 {
					msgs = append(msgs, p+"quantity must be an integer of at least 1")
					itemsOK = false
				}
				x.price, x.qty = price, qty
				sum += price * qty
				c.items = append(c.items, x)
			}
			if itemsOK && grossOK && sum != c.gross {
				msgs = append(msgs, msgGrossMismatch)
			}
		}
	}

	if v, present := m["customer_details"]; present && v != nil {
		cd, ok := asObject(v)
		if !ok {
			msgs = append(msgs, "customer_details must be an object")
		}
		c.customer = cd
	}

	for _, k := range []string{"custom_field1", "custom_field2", "custom_field3"} {
		v, present := m[k]
		if !present || v == nil {
			continue
		}
		str, ok := asString(v)
		if !ok || utf8.RuneCountInString(str) > 255 {
			msgs = append(msgs, k+" must be a string of at most 255 characters")
			continue
		}
		if c.customFields == nil {
			c.customFields = map[string]string{}
		}
		c.customFields[k] = str
	}
	if v, present := m["metadata"]; present && v != nil {
		if _, ok := asObject(v); !ok {
			msgs = append(msgs, "metadata must be a JSON object")
		} else {
			c.metadata = mustJSON(v)
		}
	}
	return c, msgs
}

// parseCustomExpiry reads Core API custom_expiry. ok=false means absent.
func parseCustomExpiry(v any, now time.Time) (start time.Time, d time.Duration, msgs []string, ok bool) {
	if v == nil {
		return time.Time{}, 0, nil, false
	}
	ce, isObj := asObject(v)
	if !isObj {
		return time.Time{}, 0, []string{"custom_expiry must be an object"}, true
	}
	start = now
	if ot, present := ce["order_time"]; present && ot != nil {
		str, _ := asString(ot)
		t, err := time.Parse("2006-01-02 15:04:05 -0700", str)
		if err != nil {
			msgs = append(msgs, "custom_expiry.order_time must look like \"2006-01-02 15:04:05 +0700\"")
		} else {
			start = t
		}
	}
	unit := time.Minute
	if u, present := ce["unit"]; present && u != nil {
		str, _ := asString(u)
		switch strings.TrimSuffix(strings.ToLower(str), "s") {
		case "second":
			unit = time.Second
		case "minute":
			unit = time.Minute
		case "hour":
			unit = time.Hour
		case "day":
			unit = 24 * time.Hour
		default:
			msgs = append(msgs, "custom_expiry.unit must be one of second, minute, hour, day")
		}
	}
	n, isInt := asInt(ce["expiry_duration"])
	switch {
	case !isInt:
		msgs = append(msgs, "custom_expiry.expiry_duration must be an integer")
	case time.Duration(n)*unit < 20*time.Second:
		msgs = append(msgs, msgBelowMinimum)
	}
	return start, time.Duration(n) * unit, msgs, true
}

// parseSnapExpiry reads Snap's expiry {start_time, duration, unit}.
func parseSnapExpiry(v any) (start time.Time, d time.Duration, msgs []string, ok bool) {
	if v == nil {
		return time.Time{}, 0, nil, false
	}
	ex, isObj := asObject(v)
	if !isObj {
		return time.Time{}, 0, []string{"expiry must be an object"}, true
	}
	if st, present := ex["start_time"]; present && st != nil {
		str, _ := asString(st)
		t, err := time.Parse("2006-01-02 15:04:05 -0700", str)
		if err != nil {
			msgs = append(msgs, "expiry.start_time must look like \"2006-01-02 15:04:05 +0700\"")
		}
		start = t
	}
	unit := time.Minute
	str, _ := asString(ex["unit"])
	switch strings.TrimSuffix(strings.ToLower(str), "s") {
	case "minute", "":
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		msgs = append(msgs, "expiry.unit must be one of day, hour, minute")
	}
	n, isInt := asInt(ex["duration"])
	switch {
	case !isInt:
		msgs = append(msgs, "expiry.duration must be an integer")
	case time.Duration(n)*unit < 20*time.Second:
		msgs = append(msgs, "expiry.duration is below minimum threshold")
	}
	d = time.Duration(n) * unit
	if d > 7*24*time.Hour {
		d = 7 * 24 * time.Hour // Snap cuts longer expiries to 7 days
	}
	return start, d, msgs, true
}
