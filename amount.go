package payments

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is a sum of money in whole Indonesian rupiah.
//
// Midtrans accepts IDR amounts as JSON integers and reports them as strings
// with two decimals ("145000.00"). Floats never touch money here: parsing is
// strict and exact, and formatting produces the Midtrans string form.
type Amount int64

// MaxAmount is the largest amount this package represents.
const MaxAmount Amount = math.MaxInt64

// ParseAmount parses a non-negative rupiah amount as Midtrans writes it:
// digits, optionally followed by a decimal point and one or two zeros
// ("145000", "145000.0", "145000.00"). It rejects fractions of a rupiah
// ("1.5", "1.50"), signs, spaces, exponents, leading zeros, empty strings and
// values that overflow int64. Errors wrap ErrInvalidAmount.
func ParseAmount(s string) (Amount, error) {
	if len(s) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrInvalidAmount)
	}
	whole := s
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			continue
		}
		whole, frac := s[:i], s[i+1:]
		if len(frac) == 0 || len(frac) > 2 {
			return 0, fmt.Errorf("%w: %q must have one or two decimals", ErrInvalidAmount, s)
		}
		for j := 0; j < len(frac); j++ {
			if frac[j] != '0' {
				if frac[j] < '0' || frac[j] > '9' {
					return 0, fmt.Errorf("%w: %q is not a number", ErrInvalidAmount, s)
				}
				return 0, fmt.Errorf("%w: %q is not a whole rupiah amount", ErrInvalidAmount, s)
			}
		}
		return parseWhole(s, whole)
	}
	return parseWhole(s, whole)
}

func parseWhole(s, whole string) (Amount, error) {
	if len(whole) == 0 {
		return 0, fmt.Errorf("%w: %q has no digits before the decimal point", ErrInvalidAmount, s)
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, fmt.Errorf("%w: %q has a leading zero", ErrInvalidAmount, s)
	}
	for i := 0; i < len(whole); i++ {
		if whole[i] < '0' || whole[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not a number", ErrInvalidAmount, s)
		}
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is out of range", ErrInvalidAmount, s)
	}
	return Amount(n), nil
}

// MustParseAmount is ParseAmount for constants in tests and examples; it
// panics on bad input.
func MustParseAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// String formats the amount as Midtrans does: "145000.00".
func (a Amount) String() string {
	return strconv.FormatInt(int64(a), 10) + ".00"
}

// Rupiah formats the amount as people in Indonesia read it: "Rp 145.000".
func (a Amount) Rupiah() string {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign = "-"
	}
	s := strconv.FormatInt(n, 10)
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return sign + "Rp " + b.String()
}

// Int64 returns the amount as a plain integer, the form Midtrans requests take.
func (a Amount) Int64() int64 { return int64(a) }

// MarshalJSON writes the amount as a JSON integer. encoding/json would
// write the integer without it, but other consumers of json.Marshaler
// would not: html/template would write String()'s "145000.00" into a
// script, and a ",string" tag would quote it (TestAmountInTemplatesAndStringTag).
// Hook events write amounts without calling it (store/eventjson.go).
func (a Amount) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(a), 10), nil
}

// UnmarshalJSON accepts a JSON integer (our own form) or a Midtrans string
// ("145000.00"), both parsed strictly; negative integers are accepted only
// because item prices may be discounts, which the validator checks.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidAmount, err)
		}
		v, err := ParseAmount(s)
		if err != nil {
			return err
		}
		*a = v
		return nil
	}
	s := string(b)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	if neg {
		v = -v
	}
	*a = v
	return nil
}
