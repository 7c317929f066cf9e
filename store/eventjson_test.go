package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// jsonStrings are strings every escaping rule of encoding/json meets.
func jsonStrings() []string {
	return []string{"", "a", "Budi Santoso", `"quoted" \back\slash`, "<script>&amp;</script>", "line\nbreak\ttab\rret\bbs\fff",
		"\x00\x01\x1f\x7f", "\u2028\u2029", "\xff\xfeinvalid\xc3", "é ü 日本 🙂", "https://app.midtrans.com/snap/v4/redirection/x?a=1&b=2"}
}

// jsonRaws are raw members: compact, spaced, with HTML, and invalid (last).
func jsonRaws() []json.RawMessage {
	return []json.RawMessage{nil, json.RawMessage(`{}`), json.RawMessage(" { \"a\" : \"<b> & \u2028 \\\" x\" ,\n \"c\":[1, 2.5e3, true, null] }\n"),
		json.RawMessage(`{"status_code":"201","va_numbers":[{"bank":"bca","va_number":"123"}]}`), json.RawMessage(`"x y"`), json.RawMessage(`{"a":`)}
}

// fill sets every field of v (a struct, reached by pointer) to a random
// value, so a field the writer forgets shows as a difference.
func fill(r *rand.Rand, v reflect.Value) {
	strs, raws := jsonStrings(), jsonRaws()
	if t, ok := v.Addr().Interface().(*time.Time); ok {
		wib := time.FixedZone("WIB", 7*3600)
		*t = []time.Time{{}, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 3, 16, 4, 5, 123456789, wib),
			time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("odd", -(3*3600+30*60)))}[r.IntN(4)]
		return
	}
	if m, ok := v.Addr().Interface().(*json.RawMessage); ok {
		*m = raws[r.IntN(len(raws)-1)] // the invalid one is tried on its own
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[r.IntN(len(strs))])
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, 1, -5000, 145000, 1<<63 - 1}[r.IntN(5)])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i))
			}
		}
	case reflect.Pointer:
		if r.IntN(4) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem())
	case reflect.Slice:
		n := r.IntN(4) - 1 // nil, empty, 1 or 2
		if n < 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			fill(r, v.Index(i))
		}
	default:
		panic("fill: no rule for " + v.Type().String())
	}
}

// TestEventJSONMatchesEncodingJSON: for random events with every field
// of the event and its payment set, marshalEvent writes the very bytes
// encoding/json writes (marshalEventStd), or the same error.
func TestEventJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 3))
	fast := 0
	const n = 20000
	for i := 0; i < n; i++ {
		var ev payments.Event
		fill(r, reflect.ValueOf(&ev).Elem())
		ev.Subscription, ev.Attempt, ev.LastError = nil, 0, ""
		if ev.Payment == nil {
			ev.Payment = &payments.Payment{}
			fill(r, reflect.ValueOf(ev.Payment).Elem())
		}
		switch i % 50 {
		case 1: // raw JSON encoding/json refuses
			ev.Payment.Metadata = jsonRaws()[len(jsonRaws())-1]
		case 2: // years RFC 3339 cannot say
			ev.Payment.PaidAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		case 3:
			ev.OccurredAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
		case 4: // a zone of 24 hours
			ev.Payment.CreatedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 24*3600))
		}
		got, gerr := marshalEvent(&ev, &paymentJSON{})
		want, werr := marshalEventStd(&ev, &paymentJSON{})
		if (gerr != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got  %s %v\n want %s %v", i, got, gerr, want, werr)
		}
		if pj, ok := appendPaymentJSON(nil, ev.Payment); ok {
			if _, ok := appendEventJSON(nil, &ev, pj); ok {
				fast++
			}
		}
	}
	if fast < n/2 {
		t.Fatalf("only %d of %d events written without encoding/json", fast, n)
	}
}

// FuzzMarshalEvent: one fuzzed string in every text field of an event and
// its payment, fuzzed bytes in every raw member, a fuzzed instant in a
// fuzzed zone offset (seconds included) in every time: marshalEvent writes
// what marshalEventStd (encoding/json) writes, or fails as it does, alone
// and for two events of one change sharing the payment's JSON.
func FuzzMarshalEvent(f *testing.F) {
	f.Add("a<b>&\u2028", []byte(` {"a" : "x\u2028"}`), int64(0), int64(0), int32(0), uint8(0))
	f.Add("", []byte(`null`), int64(-62135596800), int64(5), int32(-3601), uint8(1))
	f.Add("\xff", []byte(`"x"`), int64(253402300799), int64(999999999), int32(86399), uint8(2))
	f.Fuzz(func(t *testing.T, s string, m []byte, sec, nsec int64, off int32, sel uint8) {
		tm := time.Unix(sec, nsec).In(time.FixedZone(s, int(off)))
		if sel&1 == 1 {
			tm = tm.UTC()
		}
		tr := true
		p := &payments.Payment{ID: s, Account: s, OrderID: s, TransactionID: s, Method: s, PaymentType: s, Amount: payments.Amount(sec),
			Currency: s, Status: payments.Status(s), FraudStatus: payments.FraudStatus(s), StatusMessage: s,
			Instructions: payments.Instructions{VANumber: s, Bank: s, BillKey: s, BillerCode: s, PaymentCode: s, Store: s, QRString: s,
				QRImageURL: s, DeeplinkURL: s, RedirectURL: s, Actions: []payments.Action{{Name: s, Method: s, URL: s, Fields: []string{s, s}}, {}},
				SnapToken: s, Acquirer: s, ChannelResponseCode: s, ChannelResponseMessage: s, MerchantID: s,
				Card: &payments.CardResult{MaskedCard: s, CardType: s, Bank: s, ApprovalCode: s, ECI: s, ThreeDSVersion: s, OnUs: &tr,
					InstallmentTerm: int(nsec), SavedTokenID: s, SavedTokenExpiresAt: tm}},
			ExpiresAt: tm, PaidAt: tm, RefundedAmount: payments.Amount(nsec), TransactionTime: tm, SettlementTime: tm,
			Customer: &payments.Customer{FirstName: s, LastName: s, Email: s, Phone: s, BillingAddress: &payments.Address{FirstName: s, LastName: s, Email: s, Phone: s, Address: s, City: s, PostalCode: s, CountryCode: s}},
			Items:    []payments.Item{{ID: s, Name: s, Price: payments.Amount(sec), Quantity: nsec, Brand: s, Category: s, MerchantName: s, URL: s}},
			Metadata: m, CustomField1: s, CustomField2: s, CustomField3: s, Version: sec, CreatedAt: tm, UpdatedAt: tm, ChargeResponse: m, SubscriptionID: s}
		if sel&2 == 2 {
			p = &payments.Payment{CreatedAt: tm}
		}
		ev := &payments.Event{ID: s, Signal: payments.Signal(s), Source: payments.Source(s), Payment: p,
			Previous: payments.State{Status: payments.Status(s), Fraud: payments.FraudStatus(s), Refunded: payments.Amount(sec)},
			Current:  payments.State{}, Payload: m, OccurredAt: tm, Attempt: 3, LastError: s}
		got, gerr := marshalEvent(ev, &paymentJSON{})
		want, werr := marshalEventStd(ev, &paymentJSON{})
		if (gerr != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("diff:\n got  %s %v\n want %s %v", got, gerr, want, werr)
		}
		if gerr == nil && !json.Valid(got) {
			t.Fatalf("invalid %s", got)
		}
		// Two events of one change share the payment's JSON.
		var last paymentJSON
		ev2 := *ev
		ev2.ID = "second"
		a1, e1 := marshalEvent(ev, &last)
		a2, e2 := marshalEvent(&ev2, &last)
		var last2 paymentJSON
		b1, f1 := marshalEventStd(ev, &last2)
		b2, f2 := marshalEventStd(&ev2, &last2)
		if !bytes.Equal(a1, b1) || !bytes.Equal(a2, b2) || (e1 != nil) != (f1 != nil) || (e2 != nil) != (f2 != nil) {
			t.Fatalf("two events of one change differ:\n got  %s / %s\n want %s / %s", a1, a2, b1, b2)
		}
	})
}

// FuzzAppendJSONString: any string is written as encoding/json writes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// FuzzAppendCompactJSON: valid JSON is compacted and escaped as
// encoding/json writes a json.RawMessage.
func FuzzAppendCompactJSON(f *testing.F) {
	for _, m := range jsonRaws() {
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, m []byte) {
		if len(m) == 0 || !json.Valid(m) {
			return
		}
		want, err := json.Marshal(json.RawMessage(m))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendCompactJSON(nil, m); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", m, got, want)
		}
	})
}
