package payments

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/nusapay/payments/midtrans"
)

// ChargeDefaults are the host's defaults for every charge of a Service.
// They are host-only by construction: a Service option, never part of a
// ChargeRequest a browser could fill in. A value the charge sets itself
// wins.
type ChargeDefaults struct {
	// Expiry is the expiry of charges that set none (ChargeRequest.Expiry),
	// at least 20 seconds. It applies only where the charge's method
	// accepts it: its Validate decides, so a card charge (no custom expiry
	// at Midtrans) or a DANA charge under DANA's 15 minutes keeps the
	// channel's own default instead of failing.
	Expiry time.Duration
	// GoPayCallbackURL, ShopeePayCallbackURL and DANACallbackURL are where
	// the e-wallet app sends the customer back (an http(s) URL or an app
	// deeplink), for charges whose method sets none: Core API gopay and
	// shopeepay charges, and Snap transactions offering the channel (all
	// channels when the Snap request enables no list).
	GoPayCallbackURL     string
	ShopeePayCallbackURL string
	DANACallbackURL      string
}

// minExpiry is Midtrans' shortest custom expiry.
const minExpiry = 20 * time.Second

// WithChargeDefaults sets the host's charge defaults. New refuses an
// expiry under 20 seconds and a callback URL that CheckCallbackURL
// refuses, naming the field. The zero ChargeDefaults sets nothing.
func WithChargeDefaults(d ChargeDefaults) Option {
	return optionFunc(func(s *Service) error {
		var ve ValidationError
		if d.Expiry != 0 && d.Expiry < minExpiry {
			ve.Add("ChargeDefaults.Expiry", fmt.Sprintf("must be at least %s, got %s", minExpiry, d.Expiry))
		}
		CheckCallbackURL(&ve, "ChargeDefaults.GoPayCallbackURL", d.GoPayCallbackURL)
		CheckCallbackURL(&ve, "ChargeDefaults.ShopeePayCallbackURL", d.ShopeePayCallbackURL)
		CheckCallbackURL(&ve, "ChargeDefaults.DANACallbackURL", d.DANACallbackURL)
		if err := ve.Err(); err != nil {
			return fmt.Errorf("payments: WithChargeDefaults: %w", err)
		}
		s.chargeDefaults = d
		return nil
	})
}

// withDefaultExpiry returns req, or a copy with the default expiry when
// req sets none and its method accepts the default.
func (s *Service) withDefaultExpiry(req *ChargeRequest) *ChargeRequest {
	d := s.chargeDefaults.Expiry
	if req == nil || req.Expiry != 0 || d == 0 {
		return req
	}
	m, ok := s.methods.byName[req.Method]
	if !ok {
		return req
	}
	withExpiry := *req
	withExpiry.Expiry = d
	var ve ValidationError
	m.Validate(&withExpiry, &ve)
	for _, f := range ve.Fields {
		if f.Field == "expiry" {
			return req // the method refuses a custom expiry, or this one
		}
	}
	return &withExpiry
}

// applyCallbackDefaults fills the default callback URLs into a built
// request that has none of its own.
func (s *Service) applyCallbackDefaults(r Request) {
	d := s.chargeDefaults
	if c := r.Core; c != nil {
		switch c.PaymentType {
		case "gopay":
			if d.GoPayCallbackURL != "" && (c.GoPay == nil || c.GoPay.CallbackURL == "") {
				if c.GoPay == nil {
					c.GoPay = &midtrans.GoPay{}
				}
				c.GoPay.EnableCallback, c.GoPay.CallbackURL = true, d.GoPayCallbackURL
			}
		case "shopeepay":
			if d.ShopeePayCallbackURL != "" && (c.ShopeePay == nil || c.ShopeePay.CallbackURL == "") {
				c.ShopeePay = &midtrans.ShopeePay{CallbackURL: d.ShopeePayCallbackURL}
			}
		}
	}
	if sn := r.Snap; sn != nil {
		offers := func(ch string) bool { return len(sn.EnabledPayments) == 0 || slices.Contains(sn.EnabledPayments, ch) }
		if d.GoPayCallbackURL != "" && offers("gopay") && (sn.GoPay == nil || sn.GoPay.CallbackURL == "") {
			if sn.GoPay == nil {
				sn.GoPay = &midtrans.GoPay{}
			}
			sn.GoPay.EnableCallback, sn.GoPay.CallbackURL = true, d.GoPayCallbackURL
		}
		if d.ShopeePayCallbackURL != "" && offers("shopeepay") && (sn.ShopeePay == nil || sn.ShopeePay.CallbackURL == "") {
			sn.ShopeePay = &midtrans.ShopeePay{CallbackURL: d.ShopeePayCallbackURL}
		}
		if d.DANACallbackURL != "" && offers("dana") && (sn.Dana == nil || sn.Dana.CallbackURL == "") {
			sn.Dana = &midtrans.SnapDana{CallbackURL: d.DANACallbackURL}
		}
	}
}

// CheckCallbackURL records field in v unless s is empty, an absolute
// http(s) URL, or an app deeplink (someapp://path): where an e-wallet app
// sends the customer back (GoPay, ShopeePay, DANA). Schemes that run code
// or read local files in a browser are refused, since the URL ends up in
// a link. Plugins and ChargeDefaults share this one rule.
func CheckCallbackURL(v *ValidationError, field, s string) {
	if s == "" {
		return
	}
	const want = "must be an http(s) URL or an app deeplink such as myapp://payment/finish"
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
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
