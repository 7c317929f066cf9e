package methods

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nusapay/payments"
)

// optionsOf returns req.Options as a T. A plugin accepts its options as a
// T, a *T (what NewOptions hands a JSON decoder) or nil, which means every
// option at its default; anything else is a caller's mistake.
func optionsOf[T any](req *payments.ChargeRequest) (T, error) {
	var zero T
	switch o := req.Options.(type) {
	case nil:
		return zero, nil
	case T:
		return o, nil
	case *T:
		if o == nil {
			return zero, nil
		}
		return *o, nil
	}
	return zero, fmt.Errorf("must be a %T or a *%T, got %T", zero, zero, req.Options)
}

// validateOptions is optionsOf for Validate: a wrong type is recorded under
// "options" and ok is false, so the caller skips the option rules (each
// would only repeat that the options could not be read).
func validateOptions[T any](req *payments.ChargeRequest, v *payments.ValidationError) (o T, ok bool) {
	o, err := optionsOf[T](req)
	if err != nil {
		v.Add("options", err.Error())
		return o, false
	}
	return o, true
}

// buildOptions is optionsOf for Build, whose caller should have validated.
func buildOptions[T any](name string, req *payments.ChargeRequest) (T, error) {
	o, err := optionsOf[T](req)
	if err != nil {
		return o, fmt.Errorf("methods: %s: options %w", name, err)
	}
	return o, nil
}

// noOptions is Validate's check for a plugin that takes no options.
func noOptions(name string, req *payments.ChargeRequest, v *payments.ValidationError) {
	if req.Options != nil {
		v.Add("options", fmt.Sprintf("%s takes no options, got %T", name, req.Options))
	}
}

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
// the customer back (REFERENCE §3.4, §3.5). Schemes that run code or read
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
