package methods

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nusapay/payments"
)

// runes counts characters the way Midtrans' String(n) limits do.
func runes(s string) int { return utf8.RuneCountInString(s) }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}

// checkMaxLen records field when s is longer than max characters.
func checkMaxLen(v *payments.ValidationError, field, s string, max int) {
	if n := runes(s); n > max {
		v.Add(field, fmt.Sprintf("must be at most %d characters, got %d", max, n))
	}
}

// checkCallbackURL is payments.CheckCallbackURL: one rule for plugins and
// the host's ChargeDefaults.
func checkCallbackURL(v *payments.ValidationError, field, s string) {
	payments.CheckCallbackURL(v, field, s)
}
