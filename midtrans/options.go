package midtrans

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CallOption adjusts one call. Options are applied to that call's own
// request only, so one Client serves concurrent calls with different
// options. Later options override earlier ones of the same kind.
type CallOption interface {
	apply(*callOptions)
}

type callOptions struct {
	idempotencyKey string
	override       string
	append         string
	header         http.Header
	problems       []string
}

func (o *callOptions) fail(option, format string, args ...any) {
	o.problems = append(o.problems, option+": "+fmt.Sprintf(format, args...))
}

func buildCallOptions(op string, opts []CallOption) (callOptions, error) {
	var o callOptions
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		opt.apply(&o)
	}
	if len(o.problems) > 0 {
		return o, invalid(ErrInvalidOption, op, strings.Join(o.problems, "; "))
	}
	return o, nil
}

type optionFunc func(*callOptions)

func (f optionFunc) apply(o *callOptions) { f(o) }

// maxIdempotencyKeyLen is midtrans-go's limit. Midtrans documents 46 and
// silently ignores longer keys (losing idempotency); 36 fits a UUID and
// both limits.
const maxIdempotencyKeyLen = 36

// WithIdempotencyKey sends an Idempotency-Key header. Midtrans then
// processes POSTs with that key once within 5 minutes and answers repeats
// with the stored response; it also lets this package retry the POST.
// Keys are global across endpoints: use a fresh key per distinct operation
// (charge, each refund, cancel …). The key must be 1..36 printable ASCII
// characters without spaces. It has no effect on GET calls.
func WithIdempotencyKey(key string) CallOption {
	return optionFunc(func(o *callOptions) {
		switch {
		case key == "":
			o.fail("WithIdempotencyKey", "key is empty")
		case len(key) > maxIdempotencyKeyLen:
			o.fail("WithIdempotencyKey", "key is longer than %d characters", maxIdempotencyKeyLen)
		case !printableNoSpace(key):
			o.fail("WithIdempotencyKey", "key must be printable ASCII without spaces")
		default:
			o.idempotencyKey = key
		}
	})
}

// WithOverrideNotification sends X-Override-Notification: Midtrans sends
// this transaction's notifications only to urls (1 to 3 absolute http(s)
// URLs) instead of the dashboard URL. Use it on Charge or
// CreateSnapTransaction. If both override and append are set, Midtrans
// uses only override.
func WithOverrideNotification(urls ...string) CallOption {
	return optionFunc(func(o *callOptions) {
		if v, ok := notificationHeader(o, "WithOverrideNotification", urls); ok {
			o.override = v
		}
	})
}

// WithAppendNotification sends X-Append-Notification: Midtrans sends this
// transaction's notifications to urls (1 to 3 absolute http(s) URLs) as
// well as to the dashboard URL.
func WithAppendNotification(urls ...string) CallOption {
	return optionFunc(func(o *callOptions) {
		if v, ok := notificationHeader(o, "WithAppendNotification", urls); ok {
			o.append = v
		}
	})
}

func notificationHeader(o *callOptions, option string, urls []string) (string, bool) {
	if len(urls) == 0 || len(urls) > 3 {
		o.fail(option, "want 1 to 3 URLs, got %d", len(urls))
		return "", false
	}
	for i, raw := range urls {
		// The header is comma-separated, so a comma would split a URL.
		if strings.ContainsAny(raw, ", \t\r\n") {
			o.fail(option, "URL %d must not contain commas or whitespace", i+1)
			return "", false
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			o.fail(option, "URL %d is not an absolute http(s) URL", i+1)
			return "", false
		}
	}
	return strings.Join(urls, ","), true
}

// WithHeader adds a header to the request, e.g. "transaction-source:
// SNAP_API" for DANA status, refund and cancel, or X-Payment-Locale. It
// may replace Accept, Content-Type or User-Agent. It refuses headers that
// have their own option or that the client must control: Authorization,
// Idempotency-Key, X-Override-Notification, X-Append-Notification, Host,
// Content-Length and Transfer-Encoding.
func WithHeader(key, value string) CallOption {
	return optionFunc(func(o *callOptions) {
		if !validHeaderName(key) {
			o.fail("WithHeader", "invalid header name %q", key)
			return
		}
		canon := http.CanonicalHeaderKey(key)
		switch canon {
		case "Authorization", "Idempotency-Key", "X-Override-Notification", "X-Append-Notification",
			"Host", "Content-Length", "Transfer-Encoding":
			o.fail("WithHeader", "header %s cannot be set through WithHeader", canon)
			return
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			o.fail("WithHeader", "value of %s contains a line break or NUL", canon)
			return
		}
		if o.header == nil {
			o.header = make(http.Header)
		}
		o.header.Set(canon, value)
	})
}

func printableNoSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
