package payments

import (
	"encoding/json"
	"errors"
	"html/template"
	"strconv"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	good := []struct {
		in   string
		want Amount
	}{
		{"0", 0},
		{"0.00", 0},
		{"1", 1},
		{"145000.00", 145000},
		{"145000.0", 145000},
		{"145000", 145000},
		{"10000.00", 10000},
		{"9223372036854775807", MaxAmount},
		{"9223372036854775807.00", MaxAmount},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAmount(tc.in)
			if err != nil {
				t.Fatalf("ParseAmount(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseAmount(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
	bad := []string{
		"", "1.5", "1.50", "1.05", "0.01", "-1", "-1.00", "+1", " 1", "1 ", "1.", ".00", ".",
		"1.000", "01", "00", "00.00", "1e5", "0x10", "1,000", "1_000", "abc", "1.0a", "1a",
		"9223372036854775808", "99999999999999999999.00", "NaN", "Inf", "١٢٣", "1.-0",
	}
	for _, in := range bad {
		t.Run("bad/"+in, func(t *testing.T) {
			got, err := ParseAmount(in)
			if err == nil {
				t.Fatalf("ParseAmount(%q) = %d, want error", in, got)
			}
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseAmount(%q) error %v does not wrap ErrInvalidAmount", in, err)
			}
		})
	}
}

func TestAmountFormatRoundTrip(t *testing.T) {
	for _, a := range []Amount{0, 1, 44000, 145000, MaxAmount} {
		s := a.String()
		back, err := ParseAmount(s)
		if err != nil || back != a {
			t.Fatalf("%d formats as %q which parses to %d, %v", a, s, back, err)
		}
	}
	if got := Amount(44000).String(); got != "44000.00" {
		t.Fatalf("String = %q, want the Midtrans form 44000.00", got)
	}
}

func TestAmountJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		A Amount            `json:"a"`
		N Amount            `json:"n"`
		M Amount            `json:"m"`
		S []Amount          `json:"s"`
		K map[Amount]Amount `json:"k"`
	}{145000, -5000, MaxAmount, []Amount{0, 1}, map[Amount]Amount{7: 8}})
	if err != nil || string(b) != `{"a":145000,"n":-5000,"m":9223372036854775807,"s":[0,1],"k":{"7":8}}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var v struct{ A Amount }
	for in, want := range map[string]Amount{`{"A":145000}`: 145000, `{"A":"145000.00"}`: 145000, `{"A":-5000}`: -5000} {
		if err := json.Unmarshal([]byte(in), &v); err != nil || v.A != want {
			t.Fatalf("unmarshal %s = %d, %v; want %d", in, v.A, err, want)
		}
	}
	for _, in := range []string{`{"A":1.5}`, `{"A":"1.5"}`, `{"A":"-1"}`, `{"A":1e3}`, `{"A":true}`, `{"A":"x"}`} {
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Fatalf("unmarshal %s succeeded with %d", in, v.A)
		}
	}
}

// TestAmountInTemplatesAndStringTag: an Amount is a JSON number wherever
// a json.Marshaler is asked for JSON, not only in encoding/json's plain
// path: in an html/template script context (a checkout page doing
// arithmetic on it) and under a ",string" tag, which a marshaler
// overrides.
func TestAmountInTemplatesAndStringTag(t *testing.T) {
	var b strings.Builder
	tmpl := template.Must(template.New("t").Parse(`<script>var total = {{.}};</script>`))
	if err := tmpl.Execute(&b, Amount(145000)); err != nil || b.String() != `<script>var total =  145000 ;</script>` {
		t.Fatalf("template = %q, %v", b.String(), err)
	}
	out, err := json.Marshal(struct {
		A Amount `json:"a,string"`
	}{145000})
	if err != nil || string(out) != `{"a":145000}` {
		t.Fatalf("marshal with ,string = %s, %v", out, err)
	}
}

// FuzzParseAmount checks that ParseAmount never panics, accepts only
// canonical whole-rupiah strings, and that what it accepts round-trips.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"145000.00", "0", "1.5", "-1", "9223372036854775807", "9223372036854775808", "01", "1.0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("error %v does not wrap ErrInvalidAmount", err)
			}
			return
		}
		if a < 0 {
			t.Fatalf("ParseAmount(%q) = %d, negative", s, a)
		}
		// Whatever was accepted must be the integer, optionally with .0 or .00.
		plain := strconv.FormatInt(int64(a), 10)
		if s != plain && s != plain+".0" && s != plain+".00" {
			t.Fatalf("ParseAmount(%q) = %d accepted a non-canonical form", s, a)
		}
		if back, err := ParseAmount(a.String()); err != nil || back != a {
			t.Fatalf("round trip of %d via %q gave %d, %v", a, a.String(), back, err)
		}
	})
}

func TestRupiah(t *testing.T) {
	for a, want := range map[Amount]string{0: "Rp 0", 5: "Rp 5", 999: "Rp 999", 1000: "Rp 1.000", 150000: "Rp 150.000",
		1234567890: "Rp 1.234.567.890", -25000: "-Rp 25.000"} {
		if got := a.Rupiah(); got != want {
			t.Errorf("Amount(%d).Rupiah() = %q, want %q", int64(a), got, want)
		}
	}
	s := State{Status: StatusPartialRefund, Fraud: FraudAccept, Refunded: 5000}
	if got := s.String(); got != "partial_refund/accept (refunded Rp 5.000)" {
		t.Errorf("State.String() = %q", got)
	}
	if got := (State{}).String(); got != "-" {
		t.Errorf("empty State.String() = %q", got)
	}
}
