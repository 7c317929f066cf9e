package methods

import (
	"fmt"
	"net/url"
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

// checkCallbackURL records field unless s is empty, an absolute http(s)
// URL, or an app deeplink (someapp://path): where an e-wallet app sends
// the customer back (GoPay, ShopeePay, DANA). Schemes that run code or read
// local files in a browser are refused, since the URL ends up in a link.
func checkCallbackURL(v *payments.ValidationError, field, s string) {
	if s == "" {
		return
	}
	const want = "must be an http(s) URL or an app deeplink such as myapp://payment/finish"
	if hasSpaceOrControl(s) {
		v.Add(field, want+"; it contains spaces or control characters")
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		v.Add(field, want)
		return
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			v.Add(field, want+"; the http(s) URL has no host")
		}
	case "javascript", "data", "file", "vbscript", "blob", "about":
		v.Add(field, fmt.Sprintf("%s; scheme %q is not allowed", want, u.Scheme))
	default:
		if !strings.HasPrefix(s[len(u.Scheme):], "://") {
			v.Add(field, want)
		}
	}
}
