package midtrans

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nusapay/payments/internal/fixture"
)

// FuzzDecodeTransactionResponse: no input may panic the lenient decoder
// or the error rules, and a decoded value keeps its input in Raw.
func FuzzDecodeTransactionResponse(f *testing.F) {
	for _, name := range decodeFixtures(f) {
		f.Add(fixture.Bytes(f, name))
	}
	for _, name := range fixture.Glob(f, "docs/snap-*.json") {
		f.Add(fixture.Bytes(f, name))
	}
	f.Add([]byte(`{"installment_term":6,"status_code":201,"on_us":"true","expire_time":"x","refunds":[{"refund_chargeback_id":1}]}`))
	f.Add([]byte(`{"actions":[{"fields":[1,null,"a"]}],"va_numbers":[null],"metadata":null}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r TransactionResponse
		if err := json.Unmarshal(data, &r); err == nil {
			if !json.Valid(r.Raw) {
				t.Errorf("Raw is not valid JSON: %q", r.Raw)
			}
			r.Action("generate-qr-code")
		}
		var b B2BStatusResponse
		_ = json.Unmarshal(data, &b)
		var s SnapResponse
		_ = json.Unmarshal(data, &s)
		for _, status := range []int{200, 201, 202, 400, 503} {
			v := classify("charge", status, data)
			if v.apiErr != nil {
				_ = v.apiErr.Error()
				_ = v.apiErr.Temporary()
			}
		}
	})
}

// FuzzParseTime: ParseTime never panics, and what it accepts formats back
// to the same instant (to the second: Midtrans times have no fraction).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2019-10-23 16:33:49", "", "2024-02-29 23:59:59", "0000-01-01 00:00:00", "9999-12-31 23:59:59",
		"2019-10-23 16:33:49.123", "2019-13-01 00:00:00", "2019-10-23T16:33:49", "2016-12-07 11:54:12 +0700",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		if s == "" {
			if !got.IsZero() {
				t.Errorf("ParseTime(\"\") = %v", got)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) is in %v, want UTC", s, got.Location())
		}
		// The definition: the wall clock in WIB.
		if want, err := time.ParseInLocation(TimeLayout, s, wib()); err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, want %v (%v)", s, got, want, err)
		}
		if want := got.In(wib()).Format(TimeLayout); FormatTime(got) != want {
			t.Errorf("FormatTime(%v) = %q, want %q", got, FormatTime(got), want)
		}
		back, err := ParseTime(FormatTime(got))
		if err != nil {
			t.Fatalf("ParseTime(FormatTime(%v)) = %v", got, err)
		}
		if !back.Equal(got.Truncate(time.Second)) {
			t.Errorf("round trip of %q: %v != %v", s, back, got)
		}
	})
}
